"""Property-based fuzzing of every request field of every gRPC method.

Requests are generated from the message descriptors (see ``proto_strategies``) and
sent by a caller holding every role, in a tenant of its own per method. Whatever comes
in, the service answers with a deliberate status: never INTERNAL, UNKNOWN or a timeout;
INVALID_ARGUMENT always names the offending field; and the server still answers its
health check after the batch.

Reproducible: ``derandomize=True`` and no example database, so each run sends the same
requests (a failure found once is found again, in CI too).
"""

from __future__ import annotations

from collections.abc import Awaitable

import grpc
import grpc.aio
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from agora_core.testing.grpc_assertions import field_violations

from .case_count import GENERATED_CASES, scaled
from .platform_stack import Platform
from .proto_strategies import requests
from .rpc_methods import RpcMethod, all_methods

pytestmark = [pytest.mark.security, pytest.mark.integration]

EXAMPLES_PER_METHOD = scaled(110)
"""With 97 methods (a dozen take no field, so give one case), about 9,300 requests."""

FORBIDDEN = {
    grpc.StatusCode.INTERNAL: "an unhandled error",
    grpc.StatusCode.UNKNOWN: "an exception escaped the interceptors",
    grpc.StatusCode.DATA_LOSS: "data loss",
    grpc.StatusCode.DEADLINE_EXCEEDED: "no answer within the deadline",
    grpc.StatusCode.UNAVAILABLE: "the backing store failed on this input",
}

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_METHOD,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=False,
    # No shrinking: under CI load it would cost minutes per failure, and the first
    # failing request (printed) is reproducible with derandomize anyway.
    phases=[Phase.explicit, Phase.generate],
)


async def failure_of(call: Awaitable[object]) -> grpc.aio.AioRpcError | None:
    """The error the call ends with, or None when it succeeds."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error
    return None


@pytest.mark.parametrize("rpc", all_methods(), ids=str)
@FUZZ_SETTINGS
@given(data=st.data())
async def test_any_request_gets_a_deliberate_answer(
    platform: Platform, rpc: RpcMethod, data: st.DataObject
) -> None:
    request = data.draw(requests(rpc.input_type), label="request")
    GENERATED_CASES["grpc requests"] += 1
    channel = dict(platform.channels())[rpc.service]
    metadata = platform.caller(f"t-fuzz-{rpc.name.lower()}")
    error = await failure_of(rpc.call(channel, request, metadata, timeout=60))
    if error is None:
        return
    code = error.code()
    assert code not in FORBIDDEN, f"{rpc}: {FORBIDDEN[code]}: {error.details()!r}"
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        assert field_violations(error), (
            f"{rpc}: INVALID_ARGUMENT without a field violation: {error.details()!r}"
        )


async def test_every_service_still_answers_after_the_fuzzing(platform: Platform) -> None:
    for service in platform.services.values():
        assert await service.healthy(), f"{service.name} stopped answering its health check"
