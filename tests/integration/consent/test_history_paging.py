"""The owner's history pages and collapses repeated refused attempts, so a flood of them cannot
push a helper's earlier actions out of sight (audit finding 6)."""

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.app_fixtures import admin_headers, organisation, professional
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import page_sign_in
from tests.samples import pdf
from vault.db import transaction
from vault.models import JournalEvent
from vault.runtime import Runtime

JOURNAL = "/api/v1/journal"


def counsellor(client: TestClient, rt: Runtime, login: str = "claire.martin") -> dict[str, Any]:
    admin = admin_headers(client, rt, f"admin.{login}")
    return professional(client, admin, organisation(client, admin), login)


def grant(client: TestClient, owner: dict[str, Any], helper: dict[str, Any]) -> str:
    answer = client.post(
        "/api/v1/grants",
        headers=owner["headers"],
        json={"counsellor_id": helper["id"], "scopes": ["view", "manage"]},
    )
    assert answer.status_code == 201, answer.text
    grant_id: str = answer.json()["id"]
    return grant_id


def refused(client: TestClient, helper: dict[str, Any], document_id: str, times: int) -> None:
    for _ in range(times):
        answer = client.get(f"/api/v1/documents/{document_id}", headers=helper["headers"])
        assert answer.status_code == 404


def changed_then_flooded(
    client: TestClient, rt: Runtime, owner: dict[str, Any], attempts: int
) -> tuple[dict[str, Any], str]:
    """A counsellor changes a paper, loses the access, then keeps trying."""
    claire = counsellor(client, rt)
    document_id = upload(client, owner, pdf("carte")).json()["id"]
    grant_id = grant(client, owner, claire)
    changed = client.patch(
        f"/api/v1/documents/{document_id}", headers=claire["headers"], json={"title": "Nouveau"}
    )
    assert changed.status_code == 200, changed.text
    ended = client.delete(f"/api/v1/grants/{grant_id}", headers=owner["headers"])
    assert ended.status_code == 204
    refused(client, claire, document_id, attempts)
    return claire, document_id


