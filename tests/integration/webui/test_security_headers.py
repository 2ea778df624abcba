"""Every answer carries the security headers, whatever produced it: a page, the API, a refusal,
a crash caught by Starlette's own error middleware, a static file, a redirect."""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.responses import Response as PlainResponse

from tests.app_fixtures import PASSWORD, sign_up
from vault.config import Settings
from vault.runtime import Runtime
from webui.app import create_app

REQUIRED_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)
SAME_ORIGIN = {"Origin": "http://coffre.test", "Sec-Fetch-Site": "same-origin"}


def assert_protected(answer: Any) -> None:
    headers = answer.headers
    csp = headers.get("content-security-policy", "")
    for directive in REQUIRED_CSP:
        assert directive in csp, (answer.request.url, directive)
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "no-referrer"
    assert headers.get("x-frame-options") == "DENY"
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in headers.get("permissions-policy", "")
    assert "server" not in headers
    assert "strict-transport-security" not in headers  # plain HTTP


@pytest.fixture
def settings(tmp_path: Path, sqlite_schema: Path) -> Settings:
    """Headers do not depend on the back end: the embedded default is enough."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    shutil.copyfile(sqlite_schema, data_dir / "coffre.db")
    return Settings(
        _env_file=None, data_dir=data_dir, keyring=(tmp_path / "keys" / "keyring.json").as_uri()
    )


@pytest.fixture
def app(rt: Runtime) -> FastAPI:
    app = create_app(runtime=rt)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug nobody caught")

    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://coffre.test", raise_server_exceptions=False) as client:
        yield client


def over_the_sign_up_limit(client: TestClient, rt: Runtime) -> Any:
    rt.settings.signups_per_address_per_hour = 1  # amina's was the one
    body = {"login": "deuxieme.personne", "display_name": "Deuxième", "password": PASSWORD}
    return client.post("/api/v1/beneficiaries", json=body)


KINDS: dict[str, tuple[int, Callable[[TestClient, Runtime, dict[str, Any]], Any]]] = {
    "page": (200, lambda c, rt, me: c.get("/connexion")),
    "api": (200, lambda c, rt, me: c.get("/api/v1/me", headers=me["headers"])),
    "page-404": (404, lambda c, rt, me: c.get("/nulle-part")),
    "api-404": (404, lambda c, rt, me: c.get("/api/v1/nulle-part")),
    "page-405": (405, lambda c, rt, me: c.post("/aide", headers=SAME_ORIGIN)),
    "api-405": (405, lambda c, rt, me: c.put("/api/v1/me", headers=me["headers"])),
    "413": (
        413,
        lambda c, rt, me: c.post(
            "/api/v1/vaults/me/documents",
            headers={
                **me["headers"],
                "Content-Type": "multipart/form-data; boundary=x",
                "Content-Length": str(rt.settings.max_upload_bytes * 2),
            },
            content=b"",
        ),
    ),
    "422": (422, lambda c, rt, me: c.post("/api/v1/session", json={})),
    "429": (429, lambda c, rt, me: over_the_sign_up_limit(c, rt)),
    "500": (500, lambda c, rt, me: c.get("/boom")),
    "static": (200, lambda c, rt, me: c.get("/static/style.css")),
    "redirect": (303, lambda c, rt, me: c.get("/", follow_redirects=False)),
    "api-docs": (200, lambda c, rt, me: c.get("/api/docs")),
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_answer_has_the_headers(client: TestClient, rt: Runtime, kind: str) -> None:
    status, ask = KINDS[kind]
    me = sign_up(client, "amina.diallo")
    answer = ask(client, rt, me)
    assert answer.status_code == status, answer.text
    assert_protected(answer)


def test_a_page_405_keeps_allow(client: TestClient) -> None:
    answer = client.post("/aide", headers=SAME_ORIGIN)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"
    assert "text/html" in answer.headers["content-type"]


def test_a_header_a_route_set_is_kept(app: FastAPI, client: TestClient) -> None:
    """A served paper sets its own CSP (a sandbox, framed by our own page only)."""

    @app.get("/own-policy")
    def own_policy() -> PlainResponse:
        own = "sandbox; default-src 'none'; frame-ancestors 'self'"
        return PlainResponse(b"x", headers={"Content-Security-Policy": own})

    answer = client.get("/own-policy")
    assert answer.headers["content-security-policy"] == (
        "sandbox; default-src 'none'; frame-ancestors 'self'"
    )
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.headers["x-content-type-options"] == "nosniff"


HSTS = "strict-transport-security"


def test_hsts_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://coffre.test") as client:
        for path in ("/connexion", "/static/style.css", "/nulle-part"):
            assert client.get(path).headers[HSTS].startswith("max-age=")


@pytest.mark.parametrize(
    ("peer", "forwarded_proto", "expected"),
    [
        ("10.0.0.7", "https", True),
        ("10.0.0.7", "http", False),
        ("10.0.0.7", None, False),
        ("203.0.113.9", "https", False),  # an untrusted peer says what it likes
    ],
)
def test_hsts_behind_a_proxy_only_if_trusted(
    app: FastAPI, rt: Runtime, peer: str, forwarded_proto: str | None, expected: bool
) -> None:
    rt.settings.trusted_proxies = "10.0.0.0/8"
    headers = {"X-Forwarded-Proto": forwarded_proto} if forwarded_proto else {}
    with TestClient(app, base_url="http://coffre.test", client=(peer, 40000)) as client:
        answer = client.get("/connexion", headers=headers)
    assert (HSTS in answer.headers) is expected


def test_behind_a_trusted_https_proxy_the_forms_work_with_secure_cookies(
    app: FastAPI, rt: Runtime
) -> None:
    """The browser speaks HTTPS to the proxy: its Origin is https://, its cookies Secure."""
    rt.settings.trusted_proxies = "10.0.0.0/8"
    proxy = {"X-Forwarded-Proto": "https"}
    with TestClient(app, base_url="http://coffre.test", client=("10.0.0.7", 40000)) as client:
        sign_up(client, "amina.diallo")
        form = client.get("/connexion", headers=proxy)
        token = form.text.split('name="csrf" value="')[1].split('"')[0]
        form_cookie = form.headers["set-cookie"]
        assert form_cookie.startswith("__Host-coffre_form=")
        assert "Secure" in form_cookie
        # What the browser sends back over HTTPS (the test client talks plain HTTP to us).
        answer = client.post(
            "/connexion",
            data={"csrf": token, "login": "amina.diallo", "password": PASSWORD},
            headers={
                **proxy,
                "Origin": "https://coffre.test",
                "Sec-Fetch-Site": "same-origin",
                "Cookie": form_cookie.split(";")[0],
            },
            follow_redirects=False,
        )
    assert answer.status_code == 303, answer.text
    session_cookie = next(
        line for line in answer.headers.get_list("set-cookie") if "coffre=" in line
    )
    assert session_cookie.startswith("__Host-coffre=")
    assert "Secure" in session_cookie
