"""What the demo run shares between its seeding and its story: the ids it creates, the
event types it waits for, and how long it waits."""

from __future__ import annotations

from dataclasses import dataclass, field

BADGE_ID = "champion-rgpd"
QUIZ_PASSED = "org.agora.learning.quiz.passed.v1"
SUBMISSION_REVIEWED = "org.agora.catalog.submission.reviewed.v1"
LIKE_ADDED = "org.agora.community.like.added.v1"
ANSWER_ACCEPTED = "org.agora.community.answer.accepted.v1"


@dataclass
class Timeouts:
    """Seconds to wait for one asynchronous outcome, and for the relaunch reminder
    (which comes after the notification service's inactivity delay)."""

    outcome: float = 90.0
    reminder: float = 240.0


@dataclass
class DemoWorld:
    """Ids created by the run, for the final views and for tests."""

    tenant: str
    items: dict[str, str] = field(default_factory=dict)
    spaces: dict[str, str] = field(default_factory=dict)
    path_id: str = ""
    shared_item_id: str = ""
    question_id: str = ""
