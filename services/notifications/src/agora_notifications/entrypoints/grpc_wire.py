"""What the servicer's modules share: limits, id checks, the channel enum on the wire."""

from __future__ import annotations

import re
from typing import Final

from agora.notifications.v1 import notifications_pb2 as pb
from agora_core.errors import InvalidArgument

MAX_IDS: Final = 500
MAX_ID_LENGTH: Final = 200

CHANNEL_TO_PB: Final = {
    "inbox": pb.CHANNEL_INBOX,
    "email": pb.CHANNEL_EMAIL,
    "webhook": pb.CHANNEL_WEBHOOK,
}

# No whitespace or control characters: none belongs in an id, and PostgreSQL text
# refuses NUL.
ID_PATTERN: Final = r"^[^\s\x00-\x1f\x7f]+$"
_ID: Final = re.compile(ID_PATTERN)


def id_problem(value: str, *, required: bool = True) -> str | None:
    """Why ``value`` is not an acceptable id (None: it is; empty passes when optional)."""
    if not value:
        return "required" if required else None
    if len(value) > MAX_ID_LENGTH:
        return "too long"
    if _ID.fullmatch(value) is None:
        return "no whitespace or control characters"
    return None


def checked_id(value: str, field: str, *, required: bool = True) -> str:
    """``value``, or INVALID_ARGUMENT naming ``field``."""
    problem = id_problem(value, required=required)
    if problem is not None:
        raise InvalidArgument.single(field, problem)
    return value
