"""What `coffre serve` sets in its own process before uvicorn starts: a thread waiting for the
interpreter lock gets it sooner (webui/gil.py), with one worker as with several."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from vault.config import get_settings
from webui import app as web_app
from webui import cli
from webui.cli import serve as serve_command
from webui.gil import SWITCH_INTERVAL_S


@pytest.fixture
def switch_interval_kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test process's own switch interval and allocator as they were, whatever is set."""
    monkeypatch.setattr(serve_command, "give_big_blocks_back", lambda: None)
    monkeypatch.setattr(web_app, "give_big_blocks_back", lambda: None)
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield
    sys.setswitchinterval(before)


def test_one_worker_takes_turns_sooner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch_interval_kept: None
) -> None:
    seen: list[float] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **_k: seen.append(sys.getswitchinterval()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFRE_")}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli.app, ["serve"], env={**env, "COFFRE_DATA_DIR": str(tmp_path / "data")}
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen == [pytest.approx(SWITCH_INTERVAL_S)]


def test_each_of_several_workers_takes_turns_sooner(
    monkeypatch: pytest.MonkeyPatch, switch_interval_kept: None
) -> None:
    made: list[float] = []

    def create_app(**_: Any) -> None:
        made.append(sys.getswitchinterval())

    monkeypatch.setattr(web_app, "build_runtime", lambda _settings: None)
    monkeypatch.setattr(web_app, "create_app", create_app)
    web_app.worker_app()
    assert made == [pytest.approx(SWITCH_INTERVAL_S)]
