"""What can take an account asks again for the current password (and the current code where a
second factor is on): a session alone, left open in a day centre, is not enough."""

import re
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import PASSWORD, admin_headers, sign_up
from tests.integration.webui.test_forms_keep_values import page_sign_in
from tests.integration.webui.test_pages import SAME_ORIGIN, codes_in_force_of, form_csrf, signed_up
from vault.accounts import second_factor
from vault.accounts.accounts import create_person
from vault.db import transaction
from vault.models import JournalEvent, Person
from vault.runtime import Runtime
from webui import i18n

WRONG = "pas le bon mot de passe"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def journal_actions(client: TestClient, headers: dict[str, str]) -> list[str]:
    return [line["action"] for line in client.get("/api/v1/journal", headers=headers).json()]


def counsellor_with_second_factor(client: TestClient, rt: Runtime) -> tuple[dict[str, str], str]:
    """A counsellor whose authenticator app holds `secret`, signed in through the API."""
    secret = second_factor.new_secret()
    with transaction(rt.sessions) as db:
        person = create_person(
            db,
            rt.master_keys,
            login="c.martin",
            display_name="Claire Martin",
            password=PASSWORD,
            role="counsellor",
        )
        second_factor.install(db, rt.master_keys, person, secret)
    answer = client.post(
        "/api/v1/session",
        json={"login": "c.martin", "password": PASSWORD, "totp": pyotp.TOTP(secret).now()},
    )
    assert answer.status_code == 201, answer.text
    return bearer(answer.json()["token"]), secret


def forget_last_code(rt: Runtime, login: str) -> None:
    """Let the test use a code of the current time step again (each is accepted once)."""
    with transaction(rt.sessions) as db:
        db.scalars(select(Person).where(Person.login == login)).one().totp_last_step = None


def account_page_with_code(client: TestClient, rt: Runtime, secret: str) -> str:
    """« Mon compte » of the counsellor of `counsellor_with_second_factor`, signed in to the
    pages with a code of the app."""
    forget_last_code(rt, "c.martin")
    token = form_csrf(client, "/connexion")
    client.post(
        "/connexion",
        data={"csrf": token, "login": "c.martin", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    client.post(
        "/connexion/code",
        data={"csrf": token, "code": pyotp.TOTP(secret).now()},
        headers=SAME_ORIGIN,
    )
    return client.get("/compte").text


def test_a_session_alone_cannot_make_new_recovery_codes(client: TestClient) -> None:
    amina = sign_up(client, "amina.diallo")
    assert client.post("/api/v1/me/recovery-codes", headers=amina["headers"]).status_code == 422
    wrong = client.post(
        "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": WRONG}
    )
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "current_password"
    right = client.post(
        "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": PASSWORD}
    )
    assert right.status_code == 201
    assert len(right.json()["codes"]) == 10
    actions = journal_actions(client, amina["headers"])
    assert actions[:2] == ["recovery_codes_created", "reauthentication_failed"]


def test_a_session_alone_cannot_replace_the_second_factor(client: TestClient, rt: Runtime) -> None:
    headers, secret = counsellor_with_second_factor(client, rt)
    mine = second_factor.new_secret()
    theirs = {"secret": mine, "code": pyotp.TOTP(mine).now()}
    assert client.post("/api/v1/me/second-factor", headers=headers, json=theirs).status_code == 422
    with_password = client.post(
        "/api/v1/me/second-factor", headers=headers, json={**theirs, "current_password": PASSWORD}
    )
    assert with_password.status_code == 422
    assert with_password.json()["field"] == "totp"
    wrong_code = client.post(
        "/api/v1/me/second-factor",
        headers=headers,
        json={**theirs, "current_password": PASSWORD, "totp": "000000"},
    )
    assert wrong_code.status_code == 422
    assert wrong_code.json()["field"] == "totp"
    forget_last_code(rt, "c.martin")
    replaced = client.post(
        "/api/v1/me/second-factor",
        headers=headers,
        json={**theirs, "current_password": PASSWORD, "totp": pyotp.TOTP(secret).now()},
    )
    assert replaced.status_code == 204
    forget_last_code(rt, "c.martin")
    old = {"login": "c.martin", "password": PASSWORD, "totp": pyotp.TOTP(secret).now()}
    new = {**old, "totp": pyotp.TOTP(mine).now()}
    if old["totp"] != new["totp"]:
        assert client.post("/api/v1/session", json=old).status_code == 401
    forget_last_code(rt, "c.martin")
    assert client.post("/api/v1/session", json=new).status_code == 201


