"""« Les personnes » for a counsellor who follows hundreds of people, or thousands through an
organisation-wide grant: the page and the API read the same few rows whatever the number of
people, a search box finds someone by name or login, and pages of 50 show first the people
whose papers need attention."""

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from tests.app_fixtures import PASSWORD, sign_up
from tests.integration.consent.test_history_paging import counsellor, grant
from tests.integration.vault.test_documents_api import upload
from tests.integration.vault.test_round_trips import statements
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, csrf_of, page_sign_in
from tests.samples import pdf
from vault.accounts import sessions
from vault.db import transaction
from vault.documents.reminders import BANNER
from vault.models import (
    Document,
    Grant,
    GrantScope,
    Person,
    Reminder,
    UserKey,
    Vault,
    new_id,
    utcnow,
)
from vault.runtime import Runtime
from vault.vocabulary import Consent, GrantStatus, Role, Scope

MANY = 1500


@pytest.fixture(autouse=True)
def seen_just_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request comes moments after the one before, however slow the test machine."""
    monkeypatch.setattr(sessions, "SEEN_EVERY", timedelta(hours=1))


def granted_by(rt: Runtime, counsellor_id: str, names: list[str]) -> None:
    """People who each gave the counsellor every scope, written as rows in a few statements:
    listing them reads no key, so none is made (making 1,500 accounts one by one would take
    minutes)."""
    people: list[dict[str, object]] = []
    vaults: list[dict[str, object]] = []
    grants: list[dict[str, object]] = []
    scopes: list[dict[str, object]] = []
    now = utcnow()
    for number, name in enumerate(names):
        person_id, vault_id, grant_id = new_id(), new_id(), new_id()
        people.append(
            {
                "id": person_id,
                "login": f"{person_id[:8]}.{number}",
                "display_name": name,
                "role": Role.BENEFICIARY,
                "password_hash": "!",
            }
        )
        vaults.append({"id": vault_id, "owner_id": person_id})
        grants.append(
            {
                "id": grant_id,
                "vault_id": vault_id,
                "counsellor_id": counsellor_id,
                "status": GrantStatus.ACTIVE,
                "consent": Consent.IN_PERSON,
                "expires_at": now + timedelta(days=300),
                "last_used_at": now,
            }
        )
        scopes.extend({"grant_id": grant_id, "scope": scope} for scope in Scope)
    with transaction(rt.sessions) as db:
        db.execute(insert(Person), people)
        db.execute(insert(Vault), vaults)
        db.execute(insert(Grant), grants)
        db.execute(insert(GrantScope), scopes)


def numbered(count: int, start: int = 0) -> list[str]:
    return [f"Personne {n:04d}" for n in range(start, start + count)]


def statements_of(client: TestClient, rt: Runtime, url: str, **kwargs: Any) -> int:
    with statements(rt) as seen:
        answer = client.get(url, **kwargs)
    assert answer.status_code == 200, answer.text
    return len(seen)


def test_the_people_page_and_the_api_read_as_many_rows_for_3_people_as_for_1500(
    client: TestClient, rt: Runtime
) -> None:
    claire = counsellor(client, rt)
    granted_by(rt, claire["id"], numbered(3))
    page_sign_in(client, "claire.martin")
    client.get("/personnes")  # the banners and the session, seen once
    few_page = statements_of(client, rt, "/personnes")
    few_api = statements_of(client, rt, "/api/v1/beneficiaries", headers=claire["headers"])

    granted_by(rt, claire["id"], numbered(MANY - 3, start=3))
    many_page = statements_of(client, rt, "/personnes")
    many_api = statements_of(client, rt, "/api/v1/beneficiaries", headers=claire["headers"])

    assert (many_page, many_api) == (few_page, few_api)
    # The session and the caller; the grants, their scopes, their categories; the people;
    # the page only: the grants, scopes and categories that judge what each grant shows, the
    # papers that need attention, the waiting banners.
    assert many_api <= 6
    assert many_page <= 11


def papers_expiring_for(rt: Runtime, counsellor_id: str, count: int) -> None:
    """`count` more of the counsellor's people each with a paper expiring in 10 days, whose
    reminder waits for the counsellor as a banner (the daily job's work, written as rows)."""
    with transaction(rt.sessions) as db:
        vaults = db.execute(
            select(Vault.id, Vault.owner_id)
            .join(Grant, Grant.vault_id == Vault.id)
            .where(
                Grant.counsellor_id == counsellor_id,
                Vault.id.not_in(select(Document.vault_id)),
            )
            .limit(count)
        ).all()
        keys = [{"id": new_id(), "person_id": owner, "version": 1} for _, owner in vaults]
        papers = [
            {
                "id": new_id(),
                "vault_id": vault_id,
                "user_key_id": key["id"],
                "title_sealed": b"\0",
                "category": "identity",
                "content_type": "application/pdf",
                "size": 1,
                "expires_on": (utcnow() + timedelta(days=10)).date(),
                "uploaded_by": owner,
            }
            for (vault_id, owner), key in zip(vaults, keys, strict=True)
        ]
        banners = [
            {"document_id": paper["id"], "person_id": counsellor_id, "threshold_days": 30}
            for paper in papers
        ]
        db.execute(insert(UserKey), keys)
        db.execute(insert(Document), papers)
        db.execute(insert(Reminder).values(channel=BANNER), banners)


def test_the_waiting_banners_are_read_in_as_many_statements_for_2_as_for_40(
    client: TestClient, rt: Runtime
) -> None:
    """The daily job leaves a banner for each paper of each person about to expire: with
    hundreds of people, dozens a day."""
    claire = counsellor(client, rt)
    granted_by(rt, claire["id"], numbered(60))
    page_sign_in(client, "claire.martin")
    client.get("/personnes")
    papers_expiring_for(rt, claire["id"], 2)
    few = statements_of(client, rt, "/personnes")
    papers_expiring_for(rt, claire["id"], 40)
    many = statements_of(client, rt, "/personnes")
    assert many == few


JEAN_PIERRE = "Jean-Pierre N\u2019Diaye"  # typed with a curly apostrophe
PEOPLE = [
    "Hélène Dubois",
    "Helena Costa",
    "Amina Diallo",
    JEAN_PIERRE,
    "مُحَمَّد أَحْمَد",
    "فاطمة الزهراء",
    "Ирина Петрова",
]


def names_on(text: str) -> list[str]:
    """The people the page shows, in its order."""
    titles = re.findall(r'<span class="card-title">(.*?)</span>', as_read(text), re.S)
    return [html.unescape(title) for title in titles]


def searched(client: TestClient, search: str) -> str:
    answer = client.get("/personnes", params={"q": search})
    assert answer.status_code == 200, answer.text
    return answer.text


@pytest.fixture
def claire_with_people(client: TestClient, rt: Runtime) -> dict[str, Any]:
    claire = counsellor(client, rt)
    granted_by(rt, claire["id"], PEOPLE)
    page_sign_in(client, "claire.martin")
    return claire


@pytest.mark.usefixtures("claire_with_people")
@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("helene", ["Hélène Dubois"]),
        ("HÉLÈNE", ["Hélène Dubois"]),
        ("  dubois   hélène ", ["Hélène Dubois"]),
        ("hel", ["Helena Costa", "Hélène Dubois"]),
        ("jean pierre", [JEAN_PIERRE]),
        ("n'diaye", [JEAN_PIERRE]),
        ("ndiaye", [JEAN_PIERRE]),
        ("احمد", ["مُحَمَّد أَحْمَد"]),  # without its vowel marks nor its hamza
        ("محمد", ["مُحَمَّد أَحْمَد"]),
        ("فاطمه", ["فاطمة الزهراء"]),  # ta marbuta typed as ha
        ("irina", ["Ирина Петрова"]),
        ("Ирина", ["Ирина Петрова"]),
    ],
)
def test_the_search_finds_people_by_name_whatever_the_case_accents_and_marks(
    client: TestClient, search: str, found: list[str]
) -> None:
    assert names_on(searched(client, search)) == found


