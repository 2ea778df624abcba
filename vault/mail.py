"""Sending one email through the SMTP server of the settings (COFFRE_SMTP_*)."""

import smtplib
import ssl
from email.message import EmailMessage

from vault.config import Settings

TIMEOUT_SECONDS = 30


def sender(settings: Settings) -> str:
    return settings.smtp_from or settings.smtp_username or "coffre@localhost"


class SmtpMailer:
    """One connection per message: a daily job sends few, and a failure stays with its
    message. Raises smtplib.SMTPException or OSError when the message could not leave."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def send(self, message: EmailMessage) -> None:
        settings = self._settings
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)
