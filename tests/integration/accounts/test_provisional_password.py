"""A professional's account made by an admin has the password that admin chose. Until its owner
chooses their own, the account does nothing else: otherwise the admin, who knows it, could sign
in as them and reach what people gave them personally."""

import html
import time
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, REAUTH, admin_headers, organisation, sign_up
from tests.integration.consent.test_grants import grant
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, csrf_of, page_sign_in
from vault.accounts import second_factor
from vault.accounts.accounts import create_person, reset_at_the_console
from vault.db import transaction
from vault.runtime import Runtime
from vault.vocabulary import Role

GIVEN = "mot de passe donné par nadia"
CHOSEN = "mon propre mot de passe 2026"
FIRST = "/compte/premier-mot-de-passe"


def made_by_an_admin(client: TestClient, rt: Runtime) -> dict[str, Any]:
    admin = admin_headers(client, rt)
    ccas = organisation(client, admin)
    created = client.post(
        f"/api/v1/organisations/{ccas}/counsellors",
        headers=admin,
        json={
            "login": "claire.martin",
            "display_name": "Claire Martin",
            "password": GIVEN,
            **REAUTH,
        },
    )
    assert created.status_code == 201, created.text
    session = client.post("/api/v1/session", json={"login": "claire.martin", "password": GIVEN})
    assert session.status_code == 201, session.text
    return {
        "id": created.json()["id"],
        "headers": {"Authorization": f"Bearer {session.json()['token']}"},
    }


def test_the_api_asks_for_an_own_password_first(client: TestClient, rt: Runtime) -> None:
    claire = made_by_an_admin(client, rt)
    amina = sign_up(client, "amina.diallo")
    grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    headers = claire["headers"]

    for method, path in (
        ("GET", "/api/v1/beneficiaries"),
        ("GET", "/api/v1/grants"),
        ("GET", "/api/v1/journal"),
        ("POST", "/api/v1/me/recovery-codes"),
    ):
        refused = client.request(method, path, headers=headers, json={})
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["detail"] == (
            "Choisissez d'abord votre propre mot de passe : celui-ci vous a été donné par "
            "quelqu'un d'autre."
        )
    assert client.get("/api/v1/me", headers=headers).json()["password_to_choose"] is True

    same = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": GIVEN, "new_password": GIVEN},
    )
    assert same.status_code == 422
    assert same.json() == {
        "detail": "Choisissez un autre mot de passe que celui qu'on vous a donné.",
        "field": "password",
    }
    chosen = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": GIVEN, "new_password": CHOSEN},
    )
    assert chosen.status_code == 204, chosen.text
    assert client.get("/api/v1/grants", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).json()["password_to_choose"] is False
    # The password the admin chose opens nothing any more.
    again = client.post("/api/v1/session", json={"login": "claire.martin", "password": GIVEN})
    assert again.status_code == 401


def test_the_pages_ask_for_an_own_password_first(client: TestClient, rt: Runtime) -> None:
    made_by_an_admin(client, rt)
    page_sign_in(client, "claire.martin", GIVEN)
    for path in ("/", "/personnes", "/compte", "/historique", "/organisation"):
        sent = client.get(path, follow_redirects=False)
        assert sent.status_code == 303, path
        assert sent.headers["location"] == FIRST
    # The pages of help stay open.
    for path in ("/aide", "/protection", "/qui-gere"):
        assert client.get(path).status_code == 200, path

    asked = client.get(FIRST)
    assert asked.status_code == 200
    read = html.unescape(as_read(asked.text))
    assert "Choisissez votre mot de passe" in read
    assert "La personne qui vous l'a donné le connaît." in read
    csrf = csrf_of(asked.text)

    wrong = client.post(
        FIRST,
        data={"csrf": csrf, "current_password": "pas le bon", "password": CHOSEN},
        headers=SAME_ORIGIN,
    )
    assert wrong.status_code in (401, 422)
    assert 'id="current_password-error"' in wrong.text
    same = client.post(
        FIRST,
        data={"csrf": csrf, "current_password": GIVEN, "password": GIVEN},
        headers=SAME_ORIGIN,
    )
    assert same.status_code == 422
    assert "Choisissez un autre mot de passe" in html.unescape(same.text)

    done = client.post(
        FIRST,
        data={"csrf": csrf, "current_password": GIVEN, "password": CHOSEN},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert str(done.url).endswith("/compte?fait=mot-de-passe")
    assert client.get("/personnes").status_code == 200
    # Once chosen, the page has nothing to ask.
    later = client.get(FIRST, follow_redirects=False)
    assert later.headers["location"] == "/compte"


def test_the_people_made_otherwise_choose_nothing(client: TestClient, rt: Runtime) -> None:
    """Someone who signed up typed their own password; so did a person whose account a
    counsellor made with them, at the counsellor's desk."""
    sign_up(client, "amina.diallo")
    page_sign_in(client, "amina.diallo", PASSWORD)
    assert client.get("/papiers").status_code == 200
    assert client.get(FIRST, follow_redirects=False).headers["location"] == "/compte"


def test_a_provisional_password_with_a_second_factor_is_replaced_with_the_apps_code(
    client: TestClient, rt: Runtime
) -> None:
    """Given at the console to a professional who has a second factor (coffre admin
    reset-password): the page that replaces it asks for the app's code too, as every password
    change does for them."""
    secret = second_factor.new_secret()
    with transaction(rt.sessions) as db:
        claire = create_person(
            db,
            rt.master_keys,
            login="claire.martin",
            display_name="Claire Martin",
            password=PASSWORD,
            role=Role.COUNSELLOR,
        )
        second_factor.install(db, rt.master_keys, claire, secret)
        reset_at_the_console(db, "claire.martin", GIVEN)
    app = pyotp.TOTP(secret)
    step_one = client.post(
        "/connexion",
        data={
            "csrf": csrf_of(client.get("/connexion").text),
            "login": "claire.martin",
            "password": GIVEN,
        },
        headers=SAME_ORIGIN,
    )
    client.post(
        "/connexion/code",
        data={"csrf": csrf_of(step_one.text), "code": app.at(time.time() - 30)},
        headers=SAME_ORIGIN,
    )
    assert client.get("/personnes", follow_redirects=False).headers["location"] == FIRST
    asked = client.get(FIRST)
    read = html.unescape(as_read(asked.text))
    assert "Le code de votre application" in read
    assert "La personne qui vous l'a donné le connaît." in read
    form = {"csrf": csrf_of(asked.text), "current_password": GIVEN, "password": CHOSEN}
    without = client.post(FIRST, data=form, headers=SAME_ORIGIN)
    assert 'id="totp-error"' in without.text
    chosen = client.post(
        FIRST, data={**form, "totp": app.now()}, headers=SAME_ORIGIN, follow_redirects=False
    )
    assert chosen.headers["location"] == "/compte?fait=mot-de-passe"
    assert client.get("/compte", follow_redirects=False).status_code == 200


def test_the_language_switch_works_before_the_own_password_is_chosen(
    client: TestClient, rt: Runtime
) -> None:
    """Review finding: a counsellor who reads Arabic, on the page where they must choose their
    own password, clicked « العربية » and came back to the same page in French."""
    made_by_an_admin(client, rt)
    page_sign_in(client, "claire.martin", GIVEN)
    switched = client.get("/langue/ar", params={"retour": FIRST})
    assert switched.status_code == 200
    assert str(switched.url).endswith(FIRST)
    assert 'lang="ar" dir="rtl"' in switched.text
