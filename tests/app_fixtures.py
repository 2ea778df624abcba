"""Fixtures for a whole coffre on each back end: SQLite + a local directory (the embedded default),
then PostgreSQL + Ceph's S3 over HTTP. Each test gets its own database, bucket and keyring."""

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from vault.accounts import second_factor
from vault.accounts.accounts import create_person
from vault.config import Settings
from vault.db import make_engine, migrate, transaction
from vault.runtime import Runtime
from vault.wiring import build_runtime
from webui.app import create_app

PASSWORD = "un mot de passe assez long"
# A professional proves again who they are before helping with someone's password.
REAUTH = {"current_password": PASSWORD}


def _pg_admin(pg_url: str) -> str:
    return make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _new_pg_database(pg_url: str, template: str | None = None) -> Iterator[str]:
    url = make_url(pg_url)
    name = f"coffre_test_{secrets.token_hex(6)}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(_pg_admin(pg_url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_pg_admin(pg_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    with _new_pg_database(pg_url) as url:
        yield url


@pytest.fixture(scope="session")
def pg_schema(pg_url: str) -> Iterator[str]:
    """A database at the newest schema, migrated once: each test copies it (CREATE DATABASE
    ... TEMPLATE), which is many times faster than running every migration again."""
    with _new_pg_database(pg_url) as url:
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield make_url(url).database or ""


@pytest.fixture
def pg_migrated_database(pg_url: str, pg_schema: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema, dropped after the test."""
    with _new_pg_database(pg_url, template=pg_schema) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded database at the newest schema, migrated once and copied for each test."""
    path = tmp_path_factory.mktemp("schema") / "coffre.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def kms_key_url() -> str:
    """A fresh master key on the test KMS server, as a COFFRE_KEYRING URL."""
    endpoint = os.environ.get("COFFRE_TEST_KMS_ENDPOINT", "")
    if not endpoint:
        pytest.skip("no KMS server: run bash scripts/test.sh")
    client = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1")
    key_id = client.create_key(Description="coffre test master key")["KeyMetadata"]["KeyId"]
    return f"kms://{key_id}?endpoint_url={endpoint}&region=us-east-1"


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("server", marks=[pytest.mark.pg, pytest.mark.s3]),
        pytest.param("kms", marks=pytest.mark.kms),
    ]
)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for one back end: the embedded default, PostgreSQL + S3, or the embedded
    default with its master keys in a KMS (in modules marked `master_keys`: tests/conftest.py).
    A local keyring lives in the test's own folder. The database is already at the newest
    schema."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "keyring": (tmp_path / "keys" / "keyring.json").as_uri(),
        "max_upload_bytes": 60 * 1024 * 1024,
    }
    if request.param == "kms":
        values["keyring"] = request.getfixturevalue("kms_key_url")
    if request.param == "server":
        values["database_url"] = request.getfixturevalue("pg_migrated_database")
        values["storage_url"] = request.getfixturevalue("s3_bucket_url")
    else:
        data_dir = values["data_dir"]
        data_dir.mkdir(mode=0o700)
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), data_dir / "coffre.db")
    return Settings(_env_file=None, **values)


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    # At the newest schema already (a copy) this only checks the version; a test that brings
    # its own settings gets its schema here.
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=rt), base_url="http://coffre.test") as test_client:
        yield test_client


def sign_up(client: TestClient, login: str, display_name: str = "Amina Diallo") -> dict[str, Any]:
    """Self sign-up then API sign-in; returns the sign-in body plus bearer headers."""
    created = client.post(
        "/api/v1/beneficiaries",
        json={"login": login, "display_name": display_name, "password": PASSWORD},
    )
    assert created.status_code == 201, created.text
    session = client.post("/api/v1/session", json={"login": login, "password": PASSWORD})
    assert session.status_code == 201, session.text
    body: dict[str, Any] = session.json()
    body["headers"] = {"Authorization": f"Bearer {body['token']}"}
    body["vault_id"] = created.json()["vault_id"]
    return body


@pytest.fixture
def amina(client: TestClient) -> dict[str, Any]:
    return sign_up(client, "amina.diallo")


@pytest.fixture
def bruno(client: TestClient) -> dict[str, Any]:
    return sign_up(client, "bruno.martin", "Bruno Martin")


def admin_headers(client: TestClient, rt: Runtime, login: str = "root.admin") -> dict[str, str]:
    """A platform administrator with a second factor, signed in through the API."""
    secret = second_factor.new_secret()
    with transaction(rt.sessions) as db:
        person = create_person(
            db, rt.master_keys, login=login, display_name="Admin", password=PASSWORD, role="admin"
        )
        second_factor.install(db, rt.master_keys, person, secret)
    answer = client.post(
        "/api/v1/session",
        json={"login": login, "password": PASSWORD, "totp": pyotp.TOTP(secret).now()},
    )
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def professional(
    client: TestClient, admin: dict[str, str], org_id: str, login: str, role: str = "counsellor"
) -> dict[str, Any]:
    """A counsellor (or organisation admin) created by an admin, signed in through the API,
    who has chosen their own password (PASSWORD) in place of the admin's."""
    created = client.post(
        f"/api/v1/organisations/{org_id}/counsellors",
        headers=admin,
        json={
            "login": login,
            "display_name": login.replace(".", " ").title(),
            "password": PROVISIONAL_PASSWORD,
            "role": role,
            "current_password": PASSWORD,
        },
    )
    assert created.status_code == 201, created.text
    headers = choose_own_password(client, login)
    return {"id": created.json()["id"], "headers": headers}


# The password an admin gives a professional's new account, until they choose PASSWORD.
PROVISIONAL_PASSWORD = "provisoire donné par l'admin"


def choose_own_password(client: TestClient, login: str) -> dict[str, str]:
    """A professional's first sign-in: the admin's password replaced by their own (PASSWORD);
    returns the session's headers."""
    signed_in = client.post(
        "/api/v1/session", json={"login": login, "password": PROVISIONAL_PASSWORD}
    )
    assert signed_in.status_code == 201, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    chosen = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": PROVISIONAL_PASSWORD, "new_password": PASSWORD},
    )
    assert chosen.status_code == 204, chosen.text
    return headers


def organisation(client: TestClient, admin: dict[str, str], name: str = "CCAS d'Orléans") -> str:
    created = client.post("/api/v1/organisations", headers=admin, json={"name": name})
    assert created.status_code == 201, created.text
    org_id: str = created.json()["id"]
    return org_id
