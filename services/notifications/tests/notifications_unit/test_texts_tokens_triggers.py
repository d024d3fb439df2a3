"""Notification texts (en/fr), unsubscribe tokens, event triggers and deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agora_contracts.events import EventPayload
from agora_contracts.events.domains import catalog, community, gamification, learning
from agora_contracts.events.registry import REGISTRY
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.domain.messages import Text, render_text
from agora_notifications.domain.model import Category, delivery_id, notification_id
from agora_notifications.domain.triggers import TRIGGERS
from agora_notifications.domain.unsubscribe import (
    InvalidToken,
    UnsubscribeRequest,
    sign,
    verify,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SECRET = "x" * 40


def test_texts_are_rendered_in_the_persons_locale_with_english_as_fallback() -> None:
    params = {"title": "SQL", "decision": "changes_requested", "reviewer": "u-l"}
    assert render_text(Category.SUBMISSION_REVIEWED, params, "en").title == (
        "Your submission “SQL” was changes requested"
    )
    assert render_text(Category.SUBMISSION_REVIEWED, params, "fr").title == (
        "Votre contribution « SQL » : modifications demandées"
    )
    assert render_text(Category.BADGE_AWARDED, {"badge": "B"}, "de").title == (
        "You earned the badge “B”"
    )


def test_every_category_has_a_text_in_every_locale() -> None:
    for category in Category:
        for locale in ("en", "fr"):
            text = render_text(category, {}, locale)
            assert text.title


def test_emails_escape_html_in_the_html_part_only() -> None:
    rendered = EmailRenderer().single(
        Text("<b>Hi</b>", "a & b"), "en", "https://x.example/unsubscribe?token=t"
    )
    assert "&lt;b&gt;Hi&lt;/b&gt;" in rendered.html
    assert "a &amp; b" in rendered.html
    assert "<b>Hi</b>" in rendered.text
    assert "https://x.example/unsubscribe?token=t" in rendered.text
    digest = EmailRenderer().digest([Text("One", "1"), Text("Two", "2")], "fr", "u")
    assert digest.subject == "Votre résumé Agora : 2 notifications"
    assert "One" in digest.text
    assert "Two" in digest.html


def test_unsubscribe_tokens_round_trip_and_refuse_tampering() -> None:
    request = UnsubscribeRequest("t-1", "u-ada", "mention")
    token = sign(request, SECRET)
    assert verify(token, SECRET) == request
    with pytest.raises(InvalidToken):
        verify(token, "y" * 40)
    body, mac = token.split(".")
    forged = sign(UnsubscribeRequest("t-1", "u-bob", "mention"), "z" * 40).split(".")[0]
    with pytest.raises(InvalidToken):
        verify(f"{forged}.{mac}", SECRET)
    for damaged in ("", "abc", "a.b.c", f"{body}.!!"):
        with pytest.raises(InvalidToken):
            verify(damaged, SECRET)


def test_ids_are_deterministic_per_tenant_source_recipient_and_category() -> None:
    first = notification_id("t", "e-1", "u-ada", "mention")
    assert first == notification_id("t", "e-1", "u-ada", "mention")
    assert first != notification_id("t2", "e-1", "u-ada", "mention")
    assert first != notification_id("t", "e-1", "u-bob", "mention")
    assert first != notification_id("t", "e-1", "u-ada", "comment_posted")
    assert delivery_id(first, "email") != delivery_id(first, "inbox")


def type_of(model: type[EventPayload]) -> str:
    return REGISTRY.spec_for(model).event_type


def test_reviewers_are_notified_once_each_and_never_the_author() -> None:
    payload = catalog.SubmissionSubmittedV1(
        item_id="k",
        author_id="u-a",
        item_type="wiki",
        title="T",
        version=1,
        reviewer_ids=("u-r1", "u-r2", "u-r1", "u-a"),
        submitted_at=NOW,
    )
    drafts = TRIGGERS[type_of(catalog.SubmissionSubmittedV1)](payload, "e-1")
    assert [d.recipient_id for d in drafts] == ["u-r1", "u-r2"]
    assert {d.category for d in drafts} == {Category.REVIEW_REQUESTED}
    assert {d.source_event_id for d in drafts} == {"e-1"}


def test_comments_notify_the_owner_unless_they_wrote_it() -> None:
    comment = community.CommentPostedV1(
        comment_id="c",
        target_type="knowledge",
        target_id="k",
        author_id="u-a",
        target_owner_id="u-o",
        excerpt="x",
        posted_at=NOW,
        space_id="s-1",
    )
    trigger = TRIGGERS[type_of(community.CommentPostedV1)]
    [draft] = trigger(comment, "e")
    assert (draft.recipient_id, draft.space_id) == ("u-o", "s-1")
    assert trigger(comment.model_copy(update={"target_owner_id": "u-a"}), "e") == []
    assert trigger(comment.model_copy(update={"target_owner_id": None}), "e") == []


def test_challenges_notify_participants_when_started_and_winners_when_won() -> None:
    started = gamification.ChallengeStartedV1(
        challenge_id="ch",
        title="T",
        scope="team",
        participant_ids=("u-1", "u-2"),
        created_by="u-1",
        starts_at=NOW,
        ends_at=NOW,
    )
    assert len(TRIGGERS[type_of(gamification.ChallengeStartedV1)](started, "e")) == 2
    won = gamification.ChallengeCompletedV1(
        challenge_id="ch",
        title="T",
        scope="team",
        outcome="goal_reached",
        winner_ids=("u-2",),
        participant_ids=("u-1", "u-2"),
        completed_at=NOW,
    )
    [draft] = TRIGGERS[type_of(gamification.ChallengeCompletedV1)](won, "e")
    assert (draft.recipient_id, draft.category) == ("u-2", Category.CHALLENGE_WON)


def test_assignments_and_path_completions_notify_the_learner() -> None:
    assigned = learning.AssignmentCreatedV1(
        assignment_id="as",
        learner_id="u-l",
        assigned_by="u-m",
        target_kind="path",
        target_id="p",
        target_title="Onboarding",
        due_at=NOW,
        compliance=True,
        assigned_at=NOW,
    )
    [draft] = TRIGGERS[type_of(learning.AssignmentCreatedV1)](assigned, "e")
    # The full instant: the text shows the learner's local day and time (not UTC's day).
    assert (draft.recipient_id, draft.params["due_at"]) == ("u-l", "2026-11-23T10:00:00+00:00")
    done = learning.PathCompletedV1(
        learner_id="u-l", path_id="p", path_title="Onboarding", completed_at=NOW
    )
    [draft] = TRIGGERS[type_of(learning.PathCompletedV1)](done, "e")
    assert draft.category is Category.PATH_COMPLETED


def test_a_title_with_line_breaks_gives_a_one_line_subject() -> None:
    """A multi-line title once made the email unbuildable (found by the security suite)."""
    rendered = EmailRenderer().single(Text("New:\r\n“Title\n\nmore”", "body"), "en", "u")
    assert rendered.subject == "New: “Title more”"
