"""The gRPC servicer: translates protobuf to use-case calls and domain objects back.

It holds no rules: roles per method are in :data:`CATALOG_POLICY` (fail closed), finer
rules (author, reviewer, tenant setting) in the domain and service layer. Quiz answer
keys are a field of the domain item that no mapping (``grpc_messages``) ever reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from typing_extensions import override

from agora.catalog.v1 import catalog_pb2 as pb
from agora.catalog.v1 import catalog_pb2_grpc
from agora_catalog.domain.inputs import (
    AssignmentIn,
    AttemptIn,
    ItemCommand,
    PathIn,
    ProgressIn,
    ReviewIn,
    SearchIn,
    SkillIn,
    ThemeIn,
)
from agora_catalog.entrypoints import grpc_messages as m
from agora_catalog.service_layer.assignments import Assignments
from agora_catalog.service_layer.items import Items
from agora_catalog.service_layer.paths import Paths
from agora_catalog.service_layer.progress import Learning
from agora_catalog.service_layer.quizzes import Quizzes
from agora_catalog.service_layer.review import Review
from agora_catalog.service_layer.search import Search
from agora_catalog.service_layer.sessions import Sessions
from agora_catalog.service_layer.skills_report import SkillsReports
from agora_catalog.service_layer.taxonomy import Taxonomy
from agora_core.errors import InvalidArgument
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.grpc.timestamps import optional_timestamp_value
from agora_core.grpc.validation import parse_request
from agora_core.identity import Role
from agora_core.pagination import page_size

CATALOG_SERVICE: Final = pb.DESCRIPTOR.services_by_name["CatalogService"]
CATALOG_SERVICE_NAME: Final[str] = CATALOG_SERVICE.full_name

AUTHORS: Final = frozenset({Role.CONTRIBUTOR, Role.EXPERT, Role.MANAGER, Role.ADMIN})
REVIEWERS: Final = frozenset({Role.EXPERT, Role.ADMIN})
ADMINS: Final = frozenset({Role.ADMIN})
MANAGERS: Final = frozenset({Role.MANAGER, Role.ADMIN})
MONITORS: Final = frozenset({Role.MANAGER, Role.EXPERT, Role.ADMIN})

CATALOG_POLICY: Final = MethodPolicy.for_service(
    CATALOG_SERVICE,
    {
        "UpsertTheme": ADMINS,
        "ListThemes": ANY_AUTHENTICATED,
        "UpsertSkill": ADMINS,
        "ListSkills": ANY_AUTHENTICATED,
        "GetTenantSettings": ANY_AUTHENTICATED,
        "UpdateTenantSettings": ADMINS,
        "CreateItem": AUTHORS,
        "UpdateItem": AUTHORS,
        "GetItem": ANY_AUTHENTICATED,
        "ListItemVersions": ANY_AUTHENTICATED,
        "SearchItems": ANY_AUTHENTICATED,
        "SubmitItem": AUTHORS,
        "PublishInformally": AUTHORS,
        "ListReviewQueue": REVIEWERS,
        "ClaimReview": REVIEWERS,
        "ReviewItem": REVIEWERS,
        "ArchiveItem": AUTHORS,
        "CreatePath": AUTHORS,
        "PublishPath": AUTHORS,
        "ArchivePath": AUTHORS,
        "GetPath": ANY_AUTHENTICATED,
        "ListPaths": ANY_AUTHENTICATED,
        "EnrolInPath": ANY_AUTHENTICATED,
        "CreateAssignments": MANAGERS,
        "ListMyAssignments": ANY_AUTHENTICATED,
        "ListTeamAssignments": MANAGERS,
        "StartItem": ANY_AUTHENTICATED,
        "RecordProgress": ANY_AUTHENTICATED,
        "CompleteItem": ANY_AUTHENTICATED,
        "ListMyProgress": ANY_AUTHENTICATED,
        "RegisterForSession": ANY_AUTHENTICATED,
        "CancelSessionRegistration": ANY_AUTHENTICATED,
        "SubmitQuizAttempt": ANY_AUTHENTICATED,
        "GetSkillsReport": MONITORS,
    },
)


@dataclass(frozen=True)
class UseCases:
    """The catalog's use cases, one object per capability (bootstrap builds them)."""

    taxonomy: Taxonomy
    items: Items
    review: Review
    search: Search
    sessions: Sessions
    learning: Learning
    paths: Paths
    assignments: Assignments
    quizzes: Quizzes
    reports: SkillsReports


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    """CatalogService over the catalog's use cases: translation only."""

    def __init__(self, use_cases: UseCases) -> None:
        self._u = use_cases

    @override
    async def UpsertTheme(
        self, request: pb.UpsertThemeRequest, context: Context
    ) -> pb.UpsertThemeResponse:
        theme = parse_request(
            ThemeIn,
            theme_id=request.theme_id,
            name=request.name,
            parent_id=request.parent_id or None,
        )
        saved = await self._u.taxonomy.upsert_theme(current_principal().tenant_id, theme)
        return pb.UpsertThemeResponse(theme=m.theme_message(saved))

    @override
    async def ListThemes(
        self, request: pb.ListThemesRequest, context: Context
    ) -> pb.ListThemesResponse:
        themes = await self._u.taxonomy.list_themes(current_principal().tenant_id)
        return pb.ListThemesResponse(themes=[m.theme_message(t) for t in themes])

    @override
    async def UpsertSkill(
        self, request: pb.UpsertSkillRequest, context: Context
    ) -> pb.UpsertSkillResponse:
        skill = parse_request(
            SkillIn,
            skill_id=request.skill_id,
            name=request.name,
            expert_ids=list(request.expert_ids),
            trainer_ids=list(request.trainer_ids),
        )
        saved = await self._u.taxonomy.upsert_skill(current_principal().tenant_id, skill)
        return pb.UpsertSkillResponse(skill=m.skill_message(saved))

    @override
    async def ListSkills(
        self, request: pb.ListSkillsRequest, context: Context
    ) -> pb.ListSkillsResponse:
        skills = await self._u.taxonomy.list_skills(current_principal().tenant_id)
        return pb.ListSkillsResponse(skills=[m.skill_message(s) for s in skills])

    @override
    async def GetTenantSettings(
        self, request: pb.GetTenantSettingsRequest, context: Context
    ) -> pb.GetTenantSettingsResponse:
        allowed = await self._u.taxonomy.informal_publishing_allowed(current_principal().tenant_id)
        settings = pb.TenantSettings(informal_publishing_allowed=allowed)
        return pb.GetTenantSettingsResponse(settings=settings)

    @override
    async def UpdateTenantSettings(
        self, request: pb.UpdateTenantSettingsRequest, context: Context
    ) -> pb.UpdateTenantSettingsResponse:
        allowed = await self._u.taxonomy.allow_informal_publishing(
            current_principal().tenant_id, request.settings.informal_publishing_allowed
        )
        settings = pb.TenantSettings(informal_publishing_allowed=allowed)
        return pb.UpdateTenantSettingsResponse(settings=settings)

    @override
    async def CreateItem(
        self, request: pb.CreateItemRequest, context: Context
    ) -> pb.CreateItemResponse:
        command = parse_request(ItemCommand, item=m.draft_fields(request.item))
        item = await self._u.items.create_item(current_principal(), command.item)
        return pb.CreateItemResponse(item=m.item_message(item))

    @override
    async def UpdateItem(
        self, request: pb.UpdateItemRequest, context: Context
    ) -> pb.UpdateItemResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        command = parse_request(ItemCommand, item=m.draft_fields(request.item))
        item = await self._u.items.update_item(current_principal(), item_id, command.item)
        return pb.UpdateItemResponse(item=m.item_message(item))

    @override
    async def GetItem(self, request: pb.GetItemRequest, context: Context) -> pb.GetItemResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item = await self._u.items.get_item(current_principal(), item_id)
        return pb.GetItemResponse(item=m.item_message(item))

    @override
    async def ListItemVersions(
        self, request: pb.ListItemVersionsRequest, context: Context
    ) -> pb.ListItemVersionsResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        versions = await self._u.items.list_versions(current_principal(), item_id)
        return pb.ListItemVersionsResponse(versions=[m.version_message(v) for v in versions])

    @override
    async def SearchItems(
        self, request: pb.SearchItemsRequest, context: Context
    ) -> pb.SearchItemsResponse:
        search = parse_request(SearchIn, **m.search_input(request))
        page = await self._u.search.search(
            current_principal(), search, request.page_token, page_size(request.page_size)
        )
        return pb.SearchItemsResponse(
            items=[m.item_message(i) for i in page.items], next_page_token=page.next_page_token
        )

    @override
    async def SubmitItem(
        self, request: pb.SubmitItemRequest, context: Context
    ) -> pb.SubmitItemResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item, reviewers = await self._u.review.submit(current_principal(), item_id)
        return pb.SubmitItemResponse(item=m.item_message(item), reviewer_ids=reviewers)

    @override
    async def PublishInformally(
        self, request: pb.PublishInformallyRequest, context: Context
    ) -> pb.PublishInformallyResponse:
        item = await self._u.review.publish_informally(
            current_principal(),
            m.checked_id(request.item_id, "item_id"),
            m.checked_id(request.space_id, "space_id"),
        )
        return pb.PublishInformallyResponse(item=m.item_message(item))

    @override
    async def ListReviewQueue(
        self, request: pb.ListReviewQueueRequest, context: Context
    ) -> pb.ListReviewQueueResponse:
        page = await self._u.review.review_queue(
            current_principal(), request.page_token, page_size(request.page_size)
        )
        return pb.ListReviewQueueResponse(
            items=[m.item_message(i) for i in page.items], next_page_token=page.next_page_token
        )

    @override
    async def ClaimReview(
        self, request: pb.ClaimReviewRequest, context: Context
    ) -> pb.ClaimReviewResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item = await self._u.review.claim(current_principal(), item_id)
        return pb.ClaimReviewResponse(item=m.item_message(item))

    @override
    async def ReviewItem(
        self, request: pb.ReviewItemRequest, context: Context
    ) -> pb.ReviewItemResponse:
        if request.decision not in m.DECISIONS:
            raise InvalidArgument.single(
                "decision", "must be approved, changes requested or rejected"
            )
        review = parse_request(
            ReviewIn,
            item_id=request.item_id,
            decision=m.DECISIONS[request.decision],
            comment=request.comment,
        )
        item = await self._u.review.review(current_principal(), review)
        return pb.ReviewItemResponse(item=m.item_message(item))

    @override
    async def ArchiveItem(
        self, request: pb.ArchiveItemRequest, context: Context
    ) -> pb.ArchiveItemResponse:
        if len(request.reason) > 1000:
            raise InvalidArgument.single("reason", "at most 1000 characters")
        item_id = m.checked_id(request.item_id, "item_id")
        item = await self._u.review.archive(current_principal(), item_id, request.reason)
        return pb.ArchiveItemResponse(item=m.item_message(item))

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
        created = await self._u.paths.create_path(current_principal(), path)
        return pb.CreatePathResponse(path=m.path_message(created))

    @override
    async def PublishPath(
        self, request: pb.PublishPathRequest, context: Context
    ) -> pb.PublishPathResponse:
        path_id = m.checked_id(request.path_id, "path_id")
        path = await self._u.paths.publish_path(current_principal(), path_id)
        return pb.PublishPathResponse(path=m.path_message(path))

    @override
    async def ArchivePath(
        self, request: pb.ArchivePathRequest, context: Context
    ) -> pb.ArchivePathResponse:
        path_id = m.checked_id(request.path_id, "path_id")
        path = await self._u.paths.archive_path(current_principal(), path_id)
        return pb.ArchivePathResponse(path=m.path_message(path))

    @override
    async def GetPath(self, request: pb.GetPathRequest, context: Context) -> pb.GetPathResponse:
        path_id = m.checked_id(request.path_id, "path_id")
        path = await self._u.paths.get_path(current_principal(), path_id)
        return pb.GetPathResponse(path=m.path_message(path))

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
            paths=[m.path_message(p) for p in page.items], next_page_token=page.next_page_token
        )

    @override
    async def EnrolInPath(
        self, request: pb.EnrolInPathRequest, context: Context
    ) -> pb.EnrolInPathResponse:
        path_id = m.checked_id(request.path_id, "path_id")
        enrolment = await self._u.paths.enrol(current_principal(), path_id)
        return pb.EnrolInPathResponse(progress=m.path_progress_message(enrolment))

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
        created = await self._u.assignments.assign(current_principal(), assignment)
        return pb.CreateAssignmentsResponse(assignments=[m.assignment_message(a) for a in created])

    @override
    async def ListMyAssignments(
        self, request: pb.ListMyAssignmentsRequest, context: Context
    ) -> pb.ListMyAssignmentsResponse:
        page = await self._u.assignments.my_assignments(
            current_principal(), request.page_token, page_size(request.page_size)
        )
        return pb.ListMyAssignmentsResponse(
            assignments=[m.assignment_message(a) for a in page.items],
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
            assignments=[m.assignment_message(a) for a in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def StartItem(
        self, request: pb.StartItemRequest, context: Context
    ) -> pb.StartItemResponse:
        if len(request.path_id) > 128:
            raise InvalidArgument.single("path_id", "at most 128 characters")
        item_id = m.checked_id(request.item_id, "item_id")
        progress = await self._u.learning.start(
            current_principal(), item_id, request.path_id or None
        )
        return pb.StartItemResponse(progress=m.progress_message(progress))

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
        return pb.RecordProgressResponse(progress=m.progress_message(progress))

    @override
    async def CompleteItem(
        self, request: pb.CompleteItemRequest, context: Context
    ) -> pb.CompleteItemResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        progress, newly = await self._u.learning.complete(current_principal(), item_id)
        return pb.CompleteItemResponse(progress=m.progress_message(progress), newly_completed=newly)

    @override
    async def ListMyProgress(
        self, request: pb.ListMyProgressRequest, context: Context
    ) -> pb.ListMyProgressResponse:
        page, paths = await self._u.learning.my_progress(
            current_principal(), request.page_token, page_size(request.page_size)
        )
        return pb.ListMyProgressResponse(
            items=[m.progress_message(p) for p in page.items],
            paths=[m.path_progress_message(e) for e in paths],
            next_page_token=page.next_page_token,
        )

    @override
    async def RegisterForSession(
        self, request: pb.RegisterForSessionRequest, context: Context
    ) -> pb.RegisterForSessionResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item = await self._u.sessions.register(current_principal(), item_id)
        return pb.RegisterForSessionResponse(item=m.item_message(item))

    @override
    async def CancelSessionRegistration(
        self, request: pb.CancelSessionRegistrationRequest, context: Context
    ) -> pb.CancelSessionRegistrationResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item = await self._u.sessions.cancel(current_principal(), item_id)
        return pb.CancelSessionRegistrationResponse(item=m.item_message(item))

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
        return m.attempt_response(graded)

    @override
    async def GetSkillsReport(
        self, request: pb.GetSkillsReportRequest, context: Context
    ) -> pb.GetSkillsReportResponse:
        if len(request.skill_id) > 128:
            raise InvalidArgument.single("skill_id", "at most 128 characters")
        report = await self._u.reports.skills_report(current_principal(), request.skill_id or None)
        return pb.GetSkillsReportResponse(skills=[m.report_message(r) for r in report])
