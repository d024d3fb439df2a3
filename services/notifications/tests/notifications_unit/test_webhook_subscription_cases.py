"""The webhook-subscription use cases on in-memory fakes of their ports (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound
from agora_core.idempotency import CreateRequest
from agora_core.identity import Principal, Role
from agora_notifications.domain.deliveries import Delivery, WebhookContent
from agora_notifications.domain.model import DeliveryState
from agora_notifications.domain.webhook_replay import SECRET_REPLAY_WINDOW
from agora_notifications.domain.webhooks import MAX_SECRETS
from agora_notifications.service_layer.ports import SendResult
from agora_notifications.service_layer.webhook_subscriptions import WebhookSubscriptionCases

from .fakes import FakeStore
from .webhook_fakes import FakeCache, FakeGuard, FakePinger

pytestmark = pytest.mark.unit

COMPLETED = "org.agora.learning.knowledge.completed.v1"
ADMIN = Principal("u-admin", "t-1", frozenset({Role.ADMIN}))
OTHER = Principal("u-admin", "t-2", frozenset({Role.ADMIN}))


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, 9, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


def cases(
    *, max_subscriptions: int = 10, pinger: FakePinger | None = None
) -> tuple[WebhookSubscriptionCases, Clock, FakeCache, FakeStore]:
    clock, cache, store = Clock(), FakeCache(), FakeStore()
    built = WebhookSubscriptionCases(
        store,
        guard=FakeGuard(frozenset({"internal.example"})),
        cache=cache,
        pinger=pinger or FakePinger(),
        clock=clock,
        known_event_types=frozenset({COMPLETED}),
        max_subscriptions=max_subscriptions,
    )
    return built, clock, cache, store


def _webhook_delivery(did: str, sid: str, state: DeliveryState, at: datetime) -> Delivery:
    return Delivery(
        id=did,
        tenant_id="t-1",
        channel="webhook",
        state=state,
        create_time=at,
        subscription_id=sid,
        webhook=WebhookContent("{}", {"ce_id": did}),
    )


async def test_bad_fields_are_refused_with_the_field_named() -> None:
    webhooks, *_ = cases()
    with pytest.raises(InvalidArgument) as unknown:
        await webhooks.create(ADMIN, "https://ok.example", [COMPLETED, "x.v1"], [], "")
    assert unknown.value.violations[0].field == "event_types.1"
    with pytest.raises(InvalidArgument) as refused:
        await webhooks.create(ADMIN, "https://internal.example/h", [], [], "")
    assert refused.value.violations[0].field == "url"
    with pytest.raises(InvalidArgument) as empty:
        await webhooks.create(ADMIN, "", [], [], "")
    assert empty.value.violations[0].field == "url"
    with pytest.raises(InvalidArgument) as nul:
        await webhooks.create(ADMIN, "https://ok.example/\x00", [], [], "")
    assert nul.value.violations[0].field == "url"
    with pytest.raises(InvalidArgument) as subject:
        await webhooks.create(ADMIN, "https://ok.example", [], ["u-\x00"], "")
    assert subject.value.violations[0].field == "subjects.0"
    for bad_id in ("", "s\x00", "s 1", "x" * 201):
        with pytest.raises(InvalidArgument) as bad:
            await webhooks.set_paused(ADMIN, bad_id, paused=True)
        assert bad.value.violations[0].field == "subscription_id"


async def test_the_tenant_limit_holds() -> None:
    webhooks, *_ = cases(max_subscriptions=1)
    await webhooks.create(ADMIN, "https://ok.example", [], [], "")
    with pytest.raises(FailedPrecondition):
        await webhooks.create(ADMIN, "https://ok.example/2", [], [], "")
    await webhooks.create(OTHER, "https://ok.example", [], [], "")  # another tenant's count


async def test_rotation_keeps_the_old_secret_until_the_overlap_ends() -> None:
    webhooks, clock, *_ = cases()
    created = await webhooks.create(ADMIN, "https://ok.example", [], [], "")
    sid = created.subscription.subscription_id
    rotated = await webhooks.rotate_secret(ADMIN, sid, timedelta(hours=2))
    assert rotated.secret != created.secret
    signing = rotated.subscription.signing_secrets(clock.now())
    assert signing == [created.secret, rotated.secret]
    later = clock.now() + timedelta(hours=2)
    assert rotated.subscription.signing_secrets(later) == [rotated.secret]
    with pytest.raises(InvalidArgument) as too_long:
        await webhooks.rotate_secret(ADMIN, sid, timedelta(days=8))
    assert too_long.value.violations[0].field == "overlap"


async def test_a_second_rotation_does_not_extend_an_ending_secret() -> None:
    webhooks, clock, *_ = cases()
    created = await webhooks.create(ADMIN, "https://ok.example", [], [], "")
    sid = created.subscription.subscription_id
    await webhooks.rotate_secret(ADMIN, sid, timedelta(hours=1))
    second = await webhooks.rotate_secret(ADMIN, sid, timedelta(hours=24))
    [first_secret] = [s for s in second.subscription.secrets if s.value == created.secret]
    assert first_secret.expires_at == clock.now() + timedelta(hours=1)


async def test_rotations_are_bounded_by_the_secrets_signing_at_once() -> None:
    webhooks, *_ = cases()
    created = await webhooks.create(ADMIN, "https://ok.example", [], [], "")
    sid = created.subscription.subscription_id
    for _ in range(MAX_SECRETS - 1):
        await webhooks.rotate_secret(ADMIN, sid, None)
    with pytest.raises(FailedPrecondition):
        await webhooks.rotate_secret(ADMIN, sid, None)
    ended = await webhooks.rotate_secret(ADMIN, sid, timedelta(0))  # the others end now
    assert len(ended.subscription.signing_secrets(datetime.now(UTC) + timedelta(days=365))) == 1


async def test_update_changes_only_the_masked_fields_and_rechecks_the_url() -> None:
    webhooks, _, cache, _ = cases()
    created = await webhooks.create(ADMIN, "https://ok.example", [COMPLETED], ["u-1"], "d")
    sid = created.subscription.subscription_id
    updated = await webhooks.update(ADMIN, sid, ["subjects"], "", [], ["u-2"], "")
    assert updated.subjects == ("u-2",)
    assert updated.url == "https://ok.example"
    assert updated.event_types == (COMPLETED,)
    assert updated.description == "d"
    assert cache.invalidated[-1] == "t-1"
    with pytest.raises(InvalidArgument) as refused:
        await webhooks.update(ADMIN, sid, ["url"], "https://internal.example", [], [], "")
    assert refused.value.violations[0].field == "url"
    with pytest.raises(InvalidArgument) as mask:
        await webhooks.update(ADMIN, sid, ["secret"], "", [], [], "")
    assert mask.value.violations[0].field == "update_mask"
    with pytest.raises(InvalidArgument):
        await webhooks.update(ADMIN, sid, [], "", [], [], "")


async def test_another_tenant_sees_nothing_of_a_subscription() -> None:
    webhooks, *_ = cases()
    created = await webhooks.create(ADMIN, "https://ok.example", [], [], "")
    sid = created.subscription.subscription_id
    for attempt in (
        webhooks.set_paused(OTHER, sid, paused=True),
        webhooks.rotate_secret(OTHER, sid, None),
        webhooks.ping(OTHER, sid),
        webhooks.delete(OTHER, sid),
        webhooks.update(OTHER, sid, ["description"], "", [], [], "x"),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert (await webhooks.list_page(OTHER, 10, "")).items == []


async def test_pause_resume_ping_and_delete() -> None:
    pinger = FakePinger(SendResult(ok=False, status_code=500, error="HTTP 500"))
    webhooks, clock, _, store = cases(pinger=pinger)
    created = await webhooks.create(ADMIN, "https://ok.example", [], [], "")
    sid = created.subscription.subscription_id
    assert (await webhooks.set_paused(ADMIN, sid, paused=True)).paused
    assert not (await webhooks.set_paused(ADMIN, sid, paused=False)).paused
    outcome = await webhooks.ping(ADMIN, sid)
    assert (outcome.result.status_code, outcome.result.ok) == (500, False)
    assert pinger.pinged == [(sid, outcome.webhook_id)]
    async with store("t-1") as uow:
        for n, state in enumerate((DeliveryState.PENDING, DeliveryState.FAILED)):
            await uow.deliveries.add_once(_webhook_delivery(f"d-{n}", sid, state, clock.at))
        await uow.delivery_queue.enqueue("t-1", [("d-0", clock.at)])
    await webhooks.delete(ADMIN, sid)
    states = {d.id: d.state for d in store.deliveries["t-1"].values()}
    assert states == {"d-0": DeliveryState.CANCELLED, "d-1": DeliveryState.FAILED}
    assert store.queue.due == {}, "the cancelled delivery left the queue"
    with pytest.raises(NotFound):
        await webhooks.delete(ADMIN, sid)


async def test_pages_follow_creation_order() -> None:
    webhooks, clock, *_ = cases()
    made = []
    for i in range(5):
        clock.at += timedelta(seconds=1)
        made.append(await webhooks.create(ADMIN, f"https://ok.example/{i}", [], [], ""))
    first = await webhooks.list_page(ADMIN, 3, "")
    second = await webhooks.list_page(ADMIN, 3, first.next_page_token)
    seen = [s.subscription_id for s in [*first.items, *second.items]]
    assert seen == [m.subscription.subscription_id for m in made]
    assert second.next_page_token == ""


async def test_a_retried_create_answers_at_the_limit_and_shows_the_secret_briefly() -> None:
    webhooks, clock, _, store = cases(max_subscriptions=1)
    request = CreateRequest("CreateWebhookSubscription", "r-1", "print-of-the-request")
    created = await webhooks.create(ADMIN, "https://ok.example", [], [], "", request)
    clock.at += SECRET_REPLAY_WINDOW
    retried = await webhooks.create(ADMIN, "https://ok.example", [], [], "", request)
    assert retried == created
    clock.at += timedelta(microseconds=1)
    late = await webhooks.create(ADMIN, "https://ok.example", [], [], "", request)
    assert (late.subscription, late.secret) == (created.subscription, "")
    assert len(store.webhook_subscriptions["t-1"]) == 1
    reused = CreateRequest("CreateWebhookSubscription", "r-1", "print-of-another-request")
    with pytest.raises(InvalidArgument) as refused:
        await webhooks.create(ADMIN, "https://ok.example", [], [], "", reused)
    assert refused.value.reason == "REQUEST_ID_REUSED"
