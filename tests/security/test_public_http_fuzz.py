"""Property-based fuzzing of the endpoints anyone can reach without a token.

Gamification's credential status and issuer profile, notifications' unsubscribe form
and its one-click POST: path segments and query values are generated (hostile strings:
traversal, encodings, NUL, huge, NoSQL operators, forged tokens), sent to the real
servers, and every answer must be a deliberate one — 200 for a real document, 400 or
404 for anything else, never a 5xx — with no stack trace in the body and nothing
changed (an unsubscribe without a valid signed token switches nothing off).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .case_count import GENERATED_CASES, scaled
from .platform_stack import Platform

pytestmark = [pytest.mark.security, pytest.mark.integration]

EXAMPLES_PER_ROUTE = scaled(120)

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_ROUTE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=False,
    phases=[Phase.explicit, Phase.generate],
)

HOSTILE = st.sampled_from(
    [
        "",
        ".",
        "..",
        "../../etc/passwd",
        "%2e%2e%2f",
        "%00",
        "\x00",
        '{"$ne": null}',
        "$where",
        "a" * 5000,
        "<script>alert(1)</script>",
        "0" * 32,
        "f" * 32,
        "F" * 32,
        "eyJhbGciOiJub25lIn0.e30.",
        "t" * 65,
        "t.t-t_t",
        "ü",
        "\u202e",
    ]
)
SEGMENT = st.one_of(HOSTILE, st.text(min_size=0, max_size=80))
DELIBERATE = {200, 400, 404, 405, 413, 414, 431}


def public_port(platform: Platform, service: str) -> int:
    runtime: Any = platform.services[service].runtime
    port = runtime.public_http.port
    assert isinstance(port, int)
    return port


async def answer(method: str, url: str, **kwargs: Any) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, allow_redirects=False, **kwargs) as response,
    ):
        return response.status, await response.text()


def assert_deliberate(status: int, body: str, url: str) -> None:
    assert status in DELIBERATE, f"{url} answered {status}: {body[:300]}"
    assert "Traceback" not in body, f"{url} leaked a stack trace"


@FUZZ_SETTINGS
@given(tenant=SEGMENT, award=SEGMENT, tail=st.sampled_from(["status", "", "status/x"]))
async def test_credential_status_answers_deliberately(
    platform: Platform, tenant: str, award: str, tail: str
) -> None:
    base = f"http://127.0.0.1:{public_port(platform, 'gamification')}"
    url = f"{base}/tenants/{quote(tenant, safe='')}/credentials/{quote(award, safe='')}/{tail}"
    status, body = await answer("GET", url)
    GENERATED_CASES["public HTTP requests"] += 1
    assert_deliberate(status, body, url)
    assert status != 200, f"{url}: a credential that was never awarded has a status"


@FUZZ_SETTINGS
@given(tenant=SEGMENT, method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
async def test_issuer_profile_answers_deliberately(
    platform: Platform, tenant: str, method: str
) -> None:
    base = f"http://127.0.0.1:{public_port(platform, 'gamification')}"
    url = f"{base}/tenants/{quote(tenant, safe='')}/issuer"
    status, body = await answer(method, url)
    GENERATED_CASES["public HTTP requests"] += 1
    assert_deliberate(status, body, url)
    if status == 200:
        assert method == "GET"
        assert '"publicKeyJwk"' in body  # the suite's services sign badges
        # Only the public half of the signing key: no PEM, no private scalar.
        assert "PRIVATE" not in body
        assert '"d"' not in body


@FUZZ_SETTINGS
@given(
    token=st.one_of(HOSTILE, st.text(max_size=300)),
    method=st.sampled_from(["GET", "POST"]),
    form=st.booleans(),
)
async def test_unsubscribe_refuses_every_forged_token(
    platform: Platform, token: str, method: str, form: bool
) -> None:
    base = f"http://127.0.0.1:{public_port(platform, 'notifications')}"
    url = f"{base}/unsubscribe?token={quote(token, safe='')}"
    data = {"List-Unsubscribe": "One-Click"} if form and method == "POST" else None
    status, body = await answer(method, url, data=data)
    GENERATED_CASES["public HTTP requests"] += 1
    assert_deliberate(status, body, url)
    # No generated token is signed with the platform's secret: nothing is unsubscribed.
    assert status == 400, f"{url} accepted a token it never issued ({status})"
    assert "<script>" not in body
