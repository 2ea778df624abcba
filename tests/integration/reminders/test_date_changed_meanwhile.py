"""A paper's expiry date changed while a reminder run is emailing about it (a person renews her
paper at the minute the cron runs): the run must not record its reminder against the new date,
or the new date's reminder would never leave.

PostgreSQL only: on SQLite the run's transaction holds the one write lock from its first read,
so the change waits for the run to end and then starts the reminders again itself.
"""

from datetime import date
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import sign_up
from tests.integration.reminders.smtp import Inbox, inbox
from tests.integration.reminders.test_reminders import AMINA_EMAIL, give_email, run, with_smtp
from tests.integration.vault.test_expiry import in_days, long_day, paper
from vault.mail import SmtpMailer
from vault.runtime import Runtime

__all__ = ["inbox"]

pytestmark = pytest.mark.parametrize(
    "settings", [pytest.param("server", marks=[pytest.mark.pg, pytest.mark.s3])], indirect=True
)


def test_a_date_changed_during_the_email_gets_its_own_reminder(
    client: TestClient, rt: Runtime, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    amina = sign_up(client, "amina.diallo")
    give_email(client, amina, AMINA_EMAIL)
    document_id = paper(client, amina, "Carte de séjour", 20, category="residence")
    renewed = in_days(25)
    send = SmtpMailer.send

    def send_then_renew(mailer: SmtpMailer, message: EmailMessage) -> None:
        send(mailer, message)
        changed = client.patch(
            f"/api/v1/documents/{document_id}",
            headers=amina["headers"],
            json={"expires_on": renewed.isoformat()},
        )
        assert changed.status_code == 200, changed.text

    with monkeypatch.context() as patched:
        patched.setattr(SmtpMailer, "send", send_then_renew)
        first = run(with_smtp(rt, inbox.port))
    assert (first.emails, first.failures) == (1, [])

    again = run(with_smtp(rt, inbox.port))

    assert (again.emails, again.failures) == (1, [])
    assert [day_in(message, renewed) for message in inbox.messages] == [False, True]


def day_in(message: Any, day: date) -> bool:
    return long_day(day) in message.get_content()
