"""The account pages without a browser: CSRF everywhere, the second step for administrators,
« Mon compte » forms."""

import re

import pyotp
import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD
from tests.integration.webui.test_pages import (
    SAME_ORIGIN,
    codes_in_force_of,
    csrf_of,
    form_csrf,
    signed_up,
)
from vault.accounts import second_factor
from vault.accounts.accounts import create_person
from vault.db import transaction
from vault.runtime import Runtime
from webui import i18n
from webui.security import PLAIN_COOKIE

CODES = re.compile(r"<code>[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}</code>")
CROSS_SITE = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}


def arabic(message: str) -> str:
    """The message as the Arabic pages show it (French while the catalogue lacks it)."""
    with i18n.speaking("ar"):
        return i18n.gettext(message)


@pytest.mark.parametrize("path", ["/connexion", "/inscription", "/mot-de-passe-oublie"])
def test_anonymous_forms_need_their_token_and_our_origin(client: TestClient, path: str) -> None:
    token = form_csrf(client, path)
    fields = {"login": "a.b", "password": PASSWORD, "display_name": "A", "code": "x"}
    assert client.post(path, data=fields, headers=SAME_ORIGIN).status_code == 403
    assert (
        client.post(path, data={**fields, "csrf": "forged"}, headers=SAME_ORIGIN).status_code == 403
    )
    assert client.post(path, data={**fields, "csrf": token}, headers=CROSS_SITE).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/compte/mot-de-passe",
        "/compte/codes",
        "/compte/infos",
        "/compte/deconnecter-partout",
        "/quitter",
    ],
)
def test_account_forms_need_the_session_token(client: TestClient, path: str) -> None:
    csrf = signed_up(client)
    assert client.post(path, data={}, headers=SAME_ORIGIN).status_code == 403
    assert client.post(path, data={"csrf": csrf}, headers=CROSS_SITE).status_code == 403
    assert client.get("/papiers").status_code == 200  # still signed in


def test_account_page_changes(client: TestClient) -> None:
    csrf = signed_up(client)
    page = client.get("/compte")
    assert page.headers["cache-control"] == "no-store"
    assert "Il vous reste <strong>10</strong> codes" in page.text
    saved = client.post(
        "/compte/infos",
        data={
            "csrf": csrf,
            "preferred_language": "ar",
            "email": "fatou@example.org",
            "phone": "",
            "current_password": PASSWORD,
        },
        headers=SAME_ORIGIN,
    )
    assert '<html lang="ar" dir="rtl"' in saved.text  # the page speaks the new choice at once
    assert arabic("Vos informations sont enregistrées.") in saved.text
    assert 'value="fatou@example.org"' in saved.text
    bad = client.post(
        "/compte/mot-de-passe",
        data={"csrf": csrf, "current_password": "pas le bon", "password": "nouvelle phrase ok"},
        headers=SAME_ORIGIN,
    )
    assert bad.status_code == 422
    assert arabic("Il y a un problème") in bad.text
    assert 'href="#current_password"' in bad.text
    form = {
        "csrf": csrf,
        "current_password": PASSWORD,
        "codes_in_force": codes_in_force_of(page.text),
    }
    codes = client.post("/compte/codes", data=form, headers=SAME_ORIGIN)
    assert len(CODES.findall(codes.text)) == 10
    everywhere = client.post(
        "/compte/deconnecter-partout",
        data={"csrf": csrf, "current_password": PASSWORD},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert everywhere.headers["location"] == "/au-revoir?langue=ar"  # hers, chosen above
    assert client.get("/compte", follow_redirects=False).status_code == 303


def test_the_codes_form_sent_again_from_the_tab_changes_nothing(client: TestClient) -> None:
    """The codes are the answer to the POST, so the tab's history keeps the form (password and
    token included). Sent again (Back or Reload, « renvoyer »), it is refused: no new codes for
    whoever sits at the shared computer, and the printed ones still work."""
    csrf = signed_up(client)
    form = {
        "csrf": csrf,
        "current_password": PASSWORD,
        "codes_in_force": codes_in_force_of(client.get("/compte").text),
    }
    first = client.post("/compte/codes", data=form, headers=SAME_ORIGIN)
    printed = [code[6:-7] for code in CODES.findall(first.text)]
    assert len(printed) == 10

    again = client.post("/compte/codes", data=form, headers=SAME_ORIGIN)
    assert again.status_code == 409
    assert not CODES.findall(again.text)
    assert "Ces codes de secours ont déjà été faits." in again.text
    assert 'href="#codes-current_password"' in again.text
    assert "Il vous reste <strong>10</strong> codes" in again.text

    # The form of the page shown now makes new codes, once.
    form["codes_in_force"] = codes_in_force_of(again.text)
    assert len(CODES.findall(client.post("/compte/codes", data=form, headers=SAME_ORIGIN).text))
    assert client.post("/compte/codes", data=form, headers=SAME_ORIGIN).status_code == 409


def test_open_sessions_are_listed_once_per_device(client: TestClient) -> None:
    """An app that signs in again and again must not bury the page under identical lines."""
    signed_up(client)
    phone = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) Gecko/20100101 Firefox/133.0"}
    sign_in = {"login": "fatou.sow", "password": PASSWORD}
    for headers in ({}, {}, {}, phone):
        assert client.post("/api/v1/session", json=sign_in, headers=headers).status_code == 201

    listed = client.get("/compte").text.split('<ul class="sessions">')[1].split("</ul>")[0]

    lines = re.findall(r"<li>(.*?)</li>", listed, re.S)
    assert len(lines) == 2
    assert lines[0].startswith("Navigateur · ouvert 4 fois · dernière activité le ")
    assert lines[0].endswith("<strong>(ici)</strong>")
    assert lines[1].startswith("Firefox, Android · dernière activité le ")


