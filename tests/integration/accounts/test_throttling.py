"""Every secret checked is throttled, per account and per source; the source is the peer unless
the peer is a trusted proxy; a device cookie keeps a person in when others' failures throttle
their address."""

from typing import Any

import pyotp
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.requests import Request

from tests.app_fixtures import PASSWORD, sign_up
from tests.integration.webui.test_pages import SAME_ORIGIN, csrf_of, form_csrf
from vault.accounts import second_factor
from vault.accounts.accounts import create_person
from vault.config import Settings
from vault.db import transaction
from vault.models import JournalEvent, Person, TrustedDevice
from vault.runtime import Runtime
from webui.app import create_app
from webui.deps import client_address

WRONG = "pas le bon mot de passe"


def admin_with_secret(rt: Runtime, login: str = "root.admin") -> str:
    secret = second_factor.new_secret()
    with transaction(rt.sessions) as db:
        person = create_person(
            db, rt.master_keys, login=login, display_name="Admin", password=PASSWORD, role="admin"
        )
        second_factor.install(db, rt.master_keys, person, secret)
    return secret


def page_sign_in(client: TestClient, login: str, password: str, **extra: str) -> Any:
    token = form_csrf(client, "/connexion")
    return client.post(
        "/connexion",
        data={"csrf": token, "login": login, "password": password, **extra},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )


def device_cookie(client: TestClient) -> str | None:
    return client.cookies.get("coffre_device")


def others_fail_from_this_address(client: TestClient, times: int = 21) -> None:
    """People sharing the address (a day centre's router) get their passwords wrong."""
    for n in range(times):
        answer = client.post("/api/v1/session", json={"login": f"quelqu.un{n}", "password": WRONG})
        assert answer.status_code in (401, 429)


# Finding 3: the page's second sign-in step


