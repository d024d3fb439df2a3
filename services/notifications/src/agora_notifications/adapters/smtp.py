"""Email over SMTP with aiosmtplib: a multipart message, text and HTML."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib

from agora_notifications.domain.deliveries import Delivery
from agora_notifications.service_layer.ports import SendResult


class SmtpSender:
    """Sends the email stored in a delivery document."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None,
        password: str | None,
        use_tls: bool,
        start_tls: bool,
        timeout: float,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._use_tls = use_tls
        self._start_tls = start_tls
        self._timeout = timeout

    def message(self, delivery: Delivery, now: datetime) -> EmailMessage:
        content = delivery.email
        if content is None:
            raise ValueError(f"delivery {delivery.id} is not an email")
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = content.to
        message["Subject"] = content.subject
        message["Date"] = format_datetime(now)
        # Stable per delivery, so a resend after a crash is recognisable as the same mail.
        message["Message-ID"] = make_msgid(idstring=delivery.id.replace(":", "."))
        message["X-Agora-Delivery"] = delivery.id
        message["List-Unsubscribe"] = f"<{content.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        return message

    async def send(self, delivery: Delivery, now: datetime) -> SendResult:
        try:
            await aiosmtplib.send(
                self.message(delivery, now),
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._use_tls,
                start_tls=self._start_tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refused.code for refused in error.recipients]
            return SendResult(
                ok=False,
                status_code=codes[0] if codes else 0,
                error=f"SMTP recipient refused {codes}"[:500],
                permanent=bool(codes) and all(500 <= code < 600 for code in codes),
            )
        except aiosmtplib.SMTPResponseException as error:
            # 5xx is a permanent refusal; 4xx asks to try again later.
            return SendResult(
                ok=False,
                status_code=error.code,
                error=f"SMTP {error.code} {error.message}"[:500],
                permanent=500 <= error.code < 600,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            return SendResult(ok=False, error=repr(error)[:500])
        return SendResult(ok=True, status_code=250)
