"""Key lifecycle: rotation at every level, resumable after kill -9, retirement, re-encryption,
crypto-shredding and keyring backups."""

import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from keys.errors import CryptoError
from keys.format import decrypt_blob
from storage import BlobStore
from tests.app_fixtures import PASSWORD, sign_up
from tests.integration.vault.damage import alter_object_start
from tests.integration.vault.helpers import blob_of
from tests.integration.vault.test_documents_api import upload
from tests.integration.vault.test_encryption_at_rest import COFFRE_ENV, coffre
from tests.samples import pdf
from vault.accounts.passwords import hash_password
from vault.config import Settings
from vault.db import transaction
from vault.documents.service import blob_decryption
from vault.errors import CannotStart
from vault.keylife.keychain import create_user_key
from vault.keylife.rotation import (
    Reencryption,
    reencrypt,
    rotate_master,
    start_master_rotation,
)
from vault.models import KeySlot, Person, UserKey, Vault, utcnow
from vault.runtime import Runtime
from vault.sweeper import sweep_orphans
from vault.wiring import build_runtime

pytestmark = pytest.mark.master_keys


@contextmanager
def opened(settings: Settings) -> Iterator[Runtime]:
    """Another runtime on the same (or copied) data, closed after use."""
    runtime = build_runtime(settings)
    try:
        yield runtime
    finally:
        runtime.engine.dispose()


def keyring_versions(settings: Settings) -> list[int]:
    with opened(settings) as runtime:
        return runtime.master_keys.versions()


class CountingStore:
    """The real store, with every call counted: proof that a job touched no blob."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name: str) -> Any:
        self.calls += 1
        return getattr(self.inner, name)


def add_people(rt: Runtime, count: int) -> None:
    """Many people quickly: one password hash shared, a real user key each."""
    password_hash = hash_password("un mot de passe assez long")
    with transaction(rt.sessions) as db:
        for n in range(count):
            person = Person(
                login=f"person.{n:05d}",
                display_name=f"P {n}",
                role="beneficiary",
                password_hash=password_hash,
            )
            db.add(person)
            db.flush()
            create_user_key(db, rt.master_keys, person.id)
            db.add(Vault(owner_id=person.id))


def slots_on(rt: Runtime, version: int) -> int:
    """Counted without taking SQLite's write lock, so watching does not slow the job down."""
    if rt.engine.dialect.name == "sqlite":
        query = "SELECT count(*) FROM key_slots WHERE kind = 'master' AND master_version = ?"
        database = rt.engine.url.database or ""
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
            return int(connection.execute(query, (version,)).fetchone()[0])
    with transaction(rt.sessions) as db:
        query_count = select(func.count()).where(
            KeySlot.kind == "master", KeySlot.master_version == version
        )
        return db.scalar(query_count) or 0


def all_papers_open(client: TestClient, who: dict[str, Any], expected: dict[str, bytes]) -> None:
    for document_id, content in expected.items():
        answer = client.get(f"/api/v1/documents/{document_id}/content", headers=who["headers"])
        assert answer.status_code == 200
        assert answer.content == content


def test_master_rotation_reads_and_writes_no_blob(client: TestClient, rt: Runtime) -> None:
    amina = sign_up(client, "amina.diallo")
    papers = {upload(client, amina, p).json()["id"]: p for p in (pdf("a"), pdf("b"))}
    counting = CountingStore(rt.store)
    rt.store = counting
    rotate_master(rt, batch=500, on_progress=lambda _n: None)
    assert counting.calls == 0
    rt.store = counting.inner
    assert rt.master_keys.primary_version() == 2
    assert slots_on(rt, 1) == 0
    all_papers_open(client, amina, papers)


