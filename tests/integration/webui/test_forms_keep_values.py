"""A refused form comes back with what was typed: text, dates, the chosen option, the ticked
boxes; never a password nor the file. The error summary links to the field, and the field
says what is wrong. Page routes never answer JSON, whatever the link or the form sent."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from tests.app_fixtures import PASSWORD, REAUTH, admin_headers, organisation, professional, sign_up
from tests.integration.vault.helpers import counts
from tests.integration.webui.shown_form import Shown, shown
from tests.integration.webui.test_pages import (
    SAME_ORIGIN,
    form_csrf,
    page_signed_in,
    signed_up,
)
from tests.samples import pdf
from vault.runtime import Runtime
from webui.app import create_app

TYPED = {"category": "bank", "title": "Relevé de mars", "expires_on": "2031-03-31"}
SECRET = "ma phrase secrète 2024"


def refused(answer: Any, status: int, field_id: str) -> Shown:
    """The form again, refused with `status`, the summary pointing at `field_id`, no secret."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    page = shown(answer.text)
    page.summary_points_to(field_id)
    assert f'id="{field_id}-error"' in answer.text  # the message by the field
    assert SECRET not in answer.text
    assert all(value == "" for value in page.secrets)
    return page


def page_sign_in(client: TestClient, login: str) -> str:
    """Signs in through the page, afresh; returns the session's CSRF token."""
    client.cookies.clear()
    return page_signed_in(client, login)


def add(
    client: TestClient, csrf: str, content: bytes | None, query: str = "", **fields: str
) -> Any:
    files = {"file": ("releve.pdf" if content else "", content or b"", "application/pdf")}
    return client.post(
        f"/papiers/ajouter{query}",
        data={"csrf": csrf, **TYPED, **fields},
        files=files,
        headers=SAME_ORIGIN,
    )


def assert_typed(page: Shown, **changed: str) -> None:
    expected = {**TYPED, **changed}
    assert page.values.get("title") == expected["title"]
    assert page.values.get("expires_on") == expected["expires_on"]
    assert page.values.get("category") == expected["category"]


@pytest.mark.parametrize(
    ("content", "fields", "status", "field_id"),
    [
        (b"<html>pas un papier</html>", {}, 415, "file"),
        (b"", {}, 422, "file"),
        (None, {}, 422, "file"),
        (pdf(), {"title": "x" * 300}, 422, "title"),
        (pdf(), {"expires_on": "31/02/2030"}, 422, "expires_on"),
    ],
    ids=["wrong-type", "empty-file", "no-file", "title-too-long", "bad-date"],
)
def test_a_refused_paper_keeps_what_was_typed(
    client: TestClient,
    rt: Runtime,
    content: bytes | None,
    fields: dict[str, str],
    status: int,
    field_id: str,
) -> None:
    csrf = signed_up(client)
    page = refused(add(client, csrf, content, **fields), status, field_id)
    assert_typed(page, **fields)
    assert counts(rt) == (0, 0, 0)


def test_an_unknown_category_is_refused_with_the_rest_kept(client: TestClient) -> None:
    csrf = signed_up(client)
    page = refused(add(client, csrf, pdf(), category="nonsense"), 422, "category")
    assert page.values.get("title") == TYPED["title"]
    assert page.values.get("expires_on") == TYPED["expires_on"]