def test_turning_the_second_factor_on_needs_the_password(client: TestClient, rt: Runtime) -> None:
    with transaction(rt.sessions) as db:
        create_person(
            db,
            rt.master_keys,
            login="c.martin",
            display_name="C",
            password=PASSWORD,
            role="counsellor",
        )
    token = client.post("/api/v1/session", json={"login": "c.martin", "password": PASSWORD})
    headers = bearer(token.json()["token"])
    secret = second_factor.new_secret()
    body = {"secret": secret, "code": pyotp.TOTP(secret).now()}
    refused = client.post(
        "/api/v1/me/second-factor", headers=headers, json={**body, "current_password": WRONG}
    )
    assert refused.status_code == 422
    assert client.get("/api/v1/me", headers=headers).json()["second_factor"] is False
    ok = client.post(
        "/api/v1/me/second-factor", headers=headers, json={**body, "current_password": PASSWORD}
    )
    assert ok.status_code == 204


@pytest.mark.parametrize(
    ("phone", "status"),
    [
        ("06 12 34 56 78", 200),
        ("+33 6 12 34 56 78", 200),
        ("06.12.34.56.78", 200),
        ("(0)6-12-34-56-78", 200),
        ("٠٦ ١٢ ٣٤ ٥٦ ٧٨", 200),
        ("bad", 422),
        ("12", 422),
        ("06 12 34 56 78 ext", 422),
        ("+33 6 12+34", 422),
        ("1" * 25, 422),
    ],
)
def test_a_phone_number_is_digits(client: TestClient, phone: str, status: int) -> None:
    """Hostile review: any text was kept as a phone number."""
    amina = sign_up(client, "amina.diallo")
    answer = client.patch(
        "/api/v1/me", headers=amina["headers"], json={"phone": phone, "current_password": PASSWORD}
    )
    assert answer.status_code == status, answer.text
    if status == 422:
        assert answer.json()["field"] == "phone"


def test_contact_changes_need_the_password_the_language_does_not(client: TestClient) -> None:
    amina = sign_up(client, "amina.diallo")
    me = "/api/v1/me"
    assert client.patch(me, headers=amina["headers"], json={"preferred_language": "ar"}).is_success
    missing = client.patch(me, headers=amina["headers"], json={"email": "amina@example.org"})
    assert missing.status_code == 422
    assert missing.json()["field"] == "current_password"
    wrong = client.patch(
        me, headers=amina["headers"], json={"phone": "0600000000", "current_password": WRONG}
    )
    assert wrong.status_code == 422
    ok = client.patch(
        me,
        headers=amina["headers"],
        json={"email": "amina@example.org", "current_password": PASSWORD},
    )
    assert ok.status_code == 200
    # The same address again is no change: nothing to confirm.
    same = client.patch(
        me,
        headers=amina["headers"],
        json={"email": "amina@example.org", "preferred_language": "fr"},
    )
    assert same.status_code == 200


def test_a_wrong_current_password_or_code_is_a_wrong_field_not_a_bad_token(
    client: TestClient, rt: Runtime
) -> None:
    """401 with `WWW-Authenticate: Bearer` tells a client that its token is no longer good, and
    it signs the person out (API.md: 401 is no or bad token). A mistyped current password, or
    app code, is a wrong field: 422, and the session goes on."""
    amina = sign_up(client, "amina.diallo")
    wrong = client.post(
        "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": WRONG}
    )
    assert (wrong.status_code, wrong.json()["field"]) == (422, "current_password")
    assert "www-authenticate" not in wrong.headers
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 200

    headers, _secret = counsellor_with_second_factor(client, rt)
    body = {"current_password": PASSWORD, "totp": "000000"}
    wrong_code = client.request("DELETE", "/api/v1/sessions", headers=headers, json=body)
    assert (wrong_code.status_code, wrong_code.json()["field"]) == (422, "totp")
    assert "www-authenticate" not in wrong_code.headers
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_signing_out_everywhere_needs_the_password(client: TestClient) -> None:
    amina = sign_up(client, "amina.diallo")
    assert client.delete("/api/v1/sessions", headers=amina["headers"]).status_code == 422
    wrong = client.request(
        "DELETE", "/api/v1/sessions", headers=amina["headers"], json={"current_password": WRONG}
    )
    assert wrong.status_code == 422
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 200
    ok = client.request(
        "DELETE", "/api/v1/sessions", headers=amina["headers"], json={"current_password": PASSWORD}
    )
    assert ok.status_code == 204
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 401


