"""Proto enums as command-line choices: ``--type video`` ↔ ``KNOWLEDGE_TYPE_VIDEO``.

Typer takes choices from Python enums; each mirrors one proto enum without its
prefix and ``UNSPECIFIED``. ``PROTO_CHOICES`` lists the pairs, and a unit test fails
when a proto enum gains a value its choice lacks.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Protocol

from agora.catalog.v1 import catalog_pb2
from agora.community.v1 import community_pb2
from agora.gamification.v1 import gamification_pb2


class ProtoEnum(Protocol):
    """What generated enum wrappers (``catalog_pb2.KnowledgeType``) offer."""

    def keys(self) -> list[str]: ...

    def Value(self, name: str) -> Any: ...  # noqa: N802 - protobuf's API


class KnowledgeKind(StrEnum):
    SCORM = "scorm"
    VIDEO = "video"
    DOCUMENT = "document"
    WIKI = "wiki"
    LINK = "link"
    QUIZ = "quiz"
    SESSION = "session"


class ItemState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"
    ARCHIVED = "archived"


class SortOrder(StrEnum):
    RELEVANCE = "relevance"
    RECENCY = "recency"
    POPULARITY = "popularity"


class TargetKind(StrEnum):
    KNOWLEDGE = "knowledge"
    PATH = "path"
    QUESTION = "question"
    ANSWER = "answer"
    COMMENT = "comment"
    SPACE = "space"


class BoardScope(StrEnum):
    TENANT = "tenant"
    SPACE = "space"
    TEAM = "team"
    TEAMS = "teams"


class BoardPeriod(StrEnum):
    ALL_TIME = "all_time"
    WEEK = "week"
    MONTH = "month"


PROTO_CHOICES: Final[dict[type[StrEnum], tuple[ProtoEnum, str]]] = {
    KnowledgeKind: (catalog_pb2.KnowledgeType, "KNOWLEDGE_TYPE_"),
    ItemState: (catalog_pb2.ItemStatus, "ITEM_STATUS_"),
    SortOrder: (catalog_pb2.SearchSort, "SEARCH_SORT_"),
    TargetKind: (community_pb2.TargetType, "TARGET_TYPE_"),
    BoardScope: (gamification_pb2.BoardScope, "BOARD_SCOPE_"),
    BoardPeriod: (gamification_pb2.Period, "PERIOD_"),
}


def to_proto(choice: StrEnum | None) -> Any:
    """The proto number of a choice (0, ``UNSPECIFIED``, for None)."""
    if choice is None:
        return 0
    proto_enum, prefix = PROTO_CHOICES[type(choice)]
    return proto_enum.Value(f"{prefix}{choice.value.upper()}")


def proto_names(choice_type: type[StrEnum]) -> set[str]:
    """The proto enum's names a choice type should mirror (for the drift test)."""
    proto_enum, prefix = PROTO_CHOICES[choice_type]
    names = proto_enum.keys()  # a generated enum wrapper, not a dict
    return {k.removeprefix(prefix).lower() for k in names if not k.endswith("UNSPECIFIED")}
