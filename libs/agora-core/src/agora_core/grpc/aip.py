"""AIP conventions at the gRPC edge: update masks (AIP-134) and request ids (AIP-155).

Servicers translate; these helpers read the two standard request fields the same way
in every service and raise :class:`~agora_core.errors.InvalidArgument` with the field
named when they are malformed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from typing import Final, TypeVar

from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message

from agora_core.errors import FieldViolation, InvalidArgument
from agora_core.idempotency import CreateRequest

T = TypeVar("T")

REQUEST_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
"""What a request id may be: a UUID (recommended) or any client token up to 64 chars."""


def update_paths(
    mask: FieldMask, allowed: Collection[str], *, field: str = "update_mask"
) -> frozenset[str] | None:
    """The fields an update changes: the mask's paths, all of ``allowed`` for ``*``,
    or None when the mask is empty (the caller then applies the non-empty fields, the
    pre-AIP behaviour). Raises InvalidArgument (``UNKNOWN_MASK_PATH``) on a path that
    is not an updatable field."""
    paths = list(mask.paths)
    if not paths:
        return None
    if paths == ["*"]:
        return frozenset(allowed)
    unknown = sorted(set(paths) - set(allowed))
    if unknown:
        raise InvalidArgument.single(
            field,
            f"unknown or read-only field(s) {', '.join(unknown)}; "
            f"updatable: {', '.join(sorted(allowed))}",
            reason="UNKNOWN_MASK_PATH",
        )
    return frozenset(paths)


def create_request(
    method: str, request: Message, *, field: str = "request_id", caller: str = ""
) -> CreateRequest | None:
    """The idempotency key of a create: None when the request carries no request id.

    The fingerprint hashes the request without its request id (deterministic
    serialisation), so a retry of the same request matches and anything else does not.
    With ``caller`` (a subject) the fingerprint also binds the id to that caller: the
    same id from another caller is then a reuse (for creates whose answer holds a
    secret that only its first caller may see again).
    """
    request_id = getattr(request, field)
    if not request_id:
        return None
    if not REQUEST_ID_PATTERN.fullmatch(request_id):
        raise InvalidArgument.single(
            field, "a request id is 1 to 64 letters, digits, '-', '_', '.' or ':' (a UUID)"
        )
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField(field)
    digest = hashlib.sha256(copy.SerializeToString(deterministic=True))
    if caller:
        digest.update(b"\x1fcaller\x1f" + caller.encode())
    return CreateRequest(method=method, request_id=request_id, fingerprint=digest.hexdigest())


def changed(value: T, path: str, paths: frozenset[str] | None) -> T | None:
    """What an update sets at ``path`` (None: left unchanged). With a mask, the value
    when the mask names the path — an empty value then clears the field — and None
    otherwise; without a mask, the value unless it is empty."""
    if paths is None:
        return value or None
    return value if path in paths else None


def not_clearable(paths: frozenset[str] | None, **values: object) -> None:
    """Refuse a mask that names a required field with an empty value (``name`` of a
    space cannot be cleared): InvalidArgument (``FIELD_REQUIRED``) naming each."""
    if paths is None:
        return
    empty = [name for name, value in values.items() if name in paths and not value]
    if empty:
        raise InvalidArgument(
            [FieldViolation(name, "required: it cannot be cleared") for name in empty],
            reason="FIELD_REQUIRED",
        )