def test_administrator_signs_in_in_two_steps(client: TestClient, rt: Runtime) -> None:
    secret = second_factor.new_secret()
    with transaction(rt.sessions) as db:
        admin = create_person(
            db,
            rt.master_keys,
            login="root.admin",
            display_name="A",
            password=PASSWORD,
            role="admin",
        )
        second_factor.install(db, rt.master_keys, admin, secret)
    token = form_csrf(client, "/connexion")
    step_one = client.post(
        "/connexion",
        data={"csrf": token, "login": "root.admin", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    assert "Code de vérification" in step_one.text
    assert client.get("/papiers", follow_redirects=False).status_code == 303  # not signed in yet
    token = csrf_of(step_one.text)
    wrong = client.post(
        "/connexion/code", data={"csrf": token, "code": "000000"}, headers=SAME_ORIGIN
    )
    assert "Ce code n&#39;est pas bon." in wrong.text
    right = client.post(
        "/connexion/code",
        data={"csrf": token, "code": pyotp.TOTP(secret).now()},
        headers=SAME_ORIGIN,
    )
    assert right.status_code == 200
    assert "Les clés" in right.text
    assert "Version principale : <strong>1</strong>" in right.text
    assert "Jamais vérifiés" in right.text


def test_signup_errors_use_the_error_summary(client: TestClient) -> None:
    token = form_csrf(client, "/inscription")
    empty = client.post("/inscription", data={"csrf": token, "step": "1"}, headers=SAME_ORIGIN)
    assert empty.status_code == 422
    assert "<title>Erreur : " in empty.text
    assert 'href="#display_name"' in empty.text
    weak = client.post(
        "/inscription",
        data={
            "csrf": token,
            "step": "2",
            "display_name": "Awa",
            "login": "awa.n",
            "password": "azertyuiop",
        },
        headers=SAME_ORIGIN,
    )
    assert weak.status_code == 422
    assert 'href="#password"' in weak.text
    assert "trop facile" in weak.text


def test_a_new_password_ends_the_session_it_was_typed_in_for_a_fresh_one(
    client: TestClient,
) -> None:
    """Whoever copied this tab's cookie keeps nothing once its owner changes the password from
    it: the browser gets a new session, the old token no longer opens anything."""
    csrf = signed_up(client)
    copied = client.cookies.get(PLAIN_COOKIE)
    assert copied
    changed = client.post(
        "/compte/mot-de-passe",
        data={"csrf": csrf, "current_password": PASSWORD, "password": "nouvelle phrase sûre"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert changed.status_code == 303
    fresh = client.cookies.get(PLAIN_COOKIE)
    assert fresh
    assert fresh != copied
    assert client.get("/papiers", follow_redirects=False).status_code == 200
    client.cookies.clear()
    client.cookies.set(PLAIN_COOKIE, copied)
    assert client.get("/papiers", follow_redirects=False).status_code == 303
