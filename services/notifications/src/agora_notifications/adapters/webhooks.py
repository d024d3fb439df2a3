"""Webhook delivery over HTTP: CloudEvents binary mode, HMAC signature, SSRF guard."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import datetime

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.storage import Document
from agora_core.tracing.spans import span_in_event_trace
from agora_notifications.adapters.collections import SUBSCRIPTIONS
from agora_notifications.domain.deliveries import Delivery
from agora_notifications.domain.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    UrlRefused,
    check_url_shape,
    forbidden_addresses,
    signature,
)
from agora_notifications.service_layer.ports import SendResult


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
    """POSTs a webhook delivery to its subscription's URL, signed with its secret."""

    def __init__(
        self, database: AsyncDatabase[Document], guard: AddressGuard, *, timeout: float
    ) -> None:
        self._subscriptions = database[SUBSCRIPTIONS]
        self._guard = guard
        self._timeout = aiohttp.ClientTimeout(total=timeout)
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
        subscription = await self._subscriptions.find_one(
            {"_id": delivery.subscription_id, "tenant_id": delivery.tenant_id}
        )
        if subscription is None or delivery.webhook is None:
            return SendResult(ok=False, error="subscription deleted", permanent=True)
        url = subscription["url"]
        try:
            # Checked again at send time: DNS may have changed since the subscription.
            await self._guard.check(url)
        except UrlRefused as refused:
            return SendResult(ok=False, error=str(refused), permanent=True)
        body = delivery.webhook.body.encode()
        # The real clock, not the scheduler's: receivers compare it with theirs.
        timestamp = int(time.time())
        headers = {
            **cloud_event_headers(delivery.webhook.headers),
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(subscription["secret"], timestamp, body),
            DELIVERY_HEADER: delivery.id,
        }
        try:
            with span_in_event_trace(  # the delivery joins the trace of its event
                "POST webhook",
                delivery.webhook.headers,
                {"http.request.method": "POST", "agora.delivery_id": delivery.id},
            ):
                async with self._client().post(
                    url, data=body, headers=headers, allow_redirects=False
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
