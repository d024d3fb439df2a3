"""Protobuf ↔ the catalog's inputs and domain objects (no rules, no storage)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from agora.catalog.v1 import catalog_pb2 as pb
from agora_catalog.domain.model import (
    Item,
    ItemVersion,
    Skill,
    SkillLevel,
    Theme,
)
from agora_core.errors import InvalidArgument
from agora_core.grpc.timestamps import optional_timestamp_value, to_timestamp

TYPE_TO_PB: Final = {
    "scorm": pb.KNOWLEDGE_TYPE_SCORM,
    "video": pb.KNOWLEDGE_TYPE_VIDEO,
    "document": pb.KNOWLEDGE_TYPE_DOCUMENT,
    "wiki": pb.KNOWLEDGE_TYPE_WIKI,
    "link": pb.KNOWLEDGE_TYPE_LINK,
    "quiz": pb.KNOWLEDGE_TYPE_QUIZ,
    "session": pb.KNOWLEDGE_TYPE_SESSION,
}
PB_TO_TYPE: Final = {v: k for k, v in TYPE_TO_PB.items()}
_STATUS_TO_PB: Final = {
    "draft": pb.ITEM_STATUS_DRAFT,
    "submitted": pb.ITEM_STATUS_SUBMITTED,
    "in_review": pb.ITEM_STATUS_IN_REVIEW,
    "changes_requested": pb.ITEM_STATUS_CHANGES_REQUESTED,
    "published": pb.ITEM_STATUS_PUBLISHED,
    "rejected": pb.ITEM_STATUS_REJECTED,
    "archived": pb.ITEM_STATUS_ARCHIVED,
}
PB_TO_STATUS: Final = {v: k for k, v in _STATUS_TO_PB.items()}
_FORMATS: Final = ["unspecified", "pdf", "powerpoint", "word", "spreadsheet", "other"]
_LINK_KINDS: Final = ["unspecified", "article", "mooc", "other"]
DECISIONS: Final = {
    pb.REVIEW_DECISION_APPROVED: "approved",
    pb.REVIEW_DECISION_CHANGES_REQUESTED: "changes_requested",
    pb.REVIEW_DECISION_REJECTED: "rejected",
}
SORTS: Final = {
    pb.SEARCH_SORT_RELEVANCE: "relevance",
    pb.SEARCH_SORT_RECENCY: "recency",
    pb.SEARCH_SORT_POPULARITY: "popularity",
}
ITEM_FIELDS: Final = frozenset(
    {"title", "summary", "language", "estimated_minutes", "theme_ids", "skills", "space_id"}
    | {"content"}
)
"""The item fields an UpdateItem mask may name (``content``: the type-specific oneof)."""
SETTINGS_FIELDS: Final = frozenset({"informal_publishing_allowed"})
"""The tenant settings an UpdateTenantSettings mask may name."""
TARGET_KIND: Final = {pb.TARGET_KIND_KNOWLEDGE: "knowledge", pb.TARGET_KIND_PATH: "path"}


def _enum_name(names: list[str], value: int, field: str) -> str:
    if value <= 0 or value >= len(names):
        raise InvalidArgument.single(field, "must be set to a known value")
    return names[value]


def _described(draft: pb.ItemDraft) -> dict[str, Any]:
    """The draft's fields other than its content."""
    return {
        "title": draft.title,
        "summary": draft.summary,
        "language": draft.language,
        "estimated_minutes": draft.estimated_minutes,
        "theme_ids": list(draft.theme_ids),
        "skills": [{"skill_id": s.skill_id, "level": s.level} for s in draft.skills],
        "space_id": draft.space_id or None,
    }


def _content_kind(draft: pb.ItemDraft) -> str:
    kind = draft.WhichOneof("content")
    if kind is None:
        raise InvalidArgument.single("item.content", "one content field is required")
    return kind


def draft_fields(draft: pb.ItemDraft) -> dict[str, Any]:
    """ItemDraft → the dict ItemIn validates (content under its oneof name)."""
    kind = _content_kind(draft)
    return {**_described(draft), kind: _content(draft, kind)}


def draft_patch(draft: pb.ItemDraft, paths: frozenset[str]) -> dict[str, Any]:
    """ItemDraft → the dict ItemPatch validates: only the fields an update mask names
    (``content``: the draft's content, under its oneof name)."""
    fields = {name: value for name, value in _described(draft).items() if name in paths}
    if "content" in paths:
        kind = _content_kind(draft)
        fields[kind] = _content(draft, kind)
    return fields


