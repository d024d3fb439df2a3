"""Use cases of the tenant's webhook subscriptions: create, list, update, rotate the
secret, pause and resume, ping, delete. Roles are checked by the gRPC policy (tenant
admins); every call is scoped to the caller's tenant through its unit of work."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound
from agora_core.grpc.validation import parse_request
from agora_core.idempotency import CreateRequest
from agora_core.identity import Principal
from agora_core.pagination import Page, PageCursor, decode_page_token, keyset_page
from agora_core.text import PlainText
from agora_notifications.domain import webhook_replay as replay
from agora_notifications.domain.webhooks import (
    MAX_SECRETS,
    SubscriptionChanges,
    UrlRefused,
    WebhookSubscription,
    WithSecret,
    issue_secret,
    overlap_end,
)
from agora_notifications.service_layer.ports import (
    Clock,
    SendResult,
    UnitOfWorkFactory,
    WebhookPinger,
    WebhookSubscriptions,
)

MAX_ID_LENGTH: Final = 200
# No whitespace or control characters (PostgreSQL text refuses NUL, and none belongs in
# an id, a subject or a URL).
_TOKEN: Final = re.compile(r"[^\s\x00-\x1f\x7f]+")
MAX_EVENT_FILTERS: Final = 100
UPDATABLE: Final = frozenset({"url", "event_types", "subjects", "description"})


class UrlChecker(Protocol):
    async def check(self, url: str) -> None:
        """Raise UrlRefused with the reason when the URL may not be used."""


class RoutingCache(Protocol):
    def invalidate(self, tenant_id: str) -> None: ...


class SubscriptionFields(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    url: str = Field(min_length=1, max_length=2000, pattern=r"^[^\s\x00-\x1f\x7f]+$")
    event_types: list[str] = Field(default_factory=list, max_length=MAX_EVENT_FILTERS)
    subjects: list[str] = Field(default_factory=list, max_length=MAX_EVENT_FILTERS)
    description: PlainText = Field(default="", max_length=500)


class SubscriptionCursor(PageCursor):
    after_time: datetime
    after_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)


@dataclass(frozen=True)
class PingOutcome:
    result: SendResult
    webhook_id: str


class WebhookSubscriptionCases:
    """The webhook-subscription use cases, over the subscription repository."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        guard: UrlChecker,
        cache: RoutingCache,
        pinger: WebhookPinger,
        clock: Clock,
        known_event_types: frozenset[str],
        max_subscriptions: int,
    ) -> None:
        self._uow = uow
        self._guard = guard
        self._cache = cache
        self._pinger = pinger
        self._clock = clock
        self._known = known_event_types
        self._max = max_subscriptions

    async def create(
        self,
        principal: Principal,
        url: str,
        event_types: Sequence[str],
        subjects: Sequence[str],
        description: str,
        request: CreateRequest | None = None,
    ) -> WithSecret:
        """A new subscription and its first secret; a retry of ``request`` answers with
        the first call's (see :mod:`agora_notifications.domain.webhook_replay`)."""
        fields = await self._validated(url, event_types, subjects, description)
        now = self._clock.now()
        secret = issue_secret(now)
        subscription = WebhookSubscription(
            subscription_id=f"whs-{uuid.uuid4().hex[:20]}",
            url=fields.url,
            event_types=tuple(sorted(set(fields.event_types))),
            subjects=tuple(sorted(set(fields.subjects))),
            description=fields.description,
            created_at=now,
            updated_at=now,
            secrets=(secret,),
        )
        async with self._uow(principal.tenant_id) as uow:
            if request is not None:
                created_before = await uow.request_ids.created_by(request)
                if created_before is not None:
                    sid, secret_id = replay.parse_created_ids(created_before)
                    before = await _existing(uow.webhook_subscriptions, sid)
                    return WithSecret(before, replay.replayed_secret(before, secret_id, now))
            if await uow.webhook_subscriptions.count() >= self._max:
                raise FailedPrecondition(
                    f"the tenant already has {self._max} subscriptions",
                    current_state="limit_reached",
                )
            await uow.webhook_subscriptions.add(subscription)
            created = WithSecret(subscription, secret.value)
            if request is not None:
                await uow.request_ids.remember(request, replay.created_ids(created))
        self._cache.invalidate(principal.tenant_id)
        return created

    async def list_page(
        self, principal: Principal, size: int, token: str
    ) -> Page[WebhookSubscription]:
        cursor = decode_page_token(token, SubscriptionCursor)
        after = (cursor.after_time, cursor.after_id) if cursor is not None else None
        async with self._uow(principal.tenant_id) as uow:
            rows = await uow.webhook_subscriptions.page(after, size + 1)
        return keyset_page(
            rows,
            size,
            lambda s: SubscriptionCursor(after_time=s.created_at, after_id=s.subscription_id),
        )

    async def update(
        self,
        principal: Principal,
        subscription_id: str,
        mask: Sequence[str],
        url: str,
        event_types: Sequence[str],
        subjects: Sequence[str],
        description: str,
    ) -> WebhookSubscription:
        """Change the fields named in ``mask``; a new URL passes the address guard."""
        _check_id(subscription_id)
        if not mask:
            raise InvalidArgument.single("update_mask", "name at least one field to change")
        unknown = [path for path in mask if path not in UPDATABLE]
        if unknown:
            raise InvalidArgument.single(
                "update_mask", f"cannot update {unknown[0]!r} (only {', '.join(sorted(UPDATABLE))})"
            )
        # Fields outside the mask are not validated: a placeholder stands for the URL.
        fields = await self._validated(
            url if "url" in mask else "https://unchanged.invalid",
            event_types if "event_types" in mask else (),
            subjects if "subjects" in mask else (),
            description if "description" in mask else "",
            check_url="url" in mask,
        )
        changes = SubscriptionChanges(
            url=fields.url if "url" in mask else None,
            event_types=tuple(sorted(set(fields.event_types))) if "event_types" in mask else None,
            subjects=tuple(sorted(set(fields.subjects))) if "subjects" in mask else None,
            description=fields.description if "description" in mask else None,
        )
        async with self._uow(principal.tenant_id) as uow:
            current = await _existing(uow.webhook_subscriptions, subscription_id, for_update=True)
            updated = changes.applied_to(current, self._clock.now())
            await uow.webhook_subscriptions.save(updated)
        self._cache.invalidate(principal.tenant_id)
        return updated

    async def rotate_secret(
        self, principal: Principal, subscription_id: str, overlap: timedelta | None
    ) -> WithSecret:
        _check_id(subscription_id)
        now = self._clock.now()
        try:
            old_until = overlap_end(now, overlap)
        except ValueError as error:
            raise InvalidArgument.single("overlap", str(error)) from None
        secret = issue_secret(now)
        async with self._uow(principal.tenant_id) as uow:
            repository = uow.webhook_subscriptions
            current = await _existing(repository, subscription_id, for_update=True)
            still_signing = (
                [s for s in current.secrets if s.signs_at(now)] if old_until > now else []
            )
            if len(still_signing) + 1 > MAX_SECRETS:
                raise FailedPrecondition(
                    f"{MAX_SECRETS} secrets would sign at once: wait for an overlap to end",
                    current_state="too_many_secrets",
                )
            await repository.add_secret(subscription_id, secret)
            await repository.expire_secrets(
                subscription_id, keep=secret.secret_id, at=old_until, now=now
            )
            rotated = await _existing(repository, subscription_id)
        return WithSecret(rotated, secret.value)

    async def set_paused(
        self, principal: Principal, subscription_id: str, paused: bool
    ) -> WebhookSubscription:
        _check_id(subscription_id)
        async with self._uow(principal.tenant_id) as uow:
            current = await _existing(uow.webhook_subscriptions, subscription_id, for_update=True)
            changed = replace(current, paused=paused, updated_at=self._clock.now())
            if current.paused != paused:
                await uow.webhook_subscriptions.save(changed)
            else:
                changed = current
        self._cache.invalidate(principal.tenant_id)
        return changed

    async def ping(self, principal: Principal, subscription_id: str) -> PingOutcome:
        _check_id(subscription_id)
        async with self._uow(principal.tenant_id) as uow:
            subscription = await _existing(uow.webhook_subscriptions, subscription_id)
        # Outside the transaction: an endpoint may take its time to answer.
        webhook_id = f"ping_{uuid.uuid4().hex}"
        result = await self._pinger.ping(subscription, webhook_id, self._clock.now())
        return PingOutcome(result, webhook_id)

    async def delete(self, principal: Principal, subscription_id: str) -> None:
        _check_id(subscription_id)
        async with self._uow(principal.tenant_id) as uow:
            if not await uow.webhook_subscriptions.delete(subscription_id):
                raise NotFound("webhook subscription", subscription_id)
            # Its pending deliveries end with it, in the same transaction.
            cancelled = await uow.deliveries.cancel_pending_of_subscription(subscription_id)
            await uow.delivery_queue.remove(principal.tenant_id, cancelled)
        self._cache.invalidate(principal.tenant_id)

    async def _validated(
        self,
        url: str,
        event_types: Sequence[str],
        subjects: Sequence[str],
        description: str,
        *,
        check_url: bool = True,
    ) -> SubscriptionFields:
        fields = parse_request(
            SubscriptionFields,
            url=url,
            event_types=list(event_types),
            subjects=list(subjects),
            description=description,
        )
        for i, event_type in enumerate(fields.event_types):
            if event_type not in self._known:
                raise InvalidArgument.single(f"event_types.{i}", "not a platform event type")
        for i, subject in enumerate(fields.subjects):
            if len(subject) > MAX_ID_LENGTH or not _TOKEN.fullmatch(subject):
                raise InvalidArgument.single(f"subjects.{i}", "invalid subject")
        if check_url:
            try:
                await self._guard.check(fields.url)
            except UrlRefused as refused:
                raise InvalidArgument.single("url", str(refused)) from None
        return fields


def _check_id(subscription_id: str) -> None:
    if len(subscription_id) > MAX_ID_LENGTH or not _TOKEN.fullmatch(subscription_id):
        raise InvalidArgument.single("subscription_id", "invalid id")


async def _existing(
    repository: WebhookSubscriptions, subscription_id: str, *, for_update: bool = False
) -> WebhookSubscription:
    found = await repository.get(subscription_id, for_update=for_update)
    if found is None:
        raise NotFound("webhook subscription", subscription_id)
    return found
