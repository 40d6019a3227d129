"""Sending e-mail through a pluggable sender: the log or a folder locally, Amazon SES on AWS.

`EMAIL_BACKEND` picks it (unset: `log` when local, `off` elsewhere, so a deployment sends
nothing until it is configured). Senders are only ever called after a commit (see
`services.notifications`), and a failure is the caller's to log: sending never decides
whether data is written. boto3 is imported when the SES sender is first used, never at
import (cold start), and its blocking call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from courtside.settings import (
    EmailBackend,
    NotificationSettings,
    get_app_settings,
    get_notification_settings,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


class EmailSender(Protocol):
    async def send(self, email: Email) -> None: ...


class OffSender:
    """Sends nothing (a deployment that has not configured e-mail)."""

    async def send(self, email: Email) -> None:
        return None


class LogSender:
    """Writes the message to the log (local development)."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    async def send(self, email: Email) -> None:
        logger.info(
            "e-mail (log backend) from %s to %s: %s\n%s",
            self.sender,
            email.to,
            email.subject,
            email.body,
        )


class FileSender:
    """Writes one RFC 5322 `.eml` file per message into a folder (local development)."""

    def __init__(self, sender: str, folder: Path) -> None:
        self.sender = sender
        self.folder = folder

    async def send(self, email: Email) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message.set_content(email.body)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        await asyncio.to_thread(self._write, f"{stamp}-{abs(hash(email))}.eml", bytes(message))

    def _write(self, name: str, content: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(content)


class SesSender:
    """Amazon SES (API v2 `SendEmail`). Needs `ses:SendEmail` on the sending identity."""

    def __init__(
        self,
        sender: str,
        *,
        region: str | None = None,
        configuration_set: str | None = None,
        client: Any = None,
    ) -> None:
        self.sender = sender
        self.region = region
        self.configuration_set = configuration_set
        self._client = client

    def client(self) -> Any:
        if self._client is None:
            # lazy: boto3 loads only where e-mail goes out through SES
            import boto3  # lazily: only a deployment that sends e-mail pays for it

            self._client = boto3.client("sesv2", region_name=self.region)
        return self._client

    def request(self, email: Email) -> dict[str, Any]:
        request: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": email.body, "Charset": "UTF-8"}},
                }
            },
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        return request

    async def send(self, email: Email) -> None:
        request = self.request(email)
        await asyncio.to_thread(lambda: self.client().send_email(**request))


def backend(settings: NotificationSettings) -> EmailBackend:
    if settings.email_backend is not None:
        return settings.email_backend
    return EmailBackend.LOG if get_app_settings().is_local else EmailBackend.OFF


_sender: EmailSender | None = None


def build_sender(settings: NotificationSettings) -> EmailSender:
    chosen = backend(settings)
    if chosen is EmailBackend.LOG:
        return LogSender(settings.email_from)
    if chosen is EmailBackend.FILE:
        return FileSender(settings.email_from, Path(settings.email_file_dir))
    if chosen is EmailBackend.SES:
        return SesSender(
            settings.email_from,
            region=settings.ses_region,
            configuration_set=settings.ses_configuration_set,
        )
    return OffSender()


def get_sender() -> EmailSender:
    """The process-wide sender, built from the settings on first use."""
    global _sender
    if _sender is None:
        _sender = build_sender(get_notification_settings())
    return _sender


def use_sender(sender: EmailSender | None) -> None:
    """Replace the sender (tests); None rebuilds it from the settings on next use."""
    global _sender
    _sender = sender
