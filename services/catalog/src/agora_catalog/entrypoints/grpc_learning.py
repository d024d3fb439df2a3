"""CatalogService RPCs of learning: paths, assignments, progress, quizzes, skills
report. Each translates protobuf to one use case call and its result back."""

from __future__ import annotations

from typing_extensions import override

from agora.catalog.v1 import catalog_pb2 as pb
from agora_catalog.domain.inputs import (
    AssignmentIn,
    AttemptIn,
    PathIn,
    ProgressIn,
)
from agora_catalog.entrypoints import grpc_learning_messages as lm
from agora_catalog.entrypoints import grpc_messages as m
from agora_catalog.entrypoints.grpc_content import ContentRpcs
from agora_core.errors import InvalidArgument
from agora_core.grpc.aip import create_request
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.timestamps import optional_timestamp_value
from agora_core.grpc.validation import parse_request
from agora_core.pagination import page_size


class CatalogServicer(ContentRpcs):
    """CatalogService over the catalog's use cases: translation only."""

    @override
    async def CreatePath(
        self, request: pb.CreatePathRequest, context: Context
    ) -> pb.CreatePathResponse:
        path = parse_request(
            PathIn,
            title=request.title,
            description=request.description,
            objectives=list(request.objectives),
            steps=[{"item_id": s.item_id, "mandatory": s.mandatory} for s in request.steps],
            target_skills=[
                {"skill_id": s.skill_id, "level": s.level} for s in request.target_skills
            ],
            onboarding=request.onboarding,
            space_id=request.space_id or None,
        )
        created = await self._u.paths.create_path(
            current_principal(), path, create_request("CreatePath", request)
        )
        return pb.CreatePathResponse(path=lm.path_message(created))

    @override
    async def PublishPath(
        self, request: pb.PublishPathRequest, context: Context
    ) -> pb.PublishPathResponse:
        path_id = m.checked_id(request.path_id, "path_id")
        path = await self._u.paths.publish_path(current_principal(), path_id)
        return pb.PublishPathResponse(path=lm.path_message(path))

    @override
    async def ArchivePath(
        self, request: pb.ArchivePathRequest, context: Context
    ) -> pb.ArchivePathResponse:
        path_id = m.checked_id(request.path_id, "path_id")
        path = await self._u.paths.archive_path(current_principal(), path_id)
        return pb.ArchivePathResponse(path=lm.path_message(path))

    @override
    async def GetPath(self, request: pb.GetPathRequest, context: Context) -> pb.GetPathResponse:
        path_id = m.checked_id(request.path_id, "path_id")
        path = await self._u.paths.get_path(current_principal(), path_id)
        return pb.GetPathResponse(path=lm.path_message(path))

    @override
    async def ListPaths(
        self, request: pb.ListPathsRequest, context: Context
    ) -> pb.ListPathsResponse:
        page = await self._u.paths.list_paths(
            current_principal(),
            request.onboarding_only,
            request.page_token,
            page_size(request.page_size),
        )
        return pb.ListPathsResponse(
            paths=[lm.path_message(p) for p in page.items], next_page_token=page.next_page_token
        )

    @override
    async def EnrolInPath(
        self, request: pb.EnrolInPathRequest, context: Context
    ) -> pb.EnrolInPathResponse:
        path_id = m.checked_id(request.path_id, "path_id")
        enrolment = await self._u.paths.enrol(current_principal(), path_id)
        return pb.EnrolInPathResponse(progress=lm.path_progress_message(enrolment))

    @override
    async def CreateAssignments(
        self, request: pb.CreateAssignmentsRequest, context: Context
    ) -> pb.CreateAssignmentsResponse:
        if request.target_kind not in m.TARGET_KIND:
            raise InvalidArgument.single("target_kind", "must be knowledge or path")
        assignment = parse_request(
            AssignmentIn,
            learner_ids=list(request.learner_ids),
            target_kind=m.TARGET_KIND[request.target_kind],
            target_id=request.target_id,
            due_at=optional_timestamp_value(request.due_at, request.HasField("due_at"), "due_at"),
            compliance=request.compliance,
        )
        created = await self._u.assignments.assign(
            current_principal(), assignment, create_request("CreateAssignments", request)
        )
        return pb.CreateAssignmentsResponse(assignments=[lm.assignment_message(a) for a in created])

    @override
    async def ListMyAssignments(
        self, request: pb.ListMyAssignmentsRequest, context: Context
    ) -> pb.ListMyAssignmentsResponse:
        page = await self._u.assignments.my_assignments(
            current_principal(), request.page_token, page_size(request.page_size)
        )
        return pb.ListMyAssignmentsResponse(
            assignments=[lm.assignment_message(a) for a in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def ListTeamAssignments(
        self, request: pb.ListTeamAssignmentsRequest, context: Context
    ) -> pb.ListTeamAssignmentsResponse:
        page = await self._u.assignments.team_assignments(
            current_principal(),
            request.overdue_only,
            request.page_token,
            page_size(request.page_size),
        )
        return pb.ListTeamAssignmentsResponse(
            assignments=[lm.assignment_message(a) for a in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def StartItem(
        self, request: pb.StartItemRequest, context: Context
    ) -> pb.StartItemResponse:
        if len(request.path_id) > 128:
            raise InvalidArgument.single("path_id", "at most 128 characters")
        item_id = m.checked_id(request.item_id, "item_id")
        path_id = m.checked_text(request.path_id, "path_id") or None
        progress = await self._u.learning.start(current_principal(), item_id, path_id)
        return pb.StartItemResponse(progress=lm.progress_message(progress))

    @override
    async def RecordProgress(
        self, request: pb.RecordProgressRequest, context: Context
    ) -> pb.RecordProgressResponse:
        progress_in = parse_request(
            ProgressIn,
            item_id=request.item_id,
            percent=request.percent,
            last_position=request.last_position,
        )
        progress = await self._u.learning.record_progress(current_principal(), progress_in)
        return pb.RecordProgressResponse(progress=lm.progress_message(progress))

    @override
    async def CompleteItem(
        self, request: pb.CompleteItemRequest, context: Context
    ) -> pb.CompleteItemResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        progress, newly = await self._u.learning.complete(current_principal(), item_id)
        return pb.CompleteItemResponse(
            progress=lm.progress_message(progress), newly_completed=newly
        )

    @override
    async def ListMyProgress(
        self, request: pb.ListMyProgressRequest, context: Context
    ) -> pb.ListMyProgressResponse:
        page, paths = await self._u.learning.my_progress(
            current_principal(), request.page_token, page_size(request.page_size)
        )
        return pb.ListMyProgressResponse(
            items=[lm.progress_message(p) for p in page.items],
            paths=[lm.path_progress_message(e) for e in paths],
            next_page_token=page.next_page_token,
        )

    @override
    async def SubmitQuizAttempt(
        self, request: pb.SubmitQuizAttemptRequest, context: Context
    ) -> pb.SubmitQuizAttemptResponse:
        attempt = parse_request(
            AttemptIn,
            item_id=request.item_id,
            answers=[
                {"question_id": a.question_id, "choice_ids": list(a.choice_ids)}
                for a in request.answers
            ],
        )
        graded = await self._u.quizzes.submit_attempt(current_principal(), attempt)
        return lm.attempt_response(graded)

    @override
    async def GetSkillsReport(
        self, request: pb.GetSkillsReportRequest, context: Context
    ) -> pb.GetSkillsReportResponse:
        if len(request.skill_id) > 128:
            raise InvalidArgument.single("skill_id", "at most 128 characters")
        skill_id = m.checked_text(request.skill_id, "skill_id") or None
        report = await self._u.reports.skills_report(current_principal(), skill_id)
        return pb.GetSkillsReportResponse(skills=[lm.report_message(r) for r in report])
