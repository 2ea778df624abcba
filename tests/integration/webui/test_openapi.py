"""/openapi.json says what the API answers: one error shape, the statuses each operation can
answer read from its code, who needs a token, the upload form. The live fuzzing of
tests/contract checks the answers against it; here, the document itself and a few answers."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vault.config import Settings
from vault.wiring import build_runtime
from webui.app import create_app

ERROR = {"$ref": "#/components/schemas/ErrorOut"}


@pytest.fixture(scope="module")
def document(sqlite_schema: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("openapi") / "data"
    data_dir.mkdir()
    shutil.copyfile(sqlite_schema, data_dir / "coffre.db")
    rt = build_runtime(Settings(_env_file=None, data_dir=data_dir))
    try:
        with TestClient(create_app(runtime=rt)) as client:
            answer = client.get("/openapi.json")
            assert answer.status_code == 200
            body: dict[str, Any] = answer.json()
            return body
    finally:
        rt.engine.dispose()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def resolved(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in response:
        return response
    found: dict[str, Any] = document["components"]["responses"][response["$ref"].split("/")[-1]]
    return found


def statuses(document: dict[str, Any], name: str) -> set[int]:
    method, path = name.split(" ", 1)
    return {int(code) for code in document["paths"][path][method.lower()]["responses"]}


def test_every_error_is_the_one_error_model(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in str(document)
    assert set(document["components"]["schemas"]["ErrorOut"]["required"]) == {"detail", "field"}
    for name, operation in operations(document):
        for code, response in operation["responses"].items():
            if name.split(" ")[1].startswith("/api/") and int(code) >= 400:
                content = resolved(document, response)["content"]
                assert content == {"application/json": {"schema": ERROR}}, (name, code)


# Every operation opens the database, so each may answer 503 while it is down.
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # 403 for any signed-in caller too: an account whose password an admin chose must first
        # choose its own (the schema errs on the side of more statuses).
        ("GET /api/v1/me", {200, 401, 403, 503}),
        # A professional's route: the role dependency refuses the others; a search or a page
        # out of bounds is refused.
        ("GET /api/v1/beneficiaries", {200, 401, 403, 422, 503}),
        # A paper: not found or not the caller's; closed during a hold. A damaged one is listed
        # as unreadable.
        ("GET /api/v1/documents/{document_id}", {200, 401, 403, 404, 423, 503}),
        # Signing in: wrong secrets, throttled, the password queue full; a body to read (that
        # may be unreadable or too big).
        ("POST /api/v1/session", {201, 400, 401, 413, 422, 429, 500, 503}),
        ("DELETE /api/v1/people/{person_id}/second-factor", {204, 401, 403, 404, 409, 503}),
        # A paper is written to the blob store: down (503) or full (507).
        (
            "POST /api/v1/vaults/{vault_id}/documents",
            {201, 401, 403, 404, 413, 415, 422, 500, 503, 507},
        ),
        # So is a link's marked copy.
        (
            "POST /api/v1/documents/{document_id}/shares",
            {201, 400, 401, 403, 404, 409, 413, 422, 423, 500, 503, 507},
        ),
    ],
)
def test_the_statuses_are_read_from_the_code(
    document: dict[str, Any], name: str, expected: set[int]
) -> None:
    assert statuses(document, name) == expected


def test_the_database_may_be_down_everywhere_the_store_full_where_it_is_written(
    document: dict[str, Any],
) -> None:
    api = [name for name, _ in operations(document) if name.split(" ")[1].startswith("/api/")]
    assert [name for name in api if 503 not in statuses(document, name)] == []
    assert {name for name in api if 507 in statuses(document, name)} == {
        "POST /api/v1/vaults/{vault_id}/documents",
        "POST /api/v1/documents/{document_id}/shares",
    }


def test_refusals_say_how_long_to_wait_and_how_to_authenticate(document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    assert responses["Throttled"]["headers"]["Retry-After"]["required"] is True
    # Busy signing in says when to come back; a store that is down cannot know.
    assert responses["Unavailable"]["headers"]["Retry-After"]["required"] is False
    assert responses["Unauthorized"]["headers"]["WWW-Authenticate"]["required"] is True


def test_who_needs_a_token(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    security = {name: operation.get("security") for name, operation in operations(document)}
    assert security["GET /api/v1/me"] == [{"bearer": []}]
    # Self sign-up without a token, an account made with the person with a professional's.
    assert security["POST /api/v1/beneficiaries"] == [{"bearer": []}, {}]
    assert security["POST /api/v1/session"] is None
    assert security["GET /healthz"] is None


def test_pages_are_not_in_the_api_document(document: dict[str, Any]) -> None:
    assert {path for path in document["paths"] if not path.startswith("/api/v1/")} == {
        "/healthz",
        "/readyz",
    }


def test_the_upload_form_is_described(document: dict[str, Any]) -> None:
    upload = document["paths"]["/api/v1/vaults/{vault_id}/documents"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]
    assert form["schema"]["required"] == ["file", "category"]
    assert form["schema"]["properties"]["file"]["minItems"] == 1
    assert "housing" in form["schema"]["properties"]["category"]["enum"]
    content = document["paths"]["/api/v1/documents/{document_id}/content"]["get"]
    assert set(content["responses"]["200"]["content"]) == {
        "application/pdf",
        "image/jpeg",
        "image/png",
    }


def test_every_request_body_has_an_example(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name, operation in operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            # A model, or a model or nothing (an optional body).
            schema = body["schema"].get("anyOf", [body["schema"]])[0]
            assert schemas[schema["$ref"].split("/")[-1]].get("examples"), name


def test_a_refused_field_answers_as_documented(client: TestClient) -> None:
    answer = client.post("/api/v1/session", json={"password": "x"})
    assert answer.status_code == 422
    assert answer.json() == {"detail": "Un champ manque ou n'est pas valide.", "field": "login"}


def test_a_page_number_too_large_for_the_database_is_refused(
    client: TestClient, amina: dict[str, Any]
) -> None:
    answer = client.get(f"/api/v1/journal?before={2**63}", headers=amina["headers"])
    assert answer.status_code == 422
    assert answer.json()["field"] == "before"


@pytest.mark.parametrize("value", [0, "0", "20310501", 1.5])
def test_a_date_is_a_written_date(client: TestClient, amina: dict[str, Any], value: object) -> None:
    """Pydantic alone takes a number, or digits, as a timestamp; the schema says 2031-05-01."""
    body = {"organisation_id": "x", "scopes": ["view"], "expires_on": value}
    answer = client.post("/api/v1/grants", json=body, headers=amina["headers"])
    assert answer.status_code == 422
    assert answer.json()["field"] == "expires_on"


def test_a_count_is_a_number(client: TestClient, amina: dict[str, Any]) -> None:
    body = {"recipient": "CAF", "purpose": "Dossier", "expires_in_hours": "72"}
    answer = client.post("/api/v1/documents/x/shares", json=body, headers=amina["headers"])
    assert answer.status_code == 422
    assert answer.json()["field"] == "expires_in_hours"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        # Three routes of one path: Allow names all of them, not the first that matched.
        ("OPTIONS", "/api/v1/documents/x", "DELETE, GET, PATCH"),
        # Two routers share this path.
        ("PUT", "/api/v1/beneficiaries", "GET, POST"),
        # Not under /api/: answered as a page, with its Allow all the same.
        ("TRACE", "/healthz", "GET"),
    ],
)
def test_a_method_not_allowed_names_those_that_are(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    answer = client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
