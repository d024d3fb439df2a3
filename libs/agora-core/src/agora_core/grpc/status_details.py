"""Reading the rich error details (``google.rpc.Status``) of a failed call, client side.

Servers put a ``google.rpc.Status`` with typed details (``ErrorInfo`` with a stable
reason, ``BadRequest`` field violations, ``ResourceInfo``, ``RetryInfo``) in the
trailers (``error_mapping``); tests and the ``agora`` CLI decode them with these
functions.
"""

from __future__ import annotations

from typing import cast

import grpc
import grpc.aio
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


def rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    """The google.rpc.Status in the error's trailers, checked against its code and message."""
    # from_call only needs code(), details() and trailing_metadata(), which AioRpcError has.
    status: status_pb2.Status | None = rpc_status.from_call(cast(grpc.Call, error))
    return status


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """Field → description of every BadRequest violation in the error's details."""
    status = rich_status(error)
    violations: dict[str, str] = {}
    for detail in status.details if status is not None else ():
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            violations.update({v.field: v.description for v in bad_request.field_violations})
    return violations


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo (stable reason, domain, metadata) in the error's details, if any."""
    status = rich_status(error)
    for detail in status.details if status is not None else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    return None