def test_the_search_finds_people_by_login(
    client: TestClient, rt: Runtime, claire_with_people: dict[str, Any]
) -> None:
    people = client.get("/api/v1/beneficiaries", headers=claire_with_people["headers"]).json()
    amina = next(p for p in people if p["display_name"] == "Amina Diallo")
    assert names_on(searched(client, amina["login"].upper())) == ["Amina Diallo"]


@pytest.mark.usefixtures("claire_with_people")
def test_the_search_box_is_a_plain_form_that_keeps_what_was_typed(client: TestClient) -> None:
    text = searched(client, "hélène <b>")
    form = re.search(r'<form[^>]*role="search"[^>]*>.*?</form>', text, re.S)
    assert form, "no search form"
    assert 'method="post"' in form.group(0)
    assert 'action="/personnes/chercher"' in form.group(0)
    assert re.search(r'<label for="q">[^<]+</label>', form.group(0))
    assert 'name="q" type="search"' in form.group(0)
    assert 'value="hélène &lt;b&gt;"' in form.group(0)
    assert "<b>" not in text


@pytest.mark.usefixtures("claire_with_people")
def test_a_search_that_finds_no_one_says_so_and_leads_back_to_everyone(
    client: TestClient,
) -> None:
    text = searched(client, "zoé")
    assert names_on(text) == []
    assert "Aucune personne ne correspond." in text
    assert '<a href="/personnes">Voir toutes les personnes</a>' in text
    assert "Personne ne vous a encore donné accès" not in text
    assert len(names_on(searched(client, ""))) == len(PEOPLE)


