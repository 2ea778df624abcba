"""The office's side of a link with a code, and what its owner reads: nothing about the paper
shows before the right code, and every opening of the copy is in the owner's history, naming
whom the link was made for."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import admin_headers, organisation, professional
from tests.integration.consent.test_grants import grant
from tests.integration.shares.helpers import SAME_ORIGIN, download, make_share, token_of, visitor
from tests.integration.shares.test_shares_api import paper
from tests.integration.webui.test_forms_keep_values import page_sign_in
from tests.integration.webui.test_pages import as_read
from vault.db import transaction
from vault.documents import shares
from vault.documents.bin import erase_expired
from vault.documents.service import purge_objects
from vault.models import JournalEvent, Share, utcnow
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys

CODE = "soleil-42"
# What the page must not show before the right code: the paper's title, who sends it, until
# when, and the download.
ABOUT_THE_PAPER = (
    "Carte d&#39;identité",
    "Amina Diallo",
    "Claire Martin",
    "CCAS",
    "Télécharger la copie",
)


def post_code(client: TestClient, token: str, code: str) -> Any:
    client.cookies.set("coffre_form", "form-token", domain="coffre.test")
    return client.post(
        f"/s/{token}", data={"csrf": "form-token", "code": code}, headers=SAME_ORIGIN
    )


def shows_nothing_about_the_paper(html: str) -> None:
    for words in ABOUT_THE_PAPER:
        assert words not in html, words
    assert "Le lien marche jusqu" not in html
    assert 'name="code"' in html


def test_the_code_comes_before_anything_about_the_paper(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    document_id = paper(client, amina)
    grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    token = token_of(make_share(client, claire, document_id, code=CODE))
    office = visitor(client)

    asked = office.get(f"/s/{token}")
    assert asked.status_code == 200
    shows_nothing_about_the_paper(asked.text)
    wrong = post_code(office, token, "mauvais")
    assert wrong.status_code == 422
    shows_nothing_about_the_paper(wrong.text)
    assert 'href="#code"' in wrong.text
    refused_download = download(office, token, "mauvais")
    assert refused_download.status_code == 422
    shows_nothing_about_the_paper(refused_download.text)

    opened = post_code(office, token, CODE)
    assert opened.status_code == 200
    assert "Carte d&#39;identité" in opened.text
    assert "Amina Diallo, avec Claire Martin (CCAS d&#39;Orléans)" in as_read(opened.text)
    assert "Le lien marche jusqu'au" in opened.text
    # The download form carries the code typed once: the office does not type it again.
    assert f'action="/s/{token}/copie"' in opened.text
    assert f'name="code" value="{CODE}"' in opened.text
    assert download(office, token, CODE).status_code == 200


def test_a_throttled_code_shows_nothing_either(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    # A wait that outlasts a slow machine's requests: 1 s (the default) ended between two.
    rt.settings.throttle_base_delay_seconds = 60
    token = token_of(make_share(client, amina, paper(client, amina), code=CODE))
    office = visitor(client)
    statuses = [post_code(office, token, f"mauvais {n}").status_code for n in range(7)]
    assert statuses[-1] == 429
    throttled = post_code(office, token, CODE)
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"]
    shows_nothing_about_the_paper(throttled.text)


def history_of(client: TestClient) -> str:
    return as_read(client.get("/historique").text)


def test_every_opening_is_in_the_owners_history_naming_the_recipient(
    client: TestClient, rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = paper(client, amina)
    created = make_share(client, amina, document_id, recipient="CAF du Loiret")
    token, share_id = token_of(created), created.json()["id"]
    office = visitor(client)
    # The page once per visit: a reload within a minute is the same visit.
    assert office.get(f"/s/{token}").status_code == 200
    assert office.get(f"/s/{token}").status_code == 200
    # Every download.
    assert download(office, token).status_code == 200
    assert download(office, token).status_code == 200
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(shares, "utcnow", lambda: later)
    assert office.get(f"/s/{token}").status_code == 200
    monkeypatch.undo()

    with transaction(rt.sessions) as db:
        lines = db.scalars(
            select(JournalEvent)
            .where(JournalEvent.action.in_(("share_viewed", "share_opened")))
            .order_by(JournalEvent.seq)
        ).all()
    assert [line.action for line in lines] == [
        "share_viewed",
        *["share_opened"] * 2,
        "share_viewed",
    ]
    assert {(line.subject_id, line.actor_id, line.target_id) for line in lines} == {
        (amina["user"]["id"], None, share_id)
    }
    journal = client.get("/api/v1/journal", headers=amina["headers"]).json()
    opened = [line for line in journal if line["action"] in ("share_viewed", "share_opened")]
    assert {line["document_id"] for line in opened} == {document_id}

    page_sign_in(client, "amina.diallo")
    history = history_of(client)
    assert (
        history.count("CAF du Loiret a ouvert le lien vers la copie de « Carte d&#39;identité ».")
        == 2
    )
    assert history.count("CAF du Loiret a téléchargé la copie de « Carte d&#39;identité ».") == 2
    with transaction(rt.sessions) as db:
        assert db.get_one(Share, share_id).downloads == 2


def test_a_link_with_a_code_is_opened_when_the_right_code_is_given(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    token = token_of(make_share(client, amina, paper(client, amina), code=CODE))
    office = visitor(client)
    office.get(f"/s/{token}")
    post_code(office, token, "mauvais")
    post_code(office, token, CODE)
    with transaction(rt.sessions) as db:
        actions = list(
            db.scalars(
                select(JournalEvent.action)
                .where(JournalEvent.action.like("share_%"))
                .order_by(JournalEvent.seq)
            )
        )
    assert actions == ["share_created", "share_code_failed", "share_viewed"]


def test_the_line_stays_when_the_paper_and_its_links_are_erased(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina)
    token = token_of(make_share(client, amina, document_id))
    assert download(visitor(client), token).status_code == 200
    client.delete(f"/api/v1/documents/{document_id}", headers=amina["headers"])
    with transaction(rt.sessions) as db:
        names = erase_expired(db, rt, utcnow() + timedelta(days=rt.settings.bin_days + 1))
    purge_objects(rt.store, names)
    page_sign_in(client, "amina.diallo")
    assert "La copie envoyée de un papier a été téléchargée avec le lien." in history_of(client)
