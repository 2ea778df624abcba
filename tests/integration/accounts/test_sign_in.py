"""Signing in: rehash, same answer for unknown and wrong, growing delays, sessions."""

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import PASSWORD, admin_headers, sign_up
from vault.accounts import second_factor
from vault.accounts.accounts import create_person
from vault.config import Settings
from vault.db import transaction
from vault.models import AuthSession, Person, Throttle, utcnow
from vault.runtime import Runtime
from vault.wiring import build_runtime
from webui.app import create_app

pytestmark = pytest.mark.master_keys


@contextmanager
def running(settings: Settings) -> Iterator[tuple[Runtime, TestClient]]:
    rt = build_runtime(settings)
    try:
        with TestClient(create_app(runtime=rt), base_url="http://coffre.test") as client:
            yield rt, client
    finally:
        rt.engine.dispose()


def sign_in(client: TestClient, login: str, password: str, **extra: str) -> Any:
    return client.post("/api/v1/session", json={"login": login, "password": password, **extra})


@pytest.mark.real_hash_cost
def test_weak_hash_is_upgraded_at_sign_in(client: TestClient, rt: Runtime) -> None:
    sign_up(client, "amina.diallo")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with transaction(rt.sessions) as db:
        db.scalars(select(Person)).one().password_hash = weak
    assert sign_in(client, "amina.diallo", PASSWORD).status_code == 201
    with transaction(rt.sessions) as db:
        upgraded = db.scalars(select(Person)).one().password_hash
    assert upgraded != weak
    assert "m=47104,t=1,p=1" in upgraded


@pytest.mark.real_hash_cost
def test_the_operator_picks_the_hash_profile_and_older_hashes_still_sign_in(
    settings: Settings,
) -> None:
    def stored_hash(rt: Runtime) -> str:
        with transaction(rt.sessions) as db:
            return db.scalars(select(Person)).one().password_hash

    settings.argon2_profile = "rfc9106"
    with running(settings) as (rt, client):
        sign_up(client, "amina.diallo")
        assert "m=65536,t=3,p=4" in stored_hash(rt)
    settings.argon2_profile = "owasp"
    with running(settings) as (rt, client):
        assert sign_in(client, "amina.diallo", PASSWORD).status_code == 201
        assert "m=47104,t=1,p=1" in stored_hash(rt)
        assert sign_in(client, "amina.diallo", PASSWORD).status_code == 201


@pytest.mark.real_hash_cost
def test_unknown_login_and_wrong_password_look_and_cost_the_same(client: TestClient) -> None:
    sign_up(client, "amina.diallo")
    timings: dict[str, list[float]] = {"wrong": [], "unknown": []}
    answers = {}
    for _ in range(4):
        for kind, login in (("wrong", "amina.diallo"), ("unknown", "personne.inconnue")):
            start = time.perf_counter()
            answers[kind] = sign_in(client, login, "pas le bon mot de passe")
            timings[kind].append(time.perf_counter() - start)
    assert answers["wrong"].status_code == answers["unknown"].status_code == 401
    assert answers["wrong"].json() == answers["unknown"].json()
    wrong, unknown = statistics.median(timings["wrong"]), statistics.median(timings["unknown"])
    assert 0.5 < wrong / unknown < 2, (wrong, unknown)


def test_a_login_with_a_nul_is_an_unknown_one(client: TestClient) -> None:
    """Review finding: PostgreSQL refuses a NUL in a string; a login with one answered the
    generic « a field is too long » (422), and the sign-in page lost its form, where any other
    unknown login gets the usual 401."""
    sign_up(client, "amina.diallo")
    unknown = sign_in(client, "personne.inconnue", PASSWORD)
    for login in ("amina.diallo\x00", "\x00"):
        answer = sign_in(client, login, PASSWORD)
        assert (answer.status_code, answer.json()) == (401, unknown.json())