def test_retire_refused_while_referenced_then_allowed(
    client: TestClient, rt: Runtime, settings: Settings
) -> None:
    sign_up(client, "amina.diallo")
    refused = coffre(settings, "keys", "retire-master", "1")
    assert refused.returncode == 1
    assert "primary" in refused.stderr + refused.stdout
    assert coffre(settings, "keys", "rotate-master").returncode == 0
    assert coffre(settings, "keys", "retire-master", "2").returncode == 1  # now the primary
    retired = coffre(settings, "keys", "retire-master", "1")
    assert retired.returncode == 0, retired.stderr
    assert keyring_versions(settings) == [2]


def test_a_running_instance_stays_ready_after_a_retirement(
    client: TestClient, rt: Runtime, settings: Settings
) -> None:
    """Review finding: after the commands rotated and retired version 1, `/readyz` answered 503
    ("keyring": "failed") until a request used the keys: an idle instance stayed out of its
    load balancer."""
    sign_up(client, "amina.diallo")
    assert client.get("/readyz").status_code == 200
    assert coffre(settings, "keys", "rotate-master").returncode == 0
    assert client.get("/readyz").status_code == 200  # the load balancer's probes go on
    assert coffre(settings, "keys", "retire-master", "1").returncode == 0
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json()


def test_a_rotation_left_behind_the_primary_is_a_clear_refusal(
    client: TestClient, rt: Runtime, settings: Settings
) -> None:
    sign_up(client, "amina.diallo")
    start_master_rotation(rt)  # a rotation to version 2, left unfinished
    rt.master_keys.add_version()  # version 3 made meanwhile, behind its back
    refused = coffre(settings, "keys", "rotate-master")
    assert refused.returncode == 1
    said = refused.stderr + refused.stdout
    assert "targets version 2" in said
    assert "Traceback" not in said
    unknown = coffre(settings, "keys", "rotate-user", "--login", "personne")
    assert unknown.returncode == 1
    assert "No person with login personne." in unknown.stderr
    assert "Traceback" not in unknown.stderr