def journal(client: TestClient, owner: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    answer = client.get(JOURNAL, headers=owner["headers"], params=params)
    assert answer.status_code == 200, answer.text
    lines: list[dict[str, Any]] = answer.json()
    return lines


def walk(client: TestClient, owner: dict[str, Any], limit: int, **params: Any) -> list[Any]:
    """Every page, following the cursor until a page comes back empty."""
    seen: list[dict[str, Any]] = []
    page = journal(client, owner, limit=limit, **params)
    while page:
        assert len(page) <= limit
        seen.extend(page)
        page = journal(client, owner, limit=limit, before=page[-1]["seq"], **params)
    return seen


def test_a_flood_of_refusals_does_not_hide_a_helper_change(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire, document_id = changed_then_flooded(client, rt, amina, 210)
    first_page = journal(client, amina)
    assert len(first_page) <= 50
    changes = [line for line in first_page if line["action"] == "document_changed"]
    assert [(c["actor_id"], c["document_id"], c["count"]) for c in changes] == [
        (claire["id"], document_id, 1)
    ]
    refusals = [line for line in first_page if line["action"] == "access_refused"]
    assert [(r["actor_id"], r["count"]) for r in refusals] == [(claire["id"], 210)]
    assert first_page[0] == refusals[0]


def test_paging_walks_the_whole_journal_once(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire, document_id = changed_then_flooded(client, rt, amina, 4)
    bruno = counsellor(client, rt, "bruno.petit")
    refused(client, bruno, document_id, 3)
    upload(client, amina, pdf("quittance"))
    refused(client, claire, document_id, 2)
    owner_id = client.get("/api/v1/me", headers=amina["headers"]).json()["id"]
    with transaction(rt.sessions) as db:
        # Two of Bruno's attempts were the day before: they make a line of their own.
        bruno_seqs = db.scalars(
            select(JournalEvent.seq)
            .where(JournalEvent.actor_id == bruno["id"], JournalEvent.action == "access_refused")
            .order_by(JournalEvent.seq)
            .limit(2)
        ).all()
        db.execute(
            update(JournalEvent)
            .where(JournalEvent.seq.in_(bruno_seqs))
            .values(occurred_at=datetime(2024, 3, 10, 12, tzinfo=UTC))
        )
        raw_lines = db.scalar(
            select(func.count())
            .select_from(JournalEvent)
            .where(JournalEvent.subject_id == owner_id)
        )
    everything = journal(client, amina, limit=200)
    assert sum(line["count"] for line in everything) == raw_lines
    refusals = [(r["actor_id"], r["count"]) for r in everything if r["action"] == "access_refused"]
    assert refusals == [(claire["id"], 6), (bruno["id"], 1), (bruno["id"], 2)]
    seqs = [line["seq"] for line in everything]
    assert seqs == sorted(seqs, reverse=True)
    assert len(set(seqs)) == len(seqs)
    for limit in (1, 2, 3, 7):
        assert walk(client, amina, limit) == everything, limit


def test_limit_and_cursor_are_checked(client: TestClient, amina: dict[str, Any]) -> None:
    for params in (
        {"limit": 0},
        {"limit": 201},
        {"limit": "many"},
        {"before": "abc"},
        {"before": 0},
        {"before": -3},
        {"before": "1.5"},
    ):
        answer = client.get(JOURNAL, headers=amina["headers"], params=params)
        assert answer.status_code == 422, params
        assert answer.json()["field"] in {"limit", "before"}
    assert len(journal(client, amina, limit=1)) == 1
    assert len(journal(client, amina, limit=200)) >= 1
    assert journal(client, amina, before=1) == []


@pytest.mark.parametrize("cursor", [2**63 - 1, 2**63, 10**30])
def test_a_cursor_beyond_any_line_gives_the_newest_page(
    client: TestClient, amina: dict[str, Any], cursor: int
) -> None:
    """Past what a 64-bit column holds: the API refuses the field its schema bounds, the page (a
    link changed by hand) shows the newest lines; never a 500."""
    if cursor < 2**63:
        assert journal(client, amina, before=cursor) == journal(client, amina)
    else:
        answer = client.get("/api/v1/journal", params={"before": cursor}, headers=amina["headers"])
        assert (answer.status_code, answer.json()["field"]) == (422, "before")
    page_sign_in(client, "amina.diallo")
    assert client.get("/historique", params={"avant": cursor}).status_code == 200


def test_default_page_holds_fifty_lines(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire = counsellor(client, rt)
    document_id = upload(client, amina, pdf()).json()["id"]
    grant(client, amina, claire)
    for _ in range(55):
        shown = client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"])
        assert shown.status_code == 200
    assert len(journal(client, amina)) == 50
    assert len(walk(client, amina, 50)) > 55


def test_filter_by_who_acted(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> None:
    claire, _document_id = changed_then_flooded(client, rt, amina, 3)
    amina_id = client.get("/api/v1/me", headers=amina["headers"]).json()["id"]
    by_claire = journal(client, amina, actor=claire["id"])
    assert {line["actor_id"] for line in by_claire} == {claire["id"]}
    assert (by_claire[0]["action"], by_claire[0]["count"]) == ("access_refused", 3)
    assert "document_changed" in [line["action"] for line in by_claire]
    assert walk(client, amina, 1, actor=claire["id"]) == by_claire
    by_amina = journal(client, amina, actor=amina_id)
    assert by_amina
    assert {line["actor_id"] for line in by_amina} == {amina_id}
    assert journal(client, amina, actor="no-such-person") == []


def test_days_are_counted_in_utc(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> None:
    claire, _document_id = changed_then_flooded(client, rt, amina, 4)
    with transaction(rt.sessions) as db:
        seqs = db.scalars(
            select(JournalEvent.seq)
            .where(JournalEvent.actor_id == claire["id"], JournalEvent.action == "access_refused")
            .order_by(JournalEvent.seq)
        ).all()
        # One hour apart, but on two UTC days (the same day in Paris, UTC+1 in March).
        for seq, at in zip(
            seqs,
            [datetime(2024, 3, 10, 23, 30, tzinfo=UTC)] * 2
            + [datetime(2024, 3, 11, 0, 30, tzinfo=UTC)] * 2,
            strict=True,
        ):
            db.execute(update(JournalEvent).where(JournalEvent.seq == seq).values(occurred_at=at))
    refusals = [
        (r["count"], r["occurred_at"][:10])
        for r in journal(client, amina)
        if r["action"] == "access_refused"
    ]
    assert refusals == [(2, "2024-03-11"), (2, "2024-03-10")]


def test_postgresql_sessions_use_utc(rt: Runtime) -> None:
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL has a session time zone")
    with rt.engine.connect() as connection:
        zone = connection.exec_driver_sql("SHOW timezone").scalar()
    assert str(zone).upper() == "UTC"


def older_link(text: str) -> str | None:
    match = re.search(r'href="(/historique\?avant=[^"]+)"[^>]*>[^\n]*?Voir plus ancien', text)
    return html.unescape(match.group(1)) if match else None


def test_history_page_collapses_filters_and_pages(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire = counsellor(client, rt)
    document_id = upload(client, amina, pdf()).json()["id"]
    grant_id = grant(client, amina, claire)
    for _ in range(50):
        client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"])
    client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"])
    refused(client, claire, document_id, 7)
    page_sign_in(client, "amina.diallo")

    first = client.get("/historique")
    assert first.status_code == 200
    text = html.unescape(first.text)
    assert "a essayé 7 fois d'ouvrir vos papiers, sans en avoir le droit." in text
    assert text.count("a essayé") == 1
    assert '<select id="qui" name="qui"' in text
    for choice in ("Tout le monde", "Vous", "Claire Martin"):
        assert f">{choice}</option>" in text
    assert f'value="{claire["id"]}"' in text
    assert "Afficher</button>" in text
    link = older_link(first.text)
    assert link is not None
    older = client.get(link)
    assert older.status_code == 200
    assert "Vous avez donné un accès à vos papiers." in html.unescape(older.text)
    assert "a essayé 7 fois" not in html.unescape(older.text)
    assert older_link(older.text) is None

    mine = client.get("/historique", params={"qui": claire["id"]})
    mine_text = html.unescape(mine.text)
    assert "Vous avez" not in mine_text
    assert f'<option value="{claire["id"]}" selected>' in mine_text
    filtered_link = older_link(mine.text)
    assert filtered_link is not None
    assert f"qui={claire['id']}" in filtered_link
    last = html.unescape(client.get(filtered_link).text)
    assert "Claire Martin" in last
    assert "Vous avez" not in last