def test_a_file_too_big_keeps_what_was_typed(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    rt.settings.max_upload_bytes = 1024 * 1024
    declared = refused(add(client, csrf, pdf(padding=2 * 1024 * 1024)), 413, "file")
    assert_typed(declared)

    boundary = "coffreboundary"

    def streamed() -> Iterator[bytes]:
        for name, value in {"csrf": csrf, **TYPED}.items():
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="gros.pdf"'
            "\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        ).encode()
        for _ in range(40):
            yield b"0" * 65536
        yield f"\r\n%%EOF\r\n--{boundary}--\r\n".encode()

    answer = client.post(
        "/papiers/ajouter",
        content=streamed(),
        headers={**SAME_ORIGIN, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_typed(refused(answer, 413, "file"))
    assert counts(rt) == (0, 0, 0)


def test_fields_sent_after_a_refused_file_are_kept(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    boundary = "coffreboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="page.html"\r\n'
        "Content-Type: text/html\r\n\r\n<html>pas un papier</html>\r\n",
        *(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in TYPED.items()
        ),
        f"--{boundary}--\r\n",
    ]
    answer = client.post(
        "/papiers/ajouter",
        content="".join(parts).encode(),
        headers={**SAME_ORIGIN, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_typed(refused(answer, 415, "file"))
    assert counts(rt) == (0, 0, 0)


@pytest.fixture
def ccas(client: TestClient, rt: Runtime) -> dict[str, Any]:
    """An organisation with its administrator Olga and a counsellor Claire (page-ready logins)."""
    admin = admin_headers(client, rt)
    org_id = organisation(client, admin)
    return {
        "org_id": org_id,
        "olga": professional(client, admin, org_id, "olga.admin", role="org_admin"),
        "claire": professional(client, admin, org_id, "claire.martin"),
    }


def test_a_counsellor_adding_for_someone_keeps_what_was_typed(
    client: TestClient, rt: Runtime, ccas: dict[str, Any]
) -> None:
    amina = sign_up(client, "amina.diallo")
    given = client.post(
        "/api/v1/grants",
        headers=amina["headers"],
        json={
            "counsellor_id": ccas["claire"]["id"],
            "current_password": PASSWORD,
            "scopes": ["view", "upload"],
            "categories": ["identity"],
        },
    )
    assert given.status_code == 201, given.text
    csrf = page_sign_in(client, "claire.martin")
    query = f"?coffre={amina['vault_id']}"
    page = refused(add(client, csrf, pdf(), query=query), 422, "category")
    assert_typed(page)
    assert f"/papiers/ajouter{query}" in page.form_actions
    assert counts(rt) == (0, 0, 0)


def test_the_organisation_form_keeps_what_was_typed(
    client: TestClient, ccas: dict[str, Any]
) -> None:
    csrf = page_sign_in(client, "olga.admin")
    org_id = ccas["org_id"]
    form = {"csrf": csrf, "display_name": "Claire Bis", "login": "claire.martin", **REAUTH}
    taken = client.post(
        f"/organisation/{org_id}/conseillers",
        data={**form, "password": SECRET},
        headers=SAME_ORIGIN,
    )
    page = refused(taken, 409, f"{org_id}-login")
    assert page.values[f"{org_id}-display_name"] == "Claire Bis"
    assert page.values[f"{org_id}-login"] == "claire.martin"

    weak = client.post(
        f"/organisation/{org_id}/conseillers",
        data={**form, "login": "claire.bis", "password": "court"},
        headers=SAME_ORIGIN,
    )
    page = refused(weak, 422, f"{org_id}-password")
    assert page.values[f"{org_id}-login"] == "claire.bis"


def test_the_new_person_form_keeps_what_was_typed(client: TestClient, ccas: dict[str, Any]) -> None:
    csrf = page_sign_in(client, "claire.martin")
    form = {"csrf": csrf, "display_name": "Moussa Traoré", "login": "moussa.traore"}
    weak = client.post(
        "/personnes/nouvelle",
        data={**form, "password": "court", "consent": "yes"},
        headers=SAME_ORIGIN,
    )
    page = refused(weak, 422, "password")
    assert page.values["display_name"] == "Moussa Traoré"
    assert page.values["login"] == "moussa.traore"
    assert ("consent", "yes") in page.checked

    unticked = client.post(
        "/personnes/nouvelle", data={**form, "password": SECRET}, headers=SAME_ORIGIN
    )
    page = refused(unticked, 422, "consent")
    assert page.values["login"] == "moussa.traore"
    assert ("consent", "yes") not in page.checked


def test_the_request_form_keeps_what_was_typed(client: TestClient, ccas: dict[str, Any]) -> None:
    csrf = page_sign_in(client, "claire.martin")
    nothing = client.post(
        "/personnes/demande", data={"csrf": csrf, "login": "amina.diallo"}, headers=SAME_ORIGIN
    )
    page = refused(nothing, 422, "scopes")
    assert page.values["login"] == "amina.diallo"
    assert page.checked == set()  # not ticked again behind the counsellor's back

    twice = client.post(
        "/personnes/demande",
        data={"csrf": csrf, "login": "amina.diallo", "scopes": ["upload", "recover", "recover"]},
        headers=SAME_ORIGIN,
    )
    page = refused(twice, 422, "scopes")
    assert page.checked == {("scopes", "upload"), ("scopes", "recover")}


def test_the_contact_form_keeps_what_was_typed(client: TestClient) -> None:
    csrf = signed_up(client)
    typed = {"preferred_language": "ar", "email": "fatou@example.org", "phone": "06 12 34 56 78"}
    no_password = client.post("/compte/infos", data={"csrf": csrf, **typed}, headers=SAME_ORIGIN)
    page = refused(no_password, 422, "infos-current_password")
    for field_id, value in typed.items():
        assert page.values[field_id] == value

    for field, wrong, said in (
        ("email", "pas une adresse", "Ce contact n'est pas valide."),
        ("phone", "chez ma soeur", "Écrivez un numéro de téléphone avec des chiffres"),
    ):
        answer = client.post(
            "/compte/infos",
            data={"csrf": csrf, **typed, field: wrong, "current_password": PASSWORD},
            headers=SAME_ORIGIN,
        )
        page = refused(answer, 422, field)
        assert page.values[field] == wrong
        assert page.values["preferred_language"] == "ar"
        assert said in answer.text.replace("&#39;", "'")


def test_a_refused_second_factor_keeps_the_key_to_scan(
    client: TestClient, ccas: dict[str, Any]
) -> None:
    csrf = page_sign_in(client, "claire.martin")
    key = shown(client.get("/compte").text).named["secret"]
    wrong = client.post(
        "/compte/double-verification",
        data={"csrf": csrf, "secret": key, "code": "000000", "current_password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    page = refused(wrong, 422, "code")
    assert page.named["secret"] == key  # the app the person just set up still matches


def test_sign_up_keeps_what_was_typed(client: TestClient) -> None:
    sign_up(client, "amina.diallo")
    client.cookies.clear()
    token = form_csrf(client, "/inscription")
    unnamed = client.post(
        "/inscription",
        data={"csrf": token, "step": "1", "display_name": " ", "preferred_language": "ar"},
        headers=SAME_ORIGIN,
    )
    assert refused(unnamed, 422, "display_name").values["preferred_language"] == "ar"

    taken = client.post(
        "/inscription",
        data={
            "csrf": token,
            "step": "2",
            "display_name": "Amina Diallo",
            "preferred_language": "en",
            "login": "amina.diallo",
            "password": SECRET,
        },
        headers=SAME_ORIGIN,
    )
    page = refused(taken, 409, "login")
    assert page.values["login"] == "amina.diallo"
    assert page.named["display_name"] == "Amina Diallo"
    assert page.named["preferred_language"] == "en"


def test_sign_in_keeps_the_login_never_the_password(client: TestClient) -> None:
    sign_up(client, "amina.diallo")
    token = form_csrf(client, "/connexion?partage=1")
    wrong = client.post(
        "/connexion",
        data={"csrf": token, "login": "amina.diallo", "password": SECRET, "shared": "1"},
        headers=SAME_ORIGIN,
    )
    page = refused(wrong, 401, "login")
    assert page.values["login"] == "amina.diallo"
    assert page.named["shared"] == "1"  # still on a computer that is not theirs


def test_forgotten_password_keeps_the_login_only(client: TestClient) -> None:
    token = form_csrf(client, "/mot-de-passe-oublie")
    code = "ZZ9P-QR4X-7WUV"
    wrong = client.post(
        "/mot-de-passe-oublie",
        data={"csrf": token, "login": "amina.diallo", "code": code, "password": SECRET},
        headers=SAME_ORIGIN,
    )
    assert wrong.status_code in {401, 422}
    page = shown(wrong.text)
    assert page.values["login"] == "amina.diallo"
    assert code not in wrong.text  # a recovery code is a secret: typed again, like a password
    assert SECRET not in wrong.text


@pytest.mark.parametrize(
    "path",
    [
        "/connexion?partage=oui",
        "/connexion/code?partage=oui",
        "/compte?fait=abc",
        "/historique?avant=abc",
        "/historique?avant=0",
        "/papiers/inconnu?ajoute=abc",
        "/papiers/inconnu/fichier?telecharger=oui",
        "/personnes/inconnu/mot-de-passe?fait=oui",
    ],
)
def test_a_strange_link_answers_a_page(client: TestClient, path: str) -> None:
    signed_up(client)
    answer = client.get(path)
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    assert answer.status_code < 500


def test_sign_in_on_a_shared_computer_from_any_yes(client: TestClient) -> None:
    answer = client.get("/connexion?partage=oui")
    assert answer.status_code == 200
    assert shown(answer.text).named["shared"] == "1"


def page_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from page_routes(included.routes)
        elif isinstance(route, APIRoute) and not route.path.startswith("/api/"):
            yield route


def strange_request(route: APIRoute, method: str, csrf: str, value: str) -> dict[str, Any]:
    """`value` in every path, query and form field the route declares."""
    path = route.path
    for param in route.dependant.path_params:
        path = path.replace("{" + param.name + "}", "inconnu")
    query = {param.alias: value for param in route.dependant.query_params}
    form = {param.alias: value for param in route.dependant.body_params}
    if method == "GET":
        return {"method": method, "url": path, "params": query}
    return {"method": method, "url": path, "params": query, "data": {**form, "csrf": csrf}}


@pytest.mark.parametrize("value", ["abc", "x" * 5000], ids=["not-a-number", "too-long"])
def test_no_page_route_answers_json(
    client: TestClient, rt: Runtime, ccas: dict[str, Any], value: str
) -> None:
    routes = list(page_routes(create_app(runtime=rt).routes))
    assert len(routes) > 20
    failures = []
    sign_up(client, "amina.diallo")
    for login in ("amina.diallo", "claire.martin"):
        csrf = page_sign_in(client, login)
        for route in routes:
            for method in (route.methods or set()) - {"HEAD"}:
                if route.path == "/quitter":
                    continue  # would end the session the other requests need
                answer = client.request(
                    **strange_request(route, method, csrf, value),
                    headers=SAME_ORIGIN,
                    follow_redirects=False,
                )
                kind = answer.headers.get("content-type", "")
                if answer.status_code >= 500 or (
                    answer.status_code >= 400 and not kind.startswith("text/html")
                ):
                    failures.append(f"{login} {method} {route.path}: {answer.status_code} {kind}")
    assert failures == [], "\n".join(failures)
