"""Signed unsubscribe tokens: an email link that works without logging in (pure).

The token is ``<base64url(json)>.<base64url(hmac-sha256)>`` over tenant, person and
category with the service's secret; it does not expire (an old email's link must keep
working) and can only switch email off for what it names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class UnsubscribeRequest:
    tenant_id: str
    person_id: str
    category: str  # a category, or "*" for every email (digests)


class InvalidToken(ValueError):
    """The token is damaged or was not signed with our secret."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(request: UnsubscribeRequest, secret: str) -> str:
    body = json.dumps(
        {"t": request.tenant_id, "p": request.person_id, "c": request.category},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    mac = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def verify(token: str, secret: str) -> UnsubscribeRequest:
    if len(token) > 2048 or token.count(".") != 1:
        raise InvalidToken("malformed token")
    body_part, mac_part = token.split(".")
    try:
        body = _unb64(body_part)
        mac = _unb64(mac_part)
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed token") from None
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise InvalidToken("bad signature")
    try:
        data = json.loads(body)
        return UnsubscribeRequest(str(data["t"]), str(data["p"]), str(data["c"]))
    except (ValueError, KeyError, TypeError):
        raise InvalidToken("malformed token") from None
