"""Stored XSS: classic payloads written into every user-written text field through the
real APIs come back inert, through the real APIs and in the emails the platform sends.

Each payload set is written into every text field of ``tenant_data`` (item titles,
summaries and bodies, review comments, path texts, theme/skill names, space names and
descriptions, comments, replies, questions, answers, reports, rule descriptions,
badge/challenge/team names, webhook descriptions). Then every answer the services
give (the write responses and every read method pointed at the data) and the learner's
assignment email are scanned by :func:`markup.executable_markup`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email.message import Message as EmailMessage
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf.message import Message

from agora_core.testing import eventually

from .markup import executable_markup
from .platform_stack import Platform
from .rpc_methods import all_methods
from .tenant_data import learner_email, write_tenant_data
from .test_auth_matrix import READ_PREFIXES, _strings, channel_for, filled

pytestmark = [pytest.mark.security, pytest.mark.integration]

PAYLOADS = {
    "html": (
        "<script>alert(1)</script><img src=x onerror=alert(2)> <svg onload=alert(3)> "
        '<iframe src="javascript:alert(4)"></iframe>'
    ),
    "markdown-links": (
        "[a](javascript:alert(1)) ![b](JaVaScRiPt:alert(2)) <javascript:alert(3)> "
        "[c]( javascript:alert(4) ) [d](data:text/html;base64,PHNjcmlwdD4=)"
    ),
    "encoded": (
        '&lt;script&gt;alert(1)&lt;/script&gt; <a href="&#106;avascript:alert(2)">x</a> '
        "&amp;lt;img src=x onerror=alert(3)&amp;gt; %3Cscript%3E"
    ),
    "attributes": (
        '"><script>alert(1)</script> <div style="background:url(javascript:alert(2))">y</div>'
        " <a href='vbscript:msgbox(3)' onclick=alert(4)>z</a>"
        " <math><mi xlink:href=javascript:alert(5)>"
    ),
    "reference-link": "[z][r] and more\n\n[r]: javascript:alert(1)\n",
}


def _findings(label: str, message: Message) -> Iterator[str]:
    for text in _strings(message):
        for finding in executable_markup(text):
            yield f"{label}: {finding} in {text[:160]!r}"


def _email_parts(message: EmailMessage) -> dict[str, str]:
    parts = {}
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        payload: Any = part.get_payload(decode=True)
        parts[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return parts


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
async def test_stored_payloads_come_back_inert(platform: Platform, payload: str) -> None:
    tenant = f"t-xss-{uuid.uuid4().hex[:8]}"
    data = await write_tenant_data(platform, tenant, lambda label: f"{label}: {payload}")
    findings = [f for label, response in data.responses for f in _findings(label, response)]

    owner = platform.caller(tenant)
    read_back = 0
    for rpc in all_methods():
        if not rpc.name.startswith(READ_PREFIXES):
            continue
        try:
            response = await rpc.call(
                channel_for(platform, rpc), rpc.request(**filled(rpc.input_type, data)), owner
            )
        except grpc.aio.AioRpcError:
            continue
        read_back += 1
        findings.extend(_findings(str(rpc), response))
    assert read_back >= 20, "too few reads succeeded to judge what comes back"

    address = learner_email(tenant)

    async def mailed() -> bool:
        return any(m["To"] == address for m in platform.smtp.mailbox.messages)

    await eventually(mailed, timeout=120)
    for message in (m for m in platform.smtp.mailbox.messages if m["To"] == address):
        for content_type, body in _email_parts(message).items():
            found = executable_markup(body, document=content_type == "text/html")
            findings.extend(f"email {content_type}: {f}" for f in found)
    assert not findings, "executable markup came back:\n" + "\n".join(findings)
