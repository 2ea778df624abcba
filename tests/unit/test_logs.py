"""A share link's token never reaches the server's logs: uvicorn's access line names the path.
Nor does the name given to login-suggestion, nor a traceback of a fault already told in one line.
"""

import json
import logging
import logging.config
from typing import Any

import pytest
import uvicorn

from webui import app as web_app
from webui.cli import serve as serve_command
from webui.cli import shared as cli_shared
from webui.logs import hide_share_tokens, log_config, private_path, told

TOKEN = "qunLc0Iqlu4XpflvNWr1tzE2ZxbF6tZGvhA_-sLg0PU"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/s/{TOKEN}", "/s/…"),
        (f"/s/{TOKEN}/copie", "/s/…/copie"),
        (f"/langue/en?retour=/s/{TOKEN}", "/langue/en?retour=/s/…"),
        (f"/langue/en?retour=%2Fs%2F{TOKEN}", "/langue/en?retour=%2Fs%2F…"),
        ("/papiers/abc/liens", "/papiers/abc/liens"),
    ],
)
def test_tokens_are_hidden(path: str, shown: str) -> None:
    assert hide_share_tokens(path) == shown


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/api/v1/login-suggestion?display_name=Fatou+Sow", "/api/v1/login-suggestion?…"),
        ("/api/v1/login-suggestion", "/api/v1/login-suggestion"),
        (
            "/langue/en?retour=%2Fapi%2Fv1%2Flogin-suggestion%3Fdisplay_name%3DFatou",
            "/langue/en?retour=%2Fapi%2Fv1%2Flogin-suggestion?…",
        ),
        (f"/s/{TOKEN}?x=1", "/s/…?x=1"),
        ("/papiers?categorie=identity", "/papiers?categorie=identity"),
        # A counsellor's search for a person: their name.
        ("/personnes?q=H%C3%A9l%C3%A8ne+Dubois&page=2", "/personnes?…"),
        ("/personnes?page=2", "/personnes?…"),
        ("/api/v1/beneficiaries?q=amina&limit=5", "/api/v1/beneficiaries?…"),
        ("/langue/ar?retour=%2Fpersonnes%3Fq%3Damina", "/langue/ar?retour=%2Fpersonnes?…"),
        ("/personnes/abc/mot-de-passe", "/personnes/abc/mot-de-passe"),
        # With a slash at the end, answered by a redirect that uvicorn logs all the same.
        ("/personnes/?q=amina", "/personnes/?…"),
        ("/api/v1/beneficiaries/?q=amina", "/api/v1/beneficiaries/?…"),
        ("/api/v1/login-suggestion/?display_name=Fatou", "/api/v1/login-suggestion/?…"),
        ("/langue/ar?retour=%2Fpersonnes%2F%3Fq%3Damina", "/langue/ar?retour=%2Fpersonnes%2F?…"),
    ],
)
def test_private_queries_are_dropped(path: str, shown: str) -> None:
    assert private_path(path) == shown


def test_the_access_line_uvicorn_writes_has_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    logging.config.dictConfig(log_config())
    access = logging.getLogger("uvicorn.access")
    try:
        # The very call uvicorn's httptools/h11 protocols make for each request.
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/s/{TOKEN}", "1.1", 200)
    finally:
        for handler in access.handlers:
            handler.flush()
        access.handlers.clear()
    written = capsys.readouterr().out
    assert "/s/…" in written
    assert TOKEN not in written


def test_a_fault_already_told_is_not_told_again(capsys: pytest.CaptureFixture[str]) -> None:
    logging.config.dictConfig(log_config())
    server = logging.getLogger("uvicorn.error")
    try:
        known = RuntimeError("a client went away")
        told(known)
        for exc in (known, RuntimeError("a real bug")):
            try:
                raise exc
            except Exception as raised:
                # What uvicorn does with what the app raised.
                server.error("Exception in ASGI application\n", exc_info=raised)
    finally:
        for name in ("uvicorn", "coffre"):
            for handler in logging.getLogger(name).handlers:
                handler.flush()
            logging.getLogger(name).handlers.clear()
        logging.getLogger("coffre").propagate = True
    written = capsys.readouterr().err
    assert written.count("Exception in ASGI application") == 1
    assert "RuntimeError: a real bug" in written
    assert "a client went away" not in written


def test_serve_uses_that_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    monkeypatch.setattr(web_app, "create_app", lambda runtime: None)
    monkeypatch.setattr(cli_shared, "runtime", lambda: None)
    serve_command.serve()
    assert "hide_share_tokens" in seen["log_config"]["handlers"]["access"]["filters"]
    assert seen["log_config"]["loggers"]["coffre"]["handlers"] == ["default"]
    assert seen["server_header"] is False


def test_a_json_line_holds_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    pytest_handlers, level = list(root.handlers), root.level
    logging.config.dictConfig(log_config("json"))
    server = logging.getLogger("uvicorn.error")
    try:
        try:
            raise RuntimeError("a real bug\non two lines")
        except RuntimeError as raised:
            server.error("Exception in ASGI application\n", exc_info=raised)
        logging.getLogger("coffre").warning("blob store failure on %s", f"/s/{TOKEN}")
        logging.getLogger("vault.documents.unreadable").warning("unreadable paper")
    finally:
        for name in ("uvicorn", "coffre", ""):
            for handler in logging.getLogger(name).handlers:
                handler.flush()
            logging.getLogger(name).handlers.clear()
        logging.getLogger("coffre").propagate = True
        root.handlers[:] = pytest_handlers
        root.setLevel(level)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    failure, warning, module = (json.loads(line) for line in lines)
    assert failure["level"] == "error"
    assert failure["logger"] == "uvicorn.error"
    assert failure["traceback"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: a real bug\non two lines" in failure["traceback"]
    assert warning["message"] == "blob store failure on /s/…"
    assert module["logger"] == "vault.documents.unreadable"


def test_json_logs_have_coffre_request_line_in_place_of_uvicorn_access_line() -> None:
    text, as_json = log_config("text"), log_config("json")
    assert text["loggers"]["coffre.requests"]["handlers"] == []
    assert text["loggers"]["uvicorn.access"]["handlers"] == ["access"]
    assert as_json["loggers"]["uvicorn.access"]["handlers"] == []
    assert "coffre.requests" not in as_json["loggers"]  # it goes up to "coffre"'s handler
    assert {handler["formatter"] for handler in as_json["handlers"].values()} == {"json"}
