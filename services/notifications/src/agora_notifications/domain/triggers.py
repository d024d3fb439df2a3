"""Which platform events notify whom (pure): event payload → notification drafts.

The draft's ``source_key`` is the triggering event id, so a redelivered event yields
drafts with the same deterministic notification ids (and is absorbed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from agora_contracts.events.domains import catalog, community, gamification, learning
from agora_contracts.events.registry import REGISTRY
from agora_notifications.domain.model import Category, NotificationDraft

Trigger = Callable[[Any, str], list[NotificationDraft]]


def _draft(
    payload_time: datetime,
    event_id: str,
    recipient: str,
    category: Category,
    subject: str,
    space_id: str | None = None,
    **params: str,
) -> NotificationDraft:
    return NotificationDraft(
        recipient_id=recipient,
        category=category,
        source_key=event_id,
        subject_id=subject,
        params=params,
        source_event_id=event_id,
        space_id=space_id,
        occurred_at=payload_time,
    )


def submission_submitted(
    p: catalog.SubmissionSubmittedV1, event_id: str
) -> list[NotificationDraft]:
    return [
        _draft(p.submitted_at, event_id, r, Category.REVIEW_REQUESTED, p.item_id, title=p.title)
        for r in dict.fromkeys(p.reviewer_ids)
        if r != p.author_id
    ]


def submission_reviewed(p: catalog.SubmissionReviewedV1, event_id: str) -> list[NotificationDraft]:
    return [
        _draft(
            p.reviewed_at,
            event_id,
            p.author_id,
            Category.SUBMISSION_REVIEWED,
            p.item_id,
            title=p.title,
            decision=p.decision,
            reviewer=p.reviewer_id,
            comment=p.comment,
        )
    ]


def answer_posted(p: community.AnswerPostedV1, event_id: str) -> list[NotificationDraft]:
    if p.asker_id == p.author_id:
        return []
    return [
        _draft(
            p.posted_at,
            event_id,
            p.asker_id,
            Category.ANSWER_POSTED,
            p.question_id,
            question=p.question_title,
            author=p.author_id,
            excerpt=p.excerpt,
        )
    ]


def comment_posted(p: community.CommentPostedV1, event_id: str) -> list[NotificationDraft]:
    if p.target_owner_id is None or p.target_owner_id == p.author_id:
        return []
    return [
        _draft(
            p.posted_at,
            event_id,
            p.target_owner_id,
            Category.COMMENT_POSTED,
            p.target_id,
            p.space_id,
            author=p.author_id,
            excerpt=p.excerpt,
        )
    ]


def mention_created(p: community.MentionCreatedV1, event_id: str) -> list[NotificationDraft]:
    if p.mentioned_user_id == p.author_id:
        return []
    return [
        _draft(
            p.mentioned_at,
            event_id,
            p.mentioned_user_id,
            Category.MENTION,
            p.comment_id,
            author=p.author_id,
            excerpt=p.excerpt,
        )
    ]


def badge_awarded(p: gamification.BadgeAwardedV1, event_id: str) -> list[NotificationDraft]:
    return [
        _draft(
            p.awarded_at,
            event_id,
            p.learner_id,
            Category.BADGE_AWARDED,
            p.badge_id,
            badge=p.badge_name,
        )
    ]


def level_reached(p: gamification.LevelReachedV1, event_id: str) -> list[NotificationDraft]:
    return [
        _draft(
            p.reached_at,
            event_id,
            p.learner_id,
            Category.LEVEL_REACHED,
            p.learner_id,
            level=str(p.level),
            level_name=p.level_name,
        )
    ]


def challenge_started(p: gamification.ChallengeStartedV1, event_id: str) -> list[NotificationDraft]:
    return [
        _draft(
            p.starts_at,
            event_id,
            r,
            Category.CHALLENGE_STARTED,
            p.challenge_id,
            title=p.title,
            ends_at=p.ends_at.isoformat(),
        )
        for r in dict.fromkeys(p.participant_ids)
    ]


def challenge_completed(
    p: gamification.ChallengeCompletedV1, event_id: str
) -> list[NotificationDraft]:
    return [
        _draft(p.completed_at, event_id, r, Category.CHALLENGE_WON, p.challenge_id, title=p.title)
        for r in dict.fromkeys(p.winner_ids)
    ]


def assignment_created(p: learning.AssignmentCreatedV1, event_id: str) -> list[NotificationDraft]:
    due_at = p.due_at.isoformat() if p.due_at is not None else ""
    return [
        _draft(
            p.assigned_at,
            event_id,
            p.learner_id,
            Category.ASSIGNMENT_CREATED,
            p.target_id,
            title=p.target_title,
            due_at=due_at,
        )
    ]


def path_completed(p: learning.PathCompletedV1, event_id: str) -> list[NotificationDraft]:
    return [
        _draft(
            p.completed_at,
            event_id,
            p.learner_id,
            Category.PATH_COMPLETED,
            p.path_id,
            title=p.path_title,
        )
    ]


def _type(model: type[Any]) -> str:
    return REGISTRY.spec_for(model).event_type


TRIGGERS: Final[dict[str, Trigger]] = {
    _type(catalog.SubmissionSubmittedV1): submission_submitted,
    _type(catalog.SubmissionReviewedV1): submission_reviewed,
    _type(community.AnswerPostedV1): answer_posted,
    _type(community.CommentPostedV1): comment_posted,
    _type(community.MentionCreatedV1): mention_created,
    _type(gamification.BadgeAwardedV1): badge_awarded,
    _type(gamification.LevelReachedV1): level_reached,
    _type(gamification.ChallengeStartedV1): challenge_started,
    _type(gamification.ChallengeCompletedV1): challenge_completed,
    _type(learning.AssignmentCreatedV1): assignment_created,
    _type(learning.PathCompletedV1): path_completed,
}
"""Event type → the drafts it causes."""
