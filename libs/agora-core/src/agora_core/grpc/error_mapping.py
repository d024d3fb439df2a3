"""Translate exceptions raised by handlers into gRPC statuses with rich details.

Handlers raise :mod:`agora_core.errors` (or let pydantic raise ValidationError); this
interceptor answers with the matching status code and a ``google.rpc.Status`` in the
``grpc-status-details-bin`` trailer, readable with ``grpc_status.rpc_status.from_call``.
Every status carries a ``google.rpc.ErrorInfo`` (AIP-193, after the details below):
a stable ``reason`` (the error's, see :mod:`agora_core.errors`), the ``domain`` of
the service that answered (``agora.<service>``, from the called method) and
``metadata``:

=========================  ======================  ==================================
exception                  code                    details
=========================  ======================  ==================================
InvalidArgument            INVALID_ARGUMENT        BadRequest, one violation per field
pydantic ValidationError   INVALID_ARGUMENT        BadRequest, one violation per field
NotFound                   NOT_FOUND               ResourceInfo (type and id)
AlreadyExists              ALREADY_EXISTS
FailedPrecondition         FAILED_PRECONDITION     message names the current state
PermissionDenied           PERMISSION_DENIED
ResourceExhausted          RESOURCE_EXHAUSTED      RetryInfo (when the wait is known)
Unauthenticated            UNAUTHENTICATED
database outage           UNAVAILABLE             (transient: clients may retry): psycopg
                                                   OperationalError or InterfaceError,
                                                   an exhausted pool
                                                   (PoolTimeout); also inside an
                                                   ExceptionGroup (a TaskGroup)
anything else              INTERNAL                generic message (reason INTERNAL);
                                                   the error is logged
=========================  ======================  ==================================

Cancellation (deadline passed, client gone) is never caught: it is a BaseException.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import grpc
import structlog
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from pydantic import ValidationError

from agora_core.errors import (
    AgoraError,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
)
from agora_core.grpc.handler_wrapping import Context, ScopeInterceptor, split_method
from agora_core.messaging.retry import is_database_outage

log = structlog.get_logger(__name__)

DEFAULT_DOMAIN: Final = "agora"
"""ErrorInfo domain when the called method names no ``agora.<service>.v<n>`` package."""
INTERNAL_MESSAGE: Final = "internal error"
UNAVAILABLE_MESSAGE: Final = "a backing service is unavailable; retry later"

_CODES: Final[tuple[tuple[type[AgoraError], grpc.StatusCode], ...]] = (
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
)


def rich_status(code: grpc.StatusCode, message: str, *details: Message) -> grpc.Status:
    """A grpc.Status carrying a google.rpc.Status (code, message, packed details)."""
    packed = []
    for detail in details:
        any_detail = any_pb2.Any()
        any_detail.Pack(detail)
        packed.append(any_detail)
    status = status_pb2.Status(code=code.value[0], message=message, details=packed)
    result: grpc.Status = rpc_status.to_status(status)
    return result


def error_domain(method: str) -> str:
    """``/agora.catalog.v1.CatalogService/GetItem`` → ``agora.catalog`` (the ErrorInfo
    domain: the service that answered, stable across API versions)."""
    service, _ = split_method(method)
    parts = service.split(".")
    if len(parts) >= 3 and parts[0] == "agora":
        return f"agora.{parts[1]}"
    return DEFAULT_DOMAIN


def error_info(
    reason: str, domain: str, metadata: dict[str, str] | None = None
) -> error_details_pb2.ErrorInfo:
    """The google.rpc.ErrorInfo detail of a failed call."""
    return error_details_pb2.ErrorInfo(reason=reason, domain=domain, metadata=metadata or {})


def status_for_agora_error(error: AgoraError, domain: str = DEFAULT_DOMAIN) -> grpc.Status | None:
    """The status a client sees for ``error``; None for an AgoraError without a mapping."""
    info = error_info(error.reason, domain, error.metadata)
    if isinstance(error, InvalidArgument):
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=violation.field, description=violation.description
                )
                for violation in error.violations
            ]
        )
        return rich_status(grpc.StatusCode.INVALID_ARGUMENT, error.message, bad_request, info)
    if isinstance(error, NotFound):
        resource = error_details_pb2.ResourceInfo(
            resource_type=error.kind, resource_name=error.entity_id
        )
        return rich_status(grpc.StatusCode.NOT_FOUND, error.message, resource, info)
    if isinstance(error, FailedPrecondition):
        message = error.message
        if error.current_state and error.current_state not in message:
            message = f"{message} (current state: {error.current_state})"
        return rich_status(grpc.StatusCode.FAILED_PRECONDITION, message, info)
    if isinstance(error, ResourceExhausted):
        details: list[Message] = []
        if error.retry_after_seconds is not None:
            delay = duration_pb2.Duration()
            delay.FromMilliseconds(int(error.retry_after_seconds * 1000))
            details.append(error_details_pb2.RetryInfo(retry_delay=delay))
        return rich_status(grpc.StatusCode.RESOURCE_EXHAUSTED, error.message, *details, info)
    for error_type, code in _CODES:
        if isinstance(error, error_type):
            return rich_status(code, error.message, info)
    return None


def status_for_exception(error: Exception, domain: str = DEFAULT_DOMAIN) -> grpc.Status | None:
    """The status for any exception we know how to explain; None means INTERNAL."""
    if isinstance(error, ValidationError):
        error = InvalidArgument.from_validation_error(error)
    if isinstance(error, AgoraError):
        return status_for_agora_error(error, domain)
    if _is_outage(error):
        return rich_status(
            grpc.StatusCode.UNAVAILABLE,
            UNAVAILABLE_MESSAGE,
            error_info("BACKEND_UNAVAILABLE", domain),
        )
    return None


def _is_outage(error: BaseException) -> bool:
    # A TaskGroup in a use case wraps the driver's error in an ExceptionGroup.
    if isinstance(error, BaseExceptionGroup):
        return any(_is_outage(inner) for inner in error.exceptions)
    return is_database_outage(error)


class ErrorMappingInterceptor(ScopeInterceptor):
    """Turns exceptions escaping a handler into the status codes of the table above."""

    @asynccontextmanager
    async def scope(
        self, details: grpc.HandlerCallDetails, context: Context
    ) -> AsyncIterator[None]:
        try:
            yield
        except grpc.aio.AbortError:
            raise  # the handler already chose its status
        except Exception as error:
            domain = error_domain(details.method)
            status = status_for_exception(error, domain)
            service, method = split_method(details.method)
            if status is None:
                # Log the whole error here; the client only learns that it failed.
                log.exception("grpc.unhandled_error", service=service, method=method)
                status = rich_status(
                    grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE, error_info("INTERNAL", domain)
                )
            elif status.code in (
                grpc.StatusCode.UNAUTHENTICATED,
                grpc.StatusCode.PERMISSION_DENIED,
            ):
                log.info(
                    "grpc.call_refused",
                    service=service,
                    method=method,
                    code=status.code.name,
                    reason=status.details,
                )
            elif status.code == grpc.StatusCode.UNAVAILABLE:
                log.warning(
                    "grpc.backend_unavailable", service=service, method=method, error=repr(error)
                )
            await context.abort(status.code, status.details, status.trailing_metadata)
