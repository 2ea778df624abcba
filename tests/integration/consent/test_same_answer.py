"""Finding 7: whether a login exists must not show in any answer. An existing and an unknown
login get byte-identical answers (status and body) from recovery and from access requests, on
each back end; a database error is a clean 4xx, never a 500."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError, IntegrityError

from tests.app_fixtures import PASSWORD, admin_headers, organisation, professional, sign_up
from tests.integration.webui.test_pages import SAME_ORIGIN, csrf_of, form_csrf
from vault.runtime import Runtime

EXISTING, UNKNOWN = "amina.diallo", "personne.inconnue"


def answer_of(response: Any) -> tuple[int, bytes]:
    return response.status_code, response.content


def test_recovery_checks_the_code_before_the_new_password(client: TestClient) -> None:
    sign_up(client, EXISTING, "Amina Diallo")
    answers = [
        answer_of(
            client.post(
                "/api/v1/recovery",
                json={"login": login, "code": "AAAA-BBBB-CCCC", "new_password": "Amina Diallo"},
            )
        )
        for login in (EXISTING, UNKNOWN)
    ]
    assert answers[0] == answers[1]
    assert answers[0][0] == 401


def people(client: TestClient, rt: Runtime) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two counsellors of one organisation; a person with a vault."""
    admin = admin_headers(client, rt)
    org_id = organisation(client, admin)
    claire = professional(client, admin, org_id, "claire.martin")
    bruno = professional(client, admin, org_id, "bruno.petit")
    sign_up(client, EXISTING)
    return claire, bruno


def test_access_requests_look_the_same_on_the_professional_side(
    client: TestClient, rt: Runtime
) -> None:
    claire, bruno = people(client, rt)
    asked = []
    for who, login in ((claire, EXISTING), (bruno, UNKNOWN)):
        answer = client.post(
            "/api/v1/access-requests",
            headers=who["headers"],
            json={"login": login, "scopes": ["view"]},
        )
        asked.append(answer_of(answer))
    assert asked[0] == asked[1] == (202, b"")
    seen = [answer_of(client.get("/api/v1/grants", headers=w["headers"])) for w in (claire, bruno)]
    assert seen[0] == seen[1] == (200, b"[]")

    # A refused request does not show either.
    amina = client.post("/api/v1/session", json={"login": EXISTING, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {amina['token']}"}
    pending = client.get("/api/v1/grants", headers=headers).json()
    client.post(f"/api/v1/grants/{pending[0]['id']}/refuse", headers=headers)
    assert answer_of(client.get("/api/v1/grants", headers=claire["headers"])) == (200, b"[]")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["view"], "categories": ["identity", "identity"]}, "categories"),
        ({"scopes": ["view"], "categories": ["identity"] * 60}, "categories"),
        ({"scopes": ["view"], "categories": ["passport"]}, "categories"),
        ({"scopes": ["view", "view"]}, "scopes"),
        ({"scopes": ["read"]}, "scopes"),
    ],
)
def test_bad_terms_are_refused_before_any_lookup(
    client: TestClient, rt: Runtime, body: dict[str, Any], field: str
) -> None:
    claire, _bruno = people(client, rt)
    answers = [
        answer_of(
            client.post(
                "/api/v1/access-requests", headers=claire["headers"], json={"login": login, **body}
            )
        )
        for login in (EXISTING, UNKNOWN)
    ]
    assert answers[0] == answers[1]
    assert answers[0][0] == 422
    assert f'"field":"{field}"' in answers[0][1].decode()


def test_the_request_page_says_the_same_whoever_exists(client: TestClient, rt: Runtime) -> None:
    people(client, rt)
    token = form_csrf(client, "/connexion")
    client.post(
        "/connexion",
        data={"csrf": token, "login": "claire.martin", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    csrf = csrf_of(client.get("/personnes/demande").text)
    pages = [
        client.post(
            "/personnes/demande",
            data={"csrf": csrf, "login": login, "scopes": "view"},
            headers=SAME_ORIGIN,
        )
        for login in (EXISTING, UNKNOWN)
    ]
    assert answer_of(pages[0]) == answer_of(pages[1])
    assert "Si cette personne a un coffre, elle verra votre demande" in pages[0].text


def test_database_errors_are_clean_answers(rt: Runtime) -> None:
    from webui.app import create_app

    app: FastAPI = create_app(runtime=rt)

    @app.get("/api/v1/broken/{kind}")
    def broken(kind: str) -> None:
        if kind == "data":
            raise DataError("UPDATE x", {}, Exception("value too long"))
        raise IntegrityError("INSERT x", {}, Exception("duplicate key"))

    client = TestClient(app, base_url="http://coffre.test")
    data = client.get("/api/v1/broken/data")
    assert data.status_code == 422
    assert set(data.json()) == {"detail", "field"}
    conflict = client.get("/api/v1/broken/integrity")
    assert conflict.status_code == 409
    assert set(conflict.json()) == {"detail", "field"}
