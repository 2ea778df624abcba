"""Expiry reminders, against a real SMTP server: each paper, threshold and person once; by
email when the person gave an address, else a banner at their next visit; an email that could
not leave is tried again at the next run."""

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.app_fixtures import PASSWORD
from tests.integration.accounts.test_assisted_reset import give, setup
from tests.integration.reminders.smtp import Inbox, inbox
from tests.integration.vault.test_expiry import in_days, long_day, paper
from tests.integration.webui.test_pages import as_read, page_sign_in
from tests.ports import free_port
from vault.accounts.erasure import erase_account
from vault.db import transaction
from vault.documents.bin import erase_expired
from vault.documents.reminders import Report, send_due
from vault.models import Document, Reminder, utcnow
from vault.runtime import Runtime
from webui.i18n import CatalogueWording

pytestmark = pytest.mark.master_keys

__all__ = ["inbox"]

AMINA_EMAIL = "amina@example.org"
CLAIRE_EMAIL = "claire@ccas.example.org"


def with_smtp(rt: Runtime, port: int) -> Runtime:
    settings = rt.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_from": "coffre@ccas.example.org",
            "public_url": "https://coffre.example.org",
        }
    )
    return dataclasses.replace(rt, settings=settings)


def run(rt: Runtime, today: date | None = None) -> Report:
    return send_due(rt, wording=CatalogueWording(), today=today)


def give_email(client: TestClient, who: dict[str, Any], email: str) -> None:
    answer = client.patch(
        "/api/v1/me",
        headers=who["headers"],
        json={"email": email, "current_password": PASSWORD},
    )
    assert answer.status_code == 200, answer.text


def reminders(rt: Runtime) -> set[tuple[str, int, str]]:
    """(person, threshold, channel) of every reminder recorded."""
    with transaction(rt.sessions) as db:
        rows = db.execute(
            select(Reminder.person_id, Reminder.threshold_days, Reminder.channel)
        ).all()
    return {(person, threshold, channel) for person, threshold, channel in rows}


def journaled(client: TestClient, who: dict[str, Any]) -> int:
    entries = client.get("/api/v1/journal", headers=who["headers"]).json()
    return sum(1 for e in entries if e["action"] == "reminder_sent")


@pytest.fixture
def people(client: TestClient, rt: Runtime) -> tuple[dict[str, Any], dict[str, Any]]:
    amina, claire, _org = setup(client, rt)
    give(client, amina, claire, scopes=["view"])
    return amina, claire


