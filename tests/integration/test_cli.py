"""The `coffre` command as an administrator runs it: a real process, a real server."""

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.ports import free_port
from vault.accounts.accounts import create_person
from vault.accounts.passwords import verify_password
from vault.accounts.sessions import open_session, sessions_of
from vault.audit import journal
from vault.config import Settings
from vault.db import transaction
from vault.errors import CannotStart
from vault.models import JournalEvent, Person
from vault.policy import must_choose_password
from vault.vocabulary import Role
from vault.wiring import build_runtime

COFFRE = str(Path(sys.executable).parent / "coffre")


def env_for(data_dir: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COFFRE_")}
    return {**clean, "COFFRE_DATA_DIR": str(data_dir)}


def test_serve_starts_on_a_fresh_data_dir(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "coffre-data", free_port()
    server = subprocess.Popen(
        [COFFRE, "serve", "--port", str(port)],
        env=env_for(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_ready(port).status_code == 200
        sign_in_page = httpx.get(f"http://127.0.0.1:{port}/connexion")
        assert "Ouvrir mon coffre" in sign_in_page.text
    finally:
        server.terminate()
        server.wait(timeout=10)
    keyring = data_dir / "keyring.json"
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    assert (data_dir / "coffre.db").exists()


def wait_ready(port: int) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
        except httpx.TransportError:
            assert time.monotonic() < deadline, "coffre serve did not answer"
            time.sleep(0.2)


def test_several_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    run = subprocess.run(
        [COFFRE, "serve", "--workers", "2", "--port", str(free_port())],
        env=env_for(tmp_path / "coffre-data"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "PostgreSQL" in run.stderr
    assert not (tmp_path / "coffre-data").exists()  # refused before anything was made


@pytest.mark.pg
def test_several_workers_serve_on_postgresql(tmp_path: Path, pg_database: str) -> None:
    port = free_port()
    env = {**env_for(tmp_path / "coffre-data"), "COFFRE_DATABASE_URL": pg_database}
    # The schema is a step of its own on a database server: made once, before the workers.
    upgraded = subprocess.run(
        [COFFRE, "db", "upgrade"], env=env, capture_output=True, text=True, check=False
    )
    assert upgraded.returncode == 0, upgraded.stderr
    server = subprocess.Popen(
        [COFFRE, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_ready(port).status_code == 200
        # Each worker answers on the one port.
        for _ in range(6):
            assert httpx.get(f"http://127.0.0.1:{port}/connexion").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


def refused_serve(env: dict[str, str]) -> str:
    """`coffre serve` refused in plain words (no traceback); what it said."""
    run = subprocess.run(
        [COFFRE, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    return run.stderr


@pytest.mark.pg
def test_serve_refuses_an_empty_database_on_postgresql(tmp_path: Path, pg_database: str) -> None:
    env = {**env_for(tmp_path / "coffre-data"), "COFFRE_DATABASE_URL": pg_database}
    assert "run `coffre db upgrade`" in refused_serve(env)


def test_serve_refuses_unfit_settings_in_production(tmp_path: Path) -> None:
    env = {**env_for(tmp_path / "coffre-data"), "COFFRE_ENV": "production"}
    assert "COFFRE_PUBLIC_URL" in refused_serve(env)
    assert not (tmp_path / "coffre-data").exists()


def test_admin_create_reads_the_password_from_stdin(tmp_path: Path) -> None:
    run = subprocess.run(
        [COFFRE, "admin", "create", "--login", "admin.ccas", "--password-stdin"],
        input="a long enough password\n",
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "admin.ccas" in run.stdout
    assert "a long enough password" not in run.stdout + run.stderr
    again = subprocess.run(
        [COFFRE, "admin", "create", "--login", "admin.ccas", "--password-stdin"],
        input="a long enough password\n",
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 1
    assert "déjà pris" in again.stdout + again.stderr


def test_refuses_a_keyring_others_can_read(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    build_runtime(settings).engine.dispose()
    (tmp_path / "keyring.json").chmod(0o644)
    with pytest.raises(CannotStart, match="chmod 600"):
        build_runtime(settings).engine.dispose()


def reset_password(data_dir: Path, login: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COFFRE, "admin", "reset-password", "--login", login, "--password-stdin"],
        input=f"{password}\n",
        env=env_for(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_admin_reset_password_gives_a_professional_a_provisional_one(tmp_path: Path) -> None:
    rt = build_runtime(Settings(_env_file=None, data_dir=tmp_path))
    with transaction(rt.sessions) as db:
        claire = create_person(
            db,
            rt.master_keys,
            login="claire.martin",
            display_name="Claire Martin",
            password="le mot de passe oublié",
            role=Role.COUNSELLOR,
        )
        open_session(db, rt.settings, claire, "web")
        amina = create_person(
            db,
            rt.master_keys,
            login="amina.diallo",
            display_name="Amina Diallo",
            password="le mot de passe d'amina",
            role=Role.BENEFICIARY,
        )
        claire_id, amina_id, amina_hash = claire.id, amina.id, amina.password_hash

    run = reset_password(tmp_path, "claire.martin", "un provisoire assez long")

    assert run.returncode == 0, run.stderr
    assert "claire.martin" in run.stdout
    assert "un provisoire assez long" not in run.stdout + run.stderr
    with rt.sessions() as db:
        claire = db.get_one(Person, claire_id)
        assert verify_password(claire.password_hash, "un provisoire assez long")
        assert must_choose_password(claire)
        assert sessions_of(db, rt.settings, claire_id) == []
        [line] = db.scalars(
            select(JournalEvent).where(
                JournalEvent.subject_id == claire_id,
                JournalEvent.action == journal.PASSWORD_CHANGED,
            )
        )
        assert (line.actor_id, line.source) == (None, "console")

    refused = reset_password(tmp_path, "amina.diallo", "un provisoire assez long")
    assert refused.returncode == 1
    assert "code de secours" in refused.stdout + refused.stderr
    unknown = reset_password(tmp_path, "personne.inconnue", "un provisoire assez long")
    assert unknown.returncode == 1
    assert "No account" in unknown.stdout + unknown.stderr
    too_short = reset_password(tmp_path, "claire.martin", "court")
    assert too_short.returncode == 1
    with rt.sessions() as db:
        assert db.get_one(Person, amina_id).password_hash == amina_hash
        still = db.get_one(Person, claire_id).password_hash
        assert verify_password(still, "un provisoire assez long")
    rt.engine.dispose()
