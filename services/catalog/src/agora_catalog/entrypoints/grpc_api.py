"""The gRPC servicer: translates protobuf to use-case calls and documents to protobuf.

It holds no rules: roles per method are in :data:`CATALOG_POLICY` (fail closed), finer
rules (author, reviewer, tenant setting) in the domain and service layer. Quiz answer
keys are stored in a field (``answer_key``) that no mapping here ever reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from google.protobuf.timestamp_pb2 import Timestamp
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
from agora_catalog.service_layer.catalog import Catalog
from agora_catalog.service_layer.learning import Learning
from agora_core.errors import InvalidArgument
from agora_core.grpc.auth import Role, current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.grpc.validation import page_size, parse_request, timestamp_value
from agora_core.storage import Document

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

_TYPE_TO_PB: Final = {
    "scorm": pb.KNOWLEDGE_TYPE_SCORM,
    "video": pb.KNOWLEDGE_TYPE_VIDEO,
    "document": pb.KNOWLEDGE_TYPE_DOCUMENT,
    "wiki": pb.KNOWLEDGE_TYPE_WIKI,
    "link": pb.KNOWLEDGE_TYPE_LINK,
    "quiz": pb.KNOWLEDGE_TYPE_QUIZ,
    "session": pb.KNOWLEDGE_TYPE_SESSION,
}
_PB_TO_TYPE: Final = {v: k for k, v in _TYPE_TO_PB.items()}
_STATUS_TO_PB: Final = {
    "draft": pb.ITEM_STATUS_DRAFT,
    "submitted": pb.ITEM_STATUS_SUBMITTED,
    "in_review": pb.ITEM_STATUS_IN_REVIEW,
    "changes_requested": pb.ITEM_STATUS_CHANGES_REQUESTED,
    "published": pb.ITEM_STATUS_PUBLISHED,
    "rejected": pb.ITEM_STATUS_REJECTED,
    "archived": pb.ITEM_STATUS_ARCHIVED,
}
_PB_TO_STATUS: Final = {v: k for k, v in _STATUS_TO_PB.items()}
_FORMATS: Final = ["unspecified", "pdf", "powerpoint", "word", "spreadsheet", "other"]
_LINK_KINDS: Final = ["unspecified", "article", "mooc", "other"]
_DECISIONS: Final = {
    pb.REVIEW_DECISION_APPROVED: "approved",
    pb.REVIEW_DECISION_CHANGES_REQUESTED: "changes_requested",
    pb.REVIEW_DECISION_REJECTED: "rejected",
}
_SORTS: Final = {
    pb.SEARCH_SORT_RELEVANCE: "relevance",
    pb.SEARCH_SORT_RECENCY: "recency",
    pb.SEARCH_SORT_POPULARITY: "popularity",
}
_PATH_STATUS: Final = {
    "draft": pb.PATH_STATUS_DRAFT,
    "published": pb.PATH_STATUS_PUBLISHED,
    "archived": pb.PATH_STATUS_ARCHIVED,
}
_ASSIGNMENT_STATE: Final = {
    "not_started": pb.ASSIGNMENT_STATE_NOT_STARTED,
    "in_progress": pb.ASSIGNMENT_STATE_IN_PROGRESS,
    "completed": pb.ASSIGNMENT_STATE_COMPLETED,
}
_TARGET_KIND: Final = {pb.TARGET_KIND_KNOWLEDGE: "knowledge", pb.TARGET_KIND_PATH: "path"}


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _dt(stamp: Timestamp, present: bool, field: str) -> datetime | None:
    return timestamp_value(stamp, field) if present else None


def _enum_name(names: list[str], value: int, field: str) -> str:
    if value <= 0 or value >= len(names):
        raise InvalidArgument.single(field, "must be set to a known value")
    return names[value]


def _draft_fields(draft: pb.ItemDraft) -> dict[str, Any]:
    """ItemDraft → the dict ItemIn validates (content under its oneof name)."""
    kind = draft.WhichOneof("content")
    if kind is None:
        raise InvalidArgument.single("item.content", "one content field is required")
    fields: dict[str, Any] = {
        "title": draft.title,
        "summary": draft.summary,
        "language": draft.language,
        "estimated_minutes": draft.estimated_minutes,
        "theme_ids": list(draft.theme_ids),
        "skills": [{"skill_id": s.skill_id, "level": s.level} for s in draft.skills],
        "space_id": draft.space_id or None,
    }
    if kind == "scorm":
        fields["scorm"] = {
            "package_uri": draft.scorm.package_uri,
            "launch_url": draft.scorm.launch_url,
            "scorm_version": draft.scorm.scorm_version,
        }
    elif kind == "video":
        fields["video"] = {
            "url": draft.video.url,
            "provider": draft.video.provider,
            "duration_seconds": draft.video.duration_seconds,
        }
    elif kind == "document":
        fields["document"] = {
            "url": draft.document.url,
            "format": _enum_name(_FORMATS, draft.document.format, "item.document.format"),
        }
    elif kind == "wiki":
        fields["wiki"] = {"markdown": draft.wiki.markdown}
    elif kind == "link":
        fields["link"] = {
            "url": draft.link.url,
            "kind": _enum_name(_LINK_KINDS, draft.link.kind, "item.link.kind"),
        }
    elif kind == "quiz":
        fields["quiz"] = {
            "questions": [
                {
                    "question_id": q.question_id,
                    "text": q.text,
                    "choices": [{"choice_id": c.choice_id, "text": c.text} for c in q.choices],
                    "correct_choice_ids": list(q.correct_choice_ids),
                }
                for q in draft.quiz.questions
            ],
            "pass_mark_percent": draft.quiz.pass_mark_percent,
            "max_attempts": draft.quiz.max_attempts,
        }
    else:
        session = draft.session
        fields["session"] = {
            "starts_at": _dt(
                session.starts_at, session.HasField("starts_at"), "item.session.starts_at"
            ),
            "ends_at": _dt(session.ends_at, session.HasField("ends_at"), "item.session.ends_at"),
            "place": session.place,
            "seats": session.seats,
        }
    return fields


def _skills(skills: list[Mapping[str, Any]]) -> list[pb.SkillLevel]:
    return [pb.SkillLevel(skill_id=s["skill_id"], level=s["level"]) for s in skills]


def _item(d: Document) -> pb.Item:
    """A stored item as clients see it (the quiz answer key is never copied)."""
    item = pb.Item(
        item_id=d["_id"],
        type=_TYPE_TO_PB[d["type"]],
        title=d["title"],
        summary=d["summary"],
        language=d["language"],
        estimated_minutes=d["estimated_minutes"],
        theme_ids=d["theme_ids"],
        skills=_skills(d["skills"]),
        author_id=d["author_id"],
        space_id=d["space_id"],
        status=_STATUS_TO_PB[d["status"]],
        version=d["version"],
        like_count=d["like_count"],
        comment_count=d["comment_count"],
        reviewer_id=d["reviewer_id"],
        review_comment=d["review_comment"],
        validated=d["validated"],
        create_time=_ts(d["create_time"]),
        update_time=_ts(d["update_time"]),
        publish_time=_ts(d.get("publish_time")),
    )
    c = d["content"]
    kind = d["type"]
    if kind == "scorm":
        item.scorm.CopyFrom(pb.ScormContent(**c))
    elif kind == "video":
        item.video.CopyFrom(pb.VideoContent(**c))
    elif kind == "document":
        item.document.CopyFrom(pb.DocumentContent(url=c["url"], format=_FORMATS.index(c["format"])))  # type: ignore[arg-type]
    elif kind == "wiki":
        item.wiki.CopyFrom(pb.WikiContent(markdown=c["markdown"]))
    elif kind == "link":
        item.link.CopyFrom(pb.LinkContent(url=c["url"], kind=_LINK_KINDS.index(c["kind"])))  # type: ignore[arg-type]
    elif kind == "quiz":
        item.quiz.CopyFrom(
            pb.QuizContent(
                questions=[
                    pb.QuizQuestion(
                        question_id=q["question_id"],
                        text=q["text"],
                        choices=[pb.QuizChoice(**ch) for ch in q["choices"]],
                        multiple=q["multiple"],
                    )
                    for q in c["questions"]
                ],
                pass_mark_percent=c["pass_mark_percent"],
                max_attempts=c["max_attempts"],
            )
        )
    else:
        item.session.CopyFrom(
            pb.SessionContent(
                starts_at=_ts(c["starts_at"]),
                ends_at=_ts(c["ends_at"]),
                place=c["place"],
                seats=c["seats"],
                registered_ids=c["registered_ids"],
            )
        )
    return item


def _theme(d: Document) -> pb.Theme:
    return pb.Theme(theme_id=d["theme_id"], name=d["name"], parent_id=d["parent_id"])


def _skill(d: Document) -> pb.Skill:
    return pb.Skill(
        skill_id=d["skill_id"],
        name=d["name"],
        expert_ids=d["expert_ids"],
        trainer_ids=d["trainer_ids"],
    )


def _path(d: Document) -> pb.Path:
    return pb.Path(
        path_id=d["_id"],
        title=d["title"],
        description=d["description"],
        objectives=d["objectives"],
        steps=[pb.PathStep(item_id=s["item_id"], mandatory=s["mandatory"]) for s in d["steps"]],
        target_skills=_skills(d["target_skills"]),
        onboarding=d["onboarding"],
        space_id=d["space_id"],
        author_id=d["author_id"],
        status=_PATH_STATUS[d["status"]],
        like_count=d["like_count"],
        comment_count=d["comment_count"],
        create_time=_ts(d["create_time"]),
    )


def _path_progress(d: Document) -> pb.PathProgress:
    mandatory = [s["item_id"] for s in d["steps"] if s["mandatory"]]
    return pb.PathProgress(
        path_id=d["path_id"],
        path_title=d["path_title"],
        completed_item_ids=d["completed_item_ids"],
        mandatory_steps=len(mandatory),
        mandatory_completed=sum(1 for i in mandatory if i in d["completed_item_ids"]),
        completed=d["completed"],
        self_enrolled=d["self_enrolled"],
        enrolled_at=_ts(d["enrolled_at"]),
        completed_at=_ts(d["completed_at"]),
    )


def _progress(d: Document) -> pb.ItemProgress:
    return pb.ItemProgress(
        item_id=d["item_id"],
        item_title=d["item_title"],
        item_type=_TYPE_TO_PB[d["item_type"]],
        percent=d["percent"],
        last_position=d["last_position"],
        completed=d["completed"],
        started_at=_ts(d["started_at"]),
        updated_at=_ts(d["updated_at"]),
        completed_at=_ts(d["completed_at"]),
    )


def _assignment(d: Document) -> pb.Assignment:
    return pb.Assignment(
        assignment_id=d["_id"],
        learner_id=d["learner_id"],
        assigned_by=d["assigned_by"],
        target_kind=pb.TARGET_KIND_PATH if d["target_kind"] == "path" else pb.TARGET_KIND_KNOWLEDGE,
        target_id=d["target_id"],
        target_title=d["target_title"],
        due_at=_ts(d["due_at"]),
        compliance=d["compliance"],
        state=_ASSIGNMENT_STATE[d["state"]],
        overdue=d["overdue"],
        percent=d["percent"],
        assigned_at=_ts(d["assigned_at"]),
        completed_at=_ts(d["completed_at"]),
    )


def _id(value: str, field: str) -> str:
    if not value or len(value) > 256:
        raise InvalidArgument.single(field, "must be 1 to 256 characters")
    return value


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    """CatalogService over the catalog and learning use cases."""

    def __init__(self, catalog: Catalog, learning: Learning) -> None:
        self._catalog = catalog
        self._learning = learning

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
        document = await self._catalog.upsert_theme(current_principal().tenant_id, theme)
        return pb.UpsertThemeResponse(theme=_theme(document))

    @override
    async def ListThemes(
        self, request: pb.ListThemesRequest, context: Context
    ) -> pb.ListThemesResponse:
        themes = await self._catalog.list_themes(current_principal().tenant_id)
        return pb.ListThemesResponse(themes=[_theme(t) for t in themes])

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
        document = await self._catalog.upsert_skill(current_principal().tenant_id, skill)
        return pb.UpsertSkillResponse(skill=_skill(document))

    @override
    async def ListSkills(
        self, request: pb.ListSkillsRequest, context: Context
    ) -> pb.ListSkillsResponse:
        skills = await self._catalog.list_skills(current_principal().tenant_id)
        return pb.ListSkillsResponse(skills=[_skill(s) for s in skills])

    @override
    async def GetTenantSettings(
        self, request: pb.GetTenantSettingsRequest, context: Context
    ) -> pb.GetTenantSettingsResponse:
        settings = await self._catalog.get_settings(current_principal().tenant_id)
        return pb.GetTenantSettingsResponse(settings=pb.TenantSettings(**settings))

    @override
    async def UpdateTenantSettings(
        self, request: pb.UpdateTenantSettingsRequest, context: Context
    ) -> pb.UpdateTenantSettingsResponse:
        settings = await self._catalog.update_settings(
            current_principal().tenant_id,
            informal_publishing_allowed=request.settings.informal_publishing_allowed,
        )
        return pb.UpdateTenantSettingsResponse(settings=pb.TenantSettings(**settings))

    @override
    async def CreateItem(
        self, request: pb.CreateItemRequest, context: Context
    ) -> pb.CreateItemResponse:
        command = parse_request(ItemCommand, item=_draft_fields(request.item))
        document = await self._catalog.create_item(current_principal(), command.item)
        return pb.CreateItemResponse(item=_item(document))

    @override
    async def UpdateItem(
        self, request: pb.UpdateItemRequest, context: Context
    ) -> pb.UpdateItemResponse:
        item_id = _id(request.item_id, "item_id")
        command = parse_request(ItemCommand, item=_draft_fields(request.item))
        document = await self._catalog.update_item(current_principal(), item_id, command.item)
        return pb.UpdateItemResponse(item=_item(document))

    @override
    async def GetItem(self, request: pb.GetItemRequest, context: Context) -> pb.GetItemResponse:
        document = await self._catalog.get_item(
            current_principal(), _id(request.item_id, "item_id")
        )
        return pb.GetItemResponse(item=_item(document))

    @override
    async def ListItemVersions(
        self, request: pb.ListItemVersionsRequest, context: Context
    ) -> pb.ListItemVersionsResponse:
        versions = await self._catalog.list_versions(
            current_principal(), _id(request.item_id, "item_id")
        )
        return pb.ListItemVersionsResponse(
            versions=[
                pb.ItemVersion(
                    version=v["version"],
                    title=v["title"],
                    summary=v["summary"],
                    editor_id=v["editor_id"],
                    create_time=_ts(v["create_time"]),
                )
                for v in versions
            ]
        )

    @override
    async def SearchItems(
        self, request: pb.SearchItemsRequest, context: Context
    ) -> pb.SearchItemsResponse:
        types = []
        for index, value in enumerate(request.types):
            if value not in _PB_TO_TYPE:
                raise InvalidArgument.single(f"types.{index}", "unknown type")
            types.append(_PB_TO_TYPE[value])
        if request.status and request.status not in _PB_TO_STATUS:
            raise InvalidArgument.single("status", "unknown status")
        if request.sort and request.sort not in _SORTS:
            raise InvalidArgument.single("sort", "unknown sort")
        search = parse_request(
            SearchIn,
            query=request.query,
            types=types,
            theme_id=request.theme_id or None,
            skill_id=request.skill_id or None,
            language=request.language or None,
            max_minutes=request.max_minutes,
            status=_PB_TO_STATUS.get(request.status, "published"),
            space_id=request.space_id or None,
            sort=_SORTS.get(request.sort),
        )
        items, token = await self._catalog.search(
            current_principal(), search, request.page_token, page_size(request.page_size)
        )
        return pb.SearchItemsResponse(items=[_item(d) for d in items], next_page_token=token)

    @override
    async def SubmitItem(
        self, request: pb.SubmitItemRequest, context: Context
    ) -> pb.SubmitItemResponse:
        document, reviewers = await self._catalog.submit(
            current_principal(), _id(request.item_id, "item_id")
        )
        return pb.SubmitItemResponse(item=_item(document), reviewer_ids=reviewers)

    @override
    async def PublishInformally(
        self, request: pb.PublishInformallyRequest, context: Context
    ) -> pb.PublishInformallyResponse:
        document = await self._catalog.publish_informally(
            current_principal(), _id(request.item_id, "item_id"), _id(request.space_id, "space_id")
        )
        return pb.PublishInformallyResponse(item=_item(document))

    @override
    async def ListReviewQueue(
        self, request: pb.ListReviewQueueRequest, context: Context
    ) -> pb.ListReviewQueueResponse:
        items, token = await self._catalog.review_queue(
            current_principal(), request.page_token, page_size(request.page_size)
        )
        return pb.ListReviewQueueResponse(items=[_item(d) for d in items], next_page_token=token)

    @override
    async def ClaimReview(
        self, request: pb.ClaimReviewRequest, context: Context
    ) -> pb.ClaimReviewResponse:
        document = await self._catalog.claim(current_principal(), _id(request.item_id, "item_id"))
        return pb.ClaimReviewResponse(item=_item(document))

    @override
    async def ReviewItem(
        self, request: pb.ReviewItemRequest, context: Context
    ) -> pb.ReviewItemResponse:
        if request.decision not in _DECISIONS:
            raise InvalidArgument.single(
                "decision", "must be approved, changes requested or rejected"
            )
        review = parse_request(
            ReviewIn,
            item_id=request.item_id,
            decision=_DECISIONS[request.decision],
            comment=request.comment,
        )
        document = await self._catalog.review(current_principal(), review)
        return pb.ReviewItemResponse(item=_item(document))

    @override
    async def ArchiveItem(
        self, request: pb.ArchiveItemRequest, context: Context
    ) -> pb.ArchiveItemResponse:
        if len(request.reason) > 1000:
            raise InvalidArgument.single("reason", "at most 1000 characters")
        document = await self._catalog.archive(
            current_principal(), _id(request.item_id, "item_id"), request.reason
        )
        return pb.ArchiveItemResponse(item=_item(document))

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
        document = await self._learning.create_path(current_principal(), path)
        return pb.CreatePathResponse(path=_path(document))

    @override
    async def PublishPath(
        self, request: pb.PublishPathRequest, context: Context
    ) -> pb.PublishPathResponse:
        document = await self._learning.publish_path(
            current_principal(), _id(request.path_id, "path_id")
        )
        return pb.PublishPathResponse(path=_path(document))

    @override
    async def ArchivePath(
        self, request: pb.ArchivePathRequest, context: Context
    ) -> pb.ArchivePathResponse:
        document = await self._learning.archive_path(
            current_principal(), _id(request.path_id, "path_id")
        )
        return pb.ArchivePathResponse(path=_path(document))

    @override
    async def GetPath(self, request: pb.GetPathRequest, context: Context) -> pb.GetPathResponse:
        document = await self._learning.get_path(
            current_principal(), _id(request.path_id, "path_id")
        )
        return pb.GetPathResponse(path=_path(document))

    @override
    async def ListPaths(
        self, request: pb.ListPathsRequest, context: Context
    ) -> pb.ListPathsResponse:
        paths, token = await self._learning.list_paths(
            current_principal(),
            request.onboarding_only,
            request.page_token,
            page_size(request.page_size),
        )
        return pb.ListPathsResponse(paths=[_path(p) for p in paths], next_page_token=token)

    @override
    async def EnrolInPath(
        self, request: pb.EnrolInPathRequest, context: Context
    ) -> pb.EnrolInPathResponse:
        principal = current_principal()
        document = await self._learning.enrol(
            principal.tenant_id,
            principal.subject,
            _id(request.path_id, "path_id"),
            actor=principal.subject,
            self_enrolled=True,
        )
        return pb.EnrolInPathResponse(progress=_path_progress(document))

    @override
    async def CreateAssignments(
        self, request: pb.CreateAssignmentsRequest, context: Context
    ) -> pb.CreateAssignmentsResponse:
        if request.target_kind not in _TARGET_KIND:
            raise InvalidArgument.single("target_kind", "must be knowledge or path")
        assignment = parse_request(
            AssignmentIn,
            learner_ids=list(request.learner_ids),
            target_kind=_TARGET_KIND[request.target_kind],
            target_id=request.target_id,
            due_at=_dt(request.due_at, request.HasField("due_at"), "due_at"),
            compliance=request.compliance,
        )
        documents = await self._learning.assign(current_principal(), assignment)
        return pb.CreateAssignmentsResponse(assignments=[_assignment(d) for d in documents])

    @override
    async def ListMyAssignments(
        self, request: pb.ListMyAssignmentsRequest, context: Context
    ) -> pb.ListMyAssignmentsResponse:
        documents, token = await self._learning.my_assignments(
            current_principal(), request.page_token, page_size(request.page_size)
        )
        return pb.ListMyAssignmentsResponse(
            assignments=[_assignment(d) for d in documents], next_page_token=token
        )

    @override
    async def ListTeamAssignments(
        self, request: pb.ListTeamAssignmentsRequest, context: Context
    ) -> pb.ListTeamAssignmentsResponse:
        documents, token = await self._learning.team_assignments(
            current_principal(),
            request.overdue_only,
            request.page_token,
            page_size(request.page_size),
        )
        return pb.ListTeamAssignmentsResponse(
            assignments=[_assignment(d) for d in documents], next_page_token=token
        )

    @override
    async def StartItem(
        self, request: pb.StartItemRequest, context: Context
    ) -> pb.StartItemResponse:
        if len(request.path_id) > 128:
            raise InvalidArgument.single("path_id", "at most 128 characters")
        document = await self._learning.start(
            current_principal(), _id(request.item_id, "item_id"), request.path_id or None
        )
        return pb.StartItemResponse(progress=_progress(document))

    @override
    async def RecordProgress(
        self, request: pb.RecordProgressRequest, context: Context
    ) -> pb.RecordProgressResponse:
        progress = parse_request(
            ProgressIn,
            item_id=request.item_id,
            percent=request.percent,
            last_position=request.last_position,
        )
        document = await self._learning.record_progress(current_principal(), progress)
        return pb.RecordProgressResponse(progress=_progress(document))

    @override
    async def CompleteItem(
        self, request: pb.CompleteItemRequest, context: Context
    ) -> pb.CompleteItemResponse:
        document, newly = await self._learning.complete(
            current_principal(), _id(request.item_id, "item_id")
        )
        return pb.CompleteItemResponse(progress=_progress(document), newly_completed=newly)

    @override
    async def ListMyProgress(
        self, request: pb.ListMyProgressRequest, context: Context
    ) -> pb.ListMyProgressResponse:
        items, paths, token = await self._learning.my_progress(
            current_principal(), request.page_token, page_size(request.page_size)
        )
        return pb.ListMyProgressResponse(
            items=[_progress(d) for d in items],
            paths=[_path_progress(p) for p in paths],
            next_page_token=token,
        )

    @override
    async def RegisterForSession(
        self, request: pb.RegisterForSessionRequest, context: Context
    ) -> pb.RegisterForSessionResponse:
        document = await self._catalog.register_for_session(
            current_principal(), _id(request.item_id, "item_id")
        )
        return pb.RegisterForSessionResponse(item=_item(document))

    @override
    async def CancelSessionRegistration(
        self, request: pb.CancelSessionRegistrationRequest, context: Context
    ) -> pb.CancelSessionRegistrationResponse:
        document = await self._catalog.cancel_session_registration(
            current_principal(), _id(request.item_id, "item_id")
        )
        return pb.CancelSessionRegistrationResponse(item=_item(document))

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
        document = await self._learning.submit_attempt(current_principal(), attempt)
        return pb.SubmitQuizAttemptResponse(
            attempt_id=document["_id"],
            attempt_number=document["number"],
            score_percent=document["score_percent"],
            passed=document["passed"],
            attempts_left=document["attempts_left"],
            results=[pb.QuestionResult(**r) for r in document["results"]],
        )

    @override
    async def GetSkillsReport(
        self, request: pb.GetSkillsReportRequest, context: Context
    ) -> pb.GetSkillsReportResponse:
        if len(request.skill_id) > 128:
            raise InvalidArgument.single("skill_id", "at most 128 characters")
        report = await self._learning.skills_report(current_principal(), request.skill_id or None)
        return pb.GetSkillsReportResponse(skills=[pb.SkillReport(**r) for r in report])