@pytest.mark.parametrize("kill_after", [1, 25, 80])
def test_master_rotation_killed_then_rerun_converges(
    client: TestClient, rt: Runtime, settings: Settings, kill_after: int
) -> None:
    amina = sign_up(client, "amina.diallo")
    papers = {upload(client, amina, pdf("k")).json()["id"]: pdf("k")}
    # Enough that a job rotating one person a batch cannot end between the count and the kill.
    add_people(rt, 200)
    job = subprocess.Popen(
        [COFFRE_ENV[0], "keys", "rotate-master", "--batch", "1"],
        env=COFFRE_ENV[1](settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while slots_on(rt, 2) < kill_after and job.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.kill(job.pid, signal.SIGKILL)
    job.wait()
    assert slots_on(rt, 1) > 0, "the job finished before the kill: not a test of resuming"
    again = coffre(settings, "keys", "rotate-master")
    assert again.returncode == 0, again.stderr
    assert slots_on(rt, 1) == 0
    assert slots_on(rt, 2) == 201
    assert keyring_versions(settings) == [1, 2]  # resumed, no third version
    assert coffre(settings, "keys", "verify").returncode == 0
    all_papers_open(client, amina, papers)


def test_uploads_during_a_rotation_open_after_it(
    client: TestClient, rt: Runtime, settings: Settings
) -> None:
    amina = sign_up(client, "amina.diallo")
    add_people(rt, 200)
    job = subprocess.Popen(
        [COFFRE_ENV[0], "keys", "rotate-master", "--batch", "1"],
        env=COFFRE_ENV[1](settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    papers: dict[str, bytes] = {}
    while job.poll() is None and len(papers) < 5:
        content = pdf(str(len(papers)))
        created = upload(client, amina, content)
        assert created.status_code == 201
        papers[created.json()["id"]] = content
    assert job.wait(timeout=120) == 0
    coffre(settings, "keys", "rotate-master")
    all_papers_open(client, amina, papers)
    assert coffre(settings, "keys", "verify").returncode == 0


def test_user_rotation_rewraps_and_destroys_the_old_version(
    client: TestClient, rt: Runtime, settings: Settings
) -> None:
    amina = sign_up(client, "amina.diallo")
    contact = {"email": "amina@example.org", "current_password": PASSWORD}
    assert client.patch("/api/v1/me", headers=amina["headers"], json=contact).status_code == 200
    papers = {upload(client, amina, p).json()["id"]: p for p in (pdf("1"), pdf("2"))}
    rotated = coffre(settings, "keys", "rotate-user", "--login", "amina.diallo")
    assert rotated.returncode == 0, rotated.stderr
    with transaction(rt.sessions) as db:
        states = dict(db.execute(select(UserKey.version, UserKey.state)).all())
    assert states[1] == "destroyed"
    assert states[2] == "active"
    all_papers_open(client, amina, papers)
    titles = [
        d["title"]
        for d in client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()
    ]
    assert titles == ["Carte d'identité", "Carte d'identité"]
    assert coffre(settings, "keys", "verify").returncode == 0
    assert coffre(settings, "keys", "rotate-user", "--all").returncode == 0
    all_papers_open(client, amina, papers)


def test_reencrypt_replaces_every_blob(client: TestClient, rt: Runtime, settings: Settings) -> None:
    amina = sign_up(client, "amina.diallo")
    papers = {
        upload(client, amina, p).json()["id"]: p for p in (pdf("x"), pdf("y", padding=70_000))
    }
    owner = client.get("/api/v1/me", headers=amina["headers"]).json()["id"]
    blobs = {document_id: blob_of(rt, document_id) for document_id in papers}
    before = {}
    with transaction(rt.sessions) as db:
        for document_id, blob in blobs.items():
            before[document_id] = (blob.object_name, *blob_decryption(db, rt, blob, owner))
    done = coffre(settings, "keys", "reencrypt", "--login", "amina.diallo")
    assert done.returncode == 0, done.stderr
    assert "4 blobs re-encrypted" in done.stdout  # each paper and its thumbnail
    names = {info.name for info in rt.store.list()}
    for document_id, (old_name, old_key, context) in before.items():
        new_name = blob_of(rt, document_id).object_name
        assert new_name != old_name
        assert old_name not in names
        with pytest.raises(CryptoError):
            b"".join(decrypt_blob(old_key, context, rt.store.get(new_name)))
    all_papers_open(client, amina, papers)
    for document_id in papers:
        thumbnail = f"/api/v1/documents/{document_id}/thumbnail"
        assert client.get(thumbnail, headers=amina["headers"]).status_code == 200
    assert coffre(settings, "keys", "verify").returncode == 0


def test_reencrypt_commits_before_the_sweep_may_take_its_new_objects(
    client: TestClient, rt: Runtime
) -> None:
    """Review finding: a batch wrote its new objects long before the commit that names them
    (20 papers of up to 100 MiB, each read, written and read back); past the sweep's grace
    period, `coffre storage sweep` could remove them, then the batch committed and removed the
    old ones. A batch now ends once half of that period is spent."""
    rt.settings.orphan_grace_minutes = 0  # every batch is then past half of it
    amina = sign_up(client, "amina.diallo")
    papers = {upload(client, amina, p).json()["id"]: p for p in (pdf("x"), pdf("y"))}
    progress: list[int] = []
    assert reencrypt(rt, "amina.diallo", 20, progress.append) == Reencryption(4, [])
    assert progress == [1, 1, 1, 1]  # each paper and each thumbnail committed alone
    all_papers_open(client, amina, papers)


def test_a_sweep_while_a_blob_is_reencrypted_keeps_the_paper(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding (PostgreSQL): a sweep that came between the new object's read-back and
    the batch's commit read the names of the rows before that commit, took the new object for
    an orphan and removed it; the batch then committed and removed the old one: the paper had
    no file left, and the command said it was done. The batch now holds the sweep off from
    before its first object until its commit, as a late upload does."""
    rt.settings.orphan_grace_minutes = 0
    amina = sign_up(client, "amina.diallo")
    papers = {upload(client, amina, pdf("x")).json()["id"]: pdf("x")}
    real_put, real_get = rt.store.put, rt.store.get
    new_names: list[str] = []
    sweeps: list[threading.Thread] = []

    def put(name: str, chunks: Any) -> int:
        new_names.append(name)
        return real_put(name, chunks)

    def sweep() -> None:
        with transaction(rt.sessions) as db:
            sweep_orphans(db, rt.store, timedelta(0), utcnow() + timedelta(seconds=5), force=True)

    def get(name: str) -> Iterator[bytes]:
        yield from real_get(name)
        if new_names and name == new_names[-1] and not sweeps:
            # The new object is read back whole; its row is not committed yet.
            sweeps.append(threading.Thread(target=sweep))
            sweeps[0].start()
            sweeps[0].join(timeout=3)

    monkeypatch.setattr(rt.store, "put", put)
    monkeypatch.setattr(rt.store, "get", get)
    assert reencrypt(rt, "amina.diallo", 20, lambda _done: None).done == 2
    sweeps[0].join(timeout=60)
    monkeypatch.undo()
    all_papers_open(client, amina, papers)


def test_reencrypt_passes_over_a_paper_it_cannot_read(
    client: TestClient, rt: Runtime, settings: Settings
) -> None:
    """Review finding: one damaged object failed its whole batch, and every run after it took
    the same batch first: no other paper was ever re-encrypted."""
    amina = sign_up(client, "amina.diallo")
    damaged, kept = (upload(client, amina, pdf(name)).json()["id"] for name in ("x", "y"))
    alter_object_start(rt, damaged)
    damaged_blob = blob_of(rt, damaged).id
    for _run in range(2):
        done = coffre(settings, "keys", "reencrypt", "--login", "amina.diallo", "--batch", "1")
        assert done.returncode == 1
        assert "3 blobs re-encrypted" in done.stdout  # the other paper and both thumbnails
        assert f"1 blobs could not be read and keep their old key: {damaged_blob}" in done.stderr
    all_papers_open(client, amina, {kept: pdf("y")})


def copy_of_data(settings: Settings, rt: Runtime, where: Path) -> Settings:
    """A backup of the embedded default: the SQLite file and the blob folder (not the keyring)."""
    rt.engine.dispose()
    shutil.copytree(settings.data_dir, where)
    return Settings(_env_file=None, data_dir=where, keyring=settings.resolved_keyring())


def test_erased_account_is_unreadable_from_an_older_copy(
    client: TestClient, rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    if rt.engine.dialect.name != "sqlite":
        pytest.skip("the copy here is of the embedded data folder")
    amina = sign_up(client, "amina.diallo")
    document_id = upload(client, amina, pdf("secret")).json()["id"]
    backup = copy_of_data(settings, rt, tmp_path / "backup")
    erased = coffre(settings, "admin", "erase", "--login", "amina.diallo")
    assert erased.returncode == 0, erased.stderr
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 401
    with opened(backup) as old:
        blob = blob_of(old, document_id)
        with transaction(old.sessions) as db:
            owner = db.scalars(select(Vault.owner_id)).first() or ""
            data_key, context = blob_decryption(db, old, blob, owner)
        assert b"".join(decrypt_blob(data_key, context, old.store.get(blob.object_name)))
    # The backup still opens while its master version lives: rotate, then retire that version.
    assert coffre(settings, "keys", "rotate-master").returncode == 0
    assert coffre(settings, "keys", "retire-master", "1").returncode == 0
    if settings.resolved_keyring().startswith("kms://"):
        # The KMS refuses to decrypt under a key pending deletion and destroys it after the
        # window; moto's server does not enforce key states, so check the state itself.
        # Version 1 is the key COFFRE_KEYRING names.
        first = urlparse(settings.resolved_keyring())
        endpoint = parse_qs(first.query)["endpoint_url"][0]
        kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1")
        metadata = kms.describe_key(KeyId=first.netloc)["KeyMetadata"]
        assert metadata["KeyState"] == "PendingDeletion"
        return
    # The old copy's keys no longer open: it does not even start (vault/right_place.py).
    with pytest.raises(CannotStart, match="does not open the keys this database holds"):
        build_runtime(backup)


def test_keyring_export_and_import(client: TestClient, rt: Runtime, settings: Settings) -> None:
    amina = sign_up(client, "amina.diallo")
    papers = {upload(client, amina, pdf("k")).json()["id"]: pdf("k")}
    backup = settings.data_dir.parent / "keyring.backup"
    if settings.resolved_keyring().startswith("kms://"):
        refused = coffre(
            settings, "keys", "export", "--output", str(backup), "--passphrase-stdin", stdin="x\n"
        )
        assert refused.returncode == 2
        assert "a KMS keeps its own keys" in refused.stderr
        return
    phrase = "une longue phrase de secours\n"
    short = coffre(
        settings, "keys", "export", "--output", str(backup), "--passphrase-stdin", stdin="court\n"
    )
    assert short.returncode == 1
    done = coffre(
        settings, "keys", "export", "--output", str(backup), "--passphrase-stdin", stdin=phrase
    )
    assert done.returncode == 0, done.stderr
    assert b"versions" not in backup.read_bytes()
    keyring = Path(settings.resolved_keyring().removeprefix("file://"))
    keyring.unlink()
    wrong = coffre(
        settings,
        "keys",
        "import",
        "--input",
        str(backup),
        "--passphrase-stdin",
        stdin="pas la bonne phrase\n",
    )
    assert wrong.returncode == 1
    restored = coffre(
        settings, "keys", "import", "--input", str(backup), "--passphrase-stdin", stdin=phrase
    )
    assert restored.returncode == 0, restored.stderr
    assert oct(keyring.stat().st_mode & 0o777) == "0o600"
    fresh = build_runtime(settings)
    with TestClient(
        __import__("webui.app", fromlist=["create_app"]).create_app(runtime=fresh)
    ) as again:
        all_papers_open(again, amina, papers)


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_a_keyring_export_run_again_keeps_the_first_and_says_why(
    settings: Settings, rt: Runtime
) -> None:
    """Run twice into one file, or imported from a file that is not there: one line, exit 1;
    it was a traceback (FileExistsError, FileNotFoundError)."""
    backup = settings.data_dir.parent / "keyring.backup"
    export = ("keys", "export", "--output", str(backup), "--passphrase-stdin")
    phrase = "une longue phrase de secours\n"
    assert coffre(settings, *export, stdin=phrase).returncode == 0
    first = backup.read_bytes()

    again = coffre(settings, *export, stdin=phrase)
    assert again.returncode == 1
    assert again.stderr.strip() == f"{backup} already exists: export into a new file."
    assert backup.read_bytes() == first

    missing = settings.data_dir.parent / "nowhere.backup"
    imported = coffre(
        settings, "keys", "import", "--input", str(missing), "--passphrase-stdin", stdin=phrase
    )
    assert imported.returncode == 1
    assert imported.stderr.strip() == f"Cannot read {missing}: No such file or directory"


def test_status_flags_overdue_keys_and_shows_the_last_verify(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    amina = sign_up(client, "amina.diallo")
    upload(client, amina, pdf())
    fresh = coffre(settings, "keys", "status")
    assert "OVERDUE" not in fresh.stdout
    assert "Blobs never verified" in fresh.stdout
    assert coffre(settings, "keys", "verify").returncode == 0
    monkeypatch.setenv("COFFRE_MASTER_ROTATION_DAYS", "0")
    late = coffre(settings, "keys", "status")
    assert "OVERDUE: rotate the master key" in late.stdout
    assert "Last verify:" in late.stdout
    assert "2 blobs, 0 failed" in late.stdout  # the paper and its thumbnail
    assert coffre(settings, "keys", "rotate-master").returncode == 0
    monkeypatch.setenv("COFFRE_MASTER_ROTATION_DAYS", "365")
    assert "OVERDUE" not in coffre(settings, "keys", "status").stdout
