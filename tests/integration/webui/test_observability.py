"""Request ids, the request's line, /metrics and /readyz, through the app (the embedded default:
this is about the web layer, not the back ends)."""

import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.app_fixtures import PASSWORD, sign_up
from tests.integration.policy.test_matrix import route_table
from tests.samples import pdf
from vault.config import Settings
from vault.keylife.rotation import rotate_master, start_master_rotation
from vault.runtime import Runtime
from webui import health
from webui.app import create_app
from webui.observability import route_templates

TOKEN = "a-scraper-token-0123456789"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}
TITLE = "Avis d'imposition de Madame Diallo"


@pytest.fixture
def settings(tmp_path: Path, sqlite_schema: Path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    shutil.copyfile(sqlite_schema, data_dir / "coffre.db")
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        keyring=(tmp_path / "keys" / "keyring.json").as_uri(),
        metrics_token=TOKEN,
        throttle_base_delay_seconds=60,
    )


class Lines(logging.Handler):
    """The request lines written (the logger propagates nowhere once `coffre serve` set it up)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def fields(self) -> list[dict[str, Any]]:
        return [record.__dict__["fields"] for record in self.records]


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("coffre.requests")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def upload(client: TestClient, who: dict[str, Any], content: bytes) -> str:
    answer = client.post(
        "/api/v1/vaults/me/documents",
        headers=who["headers"],
        files={"file": ("avis.pdf", content, "application/pdf")},
        data={"title": TITLE, "category": "taxes"},
    )
    assert answer.status_code == 201, answer.text
    document_id: str = answer.json()["id"]
    return document_id


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers=SCRAPER)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(figures: dict[Any, float], name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


# --- request ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given", ["req-0123abcd", "4f1c2a7e-9b1d-4c7e-8a55-0f6d7b1c2e3a", "a" * 128, "x_y.z-12"]
)
def test_a_plain_request_id_comes_back(client: TestClient, given: str) -> None:
    for path in ("/healthz", "/connexion", "/api/v1/me", "/nulle-part"):
        answer = client.get(path, headers={"X-Request-ID": given})
        assert answer.headers["x-request-id"] == given, path


@pytest.mark.parametrize(
    "given",
    [
        b"short",
        b"with space 1234",
        b"a" * 129,
        "näme-1234567".encode("latin-1"),
        b"id;drop=1234",
        b"x\ty123456",
    ],
)
def test_any_other_id_is_replaced_by_a_new_one(client: TestClient, given: bytes) -> None:
    answer = client.get("/healthz", headers={b"X-Request-ID": given})
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])


def test_without_one_each_answer_gets_its_own(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids)


def test_a_server_error_carries_it_too(rt: Runtime, lines: Lines) -> None:
    app = create_app(runtime=rt)

    @app.get("/panne")
    def broken() -> None:
        raise RuntimeError("a bug")

    client = TestClient(app, raise_server_exceptions=False)
    answer = client.get("/panne", headers={"X-Request-ID": "panne-0001"})
    assert answer.status_code == 500
    assert answer.headers["x-request-id"] == "panne-0001"
    assert lines.fields()[-1]["status"] == 500
    assert lines.fields()[-1]["route"] == "/panne"


# --- the request's line ---------------------------------------------------------------------


def test_the_line_names_the_route_never_the_path(
    client: TestClient, amina: dict[str, Any], lines: Lines
) -> None:
    content = pdf("Diallo")
    document_id = upload(client, amina, content)
    downloaded = client.get(
        f"/api/v1/documents/{document_id}/content?disposition=attachment",
        headers=amina["headers"],
    )
    assert downloaded.content == content
    client.get("/api/v1/login-suggestion?display_name=Amina%20Diallo")

    added, sent, suggested = lines.fields()[-3:]
    assert added["route"] == "/api/v1/vaults/{vault_id}/documents"
    assert added["method"] == "POST"
    assert added["status"] == 201
    assert added["bytes_received"] > len(content)
    assert sent == {
        "method": "GET",
        "route": "/api/v1/documents/{document_id}/content",
        "status": 200,
        "duration_ms": sent["duration_ms"],
        "bytes_sent": len(content),
        "bytes_received": 0,
    }
    assert suggested["route"] == "/api/v1/login-suggestion"
    written = " ".join(
        f"{record.getMessage()} {record.__dict__['fields']}" for record in lines.records
    )
    for private in (document_id, amina["vault_id"], "amina", "Diallo", TITLE, "disposition", "?"):
        assert private not in written


def test_every_route_is_known_by_its_template(rt: Runtime) -> None:
    app: FastAPI = create_app(runtime=rt)
    templates = set(dict(route_templates(app.routes)).values())
    assert {path for _method, path in route_table(app)} <= templates
    assert "/static/{path}" in templates


# --- /metrics -------------------------------------------------------------------------------


def test_metrics_do_not_exist_without_a_token(rt: Runtime) -> None:
    unset = rt.settings.model_copy(update={"metrics_token": None})
    client = TestClient(create_app(runtime=replace(rt, settings=unset)))
    assert client.get("/metrics", headers=SCRAPER).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN[:-1]}"],
)
def test_metrics_want_the_token(client: TestClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "coffre_" not in answer.text


def test_metrics_count_requests_uploads_and_downloads(
    client: TestClient, amina: dict[str, Any]
) -> None:
    before = scrape(client)
    content = pdf("compté")
    document_id = upload(client, amina, content)
    client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("coffre_uploads_total") == 1
    assert grew("coffre_upload_bytes_total") == len(content)
    assert grew("coffre_download_bytes_total", kind="paper") == len(content)
    route = {"method": "POST", "route": "/api/v1/vaults/{vault_id}/documents", "status": "2xx"}
    assert grew("coffre_http_requests_total", **route) == 1
    assert grew("coffre_http_request_duration_seconds_count", **route) == 1
    # One person, one user key, wrapped by the first master key version; no rotation running.
    assert value(after, "coffre_user_keys_by_master_version", version="1") == 1
    assert value(after, "coffre_master_rotation_keys_left") == 0
    names = {name for name, _labels in after}
    assert "process_resident_memory_bytes" in names


def test_metrics_count_sign_in_failures_and_throttles(
    client: TestClient, amina: dict[str, Any]
) -> None:
    before = scrape(client)
    wrong = {"login": "amina.diallo", "password": PASSWORD + "?"}
    answers = [client.post("/api/v1/session", json=wrong).status_code for _ in range(7)]
    assert answers == [401] * 6 + [429]
    after = scrape(client)
    failures = ("coffre_sign_in_failures_total", {"step": "password"})
    assert value(after, failures[0], **failures[1]) - value(before, failures[0], **failures[1]) == 6
    throttled = value(after, "coffre_throttled_total", what="secret")
    assert throttled - value(before, "coffre_throttled_total", what="secret") == 1


def test_metrics_follow_a_master_rotation(client: TestClient, rt: Runtime) -> None:
    for login in ("amina.diallo", "bruno.martin", "chloe.petit"):
        sign_up(client, login)
    start_master_rotation(rt)
    during = scrape(client)
    assert value(during, "coffre_key_jobs_unfinished", kind="master") == 1
    assert value(during, "coffre_master_rotation_keys_left") == 3
    rotate_master(rt, batch=2, on_progress=lambda _done: None)
    after = scrape(client)
    assert value(after, "coffre_key_jobs_unfinished", kind="master") == 0
    assert value(after, "coffre_master_rotation_keys_left") == 0
    assert value(after, "coffre_user_keys_by_master_version", version="1") == 0
    assert value(after, "coffre_user_keys_by_master_version", version="2") == 3


# --- /readyz --------------------------------------------------------------------------------


def _fails() -> None:
    raise OSError("unreachable")


@pytest.mark.parametrize("probe", ["database", "storage", "keyring"])
def test_readyz_names_the_probe_that_fails(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch, probe: str
) -> None:
    if probe == "database":
        monkeypatch.setattr(health, "_ping_database", lambda _rt: _fails())
    elif probe == "storage":
        monkeypatch.setattr(rt.store, "check", _fails)
    else:
        monkeypatch.setattr(rt.master_keys, "check", _fails)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    expected = {"status": "failed", "database": "ok", "storage": "ok", "keyring": "ok"}
    assert answer.json() == {**expected, probe: "failed"}
