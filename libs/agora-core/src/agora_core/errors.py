"""Domain-level errors every service raises; the gRPC layer maps them to status codes.

Handlers raise these instead of touching gRPC, so the same use case can be driven
from an event subscriber, a CLI or a test without a transport.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError


class AgoraError(Exception):
    """Base of every error the platform maps to a client-visible status."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field: a dotted path (``steps.2.title``) and why it is invalid."""

    field: str
    description: str


class InvalidArgument(AgoraError):
    """Input failed validation; carries one violation per offending field."""

    def __init__(self, violations: Sequence[FieldViolation], message: str | None = None) -> None:
        if not violations:
            raise ValueError("InvalidArgument needs at least one field violation")
        self.violations: tuple[FieldViolation, ...] = tuple(violations)
        fields = ", ".join(v.field for v in self.violations)
        super().__init__(message or f"invalid field(s): {fields}")

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> InvalidArgument:
        return cls(violations_from_validation_error(error))

    @classmethod
    def single(cls, field: str, description: str) -> InvalidArgument:
        return cls([FieldViolation(field, description)])


class NotFound(AgoraError):
    """The entity does not exist for this tenant (never reveals other tenants' ids)."""

    def __init__(self, kind: str, entity_id: str) -> None:
        super().__init__(f"{kind} {entity_id!r} not found")
        self.kind = kind
        self.entity_id = entity_id


class AlreadyExists(AgoraError):
    """Creating an entity whose natural key is taken."""


class FailedPrecondition(AgoraError):
    """An operation is illegal in the entity's current state (names that state)."""

    def __init__(self, message: str, current_state: str | None = None) -> None:
        super().__init__(message)
        self.current_state = current_state


class PermissionDenied(AgoraError):
    """The caller is authenticated but lacks the role or relationship required."""


class ResourceExhausted(AgoraError):
    """The caller used up a quota (a rate limit); retrying after ``retry_after_seconds`` helps."""

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Unauthenticated(AgoraError):
    """No valid credentials were presented."""


def violations_from_validation_error(error: ValidationError) -> list[FieldViolation]:
    """Turn pydantic's error list into field violations with dotted paths."""
    return [
        FieldViolation(_dotted(err["loc"]) or "(request)", err["msg"]) for err in error.errors()
    ]


def _dotted(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc)
