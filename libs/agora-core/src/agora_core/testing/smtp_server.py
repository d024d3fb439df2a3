"""A real SMTP server on loopback for tests (ARCHITECTURE §6): aiosmtpd on a fixed
port that can be stopped (port closed, an outage) and started again on the same port.

Needs the dev dependency group (aiosmtpd).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from agora_core.ports import free_port


class Mailbox:
    """Every message accepted; recipients starting with ``refuse_prefix`` get a 4xx;
    each message is answered ``delay_seconds`` after its data arrived (a slow relay)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse_prefix = "tempfail"
        self.delay_seconds = 0.0

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith(self.refuse_prefix):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        raw = envelope.original_content or b""
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on a fixed loopback port, stoppable and restartable (outage tests)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Message]:
        return [m for m in self.mailbox.messages if m["To"] == address]
