"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.ports import free_port


@dataclass
class Inbox:
    """aiosmtpd's handler: it calls handle_<VERB> for each SMTP command."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    # Addresses the server refuses, as a mailbox that does not exist.
    refused: set[str] = field(default_factory=set)

    # How long the server takes over each message, as a slow or distant server does.
    data_seconds: float = 0.0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return f"550 5.1.1 <{address}>: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.data_seconds)
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    kept = Inbox(free_port())
    controller = Controller(kept, hostname="127.0.0.1", port=kept.port)
    controller.start()
    yield kept
    controller.stop()
