"""Request validation and list pagination shared by every servicer.

Servicers copy the fields they use out of the protobuf request into a pydantic model
(:func:`parse_request`), so limits live in one typed place and a bad field becomes
INVALID_ARGUMENT naming that field.

Page tokens are opaque to clients: url-safe base64 of a small JSON cursor model. They
are not signed: every query is already scoped to the caller's tenant, so a forged
token can only page through data the caller may read anyway; what matters is that
a damaged token is refused cleanly (INVALID_ARGUMENT on ``page_token``) and never
reaches a query half-parsed.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, ValidationError

from agora_core.errors import InvalidArgument

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 500
MAX_PAGE_TOKEN_LENGTH: Final = 1024
PAGE_TOKEN_FIELD: Final = "page_token"  # noqa: S105 - a field name, not a secret
PAGE_SIZE_FIELD: Final = "page_size"

ModelT = TypeVar("ModelT", bound=BaseModel)


class PageCursor(BaseModel):
    """Base of the cursor a list puts in its page tokens (e.g. the last sort key seen).

    Unknown keys are refused so a token from another list does not parse by accident.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


CursorT = TypeVar("CursorT", bound=PageCursor)


def parse_request(model_cls: type[ModelT], **fields: Any) -> ModelT:
    """Validate ``fields`` into ``model_cls``; InvalidArgument names every bad field."""
    try:
        return model_cls.model_validate(fields)
    except ValidationError as error:
        raise InvalidArgument.from_validation_error(error) from None


def page_size(requested: int) -> int:
    """The page size to use: 0 means the default, anything above the maximum is capped.

    Follows Google AIP-158: a negative size is an error, an oversized one is coerced.
    """
    if requested < 0:
        raise InvalidArgument.single(PAGE_SIZE_FIELD, "must not be negative")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


def encode_page_token(cursor: PageCursor) -> str:
    """An opaque token for ``cursor`` (where the next page starts)."""
    raw = cursor.model_dump_json().encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_page_token(token: str, cursor_cls: type[CursorT]) -> CursorT | None:
    """The cursor in ``token``; None for an empty token (first page).

    Raises InvalidArgument on ``page_token`` for anything that is not a token this
    server issued for ``cursor_cls`` (truncated, edited, from another list).
    """
    if not token:
        return None
    if len(token) > MAX_PAGE_TOKEN_LENGTH:
        raise _bad_token()
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
        return cursor_cls.model_validate_json(raw)
    except (binascii.Error, ValueError):
        # ValueError covers pydantic's ValidationError and non-ASCII input.
        raise _bad_token() from None


def timestamp_value(stamp: Timestamp, field: str) -> datetime:
    """The UTC datetime of a Timestamp field; InvalidArgument on ``field`` when the value
    is outside what a Timestamp may hold (years 1 to 9999, nanos below a second)."""
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidArgument.single(field, "not a valid timestamp") from None


def _bad_token() -> InvalidArgument:
    return InvalidArgument.single(PAGE_TOKEN_FIELD, "invalid page token")
