"""Getting back in with a counsellor, in pages: the person's page shows their login to whoever
holds a current grant (and to no one else), « Aider au mot de passe » explains the ways in and
gives them, and « J'ai oublié mon mot de passe » explains them to the person."""

import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.app_fixtures import REAUTH, admin_headers, organisation, professional, sign_up
from tests.integration.accounts.test_assisted_reset import NEW, give, setup, signed_in
from tests.integration.accounts.test_reauthentication import (
    account_page_with_code,
    counsellor_with_second_factor,
    forget_last_code,
    journal_actions,
)
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import (
    SAME_ORIGIN,
    as_read,
    csrf_of,
    form_csrf,
    page_sign_in,
)
from tests.samples import pdf
from vault.db import transaction
from vault.models import Grant, utcnow
from vault.runtime import Runtime

LOGIN_SHOWN = 'Son identifiant : <strong class="secret">amina.diallo</strong>'
# Not inside a longer token: three middle groups of a UUID in a link can be all digits.
CODE = re.compile(r"(?<![\w-])[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}(?![\w-])")


def pages_as(client: TestClient, login: str) -> None:
    client.cookies.clear()
    page_sign_in(client, login)


@pytest.mark.parametrize("scope", ["view", "upload", "manage", "recover"])
def test_any_current_grant_shows_the_login(client: TestClient, rt: Runtime, scope: str) -> None:
    amina, claire, _org = setup(client, rt)
    upload(client, amina, pdf("carte"), category="identity", title="Carte de séjour")
    give(client, amina, claire, scopes=[scope])
    pages_as(client, "claire.martin")
    person_page = client.get(f"/personnes/{amina['vault_id']}")
    assert person_page.status_code == 200
    assert LOGIN_SHOWN in person_page.text
    assert ("Carte de séjour" in person_page.text) == (scope == "view")
    assert ("Vous ne pouvez pas voir ses papiers." in person_page.text) == (scope != "view")
    help_link = f'href="/personnes/{amina["vault_id"]}/mot-de-passe"'
    assert (help_link in person_page.text) == (scope == "recover")
    assert ("Aider au mot de passe" in person_page.text) == (scope == "recover")


