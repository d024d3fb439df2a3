"""Real loopback peers of the notifications service: an SMTP server that requires a
password (so the service really sends it) and an HTTP webhook receiver that can answer
with a redirect (to check the service does not follow it)."""

from __future__ import annotations

import email
import email.policy
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from agora_core.ports import free_port as free_port


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
        )
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on loopback accepting mail only after AUTH with the expected password."""

    USERNAME = "agora-mailer"

    def __init__(self, password: str) -> None:
        self.port = free_port()
        self.mailbox = _Mailbox()
        self.logins: list[bool] = []
        self._password = password
        self._controller: Controller | None = None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.USERNAME
            and data.password.decode() == self._password
        )
        self.logins.append(ok)
        return AuthResult(success=ok)

    def start(self) -> None:
        self._controller = Controller(
            self.mailbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            # Loopback only, in a test: the service under test talks plain SMTP here.
            auth_require_tls=False,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