def _content(draft: pb.ItemDraft, kind: str) -> dict[str, Any]:
    """The draft's type-specific content as the content model of ``kind`` reads it."""
    if kind == "scorm":
        return {
            "package_uri": draft.scorm.package_uri,
            "launch_url": draft.scorm.launch_url,
            "scorm_version": draft.scorm.scorm_version,
        }
    if kind == "video":
        return {
            "url": draft.video.url,
            "provider": draft.video.provider,
            "duration_seconds": draft.video.duration_seconds,
        }
    if kind == "document":
        return {
            "url": draft.document.url,
            "format": _enum_name(_FORMATS, draft.document.format, "item.document.format"),
        }
    if kind == "wiki":
        return {"markdown": draft.wiki.markdown}
    if kind == "link":
        return {
            "url": draft.link.url,
            "kind": _enum_name(_LINK_KINDS, draft.link.kind, "item.link.kind"),
        }
    if kind == "quiz":
        return {
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
    session = draft.session
    return {
        "starts_at": optional_timestamp_value(
            session.starts_at, session.HasField("starts_at"), "item.session.starts_at"
        ),
        "ends_at": optional_timestamp_value(
            session.ends_at, session.HasField("ends_at"), "item.session.ends_at"
        ),
        "place": session.place,
        "seats": session.seats,
    }


def skill_levels(skills: Iterable[SkillLevel]) -> list[pb.SkillLevel]:
    return [pb.SkillLevel(skill_id=s.skill_id, level=s.level) for s in skills]


def _parsed(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def item_message(item: Item) -> pb.Item:
    """An item as clients see it (the quiz answer key is never copied)."""
    f = item.fields
    message = pb.Item(
        item_id=item.item_id,
        type=TYPE_TO_PB[f.type],
        title=f.title,
        summary=f.summary,
        language=f.language,
        estimated_minutes=f.estimated_minutes,
        theme_ids=f.theme_ids,
        skills=skill_levels(f.skills),
        author_id=item.author_id,
        space_id=f.space_id,
        status=_STATUS_TO_PB[item.status],
        version=item.version,
        like_count=item.like_count,
        comment_count=item.comment_count,
        reviewer_id=item.reviewer_id,
        review_comment=item.review_comment,
        validated=item.validated,
        create_time=to_timestamp(item.create_time),
        update_time=to_timestamp(item.update_time),
        publish_time=to_timestamp(item.publish_time),
    )
    c = f.content
    if f.type == "scorm":
        message.scorm.CopyFrom(pb.ScormContent(**c))
    elif f.type == "video":
        message.video.CopyFrom(pb.VideoContent(**c))
    elif f.type == "document":
        message.document.CopyFrom(
            pb.DocumentContent(url=c["url"], format=_FORMATS.index(c["format"]))  # type: ignore[arg-type]
        )
    elif f.type == "wiki":
        message.wiki.CopyFrom(pb.WikiContent(markdown=c["markdown"]))
    elif f.type == "link":
        message.link.CopyFrom(
            pb.LinkContent(url=c["url"], kind=_LINK_KINDS.index(c["kind"]))  # type: ignore[arg-type]
        )
    elif f.type == "quiz":
        message.quiz.CopyFrom(
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
        message.session.CopyFrom(
            pb.SessionContent(
                starts_at=to_timestamp(_parsed(c["starts_at"])),
                ends_at=to_timestamp(_parsed(c["ends_at"])),
                place=c["place"],
                seats=c["seats"],
                registered_ids=item.registered_ids,
            )
        )
    return message


def theme_message(theme: Theme) -> pb.Theme:
    return pb.Theme(theme_id=theme.theme_id, name=theme.name, parent_id=theme.parent_id)


def skill_message(skill: Skill) -> pb.Skill:
    return pb.Skill(
        skill_id=skill.skill_id,
        name=skill.name,
        expert_ids=skill.expert_ids,
        trainer_ids=skill.trainer_ids,
    )


def version_message(version: ItemVersion) -> pb.ItemVersion:
    return pb.ItemVersion(
        version=version.version,
        title=version.title,
        summary=version.summary,
        editor_id=version.editor_id,
        create_time=to_timestamp(version.create_time),
    )


def checked_id(value: str, field: str) -> str:
    if not value or len(value) > 256:
        raise InvalidArgument.single(field, "must be 1 to 256 characters")
    return checked_text(value, field)


def checked_text(value: str, field: str) -> str:
    """``value`` if it holds no NUL character (PostgreSQL text and JSON cannot)."""
    if "\x00" in value:
        raise InvalidArgument.single(field, "must not contain NUL characters")
    return value


def search_input(request: pb.SearchItemsRequest) -> dict[str, Any]:
    """The fields SearchIn validates; unknown enum values name their field."""
    types = []
    for index, value in enumerate(request.types):
        if value not in PB_TO_TYPE:
            raise InvalidArgument.single(f"types.{index}", "unknown type")
        types.append(PB_TO_TYPE[value])
    if request.status and request.status not in PB_TO_STATUS:
        raise InvalidArgument.single("status", "unknown status")
    if request.sort and request.sort not in SORTS:
        raise InvalidArgument.single("sort", "unknown sort")
    return {
        "query": request.query,
        "types": types,
        "theme_id": request.theme_id or None,
        "skill_id": request.skill_id or None,
        "language": request.language or None,
        "max_minutes": request.max_minutes,
        "status": PB_TO_STATUS.get(request.status, "published"),
        "space_id": request.space_id or None,
        "sort": SORTS.get(request.sort),
    }
