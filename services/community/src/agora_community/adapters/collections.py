"""Collection names and the indexes each query relies on (created at start-up).

Every index starts with ``tenant_id``. Thread listing uses ``comments_thread`` with a
keyset cursor on ``(create_time, _id)``, never ``skip``.
"""

from __future__ import annotations

from typing import Final

from agora_core.storage import IndexSpec

SPACES: Final = "spaces"
MEMBERSHIPS: Final = "memberships"
TARGETS: Final = "targets"
COMMENTS: Final = "comments"
LIKES: Final = "likes"
POPULARITY: Final = "popularity"
PARTICIPANTS: Final = "participants"
QUESTIONS: Final = "questions"
ANSWERS: Final = "answers"
EXPERTS: Final = "experts"
REPORTS: Final = "reports"
RATE_WINDOWS: Final = "rate_windows"

OUTBOX_COLLECTIONS: Final = (
    SPACES,
    MEMBERSHIPS,
    COMMENTS,
    LIKES,
    POPULARITY,
    QUESTIONS,
    ANSWERS,
    REPORTS,
)
"""Collections whose documents carry outbox entries (the relay watches them)."""

INDEXES: Final[dict[str, list[IndexSpec]]] = {
    SPACES: [
        IndexSpec(keys=(("tenant_id", 1), ("name_folded", 1)), unique=True, name="space_name"),
    ],
    MEMBERSHIPS: [
        IndexSpec(
            keys=(("tenant_id", 1), ("user_id", 1), ("state", 1), ("joined_at", -1), ("_id", 1)),
            name="my_spaces",
        ),
        IndexSpec(
            keys=(("tenant_id", 1), ("space_id", 1), ("state", 1), ("joined_at", 1), ("_id", 1)),
            name="space_members",
        ),
    ],
    COMMENTS: [
        IndexSpec(
            keys=(
                ("tenant_id", 1),
                ("target_type", 1),
                ("target_id", 1),
                ("create_time", 1),
                ("_id", 1),
            ),
            name="comments_thread",
        ),
    ],
    POPULARITY: [
        IndexSpec(keys=(("tenant_id", 1), ("trending_score", -1)), name="trending"),
    ],
    QUESTIONS: [
        IndexSpec(
            keys=(("tenant_id", 1), ("answer_count", 1), ("create_time", 1), ("_id", 1)),
            name="unanswered",
        ),
    ],
    ANSWERS: [
        IndexSpec(
            keys=(("tenant_id", 1), ("question_id", 1), ("create_time", 1)),
            name="question_answers",
        ),
    ],
    EXPERTS: [
        IndexSpec(
            keys=(("tenant_id", 1), ("skill_id", 1), ("score", -1), ("user_id", 1)),
            name="experts_by_skill",
        ),
    ],
    REPORTS: [
        IndexSpec(
            keys=(("tenant_id", 1), ("status", 1), ("space_id", 1), ("create_time", 1)),
            name="moderation_queue",
        ),
        IndexSpec(
            keys=(("tenant_id", 1), ("content_type", 1), ("content_id", 1)),
            name="reports_of_content",
        ),
    ],
}