@pytest.mark.alone
def test_growing_delays_then_the_right_password_works(client: TestClient, rt: Runtime) -> None:
    """The waits are read from the account's counter and waited out to its end: a slow machine
    (a loaded CI) makes the test longer, never wrong."""
    rt.settings.throttle_base_delay_seconds = 0.5
    sign_up(client, "amina.diallo")
    for _ in range(5):
        assert sign_in(client, "amina.diallo", "wrong password!").status_code == 401
    assert sign_in(client, "amina.diallo", "wrong password!").status_code == 401
    assert account_wait(rt) == timedelta(seconds=0.5)
    blocked = sign_in(client, "amina.diallo", PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    assert "Attendez" in blocked.json()["detail"]
    wait_out(rt)
    assert sign_in(client, "amina.diallo", "wrong password!").status_code == 401
    assert account_wait(rt) == timedelta(seconds=1)  # the delay doubled
    assert sign_in(client, "amina.diallo", PASSWORD).status_code == 429
    wait_out(rt)
    assert sign_in(client, "amina.diallo", PASSWORD).status_code == 201
    assert sign_in(client, "amina.diallo", "wrong password!").status_code == 401  # count reset


def account_counter(rt: Runtime) -> tuple[datetime, datetime]:
    """When the account's last failure came, and until when it makes the account wait."""
    with transaction(rt.sessions) as db:
        row = db.get_one(Throttle, "login:amina.diallo")
        assert row.blocked_until is not None
        return row.last_failure_at, row.blocked_until


def account_wait(rt: Runtime) -> timedelta:
    failed_at, until = account_counter(rt)
    return until - failed_at


def wait_out(rt: Runtime) -> None:
    _failed_at, until = account_counter(rt)
    time.sleep(max(0.0, (until - utcnow()).total_seconds()) + 0.05)


def test_throttling_counts_are_per_account(client: TestClient, rt: Runtime) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    sign_up(client, "amina.diallo")
    sign_up(client, "bruno.martin", "Bruno Martin")
    for _ in range(6):
        sign_in(client, "amina.diallo", "wrong password!")
    assert sign_in(client, "amina.diallo", PASSWORD).status_code == 429
    assert sign_in(client, "bruno.martin", PASSWORD).status_code == 201


def test_a_right_password_does_not_clear_the_address_count(client: TestClient, rt: Runtime) -> None:
    """Knowing one password buys no more guesses at others: signing in to one's own account
    between guesses leaves the address's count where it was."""
    rt.settings.throttle_base_delay_seconds = 60
    sign_up(client, "amina.diallo")
    sign_up(client, "bruno.martin", "Bruno Martin")
    for round_ in range(2):
        for n in range(10):
            assert sign_in(client, f"quelqu.un{round_}{n}", "wrong password!").status_code == 401
        assert sign_in(client, "bruno.martin", PASSWORD).status_code == 201
    assert sign_in(client, "quelqu.un.de.plus", "wrong password!").status_code == 401  # the 21st
    blocked = sign_in(client, "amina.diallo", PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1


def test_pages_throttle_too(client: TestClient, rt: Runtime) -> None:
    from tests.integration.webui.test_pages import SAME_ORIGIN, form_csrf

    rt.settings.throttle_base_delay_seconds = 60
    sign_up(client, "amina.diallo")
    token = form_csrf(client, "/connexion")
    for _ in range(6):
        client.post(
            "/connexion",
            data={"csrf": token, "login": "amina.diallo", "password": "nope nope"},
            headers=SAME_ORIGIN,
        )
    answer = client.post(
        "/connexion",
        data={"csrf": token, "login": "amina.diallo", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 429
    assert "Attendez" in answer.text
    assert answer.headers["retry-after"]


def test_session_fixation_fails(client: TestClient, rt: Runtime) -> None:
    from tests.integration.webui.test_pages import SAME_ORIGIN, form_csrf

    sign_up(client, "amina.diallo")
    planted = "attacker-chosen-token"
    client.cookies.set("coffre_session", planted, domain="coffre.test")
    token = form_csrf(client, "/connexion")
    answer = client.post(
        "/connexion",
        data={"csrf": token, "login": "amina.diallo", "password": PASSWORD},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    issued = answer.cookies.get("coffre_session")
    assert issued
    assert issued != planted
    attacker = TestClient(client.app, base_url="http://coffre.test")
    attacker.cookies.set("coffre_session", planted, domain="coffre.test")
    assert attacker.get("/papiers", follow_redirects=False).status_code == 303
    with transaction(rt.sessions) as db:
        assert len(db.scalars(select(AuthSession)).all()) == 2  # the API one and the new page one


def test_idle_timeout_kills_the_session_server_side(client: TestClient, rt: Runtime) -> None:
    amina = sign_up(client, "amina.diallo")
    rt.settings.session_idle_minutes = 0
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 401
    rt.settings.session_idle_minutes = 15
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 401
    with transaction(rt.sessions) as db:
        assert db.scalars(select(AuthSession)).all() == []


def test_a_session_ends_after_twelve_hours_even_when_used(client: TestClient, rt: Runtime) -> None:
    """The lifetime counts from the sign-in, not from the last use: a tab kept busy still ends."""
    from tests.integration.webui.test_forms_keep_values import page_sign_in

    amina = sign_up(client, "amina.diallo")
    page_sign_in(client, "amina.diallo")

    def opened_earlier(by: timedelta) -> None:
        """Move the sessions' start back by `by`; each was used a moment ago."""
        with transaction(rt.sessions) as db:
            for session in db.scalars(select(AuthSession)):
                session.created_at -= by
                session.expires_at -= by
                session.last_seen_at = utcnow()

    opened_earlier(timedelta(hours=11, minutes=59))
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 200
    assert client.get("/papiers", follow_redirects=False).status_code == 200
    opened_earlier(timedelta(minutes=2))
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 401
    assert client.get("/papiers", follow_redirects=False).status_code == 303
    with transaction(rt.sessions) as db:
        assert db.scalars(select(AuthSession)).all() == []


def test_sessions_listed_and_ended_everywhere(client: TestClient) -> None:
    first = sign_up(client, "amina.diallo")
    second = sign_in(client, "amina.diallo", PASSWORD).json()["token"]
    listed = client.get("/api/v1/sessions", headers=first["headers"]).json()
    assert len(listed) == 2
    assert sum(s["current"] for s in listed) == 1
    ended = client.request(
        "DELETE", "/api/v1/sessions", headers=first["headers"], json={"current_password": PASSWORD}
    )
    assert ended.status_code == 204
    for token in (first["token"], second):
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )


def test_only_open_sessions_are_listed_and_ended_ones_go_at_the_next_sign_in(
    client: TestClient, rt: Runtime
) -> None:
    """A tab closed without signing out leaves a session that ends by itself: « Où mon coffre
    est ouvert » must not show it as open, and its row must not stay for ever."""
    amina = sign_up(client, "amina.diallo")

    def session_id(token: str) -> str:
        listed = client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"})
        current: str = next(s["id"] for s in listed.json() if s["current"])
        return current

    idle = session_id(sign_in(client, "amina.diallo", PASSWORD).json()["token"])
    too_old = session_id(sign_in(client, "amina.diallo", PASSWORD).json()["token"])
    with transaction(rt.sessions) as db:
        idle_limit = timedelta(minutes=rt.settings.session_idle_minutes)
        db.get_one(AuthSession, idle).last_seen_at = utcnow() - idle_limit
        db.get_one(AuthSession, too_old).expires_at = utcnow()

    listed = client.get("/api/v1/sessions", headers=amina["headers"]).json()
    assert [s["current"] for s in listed] == [True]
    assert sign_in(client, "amina.diallo", PASSWORD).status_code == 201
    with transaction(rt.sessions) as db:
        left = set(db.scalars(select(AuthSession.id)))
    assert len(left) == 2
    assert idle not in left
    assert too_old not in left


def test_password_change_ends_other_sessions(client: TestClient) -> None:
    first = sign_up(client, "amina.diallo")
    other = {"Authorization": f"Bearer {sign_in(client, 'amina.diallo', PASSWORD).json()['token']}"}
    weak = client.post(
        "/api/v1/me/password",
        headers=first["headers"],
        json={"current_password": PASSWORD, "new_password": "azertyuiop"},
    )
    assert weak.status_code == 422
    assert "trop facile" in weak.json()["detail"]
    changed = client.post(
        "/api/v1/me/password",
        headers=first["headers"],
        json={"current_password": PASSWORD, "new_password": "une toute autre phrase"},
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/me", headers=first["headers"]).status_code == 200
    assert client.get("/api/v1/me", headers=other).status_code == 401
    assert sign_in(client, "amina.diallo", "une toute autre phrase").status_code == 201


def test_password_rules(client: TestClient) -> None:
    for password, words in (
        ("court", "8 caractères"),
        ("motdepasse123", "trop facile"),
        ("amina.diallo", "trop facile"),
    ):
        answer = client.post(
            "/api/v1/beneficiaries",
            json={"login": "amina.diallo", "display_name": "Amina", "password": password},
        )
        assert answer.status_code == 422
        assert words in answer.json()["detail"]
        assert answer.json()["field"] == "password"
    long_simple = "un deux trois quatre"
    ok = client.post(
        "/api/v1/beneficiaries",
        json={"login": "amina.diallo", "display_name": "Amina", "password": long_simple},
    )
    assert ok.status_code == 201


def test_login_suggestions(client: TestClient) -> None:
    first = client.get("/api/v1/login-suggestion", params={"display_name": "Amina Diallo-Ségué"})
    assert first.json() == {"login": "amina.diallo.segue"}
    sign_up(client, "amina.diallo.segue")
    second = client.get("/api/v1/login-suggestion", params={"display_name": "Amina Diallo-Ségué"})
    assert second.json() == {"login": "amina.diallo.segue2"}


def test_admin_needs_the_second_factor(client: TestClient, rt: Runtime) -> None:
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
    missing = sign_in(client, "root.admin", PASSWORD)
    assert missing.status_code == 401
    assert missing.json()["field"] == "totp"
    assert sign_in(client, "root.admin", PASSWORD, totp="000000").status_code == 401
    code = pyotp.TOTP(secret).now()
    assert sign_in(client, "root.admin", PASSWORD, totp=code).status_code == 201
    replay = sign_in(client, "root.admin", PASSWORD, totp=code)
    assert replay.status_code == 401  # a code is good once
    assert sign_in(client, "root.admin", "wrong password!", totp=code).json() == missing.json() | {
        "detail": "Identifiant ou mot de passe incorrect.",
        "field": None,
    }


def test_counsellor_can_turn_on_the_second_factor(client: TestClient, rt: Runtime) -> None:
    with transaction(rt.sessions) as db:
        create_person(
            db,
            rt.master_keys,
            login="c.martin",
            display_name="C",
            password=PASSWORD,
            role="counsellor",
        )
    headers = {"Authorization": f"Bearer {sign_in(client, 'c.martin', PASSWORD).json()['token']}"}
    setup = client.get("/api/v1/me/second-factor/new", headers=headers).json()
    assert setup["uri"].startswith("otpauth://totp/coffre:c.martin")
    body = {"secret": setup["secret"], "current_password": PASSWORD}
    wrong = client.post("/api/v1/me/second-factor", headers=headers, json={**body, "code": "123"})
    assert wrong.status_code == 422
    code = pyotp.TOTP(setup["secret"]).now()
    ok = client.post("/api/v1/me/second-factor", headers=headers, json={**body, "code": code})
    assert ok.status_code == 204
    assert client.get("/api/v1/me", headers=headers).json()["second_factor"] is True
    assert sign_in(client, "c.martin", PASSWORD).status_code == 401


def test_beneficiary_has_no_second_factor_setup(client: TestClient, rt: Runtime) -> None:
    amina = sign_up(client, "amina.diallo")
    assert client.get("/api/v1/me/second-factor/new", headers=amina["headers"]).status_code == 403
    assert admin_headers(client, rt)


class _SignInForm(HTMLParser):
    """The autocomplete attributes of the sign-in form and of its login and password fields."""

    def __init__(self) -> None:
        super().__init__()
        self.autocomplete: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("action") == "/connexion":
            self.autocomplete["form"] = a.get("autocomplete")
        if tag == "input" and a.get("name") in ("login", "password"):
            self.autocomplete[a["name"] or ""] = a.get("autocomplete")


def sign_in_form(html: str) -> dict[str, str | None]:
    reader = _SignInForm()
    reader.feed(html)
    return reader.autocomplete


def test_a_shared_computer_sign_in_turns_autocomplete_off(client: TestClient) -> None:
    """The browser of a day centre must not keep the person's login for the next one."""
    from tests.integration.webui.test_pages import SAME_ORIGIN, form_csrf

    sign_up(client, "amina.diallo")
    own = sign_in_form(client.get("/connexion").text)
    assert own == {"form": None, "login": "username", "password": "current-password"}
    shared = sign_in_form(client.get("/connexion?partage=1").text)
    assert shared == {"form": "off", "login": "off", "password": "off"}
    refused = client.post(
        "/connexion",
        data={
            "csrf": form_csrf(client, "/connexion?partage=1"),
            "login": "amina.diallo",
            "password": "wrong password!",
            "shared": "1",
        },
        headers=SAME_ORIGIN,
    )
    assert refused.status_code == 401
    assert sign_in_form(refused.text) == shared  # still a computer that is not theirs
