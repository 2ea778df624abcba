"""`coffre reminders send` as cron runs it: a real process, a real SMTP server."""

import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from tests.app_fixtures import sign_up
from tests.integration.reminders.smtp import Inbox, inbox
from tests.integration.reminders.test_reminders import AMINA_EMAIL, give_email
from tests.integration.test_cli import COFFRE, env_for
from tests.integration.vault.test_expiry import paper
from tests.ports import free_port
from vault.config import Settings
from vault.wiring import build_runtime
from webui.app import create_app

__all__ = ["inbox"]


def send(data_dir: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {
        **env_for(data_dir),
        "COFFRE_SMTP_HOST": "127.0.0.1",
        "COFFRE_SMTP_PORT": str(port),
        "COFFRE_SMTP_STARTTLS": "false",
        "COFFRE_SMTP_FROM": "coffre@ccas.example.org",
    }
    return subprocess.run(
        [COFFRE, "reminders", "send"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_sends_reports_and_retries(tmp_path: Path, inbox: Inbox) -> None:
    data_dir = tmp_path / "coffre-data"
    rt = build_runtime(Settings(_env_file=None, data_dir=data_dir))
    with TestClient(create_app(runtime=rt), base_url="http://coffre.test") as client:
        amina = sign_up(client, "amina.diallo")
        give_email(client, amina, AMINA_EMAIL)
        paper(client, amina, "Passeport", 20, category="identity")
    rt.engine.dispose()

    down = send(data_dir, free_port())
    assert down.returncode == 1
    assert "Reminders: 0 sent by email, 0 waiting as banners, 1 failed." in down.stdout
    assert "FAILED reminder" in down.stdout
    assert AMINA_EMAIL not in down.stdout + down.stderr

    sent = send(data_dir, inbox.port)
    assert sent.returncode == 0, sent.stderr
    assert "Reminders: 1 sent by email, 0 waiting as banners, 0 failed." in sent.stdout
    assert len(inbox.to(AMINA_EMAIL)) == 1

    again = send(data_dir, inbox.port)
    assert again.returncode == 0
    assert "Reminders: 0 sent by email, 0 waiting as banners, 0 failed." in again.stdout
