"""Tokens for test callers, and assertions on gRPC failures that say exactly what was
expected and what came back."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any

import grpc
import grpc.aio
import pytest

from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.grpc.status_details import error_info as error_info
from agora_core.grpc.status_details import field_violations as field_violations
from agora_core.grpc.status_details import rich_status as rich_status

DEV_SECRET = "agora-core-tests-dev-secret-of-at-least-32-bytes"  # noqa: S105 - tests only
"""HS256 secret of the dev-mode servers the tests start."""

Metadata = tuple[tuple[str, str], ...]


def caller(
    roles: Iterable[str] = ("contributor",), *, tenant: str = "acme", subject: str = "user-1"
) -> Metadata:
    """Call metadata of a dev-mode caller with these roles in this tenant."""
    return bearer_metadata(mint_dev_token(DEV_SECRET, subject, tenant, roles))


async def rpc_error(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    """Await ``call`` and return the error it fails with; fail the test if it succeeds."""
    try:
        response = await call
    except grpc.aio.AioRpcError as error:
        return error
    pytest.fail(f"expected the call to fail, it returned {response!r}")


def assert_status(
    error_or_exc_info: grpc.aio.AioRpcError | pytest.ExceptionInfo[grpc.aio.AioRpcError],
    code: grpc.StatusCode,
    field: str | None = None,
    reason: str | None = None,
) -> grpc.aio.AioRpcError:
    """Assert the call failed with ``code`` (given ``field``, a BadRequest naming it;
    given ``reason``, an ErrorInfo with that stable reason).

    Accepts the error itself or the ``pytest.raises`` ExceptionInfo holding it; returns
    the error for further checks.
    """
    error = (
        error_or_exc_info.value
        if isinstance(error_or_exc_info, pytest.ExceptionInfo)
        else error_or_exc_info
    )
    assert isinstance(error, grpc.aio.AioRpcError), f"not a gRPC error: {error!r}"
    assert error.code() == code, (
        f"expected {code.name}, got {error.code().name}: {error.details()!r}"
    )
    if field is not None:
        violations = field_violations(error)
        assert field in violations, (
            f"expected a BadRequest violation on {field!r}; "
            f"got {violations or 'no BadRequest detail'} ({error.details()!r})"
        )
    if reason is not None:
        info = error_info(error)
        assert info is not None, f"expected ErrorInfo {reason}; none in {error.details()!r}"
        assert info.reason == reason, f"expected reason {reason}, got {info.reason}"
    return error
