"""Expiring papers: the API's `expiry`, the person's list (expiring first, with a mark in
words), and what a counsellor sees: counts and marks for the papers their grant shows only."""

import html
import re
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.integration.accounts.test_assisted_reset import give, setup
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import as_read, page_sign_in
from tests.samples import pdf
from vault.db import transaction
from vault.models import Document, utcnow
from vault.runtime import Runtime


def in_days(days: int) -> date:
    return utcnow().date() + timedelta(days=days)


def paper(
    client: TestClient, who: dict[str, Any], title: str, days: int | None, **fields: str
) -> str:
    if days is not None:
        fields["expires_on"] = in_days(days).isoformat()
    answer = upload(client, who, pdf(title), title=title, **fields)
    assert answer.status_code == 201, answer.text
    document_id: str = answer.json()["id"]
    return document_id


def long_day(day: date) -> str:
    return format_date(day, format="long", locale="fr")


def titles_in_order(text: str) -> list[str]:
    found = re.findall(r'<span class="card-title">([^<]+)</span>', as_read(text))
    return [html.unescape(title) for title in found]


def test_the_api_says_how_each_paper_stands(client: TestClient, amina: dict[str, Any]) -> None:
    ids = {
        name: paper(client, amina, name, days)
        for name, days in (("none", None), ("soon", 20), ("expired", -3), ("later", 400))
    }
    listed = client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()
    assert {d["title"]: d["expiry"] for d in listed} == {
        "none": None,
        "soon": "soon",
        "expired": "expired",
        "later": "ok",
    }
    one = client.get(f"/api/v1/documents/{ids['later']}", headers=amina["headers"]).json()
    assert one["expiry"] == "ok"
    changed = client.patch(
        f"/api/v1/documents/{ids['later']}",
        headers=amina["headers"],
        json={"expires_on": in_days(5).isoformat()},
    )
    assert changed.json()["expiry"] == "soon"
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "expiry" in schema["DocumentOut"]["properties"]


def test_the_list_shows_expiring_papers_first_with_their_mark(
    client: TestClient, amina: dict[str, Any]
) -> None:
    ids = {
        name: paper(client, amina, name, days)
        for name, days in (("Ancien", None), ("Passeport", 20), ("Titre de séjour", -3))
    }
    paper(client, amina, "Récent", 400)
    page_sign_in(client, "amina.diallo")
    text = client.get("/papiers").text
    assert titles_in_order(text) == ["Titre de séjour", "Passeport", "Récent", "Ancien"]
    assert f"Expire bientôt : le {long_day(in_days(20))}" in text
    assert f"Expiré depuis le {long_day(in_days(-3))}" in text
    assert text.count("Expire bientôt") == 1
    assert text.count("Expiré depuis") == 1
    # The paper's own page says it too (review of the pages: only its date was there).
    own_page = client.get(f"/papiers/{ids['Titre de séjour']}").text
    assert f"Expiré depuis le {long_day(in_days(-3))}" in own_page


def test_a_counsellor_counts_only_the_papers_their_grant_shows(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    paper(client, amina, "Carte d'identité", 20, category="identity")
    paper(client, amina, "Passeport", 10, category="identity")
    paper(client, amina, "Relevé", 30, category="bank")
    paper(client, amina, "Vieux relevé", -5, category="bank")
    hidden = paper(client, amina, "Lettre", 15, category="identity")
    client.patch(f"/api/v1/documents/{hidden}", headers=amina["headers"], json={"private": True})
    binned = paper(client, amina, "Jeté", 15, category="identity")
    with transaction(rt.sessions) as db:
        db.execute(update(Document).where(Document.id == binned).values(deleted_at=utcnow()))

    grant_id = give(client, amina, claire, scopes=["view"], categories=["identity"])
    page_sign_in(client, "claire.martin")
    people = client.get("/personnes").text
    assert "2 papiers expirent bientôt" in people
    assert "a expiré" not in people
    assert "ont expiré" not in people
    person = client.get(f"/personnes/{amina['vault_id']}").text
    # The bin is listed apart (on its own page): here only its count matters.
    shown = [title for title in titles_in_order(person) if title != "Jeté"]
    assert shown == ["Passeport", "Carte d'identité"]
    assert f"Expire bientôt : le {long_day(in_days(10))}" in person
    assert "Lettre" not in person

    client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"])
    give(client, amina, claire, scopes=["view"], categories=["identity", "bank"])
    people = client.get("/personnes").text
    assert "3 papiers expirent bientôt" in people
    assert "1 papier a expiré" in people
    person = client.get(f"/personnes/{amina['vault_id']}").text
    assert titles_in_order(person)[0] == "Vieux relevé"
    assert f"Expiré depuis le {long_day(in_days(-5))}" in person


def test_without_view_a_counsellor_sees_no_count(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    paper(client, amina, "Carte d'identité", 20)
    give(client, amina, claire, scopes=["upload"])
    page_sign_in(client, "claire.martin")
    people = client.get("/personnes").text
    assert "Amina Diallo" in people
    assert "expire" not in people