def test_each_reminder_goes_once_to_the_person_and_their_counsellor(
    client: TestClient, rt: Runtime, inbox: Inbox, people: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    amina, claire = people
    give_email(client, amina, AMINA_EMAIL)
    give_email(client, claire, CLAIRE_EMAIL)
    paper(client, amina, "Carte de séjour de Amina", 20, category="residence")
    rt = with_smtp(rt, inbox.port)

    first = run(rt)
    assert (first.emails, first.banners, first.failures) == (2, 0, [])
    [to_amina] = inbox.to(AMINA_EMAIL)
    [to_claire] = inbox.to(CLAIRE_EMAIL)
    body = to_amina.get_content()
    assert f"Un de vos papiers (Titre de séjour) expire le {long_day(in_days(20))}." in body
    assert "https://coffre.example.org/papiers" in body
    assert to_amina["From"] == "coffre@ccas.example.org"
    assert to_amina["Subject"] == "Un de vos papiers expire bientôt"
    assert "Titre de séjour" in to_claire.get_content()
    assert "https://coffre.example.org/personnes" in to_claire.get_content()
    for message in (to_amina, to_claire):
        # A title is personal: it never travels by email, nor does the person's name.
        assert "Carte de séjour" not in message.as_string()
        assert "Amina" not in message.get_content()
    # The 60-day reminder was passed already: it is recorded, never sent late.
    assert reminders(rt) == {
        (amina["id"], 30, "email"),
        (amina["id"], 60, "passed"),
        (claire["id"], 30, "email"),
        (claire["id"], 60, "passed"),
    }
    assert journaled(client, amina) == 2

    again = run(rt)
    assert (again.emails, again.banners) == (0, 0)
    assert len(inbox.messages) == 2

    last = run(rt, today=in_days(20) - timedelta(days=6))
    assert last.emails == 2
    assert len(inbox.to(AMINA_EMAIL)) == 2
    assert len(inbox.to(CLAIRE_EMAIL)) == 2
    assert (amina["id"], 7, "email") in reminders(rt)
    assert journaled(client, amina) == 4


def test_in_the_persons_language(
    client: TestClient, rt: Runtime, inbox: Inbox, people: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    amina, _claire = people
    give_email(client, amina, AMINA_EMAIL)
    client.patch("/api/v1/me", headers=amina["headers"], json={"preferred_language": "en"})
    paper(client, amina, "Passeport", 5, category="identity")
    run(with_smtp(rt, inbox.port))
    [message] = inbox.to(AMINA_EMAIL)
    assert message["Content-Language"] == "en"
    assert "(Identity)" in message.get_content()


def test_without_an_address_a_banner_waits_for_the_next_visit(
    client: TestClient, rt: Runtime, inbox: Inbox, people: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    amina, _claire = people
    paper(client, amina, "Passeport", 20, category="identity")
    report = run(with_smtp(rt, inbox.port))
    assert (report.emails, report.banners) == (0, 2)
    assert inbox.messages == []

    page_sign_in(client, "amina.diallo")
    shown = as_read(client.get("/papiers").text)
    assert f"Votre papier « Passeport » expire le {long_day(in_days(20))}." in shown
    assert "Votre papier" not in client.get("/papiers").text

    client.cookies.clear()
    page_sign_in(client, "claire.martin")
    people_page = as_read(client.get("/personnes").text)
    assert f"Un papier de Amina Diallo (Identité) expire le {long_day(in_days(20))}." in people_page
    assert "Un papier de Amina Diallo" not in as_read(client.get("/personnes").text)


def test_without_an_smtp_server_every_reminder_is_a_banner(
    client: TestClient, rt: Runtime, people: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    amina, claire = people
    give_email(client, amina, AMINA_EMAIL)
    paper(client, amina, "Passeport", 3, category="identity")
    report = run(rt)
    assert (report.emails, report.banners) == (0, 2)
    assert reminders(rt) == {
        (amina["id"], 7, "banner"),
        (amina["id"], 30, "passed"),
        (amina["id"], 60, "passed"),
        (claire["id"], 7, "banner"),
        (claire["id"], 30, "passed"),
        (claire["id"], 60, "passed"),
    }


def test_an_email_that_could_not_leave_is_tried_again(
    client: TestClient, rt: Runtime, inbox: Inbox, people: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    amina, claire = people
    give_email(client, amina, AMINA_EMAIL)
    paper(client, amina, "Passeport", 20, category="identity")
    down = run(with_smtp(rt, free_port()))
    # Claire gave no address: her banner does not depend on the mail server.
    assert (down.emails, down.banners, len(down.failures)) == (0, 1, 1)
    assert down.failures[0].person_id == amina["id"]
    assert reminders(rt) == {(claire["id"], 30, "banner"), (claire["id"], 60, "passed")}
    assert journaled(client, amina) == 1

    up = run(with_smtp(rt, inbox.port))
    assert (up.emails, up.banners, up.failures) == (1, 0, [])
    assert len(inbox.to(AMINA_EMAIL)) == 1


def test_only_papers_in_sight_and_only_counsellors_who_may_see_them(
    client: TestClient, rt: Runtime, people: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    amina, claire = people
    private = paper(client, amina, "Lettre", 20, category="identity")
    client.patch(f"/api/v1/documents/{private}", headers=amina["headers"], json={"private": True})
    binned = paper(client, amina, "Jeté", 20, category="identity")
    with transaction(rt.sessions) as db:
        db.execute(update(Document).where(Document.id == binned).values(deleted_at=utcnow()))
    paper(client, amina, "Périmé", -2, category="identity")
    paper(client, amina, "Plus tard", 90, category="identity")
    report = run(rt)
    assert (report.emails, report.banners) == (0, 1)
    with transaction(rt.sessions) as db:
        recorded = db.execute(select(Reminder.document_id, Reminder.person_id)).all()
    assert {(d, p) for d, p in recorded} == {(private, amina["id"])}
    assert claire["id"] not in {p for _d, p in recorded}


def test_a_grant_limited_to_other_papers_gets_no_reminder(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    give(client, amina, claire, scopes=["view"], categories=["bank"])
    paper(client, amina, "Passeport", 20, category="identity")
    assert run(rt).banners == 1
    assert {person for person, _threshold, _channel in reminders(rt)} == {amina["id"]}


def test_a_new_date_starts_the_reminders_again(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina, "Passeport", 20, category="identity")
    assert run(rt).banners == 1
    client.patch(
        f"/api/v1/documents/{document_id}",
        headers=amina["headers"],
        json={"expires_on": in_days(25).isoformat()},
    )
    assert run(rt).banners == 1


def test_a_reminded_paper_can_still_be_deleted_and_erased(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina, "Passeport", 20, category="identity")
    assert run(rt).banners == 1
    answer = client.delete(f"/api/v1/documents/{document_id}", headers=amina["headers"])
    assert answer.status_code == 204
    assert run(rt, today=in_days(14)).banners == 0  # in the bin: no 7-day reminder
    with transaction(rt.sessions) as db:
        erase_expired(db, rt, utcnow() + timedelta(days=rt.settings.bin_days + 1))
    assert reminders(rt) == set()


def test_an_erased_account_takes_its_reminders(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    paper(client, amina, "Passeport", 20, category="identity")
    assert run(rt).banners == 1
    erase_account(rt, "amina.diallo")
    assert reminders(rt) == set()
    assert run(rt).banners == 0


def test_the_history_says_who_was_reminded(
    client: TestClient, rt: Runtime, people: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    amina, _claire = people
    paper(client, amina, "Passeport", 20, category="identity")
    run(rt)
    page_sign_in(client, "amina.diallo")
    history = as_read(client.get("/historique?quoi=papiers").text)
    assert "Nous vous avons rappelé que « Passeport » expire bientôt." in history
    told = "Claire Martin, CCAS d&#39;Orléans, a reçu un rappel : « Passeport » expire bientôt."
    assert told in history


def test_one_refused_address_does_not_stop_the_others(
    client: TestClient, rt: Runtime, inbox: Inbox, people: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    amina, claire = people
    give_email(client, amina, AMINA_EMAIL)
    give_email(client, claire, CLAIRE_EMAIL)
    paper(client, amina, "Passeport", 20, category="identity")
    rt = with_smtp(rt, inbox.port)
    inbox.refused.add(AMINA_EMAIL)
    report = run(rt)
    assert report.emails == 1
    assert [f.person_id for f in report.failures] == [amina["id"]]
    # The report goes to a terminal and cron's mail: never the address itself.
    assert AMINA_EMAIL not in report.failures[0].reason
    assert len(inbox.to(CLAIRE_EMAIL)) == 1

    inbox.refused.clear()
    assert run(rt).emails == 1
    assert len(inbox.to(AMINA_EMAIL)) == 1


@pytest.mark.parametrize("broken", ["amina@example.org\nBcc: x@example.org", "a@b.fr\u2028x"])
def test_an_address_with_a_line_break_is_refused_and_stops_no_one_else(
    client: TestClient,
    rt: Runtime,
    inbox: Inbox,
    people: tuple[dict[str, Any], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    broken: str,
) -> None:
    """Review finding: an address with a line break inside was saved; the reminder to it
    could not be written (no message header holds a line break), and that error stopped the
    whole run: no one after it was reminded, every day."""
    amina, claire = people
    for field, value in (("email", broken), ("phone", "06 12\n34")):
        refused = client.patch(
            "/api/v1/me",
            headers=amina["headers"],
            json={field: value, "current_password": PASSWORD},
        )
        assert (refused.status_code, refused.json()["field"]) == (422, field)
    lines = client.get("/api/v1/journal", headers=amina["headers"]).json()
    assert "contact_changed" not in [line["action"] for line in lines]

    # One saved before such addresses were refused.
    monkeypatch.setattr("vault.accounts.accounts._usable_contact", lambda _field, _value: True)
    give_email(client, amina, broken)
    give_email(client, claire, CLAIRE_EMAIL)
    paper(client, amina, "Passeport", 1, category="identity")
    report = run(with_smtp(rt, inbox.port))
    assert [f.person_id for f in report.failures] == [amina["id"]]
    assert broken not in report.failures[0].reason
    assert len(inbox.to(CLAIRE_EMAIL)) == 1
