"""Sending a copy with the pages, without JavaScript; the history in plain words; and the
download limit and the link's end held when many offices click at once."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.integration.shares.helpers import SAME_ORIGIN, download, make_share, token_of
from tests.integration.shares.test_shares_api import paper
from tests.integration.webui.shown_form import shown
from tests.integration.webui.test_forms_keep_values import page_sign_in
from tests.integration.webui.test_pages import as_read, csrf_of
from tests.samples import pdf
from vault.audit import journal
from vault.db import transaction
from vault.models import JournalEvent, Share, utcnow
from vault.runtime import Runtime


def link_in(html: str) -> str:
    match = re.search(r'id="link" class="share-link" type="text" readonly value="([^"]+)"', html)
    assert match, "no link on the page"
    return match.group(1)


def test_send_a_copy_see_it_listed_and_stop_it(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina, pdf("page"))
    csrf = page_sign_in(client, "amina.diallo")
    sheet = client.get(f"/papiers/{document_id}")
    assert f'href="/papiers/{document_id}/envoyer"' in sheet.text
    form = client.get(f"/papiers/{document_id}/envoyer")
    assert form.status_code == 200
    assert "Le service verra une copie marquée, pas votre papier." in form.text

    made = client.post(
        f"/papiers/{document_id}/envoyer",
        data={
            "csrf": csrf,
            "recipient": "Préfecture du Loiret",
            "purpose": "Titre de séjour",
            "hours": "24",
            "downloads": "2",
        },
        headers=SAME_ORIGIN,
    )
    assert made.status_code == 200, made.text
    url = link_in(made.text)
    assert url.startswith("http://coffre.test/s/")
    token = url.rsplit("/", 1)[1]

    listed = client.get(f"/papiers/{document_id}/liens")
    assert "Pour Préfecture du Loiret" in as_read(listed.text)
    assert token not in listed.text  # shown once, never again
    [share_id] = re.findall(r'action="/liens/([^/]+)/arreter"', listed.text)

    office = TestClient(client.app, base_url="http://coffre.test")
    assert office.get(f"/s/{token}").status_code == 200
    assert download(office, token).status_code == 200

    stopped = client.post(f"/liens/{share_id}/arreter", data={"csrf": csrf}, headers=SAME_ORIGIN)
    assert stopped.status_code == 200  # followed to the list
    assert "Le lien est arrêté. Il ne marche plus." in stopped.text
    assert office.get(f"/s/{token}").status_code == 410

    history = as_read(client.get("/historique").text)
    assert "Vous avez envoyé une copie marquée de « Carte d&#39;identité »." in history
    assert "Préfecture du Loiret a ouvert le lien vers la copie de « Carte d&#39;identité »." in (
        history
    )
    assert "Préfecture du Loiret a téléchargé la copie de « Carte d&#39;identité »." in history
    assert "Vous avez arrêté un lien vers la copie de « Carte d&#39;identité »." in history


def test_a_wrong_field_shows_the_form_again_with_its_error(
    client: TestClient, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina)
    csrf = page_sign_in(client, "amina.diallo")
    answer = client.post(
        f"/papiers/{document_id}/envoyer",
        data={"csrf": csrf, "recipient": "", "purpose": "RSA", "hours": "24", "downloads": ""},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 422
    assert 'href="#recipient"' in answer.text
    assert 'id="recipient-error"' in answer.text
    assert 'value="RSA"' in answer.text


@pytest.mark.parametrize("field", ["hours", "downloads"])
@pytest.mark.parametrize("number", ["²", "2²", "½"])
def test_a_number_not_in_digits_is_refused_with_the_form_again(
    client: TestClient, rt: Runtime, amina: dict[str, Any], field: str, number: str
) -> None:
    """Python calls « ² » a digit, yet it is no number: the form comes back with what was typed,
    and no link is made."""
    document_id = paper(client, amina)
    csrf = page_sign_in(client, "amina.diallo")
    values = {"recipient": "CAF", "purpose": "RSA", "hours": "24", "downloads": "", field: number}
    answer = client.post(
        f"/papiers/{document_id}/envoyer", data={"csrf": csrf, **values}, headers=SAME_ORIGIN
    )
    assert answer.status_code == 422
    assert "Écrivez un nombre." in answer.text
    assert f'href="#{field}"' in answer.text
    if field == "downloads":
        assert shown(answer.text).values["downloads"] == number
    with transaction(rt.sessions) as db:
        assert db.scalars(select(Share)).all() == []


def test_downloads_typed_in_arabic_digits_are_read(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """An Arabic keyboard types « ٣ » for 3: the same number."""
    document_id = paper(client, amina)
    csrf = page_sign_in(client, "amina.diallo")
    values = {"recipient": "CAF", "purpose": "RSA", "hours": "24", "downloads": "٣"}
    answer = client.post(
        f"/papiers/{document_id}/envoyer", data={"csrf": csrf, **values}, headers=SAME_ORIGIN
    )
    assert answer.status_code == 200
    with transaction(rt.sessions) as db:
        assert db.scalars(select(Share.max_downloads)).one() == 3


def test_sending_someone_elses_paper_is_one_refused_attempt(
    client: TestClient, rt: Runtime, amina: dict[str, Any], bruno: dict[str, Any]
) -> None:
    """Refused as a look at the paper would be: 404, and one line in its owner's history."""
    document_id = paper(client, bruno)
    csrf = page_sign_in(client, "amina.diallo")
    answer = client.post(
        f"/papiers/{document_id}/envoyer",
        data={"csrf": csrf, "recipient": "CAF", "purpose": "RSA", "hours": "24"},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 404
    with transaction(rt.sessions) as db:
        refusals = db.scalars(
            select(JournalEvent).where(
                JournalEvent.action == journal.ACCESS_REFUSED,
                JournalEvent.target_id == document_id,
            )
        ).all()
    assert len(refusals) == 1


def test_the_office_page_speaks_the_visitors_language(
    client: TestClient, amina: dict[str, Any]
) -> None:
    token = token_of(make_share(client, amina, paper(client, amina)))
    client.cookies.clear()
    english = client.get(f"/s/{token}", headers={"Accept-Language": "en"})
    assert '<html lang="en"' in english.text
    gone = client.get("/s/unknown", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl"' in gone.text
    assert gone.status_code == 410


def test_the_right_code_opens_the_download(client: TestClient, amina: dict[str, Any]) -> None:
    token = token_of(make_share(client, amina, paper(client, amina), code="soleil-42"))
    client.cookies.clear()
    client.cookies.set("coffre_form", "form-token", domain="coffre.test")
    asked = client.post(
        f"/s/{token}", data={"csrf": "form-token", "code": "soleil-42"}, headers=SAME_ORIGIN
    )
    assert asked.status_code == 200
    assert f'action="/s/{token}/copie"' in asked.text
    assert csrf_of(asked.text) == "form-token"
    assert download(client, token, "soleil-42").status_code == 200


def test_concurrent_downloads_never_pass_the_limit(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    token = token_of(make_share(client, amina, paper(client, amina), max_downloads=3))
    client.cookies.clear()

    def one_office(_: int) -> int:
        status: int = download(client, token).status_code
        return status

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(one_office, range(10)))
    assert sorted(statuses) == [200] * 3 + [410] * 7
    with transaction(rt.sessions) as db:
        assert db.scalars(select(Share.downloads)).one() == 3


@pytest.mark.alone
def test_concurrent_downloads_around_the_end_never_pass_it(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """Ten offices click within three seconds around the link's end: a download asked at or after
    `expires_at` is refused, one answered before it is served, and the count and the journal
    hold exactly the downloads served."""
    created = make_share(client, amina, paper(client, amina))
    token, share_id = token_of(created), created.json()["id"]
    # Room before the end for the first downloads to be served even on a loaded machine.
    end = utcnow() + timedelta(seconds=3)
    with transaction(rt.sessions) as db:
        db.execute(update(Share).where(Share.id == share_id).values(expires_at=end))
    client.cookies.clear()

    def one_office(offset: float) -> tuple[datetime, int, datetime]:
        time.sleep(max(0.0, (end - utcnow()).total_seconds() + offset))
        asked = utcnow()
        status: int = download(client, token).status_code
        return asked, status, utcnow()

    offsets = [-2.5, -2.0, -0.3, -0.15, -0.05, 0.0, 0.05, 0.15, 0.3, 0.45]
    with ThreadPoolExecutor(max_workers=len(offsets)) as pool:
        answers = list(pool.map(one_office, offsets))
    for asked, status, answered in answers:
        assert status in (200, 410)
        if asked >= end:
            assert status == 410, (asked, end)
        if answered < end:
            assert status == 200, (answered, end)
    served = sum(status == 200 for _asked, status, _answered in answers)
    assert 0 < served < len(offsets)
    with transaction(rt.sessions) as db:
        assert db.get_one(Share, share_id).downloads == served
        opened = db.scalars(
            select(JournalEvent).where(
                JournalEvent.action == "share_opened", JournalEvent.target_id == share_id
            )
        ).all()
        assert len(opened) == served