def test_a_counsellor_signs_out_everywhere_with_the_code(client: TestClient, rt: Runtime) -> None:
    headers, secret = counsellor_with_second_factor(client, rt)
    body: dict[str, Any] = {"current_password": PASSWORD}
    without = client.request("DELETE", "/api/v1/sessions", headers=headers, json=body)
    assert without.status_code == 422
    assert without.json()["field"] == "totp"
    forget_last_code(rt, "c.martin")
    body["totp"] = pyotp.TOTP(secret).now()
    assert client.request("DELETE", "/api/v1/sessions", headers=headers, json=body).is_success


def test_wrong_current_passwords_are_throttled_and_journaled(
    client: TestClient, rt: Runtime
) -> None:
    """Finding: « une session seule » could guess the password forever through the account."""
    rt.settings.throttle_base_delay_seconds = 60
    amina = sign_up(client, "amina.diallo")
    for _ in range(6):
        wrong = client.post(
            "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": WRONG}
        )
        assert wrong.status_code == 422
    blocked = client.post(
        "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    # The same account is throttled at sign-in: one password, one count.
    assert (
        client.post(
            "/api/v1/session", json={"login": "amina.diallo", "password": PASSWORD}
        ).status_code
        == 429
    )
    assert journal_actions(client, amina["headers"]).count("reauthentication_failed") == 6


def test_password_change_is_throttled_and_journaled(client: TestClient, rt: Runtime) -> None:
    """Finding 4: 12 wrong current passwords, then the right one, used to give 204."""
    rt.settings.throttle_base_delay_seconds = 60
    amina = sign_up(client, "amina.diallo")
    answers = [
        client.post(
            "/api/v1/me/password",
            headers=amina["headers"],
            json={"current_password": f"{WRONG} {n}", "new_password": "une toute autre phrase"},
        ).status_code
        for n in range(12)
    ]
    assert answers[:6] == [422] * 6
    assert set(answers[6:]) == {429}
    right = client.post(
        "/api/v1/me/password",
        headers=amina["headers"],
        json={"current_password": PASSWORD, "new_password": "une toute autre phrase"},
    )
    assert right.status_code == 429
    assert right.headers["retry-after"]
    assert journal_actions(client, amina["headers"]).count("reauthentication_failed") == 6


def test_a_password_change_does_not_forget_wrong_second_factor_codes(
    client: TestClient, rt: Runtime
) -> None:
    """Finding: a thief with the session and the password but not the phone tried 5 wrong
    codes, changed the password to the same one (the password alone cleared the account's
    count), and again: the account's limit never came. Now the 7th wrong code waits."""
    rt.settings.throttle_base_delay_seconds = 60
    thief, _secret = counsellor_with_second_factor(client, rt)
    statuses = []
    for round_ in range(3):
        statuses += [
            client.post(
                "/api/v1/me/recovery-codes",
                headers=thief,
                json={"current_password": PASSWORD, "totp": f"{100000 + 5 * round_ + n:06d}"},
            ).status_code
            for n in range(5)
        ]
        client.post(
            "/api/v1/me/password",
            headers=thief,
            json={"current_password": PASSWORD, "new_password": PASSWORD},
        )
    assert statuses[:6] == [422] * 6
    assert set(statuses[6:]) == {429}


def test_adding_no_one_with_the_password_does_not_forget_wrong_codes(
    client: TestClient, rt: Runtime
) -> None:
    """Review finding: « add a member » asks for the password alone (an admin adds several
    people in a row), and cleared the account's count; a 404 for an unknown organisation kept
    that write. A thief with an admin's session and password but not the phone guessed codes
    five at a time, without end."""
    rt.settings.throttle_base_delay_seconds = 60
    thief = admin_headers(client, rt)  # a platform admin has a second factor
    statuses = []
    for round_ in range(3):
        statuses += [
            client.post(
                "/api/v1/me/password",
                headers=thief,
                json={
                    "current_password": PASSWORD,
                    "totp": f"{100000 + 5 * round_ + n:06d}",
                    "new_password": "une phrase du voleur",
                },
            ).status_code
            for n in range(5)
        ]
        added = client.post(
            "/api/v1/organisations/no-such-org/counsellors",
            headers=thief,
            json={
                "login": "x.y",
                "display_name": "X",
                "password": "p" * 12,
                "current_password": PASSWORD,
            },
        )
        assert added.status_code in (404, 429)
    assert statuses[:6] == [422] * 6
    assert set(statuses[6:]) == {429}


def test_where_the_password_is_the_whole_proof_a_change_clears_the_count(
    client: TestClient, rt: Runtime
) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    amina = sign_up(client, "amina.diallo")
    for n in range(5):
        wrong = client.post(
            "/api/v1/me/password",
            headers=amina["headers"],
            json={"current_password": f"{WRONG} {n}", "new_password": "une toute autre phrase"},
        )
        assert wrong.status_code == 422
    right = client.post(
        "/api/v1/me/password",
        headers=amina["headers"],
        json={"current_password": PASSWORD, "new_password": "une toute autre phrase"},
    )
    assert right.status_code == 204
    # The count started again: 5 more wrong ones are free.
    answers = [
        client.post(
            "/api/v1/me/password",
            headers=amina["headers"],
            json={"current_password": f"{WRONG} {n}", "new_password": PASSWORD},
        ).status_code
        for n in range(5)
    ]
    assert answers == [422] * 5


def test_account_forms_ask_for_the_current_password(client: TestClient) -> None:
    csrf = signed_up(client)
    page = client.get("/compte")
    for form in ("codes", "infos", "partout"):
        assert f'id="{form}-current_password"' in page.text
    assert "Votre mot de passe actuel" in page.text
    missing = client.post("/compte/codes", data={"csrf": csrf}, headers=SAME_ORIGIN)
    assert missing.status_code == 422
    assert 'href="#codes-current_password"' in missing.text
    refused = client.post(
        "/compte/codes", data={"csrf": csrf, "current_password": WRONG}, headers=SAME_ORIGIN
    )
    assert refused.status_code == 422
    assert "Il y a un problème" in refused.text
    assert "<title>Erreur : " in refused.text
    assert 'href="#codes-current_password"' in refused.text
    codes_form = {
        "csrf": csrf,
        "current_password": PASSWORD,
        "codes_in_force": codes_in_force_of(page.text),
    }
    codes = client.post("/compte/codes", data=codes_form, headers=SAME_ORIGIN)
    assert len(re.findall(r"<code>[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}</code>", codes.text)) == 10
    language = client.post(
        "/compte/infos",
        data={"csrf": csrf, "preferred_language": "en", "email": "", "phone": ""},
        headers=SAME_ORIGIN,
    )
    with i18n.speaking("en"):  # the page speaks the choice just saved
        assert i18n.gettext("Vos informations sont enregistrées.") in language.text
    contact = client.post(
        "/compte/infos",
        data={"csrf": csrf, "preferred_language": "en", "email": "fatou@example.org"},
        headers=SAME_ORIGIN,
    )
    assert contact.status_code == 422
    assert 'href="#infos-current_password"' in contact.text
    contact = client.post(
        "/compte/infos",
        data={
            "csrf": csrf,
            "preferred_language": "en",
            "email": "fatou@example.org",
            "current_password": WRONG,
        },
        headers=SAME_ORIGIN,
    )
    assert contact.status_code == 422
    assert 'href="#infos-current_password"' in contact.text
    everywhere = client.post(
        "/compte/deconnecter-partout",
        data={"csrf": csrf, "current_password": WRONG},
        headers=SAME_ORIGIN,
    )
    assert everywhere.status_code == 422
    assert 'href="#partout-current_password"' in everywhere.text
    assert client.get("/compte", follow_redirects=False).status_code == 200
    gone = client.post(
        "/compte/deconnecter-partout",
        data={"csrf": csrf, "current_password": PASSWORD},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert gone.headers["location"].startswith("/au-revoir?langue=")


def test_account_page_asks_for_the_code_when_a_second_factor_is_on(
    client: TestClient, rt: Runtime
) -> None:
    from tests.integration.webui.test_pages import csrf_of

    headers, secret = counsellor_with_second_factor(client, rt)
    page = account_page_with_code(client, rt, secret)
    assert 'id="codes-totp"' in page
    assert 'id="double-totp"' in page  # replacing the app needs the current code
    csrf = csrf_of(page)
    refused = client.post(
        "/compte/codes", data={"csrf": csrf, "current_password": PASSWORD}, headers=SAME_ORIGIN
    )
    assert refused.status_code == 422
    assert 'href="#codes-totp"' in refused.text
    forget_last_code(rt, "c.martin")
    codes = client.post(
        "/compte/codes",
        data={"csrf": csrf, "current_password": PASSWORD, "totp": pyotp.TOTP(secret).now()},
        headers=SAME_ORIGIN,
    )
    assert codes.status_code == 200
    assert "Mes codes de secours" in codes.text
    assert headers


def test_a_platform_admin_resets_a_second_factor(client: TestClient, rt: Runtime) -> None:
    counsellor, _secret = counsellor_with_second_factor(client, rt)
    admin = admin_headers(client, rt)
    with transaction(rt.sessions) as db:
        person_id = db.scalars(select(Person.id).where(Person.login == "c.martin")).one()
        admin_id = db.scalars(select(Person.id).where(Person.login == "root.admin")).one()
    url = f"/api/v1/people/{person_id}/second-factor"
    assert client.delete(url, headers=counsellor).status_code == 403
    assert client.delete(url).status_code == 401
    assert (
        client.delete("/api/v1/people/no-such-person/second-factor", headers=admin).status_code
        == 404
    )
    assert client.delete(url, headers=admin).status_code == 204
    assert client.get("/api/v1/me", headers=counsellor).json()["second_factor"] is False
    assert (
        client.post("/api/v1/session", json={"login": "c.martin", "password": PASSWORD}).status_code
        == 201
    )
    told = client.get("/api/v1/journal", headers=counsellor).json()
    reset = next(line for line in told if line["action"] == "second_factor_reset")
    assert reset["actor_id"] == admin_id
    # An administrator cannot be left without the second factor they must have.
    assert (
        client.delete(f"/api/v1/people/{admin_id}/second-factor", headers=admin).status_code == 409
    )


def test_a_contact_change_is_journaled_in_plain_words(client: TestClient) -> None:
    """Another email or phone is a way into the account: the person sees it in their history,
    whether it was changed through the API or the account page."""
    amina = sign_up(client, "amina.diallo")
    me = "/api/v1/me"
    email = {"email": "amina@example.org", "current_password": PASSWORD}
    assert client.patch(me, headers=amina["headers"], json=email).status_code == 200
    assert journal_actions(client, amina["headers"])[0] == "contact_changed"
    # The language alone, or the same address again, changes no way in: no line.
    client.patch(me, headers=amina["headers"], json={"preferred_language": "ar"})
    client.patch(me, headers=amina["headers"], json={**email, "preferred_language": "fr"})
    assert journal_actions(client, amina["headers"]).count("contact_changed") == 1

    csrf = page_sign_in(client, "amina.diallo")
    changed = client.post(
        "/compte/infos",
        data={
            "csrf": csrf,
            "preferred_language": "fr",
            "email": "amina@example.org",
            "phone": "06 12 34 56 78",
            "current_password": PASSWORD,
        },
        headers=SAME_ORIGIN,
    )
    assert changed.status_code == 200, changed.text
    lines = client.get("/api/v1/journal", headers=amina["headers"]).json()
    assert [line["action"] for line in lines].count("contact_changed") == 2
    assert lines[0]["action"] == "contact_changed"
    assert lines[0]["actor_id"] == amina["user"]["id"]
    history = client.get("/historique").text
    assert history.count("Vous avez changé votre adresse e-mail ou votre téléphone.") == 2


def test_a_replaced_second_factor_is_journaled(client: TestClient, rt: Runtime) -> None:
    """Moving the second factor to another app takes the account if a thief does it: the
    person's history says it, apart from turning it on, with who did it."""
    headers, secret = counsellor_with_second_factor(client, rt)
    with transaction(rt.sessions) as db:
        counsellor_id = db.scalars(select(Person.id).where(Person.login == "c.martin")).one()
    mine = second_factor.new_secret()
    body = {"secret": mine, "code": pyotp.TOTP(mine).now(), "current_password": PASSWORD}
    wrong = client.post("/api/v1/me/second-factor", headers=headers, json={**body, "totp": "1"})
    assert wrong.status_code == 422
    forget_last_code(rt, "c.martin")
    replaced = client.post(
        "/api/v1/me/second-factor",
        headers=headers,
        json={**body, "totp": pyotp.TOTP(secret).now()},
    )
    assert replaced.status_code == 204
    lines = client.get("/api/v1/journal", headers=headers).json()
    assert [line["action"] for line in lines[:2]] == [
        "second_factor_replaced",
        "reauthentication_failed",
    ]
    assert lines[0]["actor_id"] == counsellor_id
    assert lines[1]["actor_id"] is None  # whoever held the session may not be the person
    # Turning it on the first time is its own line (made when the account was created here).
    assert [line["action"] for line in lines].count("second_factor_enabled") == 1

    account_page_with_code(client, rt, mine)
    history = client.get("/historique").text
    assert "Vous avez changé d&#39;application pour la double vérification." in history
    assert "La double vérification est activée." in history


def test_signing_out_everywhere_is_journaled(client: TestClient) -> None:
    amina = sign_up(client, "amina.diallo")
    refused = client.request(
        "DELETE", "/api/v1/sessions", headers=amina["headers"], json={"current_password": WRONG}
    )
    assert refused.status_code == 422
    assert "sign_out_everywhere" not in journal_actions(client, amina["headers"])
    done = client.request(
        "DELETE", "/api/v1/sessions", headers=amina["headers"], json={"current_password": PASSWORD}
    )
    assert done.status_code == 204

    csrf = page_sign_in(client, "amina.diallo")
    gone = client.post(
        "/compte/deconnecter-partout",
        data={"csrf": csrf, "current_password": PASSWORD},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert gone.headers["location"].startswith("/au-revoir?langue=")

    csrf = page_sign_in(client, "amina.diallo")
    again = client.post("/api/v1/session", json={"login": "amina.diallo", "password": PASSWORD})
    lines = client.get("/api/v1/journal", headers=bearer(again.json()["token"])).json()
    everywhere = [line for line in lines if line["action"] == "sign_out_everywhere"]
    assert len(everywhere) == 2
    assert {line["actor_id"] for line in everywhere} == {amina["user"]["id"]}
    assert lines.index(everywhere[-1]) > lines.index(everywhere[0])
    history = client.get("/historique").text
    assert history.count("Vous avez fermé votre coffre partout.") == 2
    assert "Quelqu&#39;un a écrit un mauvais mot de passe dans votre compte ouvert." in history


def test_the_second_factor_page_needs_the_password_and_is_throttled(
    client: TestClient, rt: Runtime
) -> None:
    """The page form, like the API: no password or a wrong one is refused, wrong ones count
    with the sign-in's failures and are journaled, and past the free tries even the right
    password waits."""
    rt.settings.throttle_base_delay_seconds = 60
    with transaction(rt.sessions) as db:
        create_person(
            db,
            rt.master_keys,
            login="c.martin",
            display_name="Claire Martin",
            password=PASSWORD,
            role="counsellor",
        )
    csrf = page_sign_in(client, "c.martin")
    # Without the browser's device cookie, as on a shared computer: the API's count exactly
    # (a device cookie first gives a few tries of its own).
    assert client.cookies.get("coffre_device")
    client.cookies.delete("coffre_device", domain="coffre.test")
    secret = second_factor.new_secret()

    def turn_on(**fields: str) -> Any:
        form = {"csrf": csrf, "secret": secret, "code": pyotp.TOTP(secret).now(), **fields}
        return client.post("/compte/double-verification", data=form, headers=SAME_ORIGIN)

    missing = turn_on()
    assert missing.status_code == 422
    assert 'href="#double-current_password"' in missing.text
    statuses = [turn_on(current_password=f"{WRONG} {n}").status_code for n in range(6)]
    assert statuses == [422] * 6
    wrong = turn_on(current_password=WRONG)
    assert wrong.status_code == 429
    assert int(wrong.headers["retry-after"]) >= 1
    right = turn_on(current_password=PASSWORD)
    assert right.status_code == 429
    assert 'href="#double-current_password"' in right.text
    with transaction(rt.sessions) as db:
        claire = db.scalars(select(Person).where(Person.login == "c.martin")).one()
        assert claire.totp_secret_sealed is None
    token = client.post("/api/v1/session", json={"login": "c.martin", "password": PASSWORD})
    assert token.status_code == 429  # one password, one count
    with transaction(rt.sessions) as db:
        claire = db.scalars(select(Person).where(Person.login == "c.martin")).one()
        lines = [
            e.action
            for e in db.scalars(select(JournalEvent).where(JournalEvent.subject_id == claire.id))
        ]
    assert lines.count("reauthentication_failed") == 6
    assert "second_factor_enabled" not in lines


def test_a_new_password_needs_the_code_where_a_second_factor_is_on(
    client: TestClient, rt: Runtime
) -> None:
    """Finding: a session and the password (typed on a shared computer, seen over a shoulder)
    could change the password without the phone: the account was taken, its owner locked out."""
    headers, secret = counsellor_with_second_factor(client, rt)
    body: dict[str, Any] = {"current_password": PASSWORD, "new_password": "une toute autre phrase"}
    without = client.post("/api/v1/me/password", headers=headers, json=body)
    assert without.status_code == 422
    assert without.json()["field"] == "totp"
    wrong = client.post("/api/v1/me/password", headers=headers, json={**body, "totp": "000000"})
    assert (wrong.status_code, wrong.json()["field"]) == (422, "totp")
    assert "reauthentication_failed" in journal_actions(client, headers)
    forget_last_code(rt, "c.martin")
    body["totp"] = pyotp.TOTP(secret).now()
    assert client.post("/api/v1/me/password", headers=headers, json=body).status_code == 204


def test_the_password_form_asks_for_the_code_where_a_second_factor_is_on(
    client: TestClient, rt: Runtime
) -> None:
    from tests.integration.webui.test_pages import csrf_of

    _headers, secret = counsellor_with_second_factor(client, rt)
    page = account_page_with_code(client, rt, secret)
    assert 'id="totp"' in page
    fields = {
        "csrf": csrf_of(page),
        "current_password": PASSWORD,
        "password": "une autre phrase",
    }
    refused = client.post("/compte/mot-de-passe", data=fields, headers=SAME_ORIGIN)
    assert refused.status_code == 422
    assert 'href="#totp"' in refused.text
    forget_last_code(rt, "c.martin")
    changed = client.post(
        "/compte/mot-de-passe",
        data={**fields, "totp": pyotp.TOTP(secret).now()},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text


def test_an_apps_code_is_spent_even_when_the_rest_of_the_form_is_refused(
    client: TestClient, rt: Runtime
) -> None:
    """Whoever saw the password and the code typed on a shared computer, where the new
    password was refused (too short), could use that code again within its minute with the tab
    left open: it was counted as used only when the whole form went through."""
    from tests.integration.webui.test_pages import csrf_of

    headers, secret = counsellor_with_second_factor(client, rt)
    forget_last_code(rt, "c.martin")
    code = pyotp.TOTP(secret).now()
    body = {"current_password": PASSWORD, "totp": code, "new_password": "court"}
    weak = client.post("/api/v1/me/password", headers=headers, json=body)
    assert (weak.status_code, weak.json()["field"]) == (422, "password")
    again = client.post(
        "/api/v1/me/password", headers=headers, json={**body, "new_password": "une autre phrase"}
    )
    assert (again.status_code, again.json()["field"]) == (422, "totp")

    page = account_page_with_code(client, rt, secret)
    forget_last_code(rt, "c.martin")
    fields = {
        "csrf": csrf_of(page),
        "current_password": PASSWORD,
        "totp": pyotp.TOTP(secret).now(),
        "password": "court",
    }
    assert client.post("/compte/mot-de-passe", data=fields, headers=SAME_ORIGIN).status_code == 422
    reused = client.post(
        "/compte/mot-de-passe",
        data={**fields, "password": "une autre phrase"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert reused.status_code == 422
    assert "Ce code n&#39;est pas bon." in reused.text