def page_links(text: str) -> dict[str, str]:
    """The page's « Page précédente » and « Page suivante » links, by their words."""
    links = re.findall(
        r'<a href="([^"]+)"[^>]*>(?:(?!</a>).)*?(Page (?:suivante|précédente))', text, re.S
    )
    return {words: html.unescape(href) for href, words in links}


def shown(client: TestClient, **params: str) -> str:
    answer = client.get("/personnes", params=params)
    assert answer.status_code == 200, answer.text
    return answer.text


@pytest.fixture
def claire_with_120(client: TestClient, rt: Runtime) -> dict[str, Any]:
    claire = counsellor(client, rt)
    granted_by(rt, claire["id"], numbered(120))
    page_sign_in(client, "claire.martin")
    return claire


@pytest.mark.usefixtures("claire_with_120")
def test_the_page_shows_50_people_at_a_time_with_links_to_the_next_and_previous(
    client: TestClient,
) -> None:
    first = shown(client)
    assert names_on(first) == numbered(50)
    assert page_links(first) == {"Page suivante": "/personnes?page=2"}
    assert "Page 1 sur 3" in first

    second = shown(client, page="2")
    assert names_on(second) == numbered(50, start=50)
    assert page_links(second) == {
        "Page précédente": "/personnes?page=1",
        "Page suivante": "/personnes?page=3",
    }

    third = shown(client, page="3")
    assert names_on(third) == numbered(20, start=100)
    assert page_links(third) == {"Page précédente": "/personnes?page=2"}


@pytest.mark.usefixtures("claire_with_120")
@pytest.mark.parametrize(
    ("asked", "start"),
    [
        ("99", 100),
        ("99999999999999999999999999", 100),
        ("0", 0),
        ("-1", 0),
        ("deux", 0),
        ("", 0),
        ("2.5", 0),
        ("٢", 50),  # ٢, as an Arabic keyboard types 2
    ],
)
def test_a_page_number_out_of_range_or_not_a_number_shows_the_nearest_page(
    client: TestClient, asked: str, start: int
) -> None:
    assert names_on(shown(client, page=asked))[0] == f"Personne {start:04d}"


def search_by_the_form(client: TestClient, words: str) -> Any:
    """« Chercher », as the page sends it: the answer is the list's address, words sealed."""
    csrf = csrf_of(client.get("/personnes").text)
    return client.post(
        "/personnes/chercher",
        data={"csrf": csrf, "q": words},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )


def test_the_links_between_pages_keep_the_search(client: TestClient, rt: Runtime) -> None:
    claire = counsellor(client, rt)
    granted_by(rt, claire["id"], [f"Martin {n:03d}" for n in range(60)])
    granted_by(rt, claire["id"], [f"Dupont {n:03d}" for n in range(60)])
    page_sign_in(client, "claire.martin")
    sent = search_by_the_form(client, "martin")
    assert sent.status_code == 303
    first = client.get(sent.headers["location"]).text
    assert names_on(first) == [f"Martin {n:03d}" for n in range(50)]
    following = page_links(first)["Page suivante"]
    assert following.startswith("/personnes?recherche=")
    assert following.endswith("&page=2")
    second = client.get(following).text
    assert names_on(second) == [f"Martin {n:03d}" for n in range(50, 60)]
    assert client.get(page_links(second)["Page précédente"]).text.count("Martin 0") == 50
    assert 'value="martin"' in second


