"""Markup and SQL-looking text are fair names, titles and words: stored as typed through the
API, they come back escaped on every page that shows them, to the person, their counsellor,
the organisation's admin, the platform admin and the office that opens a link."""

from typing import Any

from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, PROVISIONAL_PASSWORD, REAUTH, choose_own_password
from tests.samples import pdf
from vault.accounts.sessions import open_session
from vault.db import transaction
from vault.models import Person
from vault.runtime import Runtime

from .cases import Caller
from .payloads import SQL, XSS
from .runner import unescaped
from .world import SESSION_COOKIE, World, build_world, client_for

TITLE = f"{XSS[1]} {SQL[0]}"
NAME = f"{XSS[0]} {SQL[1]}"


def created(answer: Any, status: int = 201) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


def bearer(client: TestClient, login: str) -> dict[str, str]:
    token = created(client.post("/api/v1/session", json={"login": login, "password": PASSWORD}))
    return {"Authorization": f"Bearer {token['token']}"}


def page_session(rt: Runtime, person_id: str) -> str:
    with transaction(rt.sessions) as db:
        token, _ = open_session(db, rt.settings, db.get_one(Person, person_id), "web")
    return token


def hostile_things(client: TestClient, world: World) -> dict[str, Any]:
    """An organisation, its admin and a counsellor, a beneficiary, her papers, a grant and two
    links: every name and word a string of markup or SQL."""
    admin = {"Authorization": f"Bearer {world.credentials[Caller.ADMIN].api_token}"}
    org = created(client.post("/api/v1/organisations", headers=admin, json={"name": XSS[0]}))
    members = {}
    for login, role, name in (("xavier.x", "counsellor", XSS[1]), ("oscar.x", "org_admin", NAME)):
        members[login] = created(
            client.post(
                f"/api/v1/organisations/{org['id']}/counsellors",
                headers=admin,
                json={
                    "login": login,
                    "display_name": name,
                    "password": PROVISIONAL_PASSWORD,
                    "role": role,
                    **REAUTH,
                },
            )
        )
        choose_own_password(client, login)
    awa = created(
        client.post(
            "/api/v1/beneficiaries",
            json={"login": "awa.x", "display_name": NAME, "password": PASSWORD},
        )
    )
    her, xavier = bearer(client, "awa.x"), bearer(client, "xavier.x")
    papers = [
        created(
            client.post(
                "/api/v1/vaults/me/documents",
                headers=her,
                data={"title": TITLE, "category": "identity", "expires_on": "2000-01-01"},
                files={"file": (f"{XSS[1]}.pdf", pdf(), "application/pdf")},
            )
        )["id"]
        for _ in range(2)
    ]
    created(client.delete(f"/api/v1/documents/{papers[1]}", headers=her), 204)
    created(
        client.post(
            "/api/v1/grants",
            headers=her,
            json={"counsellor_id": members["xavier.x"]["id"], "scopes": ["view", "manage"]},
        )
    )
    links = [
        created(
            client.post(
                f"/api/v1/documents/{papers[0]}/shares",
                headers=who,
                json={"recipient": XSS[0], "purpose": TITLE, "expires_in_hours": 24},
            )
        )["url"].rsplit("/", 1)[1]
        for who in (her, xavier)
    ]
    # A look and a refused attempt, for her history.
    created(client.get(f"/api/v1/documents/{papers[0]}", headers=xavier), 200)
    claire = {"Authorization": f"Bearer {world.credentials[Caller.COUNSELLOR].api_token}"}
    created(client.get(f"/api/v1/documents/{papers[0]}", headers=claire), 404)
    return {
        "awa": awa,
        "members": members,
        "paper": papers[0],
        "links": links,
        "org": org["id"],
    }


def test_stored_markup_is_shown_escaped_everywhere(rt: Runtime) -> None:
    world = build_world(rt)
    with client_for(rt) as client:
        things = hostile_things(client, world)
        paper, vault = things["paper"], things["awa"]["vault_id"]
        visits = {
            things["awa"]["id"]: [
                "/papiers",
                f"/papiers/{paper}",
                f"/papiers/{paper}/liens",
                f"/papiers/{paper}/envoyer",
                f"/papiers/{paper}/supprimer",
                "/historique",
                "/acces",
                "/compte",
                "/corbeille",
            ],
            things["members"]["xavier.x"]["id"]: [
                "/personnes",
                f"/personnes/{vault}",
                f"/papiers/{paper}",
                f"/papiers/{paper}/liens",
            ],
            things["members"]["oscar.x"]["id"]: ["/organisation"],
            world.people[Caller.ADMIN].id: ["/admin/cles"],
            "": [f"/s/{token}" for token in things["links"]],
        }
        shown = ""
        problems = []
        for person_id, pages in visits.items():
            client.cookies.clear()
            if person_id:
                client.cookies.set(
                    SESSION_COOKIE, page_session(rt, person_id), domain="coffre.test"
                )
            for url in pages:
                answer = client.get(url)
                if answer.status_code != 200:
                    problems.append(f"{url}: {answer.status_code}")
                problems += [f"{url}: {p}" for p in unescaped(answer.text)]
                shown += answer.text
    assert problems == []
    # Shown, escaped: the pages did show the hostile text.
    for escaped in ("&lt;script&gt;alert(", "&lt;img src=x onerror=alert(1)&gt;", "DROP TABLE"):
        assert escaped in shown
