"""Cross-origin rules of the Connect endpoint: which pages may call it, and how."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from agora_core.connect.settings import ANY_ORIGIN

Headers = list[tuple[bytes, bytes]]

ALLOWED_METHODS: Final = b"POST, OPTIONS"
ALLOWED_HEADERS: Final = (
    b"authorization, content-type, connect-protocol-version, connect-timeout-ms, "
    b"connect-content-encoding, connect-accept-encoding, grpc-timeout, x-grpc-web, "
    b"x-user-agent"
)
EXPOSED_HEADERS: Final = b"grpc-status, grpc-message, grpc-status-details-bin"


class CorsPolicy:
    """Answers preflights and labels responses for the origins the deployment allows."""

    def __init__(
        self, allowed_origins: Sequence[str], *, allow_credentials: bool, max_age_seconds: int
    ) -> None:
        self._any = ANY_ORIGIN in allowed_origins
        self._origins = frozenset(allowed_origins) - {ANY_ORIGIN}
        self._credentials = allow_credentials and not self._any
        self._max_age = str(max_age_seconds).encode()

    def allows(self, origin: str) -> bool:
        return self._any or origin in self._origins

    def response_headers(self, origin: str | None) -> Headers:
        """Headers that let the calling page read this response (none for others)."""
        if origin is None or not self.allows(origin):
            return []
        headers: Headers = [
            (b"access-control-allow-origin", b"*" if self._any else origin.encode()),
            (b"access-control-expose-headers", EXPOSED_HEADERS),
        ]
        if not self._any:
            headers.append((b"vary", b"Origin"))
        if self._credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        return headers

    def preflight_headers(self, origin: str | None) -> Headers | None:
        """The answer to an OPTIONS preflight; None when the origin is not allowed."""
        if origin is None or not self.allows(origin):
            return None
        return [
            *self.response_headers(origin),
            (b"access-control-allow-methods", ALLOWED_METHODS),
            (b"access-control-allow-headers", ALLOWED_HEADERS),
            (b"access-control-max-age", self._max_age),
        ]