def test_the_page_second_step_is_throttled(client: TestClient, rt: Runtime) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    secret = admin_with_secret(rt)
    step_one = client.post(
        "/connexion",
        data={"csrf": form_csrf(client, "/connexion"), "login": "root.admin", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    assert "Code de vérification" in step_one.text
    token = csrf_of(step_one.text)
    statuses = [
        client.post(
            "/connexion/code", data={"csrf": token, "code": f"{n:06d}"}, headers=SAME_ORIGIN
        ).status_code
        for n in range(12)
    ]
    assert statuses[:6] == [401] * 6
    assert set(statuses[6:]) == {429}
    right = client.post(
        "/connexion/code",
        data={"csrf": token, "code": pyotp.TOTP(secret).now()},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) >= 1
    assert "Attendez" in right.text
    assert client.get("/admin/cles", follow_redirects=False).status_code == 303  # not signed in


def test_wrong_codes_on_the_api_are_throttled(client: TestClient, rt: Runtime) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    secret = admin_with_secret(rt)
    for n in range(6):
        answer = client.post(
            "/api/v1/session", json={"login": "root.admin", "password": PASSWORD, "totp": f"{n}"}
        )
        assert answer.status_code == 401
    right = client.post(
        "/api/v1/session",
        json={"login": "root.admin", "password": PASSWORD, "totp": pyotp.TOTP(secret).now()},
    )
    assert right.status_code == 429
    assert right.headers["retry-after"]


def wrong_code(secret: str) -> str:
    """A code the app shows neither now nor a step before or after."""
    app = pyotp.TOTP(secret)
    return next(c for c in ("000000", "111111", "222222") if not app.verify(c, valid_window=1))


def test_a_wrong_code_is_journaled_for_the_person_a_missing_one_is_not(
    client: TestClient, rt: Runtime
) -> None:
    """Someone holding the password but not the phone shows in the person's history, from the
    API and from the pages' second step; no actor is named (it may not be the person)."""
    secret = admin_with_secret(rt)
    missing = client.post("/api/v1/session", json={"login": "root.admin", "password": PASSWORD})
    assert (missing.status_code, missing.json()["field"]) == (401, "totp")
    wrong = client.post(
        "/api/v1/session",
        json={"login": "root.admin", "password": PASSWORD, "totp": wrong_code(secret)},
    )
    assert wrong.status_code == 401
    assert page_sign_in(client, "root.admin", PASSWORD).headers["location"] == "/connexion/code"
    on_page = client.post(
        "/connexion/code",
        data={"csrf": form_csrf(client, "/connexion/code"), "code": wrong_code(secret)},
        headers=SAME_ORIGIN,
    )
    assert on_page.status_code == 401
    with transaction(rt.sessions) as db:
        admin = db.scalars(select(Person).where(Person.login == "root.admin")).one()
        lines = [
            (e.action, e.actor_id)
            for e in db.scalars(
                select(JournalEvent).where(
                    JournalEvent.subject_id == admin.id, JournalEvent.action.like("%failed")
                )
            )
        ]
    assert lines == [("second_factor_failed", None)] * 2


def test_recovery_codes_are_throttled_on_the_page(client: TestClient, rt: Runtime) -> None:
    """Per address (20 free failures): a code of ~59 bits needs no account's count."""
    rt.settings.throttle_base_delay_seconds = 60
    codes = client.post(
        "/api/v1/beneficiaries",
        json={"login": "amina.diallo", "display_name": "Amina", "password": PASSWORD},
    ).json()["recovery_codes"]
    token = form_csrf(client, "/mot-de-passe-oublie")
    form = {"csrf": token, "login": "amina.diallo", "password": "une phrase toute neuve"}
    for _ in range(21):
        wrong = client.post(
            "/mot-de-passe-oublie", data={**form, "code": "AAAA-BBBB-CCCC"}, headers=SAME_ORIGIN
        )
        assert wrong.status_code == 401
    right = client.post(
        "/mot-de-passe-oublie", data={**form, "code": codes[0]}, headers=SAME_ORIGIN
    )
    assert right.status_code == 429
    assert right.headers["retry-after"]
    api = client.post(
        "/api/v1/recovery",
        json={"login": "amina.diallo", "code": codes[0], "new_password": "une phrase toute neuve"},
    )
    assert api.status_code == 429
    assert api.headers["retry-after"]


# Finding 5: the source address


def test_x_forwarded_for_is_ignored_by_default(client: TestClient, rt: Runtime) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    sign_up(client, "amina.diallo")
    for n in range(21):
        client.post(
            "/api/v1/session",
            json={"login": f"quelqu.un{n}", "password": WRONG},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
    answer = client.post(
        "/api/v1/session",
        json={"login": "amina.diallo", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert answer.status_code == 429
    assert answer.headers["retry-after"]


def request_from(peer: str, forwarded: str | None, trusted: str) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    app = type("App", (), {})()
    app.state = type("State", (), {})()
    app.state.runtime = type(
        "Rt", (), {"settings": Settings(_env_file=None, trusted_proxies=trusted)}
    )()
    return Request(
        {"type": "http", "headers": headers, "client": (peer, 4000), "app": app, "path": "/"}
    )


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("127.0.0.1", "6.6.6.6", "", "127.0.0.1"),
        ("192.0.2.10", "6.6.6.6", "10.0.0.0/8", "192.0.2.10"),
        ("10.0.0.5", "198.51.100.7", "10.0.0.0/8", "198.51.100.7"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.7", "10.0.0.0/8", "198.51.100.7"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.9", "10.0.0.0/8", "198.51.100.7"),
        ("10.0.0.5", "198.51.100.7, 10.1.2.3", "10.0.0.5, 10.1.0.0/16", "198.51.100.7"),
        ("10.0.0.5", None, "10.0.0.0/8", "10.0.0.5"),
        ("10.0.0.5", "not an address", "10.0.0.0/8", "10.0.0.5"),
        ("::1", "2001:db8::1", "::1", "2001:db8::1"),
        # An IPv4 client through a dual-stack socket or proxy: its IPv4 address.
        ("10.0.0.5", "::ffff:198.51.100.7", "10.0.0.0/8", "198.51.100.7"),
        ("::ffff:10.0.0.5", "198.51.100.7", "10.0.0.0/8", "198.51.100.7"),
        ("::ffff:192.0.2.10", None, "", "192.0.2.10"),
        ("testclient", "6.6.6.6", "10.0.0.0/8", "testclient"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, trusted: str, expected: str) -> None:
    assert client_address(request_from(peer, forwarded, trusted)) == expected


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValueError, match="COFFRE_TRUSTED_PROXIES"):
        Settings(_env_file=None, trusted_proxies="10.0.0.0/8, pas une adresse")


@pytest.mark.parametrize("written", ["{}", "::ffff:{}"], ids=["ipv4", "ipv4-mapped"])
def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(rt: Runtime, written: str) -> None:
    """Also when the proxy writes IPv4 clients as IPv6 (« ::ffff:a.b.c.d »), whose /64 would
    be every IPv4 client at once."""
    rt.settings.throttle_base_delay_seconds = 60
    rt.settings.trusted_proxies = "10.0.0.0/8"
    proxy = TestClient(
        create_app(runtime=rt), base_url="http://coffre.test", client=("10.0.0.2", 1)
    )
    with proxy:
        sign_up(proxy, "amina.diallo")
        for n in range(21):
            proxy.post(
                "/api/v1/session",
                json={"login": f"quelqu.un{n}", "password": WRONG},
                headers={"X-Forwarded-For": written.format("203.0.113.9")},
            )
        blocked = proxy.post(
            "/api/v1/session",
            json={"login": "amina.diallo", "password": PASSWORD},
            headers={"X-Forwarded-For": written.format("203.0.113.9")},
        )
        assert blocked.status_code == 429
        elsewhere = proxy.post(
            "/api/v1/session",
            json={"login": "amina.diallo", "password": PASSWORD},
            headers={"X-Forwarded-For": written.format("198.51.100.7")},
        )
        assert elsewhere.status_code == 201


def test_ipv6_neighbours_share_a_bucket(rt: Runtime) -> None:
    """One /64 is one subscriber: changing the last 64 bits does not escape the count."""
    rt.settings.throttle_base_delay_seconds = 60
    for n in range(21):
        with TestClient(
            create_app(runtime=rt), base_url="http://coffre.test", client=(f"2001:db8::{n + 1}", 1)
        ) as neighbour:
            neighbour.post("/api/v1/session", json={"login": f"x.y{n}", "password": WRONG})
    with TestClient(
        create_app(runtime=rt), base_url="http://coffre.test", client=("2001:db8::ff", 1)
    ) as last:
        assert (
            last.post("/api/v1/session", json={"login": "a.b", "password": WRONG}).status_code
            == 429
        )


# Device cookies


def test_the_owner_with_a_device_cookie_still_signs_in(client: TestClient, rt: Runtime) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    sign_up(client, "amina.diallo")
    first = page_sign_in(client, "amina.diallo", PASSWORD)
    assert first.status_code == 303
    cookie = first.headers["set-cookie"]
    assert "coffre_device=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Max-Age=" in cookie
    assert device_cookie(client)
    with transaction(rt.sessions) as db:
        stored = db.scalars(select(TrustedDevice)).one()
        assert stored.token_hash != device_cookie(client)
    client.post(
        "/quitter", data={"csrf": csrf_of(client.get("/papiers").text)}, headers=SAME_ORIGIN
    )
    client.cookies.delete("coffre_session")

    stranger = TestClient(client.app, base_url="http://coffre.test")
    others_fail_from_this_address(stranger)
    assert page_sign_in(stranger, "amina.diallo", PASSWORD).status_code == 429  # no cookie
    again = page_sign_in(client, "amina.diallo", PASSWORD)
    assert again.status_code == 303
    assert again.headers["location"] == "/papiers"


def test_a_device_cookie_counts_only_for_its_own_login(client: TestClient, rt: Runtime) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    sign_up(client, "amina.diallo")
    sign_up(client, "bruno.martin", "Bruno Martin")
    assert page_sign_in(client, "amina.diallo", PASSWORD).status_code == 303
    others_fail_from_this_address(TestClient(client.app, base_url="http://coffre.test"))
    client.cookies.delete("coffre_session")
    assert page_sign_in(client, "bruno.martin", PASSWORD).status_code == 429


def test_a_stolen_device_cookie_gets_only_a_few_tries(client: TestClient, rt: Runtime) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    sign_up(client, "amina.diallo")
    assert page_sign_in(client, "amina.diallo", PASSWORD).status_code == 303
    thief = TestClient(client.app, base_url="http://coffre.test")
    thief.cookies.set("coffre_device", device_cookie(client) or "", domain="coffre.test")
    others_fail_from_this_address(TestClient(client.app, base_url="http://coffre.test"))
    statuses = [page_sign_in(thief, "amina.diallo", f"{WRONG} {n}").status_code for n in range(7)]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}  # the cookie is no longer trusted: the address rule is back


def test_a_shared_computer_gets_no_device_cookie(client: TestClient, rt: Runtime) -> None:
    sign_up(client, "amina.diallo")
    answer = page_sign_in(client, "amina.diallo", PASSWORD, shared="1")
    assert answer.status_code == 303
    assert "coffre_device" not in answer.headers.get("set-cookie", "")
    with transaction(rt.sessions) as db:
        assert db.scalar(select(func.count()).select_from(TrustedDevice)) == 0


def test_device_cookies_end_when_the_password_changes(client: TestClient, rt: Runtime) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    amina = sign_up(client, "amina.diallo")
    assert page_sign_in(client, "amina.diallo", PASSWORD).status_code == 303
    changed = client.post(
        "/api/v1/me/password",
        headers=amina["headers"],
        json={"current_password": PASSWORD, "new_password": "une toute autre phrase"},
    )
    assert changed.status_code == 204
    with transaction(rt.sessions) as db:
        assert db.scalar(select(func.count()).select_from(TrustedDevice)) == 0
    others_fail_from_this_address(TestClient(client.app, base_url="http://coffre.test"))
    client.cookies.delete("coffre_session")
    assert page_sign_in(client, "amina.diallo", "une toute autre phrase").status_code == 429


def test_the_second_step_keeps_the_device_cookie_rule(client: TestClient, rt: Runtime) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    secret = admin_with_secret(rt)
    first = page_sign_in(client, "root.admin", PASSWORD)
    assert first.headers["location"] == "/connexion/code"
    token = form_csrf(client, "/connexion/code")
    code = client.post(
        "/connexion/code",
        data={"csrf": token, "code": pyotp.TOTP(secret).now()},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert code.status_code == 303
    assert device_cookie(client)
    client.cookies.delete("coffre_session")
    others_fail_from_this_address(TestClient(client.app, base_url="http://coffre.test"))
    assert page_sign_in(client, "root.admin", PASSWORD).headers["location"] == "/connexion/code"


def test_coffre_serve_leaves_the_client_address_to_us(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's proxy_headers would believe X-Forwarded-For from 127.0.0.1."""
    from webui import app as web_app
    from webui.cli import serve as serve_command
    from webui.cli import shared as cli_shared

    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli_shared, "runtime", lambda: None)
    monkeypatch.setattr(web_app, "create_app", lambda runtime: "app")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    serve_command.serve()
    assert seen["proxy_headers"] is False
