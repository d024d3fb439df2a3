"""Keyset pagination shared by every list: sizes, opaque page tokens, one page at a time.

Page tokens are opaque to clients: url-safe base64 of a small JSON cursor model (the
sort key of the last row seen). They are not signed: every query is already scoped to
the caller's tenant, so a forged token can only page through data the caller may read
anyway; what matters is that a damaged token is refused cleanly (INVALID_ARGUMENT on
``page_token``) and never reaches a query half-parsed.

Transport-free: use cases and repositories import it; servicers pass the request's
``page_size`` and ``page_token`` through.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from agora_core.errors import InvalidArgument

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 500
MAX_PAGE_TOKEN_LENGTH: Final = 1024
PAGE_TOKEN_FIELD: Final = "page_token"  # noqa: S105 - a field name, not a secret
PAGE_SIZE_FIELD: Final = "page_size"

T = TypeVar("T")


class PageCursor(BaseModel):
    """Base of the cursor a list puts in its page tokens (e.g. the last sort key seen).

    Unknown keys are refused so a token from another list does not parse by accident.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


CursorT = TypeVar("CursorT", bound=PageCursor)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the token of the next one ("" on the last page)."""

    items: list[T]
    next_page_token: str = ""


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


def keyset_page(rows: Sequence[T], size: int, cursor_of: Callable[[T], PageCursor]) -> Page[T]:
    """The page from ``rows`` fetched with ``LIMIT size + 1``.

    The extra row only tells that a next page exists; the token holds the cursor of the
    last row kept, so the next query starts strictly after it.
    """
    kept = list(rows[:size])
    if len(rows) <= size or not kept:
        return Page(kept)
    return Page(kept, encode_page_token(cursor_of(kept[-1])))


def _bad_token() -> InvalidArgument:
    return InvalidArgument.single(PAGE_TOKEN_FIELD, "invalid page token")