def test_a_search_leaves_no_name_in_the_address(client: TestClient, rt: Runtime) -> None:
    """The browser's history keeps addresses; a search's address tells nobody whom it was for,
    and reads back in this session only."""
    claire = counsellor(client, rt)
    granted_by(rt, claire["id"], ["Hélène Dubois", *numbered(3)])
    page_sign_in(client, "claire.martin")
    sent = search_by_the_form(client, "Hélène Dubois")
    address = sent.headers["location"]
    assert "Dubois" not in unquote(address)
    assert "Hélène" not in unquote(address)
    assert names_on(client.get(address).text) == ["Hélène Dubois"]
    altered = address.replace("recherche=", "recherche=A")
    assert len(names_on(client.get(altered).text)) == 4

    page_sign_in(client, "claire.martin")  # another session, as the next day
    assert len(names_on(client.get(address).text)) == 4
    nothing = search_by_the_form(client, "   ")
    assert nothing.headers["location"] == "/personnes"


def test_people_whose_papers_need_attention_come_first(client: TestClient, rt: Runtime) -> None:
    claire = counsellor(client, rt)
    granted_by(rt, claire["id"], numbered(60))
    for login, name in (("zoe.zeller", "Zoé Zeller"), ("yann.ygrec", "Yann Ygrec")):
        person = sign_up(client, login, name)
        grant(client, person, claire)
    soon = (utcnow() + timedelta(days=5)).date().isoformat()
    zoe = client.post("/api/v1/session", json={"login": "zoe.zeller", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {zoe.json()['token']}"}
    added = upload(client, {"headers": headers}, pdf("titre"), expires_on=soon)
    assert added.status_code == 201, added.text
    page_sign_in(client, "claire.martin")

    first = shown(client)
    assert names_on(first)[:2] == ["Zoé Zeller", "Personne 0000"]
    assert "1 papier expire bientôt" in first
    assert "Yann Ygrec" in names_on(shown(client, page="2"))


def test_the_api_still_lists_everyone_by_name_without_parameters(
    client: TestClient, claire_with_people: dict[str, Any]
) -> None:
    answer = client.get("/api/v1/beneficiaries", headers=claire_with_people["headers"])
    assert answer.status_code == 200, answer.text
    people = answer.json()
    assert isinstance(people, list)
    assert len(people) == len(PEOPLE)
    assert set(people[0]) == {
        "vault_id",
        "person_id",
        "display_name",
        "login",
        "scopes",
        "categories",
        "expires_at",
    }
    assert people[0]["display_name"] == "Amina Diallo"
    assert answer.headers["x-total-count"] == str(len(PEOPLE))


def test_the_api_finds_people_with_q_and_pages_with_limit_and_offset(
    client: TestClient, claire_with_people: dict[str, Any]
) -> None:
    def listed(**params: str) -> tuple[list[str], str]:
        answer = client.get(
            "/api/v1/beneficiaries", headers=claire_with_people["headers"], params=params
        )
        assert answer.status_code == 200, answer.text
        return [p["display_name"] for p in answer.json()], answer.headers["x-total-count"]

    everyone, _ = listed()
    assert listed(q="helene") == (["Hélène Dubois"], "1")
    assert listed(q="hel", limit="1") == (["Helena Costa"], "2")
    assert listed(q="hel", limit="1", offset="1") == (["Hélène Dubois"], "2")
    assert listed(limit="2", offset="1") == (everyone[1:3], str(len(PEOPLE)))
    assert listed(offset="50") == ([], str(len(PEOPLE)))
    assert listed(q="zoé") == ([], "0")


@pytest.mark.usefixtures("claire_with_people")
@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "501"}, {"offset": "-1"}])
def test_the_api_refuses_a_limit_or_offset_out_of_bounds(
    client: TestClient, claire_with_people: dict[str, Any], params: dict[str, str]
) -> None:
    answer = client.get(
        "/api/v1/beneficiaries", headers=claire_with_people["headers"], params=params
    )
    assert answer.status_code == 422
    assert answer.json()["field"] in params
