"""No secret in logs: every line the four services logged during the suite (production
format, see ``log_capture``) is scanned for the secrets they were started with and the
ones they handed out or were sent.

The services run with a JWT HS256 secret, an SMTP
password (the loopback SMTP server refuses mail without it, so it is really used), an
unsubscribe-link secret and a badge-signing private key, all made up for this run.
This module adds a full flow (every service written to, a webhook delivered and signed,
an email sent, refused calls carrying tokens); the lines of everything the suite did
before it (auth matrix, fuzzing) are scanned too.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import grpc
import grpc.aio
import pytest

from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.testing import eventually

from .log_capture import LogSink
from .platform_stack import Platform
from .rpc_methods import all_methods
from .tenant_data import learner_email, write_tenant_data

pytestmark = [pytest.mark.security, pytest.mark.integration]

JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
BEARER_VALUE = re.compile(r"(?i)bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}")
URI_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/@\s:\"]+:(?!\[redacted\])[^/@\s\"]+@", re.I)


async def run_full_flow(platform: Platform) -> str:
    """Write everywhere, get a signed webhook and an email out, get calls refused."""
    tenant = f"t-logs-{uuid.uuid4().hex[:8]}"
    await write_tenant_data(platform, tenant, lambda label: f"{label} for the log scan")

    async def mailed() -> bool:
        return any(m["To"] == learner_email(tenant) for m in platform.smtp.mailbox.messages)

    async def hooked() -> bool:
        return any(
            r.headers.get("ce-tenantid") == tenant for r in platform.receiver.at("tenant-hook")
        )

    await eventually(mailed, timeout=120)
    await eventually(hooked, timeout=120)

    # Refused calls carrying tokens: valid but unauthorised, expired, and forged.
    rpc = next(m for m in all_methods() if m.name == "UpsertProfiles")
    channel = dict(platform.channels())[rpc.service]
    expired = mint_dev_token(
        platform.secrets.jwt_secret, "u-x", tenant, ["admin"], ttl=-dt.timedelta(hours=1)
    )
    forged = mint_dev_token("forged-" + "k" * 40, "u-x", tenant, ["admin"])
    platform.issued_tokens.update({expired, forged})
    for metadata in (
        platform.caller(tenant, roles=["learner"]),
        (("authorization", f"Bearer {expired}"),),
        (("authorization", f"Bearer {forged}"),),
        (("authorization", forged),),
    ):
        with pytest.raises(grpc.aio.AioRpcError):
            await rpc.call(channel, rpc.request(), metadata)
    return tenant


async def test_no_secret_reaches_the_logs(platform: Platform, log_sink: LogSink) -> None:
    await run_full_flow(platform)
    assert any(platform.smtp.logins), "the SMTP password was never used"
    assert platform.learned_secrets, "no webhook signing secret was handed out"
    lines = log_sink.lines
    assert any("grpc.call_refused" in line for line in lines), "refusals were not logged"

    secrets = [
        *platform.secrets.fixed(),
        *platform.learned_secrets,
        platform.secrets.smtp_password.encode().hex(),
    ]
    leaks = [
        f"{kind}: {line[:300]}"
        for line in lines
        for kind, leaked in (
            ("secret", any(secret in line for secret in secrets)),
            ("jwt", JWT_SHAPE.search(line) is not None),
            ("bearer", BEARER_VALUE.search(line) is not None),
            ("uri password", URI_PASSWORD.search(line) is not None),
        )
        if leaked
    ]
    assert not leaks, f"{len(leaks)} log lines carry secrets, e.g.:\n" + "\n".join(leaks[:10])
    # Every issued token is a JWT, so JWT_SHAPE covered them; spot-check by value too.
    sample = sorted(platform.issued_tokens)[:200]
    assert not [t for t in sample if any(t in line for line in lines)]
