"""Domain-level errors every service raises; the gRPC layer maps them to status codes.

Handlers raise these instead of touching gRPC, so the same use case can be driven
from an event subscriber, a CLI or a test without a transport.

Every error has a stable ``reason`` (UPPER_SNAKE_CASE, AIP-193): a default per kind,
or a more precise one given where it is raised (``reason="REQUEST_ID_REUSED"``). The
gRPC layer sends it in a ``google.rpc.ErrorInfo`` with ``metadata``; clients branch on
the reason, never on the message (docs/api.md lists them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError


class AgoraError(Exception):
    """Base of every error the platform maps to a client-visible status."""

    default_reason = "ERROR"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = dict(metadata or {})


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field: a dotted path (``steps.2.title``) and why it is invalid."""

    field: str
    description: str


class InvalidArgument(AgoraError):
    """Input failed validation; carries one violation per offending field."""

    default_reason = "INVALID_FIELD"

    def __init__(
        self,
        violations: Sequence[FieldViolation],
        message: str | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        if not violations:
            raise ValueError("InvalidArgument needs at least one field violation")
        self.violations: tuple[FieldViolation, ...] = tuple(violations)
        fields = ", ".join(v.field for v in self.violations)
        super().__init__(
            message or f"invalid field(s): {fields}", reason=reason, metadata={"fields": fields}
        )

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> InvalidArgument:
        return cls(violations_from_validation_error(error))

    @classmethod
    def single(cls, field: str, description: str, *, reason: str | None = None) -> InvalidArgument:
        return cls([FieldViolation(field, description)], reason=reason)


class NotFound(AgoraError):
    """The entity does not exist for this tenant (never reveals other tenants' ids)."""

    default_reason = "NOT_FOUND"

    def __init__(self, kind: str, entity_id: str, *, reason: str | None = None) -> None:
        super().__init__(
            f"{kind} {entity_id!r} not found",
            reason=reason or f"{_reason_word(kind)}_NOT_FOUND",
            metadata={"resource_type": kind, "resource_id": entity_id},
        )
        self.kind = kind
        self.entity_id = entity_id


class AlreadyExists(AgoraError):
    """Creating an entity whose natural key is taken."""

    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(AgoraError):
    """An operation is illegal in the entity's current state (names that state)."""

    default_reason = "FAILED_PRECONDITION"

    def __init__(
        self, message: str, current_state: str | None = None, *, reason: str | None = None
    ) -> None:
        metadata = {"current_state": current_state} if current_state else {}
        super().__init__(message, reason=reason, metadata=metadata)
        self.current_state = current_state


class PermissionDenied(AgoraError):
    """The caller is authenticated but lacks the role or relationship required."""

    default_reason = "PERMISSION_DENIED"


class ResourceExhausted(AgoraError):
    """The caller used up a quota (a rate limit); retrying after ``retry_after_seconds`` helps."""

    default_reason = "RATE_LIMITED"

    def __init__(
        self,
        message: str,
        retry_after_seconds: float | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.retry_after_seconds = retry_after_seconds


class Unauthenticated(AgoraError):
    """No valid credentials were presented."""

    default_reason = "UNAUTHENTICATED"


def violations_from_validation_error(error: ValidationError) -> list[FieldViolation]:
    """Turn pydantic's error list into field violations with dotted paths."""
    return [
        FieldViolation(_dotted(err["loc"]) or "(request)", err["msg"]) for err in error.errors()
    ]


def _reason_word(kind: str) -> str:
    """``knowledge item`` → ``KNOWLEDGE_ITEM`` (the word a reason starts with)."""
    return "_".join("".join(c if c.isalnum() else " " for c in kind).upper().split()) or "ENTITY"


def _dotted(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc)