def test_without_a_current_grant_the_login_stays_hidden(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    admin = admin_headers(client, rt, "second.admin")
    professional(client, admin, organisation(client, admin, "Secours"), "eve.durand")
    vault_page = f"/personnes/{amina['vault_id']}"

    def refused(login: str) -> None:
        pages_as(client, login)
        for path in (vault_page, f"{vault_page}/mot-de-passe"):
            answer = client.get(path)
            assert answer.status_code == 404, (login, path)
            assert "amina.diallo" not in answer.text
        assert client.get("/personnes").status_code == 200
        assert "amina.diallo" not in client.get("/personnes").text

    refused("claire.martin")
    refused("eve.durand")
    grant_id = give(client, amina, claire, scopes=["view", "recover"])
    pages_as(client, "claire.martin")
    assert LOGIN_SHOWN in client.get(vault_page).text
    with transaction(rt.sessions) as db:
        db.execute(update(Grant).values(expires_at=utcnow() - timedelta(minutes=1)))
    refused("claire.martin")
    with transaction(rt.sessions) as db:
        db.execute(update(Grant).values(expires_at=utcnow() + timedelta(days=30)))
    client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"])
    refused("claire.martin")


def test_help_with_the_password_needs_the_recover_scope(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    give(client, amina, claire, scopes=["view", "upload", "manage"])
    pages_as(client, "claire.martin")
    help_page = f"/personnes/{amina['vault_id']}/mot-de-passe"
    assert client.get(help_page).status_code == 404
    csrf = csrf_of(client.get(f"/personnes/{amina['vault_id']}").text)
    answer = client.post(f"{help_page}/code", data={"csrf": csrf, **REAUTH}, headers=SAME_ORIGIN)
    assert answer.status_code == 404
    assert not CODE.search(answer.text)


def test_aider_au_mot_de_passe_explains_the_ways_in(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    give(client, amina, claire, scopes=["view", "recover"])
    pages_as(client, "claire.martin")
    help_page = client.get(f"/personnes/{amina['vault_id']}/mot-de-passe")
    assert help_page.status_code == 200
    text = as_read(help_page.text)
    assert "<h1>Aider Amina Diallo pour son mot de passe</h1>" in text
    assert LOGIN_SHOWN in text
    for words in (
        "Avec un de ses codes de secours",
        "Rien ne reste fermé.",
        "une pièce d'identité",
        "restent fermés 3 jours",
        "Ses papiers privés aussi.",
        "D'abord, vous écrivez votre mot de passe.",
        "Ensuite, c'est elle qui tape son nouveau mot de passe.",
        "Ce code marche 15 minutes, une seule fois.",
        "de la main à la main",
    ):
        assert words in text, words
    assert f'action="/personnes/{amina["vault_id"]}/mot-de-passe"' in text
    assert f'action="/personnes/{amina["vault_id"]}/mot-de-passe/code"' in text


def test_a_code_given_in_person_lets_the_person_choose_a_password(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    give(client, amina, claire, scopes=["view", "recover"])
    pages_as(client, "claire.martin")
    help_page = client.get(f"/personnes/{amina['vault_id']}/mot-de-passe")
    given = client.post(
        f"/personnes/{amina['vault_id']}/mot-de-passe/code",
        data={"csrf": csrf_of(help_page.text), **REAUTH},
        headers=SAME_ORIGIN,
    )
    assert given.status_code == 200
    assert given.headers["cache-control"] == "no-store"
    found = CODE.search(given.text)
    assert found
    assert LOGIN_SHOWN in given.text
    assert "« J'ai oublié mon mot de passe »" in given.text
    assert f'href="/personnes/{amina["vault_id"]}"' in given.text

    client.cookies.clear()
    token = form_csrf(client, "/mot-de-passe-oublie")
    redeemed = client.post(
        "/mot-de-passe-oublie",
        data={"csrf": token, "login": "amina.diallo", "code": found.group(0), "password": NEW},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert redeemed.headers["location"] == "/connexion?nouveau=1"
    person = signed_in(client, "amina.diallo", NEW)
    journal: list[dict[str, Any]] = client.get("/api/v1/journal", headers=person).json()
    by_claire = {e["action"] for e in journal if e["actor_id"] == claire["id"]}
    assert {"reset_code_issued", "reset_code_used", "password_changed"} <= by_claire


def test_the_code_form_sent_again_gives_no_second_code(client: TestClient, rt: Runtime) -> None:
    """The browser keeps the form that answered with a code, password included, to show the
    answer again (Back, Reload): whoever sits at Claire's computer next sends it again for
    nothing. A fresh form gives a new code."""
    amina, claire, _org = setup(client, rt)
    give(client, amina, claire, scopes=["view", "recover"])
    pages_as(client, "claire.martin")
    help_page = f"/personnes/{amina['vault_id']}/mot-de-passe"

    def ask(form_page: str) -> Any:
        form = {"csrf": csrf_of(form_page), "after": last_code_of(form_page), **REAUTH}
        return client.post(f"{help_page}/code", data=form, headers=SAME_ORIGIN)

    first_form = client.get(help_page).text
    assert CODE.search(ask(first_form).text)
    again = ask(first_form)
    assert again.status_code == 409
    assert not CODE.search(again.text)
    assert "Ce code a déjà été donné." in as_read(again.text)
    assert CODE.search(ask(client.get(help_page).text).text)
    journal = client.get("/api/v1/journal", headers=amina["headers"]).json()
    assert [e["action"] for e in journal].count("reset_code_issued") == 2


def last_code_of(form_page: str) -> str:
    """What the code's form carries: the last code given when it was shown."""
    kept = re.search(r'name="after" value="([^"]*)"', form_page)
    assert kept
    return kept.group(1)


def test_the_code_form_sent_again_with_the_apps_code_is_no_wrong_guess(
    client: TestClient, rt: Runtime
) -> None:
    """The app's code in a form sent again has been used: the form is refused as sent again,
    before the password and the code are looked at, so it counts no failed attempt."""
    amina = sign_up(client, "amina.diallo")
    headers, secret = counsellor_with_second_factor(client, rt)
    give(client, amina, client.get("/api/v1/me", headers=headers).json(), scopes=["recover"])
    account_page_with_code(client, rt, secret)
    help_page = f"/personnes/{amina['vault_id']}/mot-de-passe"
    form_page = client.get(help_page).text
    forget_last_code(rt, "c.martin")
    form = {
        "csrf": csrf_of(form_page),
        "after": last_code_of(form_page),
        "totp": pyotp.TOTP(secret).now(),
        **REAUTH,
    }
    assert CODE.search(client.post(f"{help_page}/code", data=form, headers=SAME_ORIGIN).text)
    again = client.post(f"{help_page}/code", data=form, headers=SAME_ORIGIN)
    assert again.status_code == 409
    assert 'href="#code-current_password"' in again.text
    assert "reauthentication_failed" not in journal_actions(client, headers)


def test_the_forgotten_password_page_explains_both_ways(client: TestClient, rt: Runtime) -> None:
    rt.settings.assisted_reset_hold_hours = 36
    text = client.get("/mot-de-passe-oublie").text
    for words in (
        "Avec un code de secours",
        "Vous avez reçu dix codes de secours",
        "Avec votre conseiller",
        "le droit de vous aider pour le mot de passe",
        "Prenez une pièce d'identité",
        "Vous tapez votre nouveau mot de passe sur son écran, avec elle.",
        "Elle ne peut pas ouvrir vos papiers privés.",
        "restent fermés 36 heures",
        "avec un de vos codes de secours, vous les ouvrez tout de suite",
        "J'ai oublié mon identifiant",
        "Il est écrit sur votre papier de codes de secours.",
        "la personne qui vous aide peut vous le dire",
    ):
        assert words in text, words
    assert 'action="/mot-de-passe-oublie"' in text
