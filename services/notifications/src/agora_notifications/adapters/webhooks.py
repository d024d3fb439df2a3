"""Webhook delivery over HTTP: CloudEvents binary mode, Standard Webhooks signatures,
SSRF guard."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from datetime import datetime, timedelta
from typing import Final

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from agora_core.tracing.spans import span_in_event_trace
from agora_notifications.domain.deliveries import Delivery
from agora_notifications.domain.webhook_signing import signed_headers
from agora_notifications.domain.webhooks import (
    UrlRefused,
    WebhookSubscription,
    check_url_shape,
    forbidden_addresses,
    held_too_long,
)
from agora_notifications.service_layer.ports import SendResult, UnitOfWorkFactory

PING_TYPE: Final = "org.agora.webhook.ping.v1"


class AddressGuard:
    """Refuses URLs that are not http(s) or resolve to a forbidden range."""

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private

    @property
    def allow_private(self) -> bool:
        return self._allow_private

    async def check(self, url: str) -> None:
        """Raise UrlRefused with the reason; resolves the host (DNS) to check addresses."""
        host = check_url_shape(url)
        if self._allow_private:
            return
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise UrlRefused(f"the host {host!r} does not resolve") from None
        refused = forbidden_addresses(str(info[4][0]) for info in infos)
        if refused:
            raise UrlRefused(f"the host resolves to a forbidden address range ({refused[0]})")


class GuardedResolver(AbstractResolver):
    """The HTTP client's resolver: refuses forbidden addresses when it connects.

    :class:`AddressGuard` checks a URL before sending, but the client resolves the
    host again to connect; a DNS answer that changes in between (DNS rebinding: public
    first, then 127.0.0.1) would reach an internal service. Resolving through this
    guard, the addresses connected to are the addresses checked. (IP literals are never
    resolved; :class:`AddressGuard` checks those.)
    """

    def __init__(self, *, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self._allow_private = allow_private
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if not self._allow_private:
            refused = forbidden_addresses(str(result["host"]) for result in found)
            if refused:
                raise UrlRefused(f"the host resolves to a forbidden address range ({refused[0]})")
        return found

    async def close(self) -> None:
        await self._inner.close()


def cloud_event_headers(envelope: dict[str, str]) -> dict[str, str]:
    """Kafka ``ce_*`` headers → HTTP binary-mode ``ce-*`` headers."""
    return {f"ce-{name[3:]}": value for name, value in envelope.items() if name.startswith("ce_")}


class WebhookSender:
    """POSTs webhook deliveries signed by the Standard Webhooks specification.

    The subscription (URL, pause, secrets) is read through its repository at send time.
    ``webhook-id`` is the event's CloudEvents id (``ce-id``): the same on every retry,
    and signed, so the id receivers deduplicate on is authenticated.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        guard: AddressGuard,
        *,
        timeout: float,
        pause_hold: timedelta,
        pause_recheck: timedelta,
    ) -> None:
        self._uow = uow
        self._guard = guard
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._pause_hold = pause_hold
        self._pause_recheck = pause_recheck
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            resolver = GuardedResolver(allow_private=self._guard.allow_private)
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, connector=aiohttp.TCPConnector(resolver=resolver)
            )
        return self._session

    async def send(self, delivery: Delivery, now: datetime) -> SendResult:
        if delivery.webhook is None:
            return SendResult(ok=False, error="no webhook payload", permanent=True)
        async with self._uow(delivery.tenant_id) as uow:
            subscription = await uow.webhook_subscriptions.get(delivery.subscription_id)
        if subscription is None:
            return SendResult(ok=False, error="subscription deleted", permanent=True)
        if subscription.paused:
            if held_too_long(delivery.create_time, now, self._pause_hold):
                hours = self._pause_hold.total_seconds() / 3600
                return SendResult(
                    ok=False, error=f"held over {hours:g} h while paused", permanent=True
                )
            return SendResult(
                ok=False, error="subscription paused", held_until=now + self._pause_recheck
            )
        envelope = delivery.webhook.headers
        with span_in_event_trace(  # the delivery joins the trace of its event
            "POST webhook",
            envelope,
            {"http.request.method": "POST", "agora.delivery_id": delivery.id},
        ):
            return await self._post(
                subscription,
                message_id=envelope["ce_id"],
                body=delivery.webhook.body.encode(),
                cloud_event=cloud_event_headers(envelope),
                now=now,
            )

    async def ping(
        self, subscription: WebhookSubscription, message_id: str, now: datetime
    ) -> SendResult:
        """A signed ``org.agora.webhook.ping.v1`` test delivery, sent now, not logged."""
        body = json.dumps(
            {"subscription_id": subscription.subscription_id, "message": "ping"}
        ).encode()
        cloud_event = {
            "ce-specversion": "1.0",
            "ce-id": message_id,
            "ce-type": PING_TYPE,
            "ce-source": "/agora/notifications",
            "ce-subject": subscription.subscription_id,
            "ce-time": now.isoformat(),
        }
        return await self._post(
            subscription, message_id=message_id, body=body, cloud_event=cloud_event, now=now
        )

    async def _post(
        self,
        subscription: WebhookSubscription,
        *,
        message_id: str,
        body: bytes,
        cloud_event: dict[str, str],
        now: datetime,
    ) -> SendResult:
        try:
            # Checked again at send time: DNS may have changed since the subscription.
            await self._guard.check(subscription.url)
        except UrlRefused as refused:
            return SendResult(ok=False, error=str(refused), permanent=True)
        signing = subscription.signing_secrets(now)
        if not signing:
            return SendResult(ok=False, error="no signing secret", permanent=True)
        # The real clock, not the scheduler's: receivers compare it with theirs.
        timestamp = int(time.time())
        headers = {
            **cloud_event,
            "Content-Type": "application/json",
            **signed_headers(signing, message_id, timestamp, body),
        }
        try:
            async with self._client().post(
                subscription.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return SendResult(ok=True, status_code=response.status)
                return SendResult(
                    ok=False, status_code=response.status, error=f"HTTP {response.status}"
                )
        except UrlRefused as refused:  # the address changed since the check (rebinding)
            return SendResult(ok=False, error=str(refused), permanent=True)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            return SendResult(ok=False, error=repr(error)[:500])
