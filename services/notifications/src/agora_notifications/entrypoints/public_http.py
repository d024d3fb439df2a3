"""The public HTTP endpoint: unsubscribe links from emails, usable without logging in.

``GET /unsubscribe?token=…`` shows a confirmation form (link scanners prefetch GETs,
so a GET changes nothing); ``POST /unsubscribe?token=…`` switches the email channel
off for the token's category in the person's own preference layer (RFC 8058
one-click: mail clients POST ``List-Unsubscribe=One-Click`` to the same URL).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from agora_core.http_server import HttpServer
from agora_notifications.domain.unsubscribe import InvalidToken, UnsubscribeRequest, verify
from agora_notifications.entrypoints.unsubscribe_page import done_page, form_page

Unsubscribe = Callable[[UnsubscribeRequest], Awaitable[bool]]


class PublicHttp(HttpServer):
    """The unsubscribe form and its one-click POST, on the public port."""

    def __init__(self, host: str, port: int, secret: str, unsubscribe: Unsubscribe) -> None:
        self._secret = secret
        self._unsubscribe = unsubscribe
        super().__init__(
            host,
            port,
            [web.get("/unsubscribe", self._form), web.post("/unsubscribe", self._apply)],
        )

    def _request(self, request: web.Request) -> UnsubscribeRequest:
        try:
            return verify(request.query.get("token", ""), self._secret)
        except InvalidToken:
            raise web.HTTPBadRequest(text="invalid or damaged unsubscribe link") from None

    async def _form(self, request: web.Request) -> web.Response:
        self._request(request)
        body = form_page(request.query.get("token", ""), request.headers.get("Accept-Language", ""))
        return web.Response(text=body, content_type="text/html")

    async def _apply(self, request: web.Request) -> web.Response:
        unsubscribe = self._request(request)
        await self._unsubscribe(unsubscribe)
        body = done_page(request.headers.get("Accept-Language", ""))
        return web.Response(text=body, content_type="text/html")
