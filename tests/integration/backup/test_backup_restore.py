"""`coffre backup` then `coffre restore` into another, empty instance (another database, another
bucket or folder): every paper opens byte for byte, the journal's chain holds, and a backup that
was changed, or an instance that is not empty, is refused before anything is written."""

import dataclasses
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from mypy_boto3_s3 import S3Client
from sqlalchemy import Engine, func, inspect, select

import keys.backup
from keys.providers.local import LocalKeyring
from storage import open_store
from tests.app_fixtures import PASSWORD, admin_headers, organisation, professional, sign_up
from tests.buckets import drop_bucket
from tests.conftest import TEST_REGION
from tests.integration.shares.helpers import download, make_share, token_of, visitor
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf, png
from vault.backup.export import write_backup
from vault.backup.manifest import (
    DATABASE,
    KEYRING,
    MANIFEST,
    OBJECTS,
    SEAL,
    UNSEALED_FORMAT,
    BackupError,
    Manifest,
    object_path,
    sum_of,
)
from vault.backup.restore import restore_backup
from vault.backup.rows import dump_table, tables
from vault.config import Settings
from vault.db import make_engine
from vault.errors import CannotStart
from vault.models import JournalEvent
from vault.production import findings
from vault.runtime import Runtime
from vault.wiring import build_runtime, keyring_path
from webui.app import create_app

pytestmark = pytest.mark.master_keys

PASSPHRASE = "une phrase de passe assez longue"


@dataclass
class Paper:
    id: str
    owner: str
    content: bytes
    binned: bool = False


# The source instance (tests.app_fixtures `settings`, then `rt`) on each back end, the KMS
# aside: a KMS keeps its keys itself, there is no keyring to carry. A refusal comes before any
# back end is touched: the embedded one is enough for it.
ON_BOTH = pytest.mark.parametrize(
    "settings",
    ["embedded", pytest.param("server", marks=[pytest.mark.pg, pytest.mark.s3])],
    indirect=True,
)
EMBEDDED = pytest.mark.parametrize("settings", ["embedded"], indirect=True)


@pytest.fixture(autouse=True)
def quick_sealing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keyring is sealed with argon2id at 256 MiB and 4 passes (seconds on a busy machine);
    here with the same code at a small cost, which the sealed file records."""
    monkeypatch.setattr(keys.backup, "_TIME_COST", 1)
    monkeypatch.setattr(keys.backup, "_MEMORY_KIB", 1024)
    monkeypatch.setattr(keys.backup, "_PARALLELISM", 1)


@pytest.fixture
def target(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[Settings]:
    """Another instance on the source's back end, with nothing in it yet: no schema, no object,
    no keyring."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "target",
        "keyring": (tmp_path / "target-keys" / "keyring.json").as_uri(),
    }
    if settings.database_url is None:
        yield Settings(_env_file=None, **values)
        return
    s3: S3Client = request.getfixturevalue("s3_client")
    bucket = f"coffre-test-{uuid4().hex[:12]}"
    endpoint = request.getfixturevalue("s3_endpoint")
    values["database_url"] = request.getfixturevalue("pg_database")
    values["storage_url"] = f"s3://{bucket}?endpoint_url={endpoint}&region={TEST_REGION}"
    yield Settings(_env_file=None, **values)
    if bucket in {b.get("Name") for b in s3.list_buckets()["Buckets"]}:
        drop_bucket(s3, bucket)


def fill(rt: Runtime) -> tuple[list[Paper], str]:
    """Several people, a counsellor with a grant, a share, a paper in the bin, journal lines."""
    with TestClient(create_app(runtime=rt), base_url="http://coffre.test") as client:
        admin = admin_headers(client, rt)
        claire = professional(client, admin, organisation(client, admin), "claire.martin")
        amina, bruno = sign_up(client, "amina.diallo"), sign_up(client, "bruno.martin", "Bruno")
        people = {"amina.diallo": amina, "bruno.martin": bruno}
        papers = []
        for owner, content, name in [
            ("amina.diallo", pdf("carte"), "carte.pdf"),
            ("amina.diallo", png(32, 32), "photo.png"),
            ("amina.diallo", pdf("vieille"), "vieille.pdf"),
            ("bruno.martin", pdf("bail", padding=300_000), "bail.pdf"),
        ]:
            answer = upload(client, people[owner], content, name)
            assert answer.status_code == 201, answer.text
            papers.append(Paper(answer.json()["id"], owner, content))
        granted = client.post(
            "/api/v1/grants",
            headers=amina["headers"],
            json={
                "scopes": ["view", "upload"],
                "current_password": PASSWORD,
                "counsellor_id": claire["id"],
            },
        )
        assert granted.status_code == 201, granted.text
        shared = make_share(client, amina, papers[0].id)
        assert shared.status_code == 201, shared.text
        binned = client.delete(f"/api/v1/documents/{papers[2].id}", headers=amina["headers"])
        assert binned.status_code == 204
        papers[2].binned = True
    return papers, token_of(shared)


def rows_of(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as connection, connection.begin():
        return {table.name: list(dump_table(connection, table)) for table in tables()}


@ON_BOTH
def test_a_backup_restores_into_an_empty_instance(
    rt: Runtime, target: Settings, tmp_path: Path
) -> None:
    papers, share_token = fill(rt)
    folder = tmp_path / "backup"

    written = write_backup(rt, folder, PASSPHRASE)
    assert written.missing_objects == []
    assert written.manifest.tables["documents"] == len(papers)
    report = restore_backup(target, folder, lambda: PASSPHRASE)

    assert report.problems == []
    assert report.papers == len(papers)
    assert report.journal_entries == written.manifest.tables["journal"] > 0
    restored = build_runtime(target)
    try:
        assert rows_of(restored.engine) == rows_of(rt.engine)
        with TestClient(create_app(runtime=restored), base_url="http://coffre.test") as client:
            for paper in papers:
                who = client.post(
                    "/api/v1/session", json={"login": paper.owner, "password": PASSWORD}
                ).json()
                headers = {"Authorization": f"Bearer {who['token']}"}
                if paper.binned:
                    back = client.post(f"/api/v1/documents/{paper.id}/restore", headers=headers)
                    assert back.status_code == 200, back.text
                opened = client.get(f"/api/v1/documents/{paper.id}/content", headers=headers)
                assert opened.status_code == 200, opened.text
                assert opened.content == paper.content
            assert download(visitor(client), share_token).status_code == 200
    finally:
        restored.engine.dispose()


def one_paper(rt: Runtime) -> None:
    with TestClient(create_app(runtime=rt), base_url="http://coffre.test") as client:
        assert upload(client, sign_up(client, "amina.diallo"), pdf()).status_code == 201


@pytest.fixture
def backup(rt: Runtime, tmp_path: Path) -> Path:
    """A backup of one person with one paper."""
    one_paper(rt)
    folder = tmp_path / "backup"
    write_backup(rt, folder, PASSPHRASE)
    return folder


def flip_last_byte(path: Path) -> None:
    content = bytearray(path.read_bytes())
    content[-2] ^= 0x01
    path.write_bytes(bytes(content))


def keyring_of(settings: Settings) -> Path:
    return keyring_path(settings.resolved_keyring())


def still_empty(settings: Settings) -> bool:
    """No table, no object, no keyring; on the embedded default, not even the data folder (a
    refused restore removes the empty database file and blob folder it made)."""
    if settings.database_url is None:
        return not settings.data_dir.exists() and not keyring_of(settings).exists()
    engine = make_engine(settings.resolved_database_url())
    try:
        with engine.connect() as connection:
            no_tables = inspect(connection).get_table_names() == []
    finally:
        engine.dispose()
    no_objects = next(iter(open_store(settings.resolved_storage_url()).list()), None) is None
    return no_tables and no_objects and not keyring_of(settings).exists()


@EMBEDDED
@pytest.mark.parametrize("changed", [DATABASE, OBJECTS, "an object", KEYRING])
def test_a_changed_backup_is_refused_before_anything_is_written(
    backup: Path, target: Settings, tmp_path: Path, changed: str
) -> None:
    folder = tmp_path / "changed"
    shutil.copytree(backup, folder)
    if changed == "an object":
        name = (folder / OBJECTS).read_text().split('"name": "')[1].split('"')[0]
        flip_last_byte(object_path(folder, name))
    else:
        flip_last_byte(folder / changed)

    with pytest.raises(BackupError, match="changed since the backup was written"):
        restore_backup(target, folder, lambda: pytest.fail("no passphrase is asked"))
    assert not target.data_dir.exists()  # refused before the instance was even opened
    assert not keyring_of(target).exists()


@ON_BOTH
def test_a_restore_killed_before_its_end_leaves_an_instance_that_does_not_start(
    backup: Path, target: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding: a restore killed once its rows were committed and before its objects
    were all copied (a terminal closed, a machine stopped) left an instance that started as if
    healthy, with a KMS keyring (nothing more to write there) or with its keyring file written
    by hand: accounts whose papers were never copied. The rows now go with a mark that only
    the end of the restore takes away."""

    def killed(_path: Path) -> Iterator[bytes]:
        raise KeyboardInterrupt  # as a kill: none of the restore's own handling runs

    monkeypatch.setattr("vault.backup.restore.chunks_of", killed)
    with pytest.raises(KeyboardInterrupt):
        restore_backup(target, backup, lambda: PASSPHRASE)
    monkeypatch.undo()
    with pytest.raises(CannotStart, match="a restore into this instance did not finish"):
        build_runtime(target)
    with pytest.raises(BackupError, match="a restore into this instance did not finish"):
        restore_backup(target, backup, lambda: PASSPHRASE)


@EMBEDDED
def test_a_wrong_passphrase_is_refused_before_anything_is_written(
    backup: Path, target: Settings
) -> None:
    with pytest.raises(BackupError, match="wrong passphrase"):
        restore_backup(target, backup, lambda: "pas la bonne phrase de passe")
    assert still_empty(target)


@ON_BOTH
def test_an_instance_that_is_not_empty_is_refused(
    backup: Path, rt: Runtime, settings: Settings
) -> None:
    with rt.engine.connect() as connection:
        before = connection.scalar(select(func.count()).select_from(JournalEvent))
    with pytest.raises(BackupError, match="the database is not empty") as refused:
        restore_backup(settings, backup, lambda: pytest.fail("no passphrase is asked"))
    assert "the blob store is not empty" in str(refused.value)
    assert "a keyring already exists" in str(refused.value)
    with rt.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(JournalEvent)) == before


@EMBEDDED
def test_in_production_unfit_settings_are_refused_before_anything_is_written(
    backup: Path, target: Settings
) -> None:
    """Every command but `coffre check` and `coffre db` refuses them; the restore wrote the
    whole instance, then stopped on them with a traceback before checking a single paper."""
    production = Settings(
        _env_file=None, env="production", data_dir=target.data_dir, keyring=target.keyring
    )
    expected = findings(production)
    assert expected  # sign-up without a contact, no https:// address

    with pytest.raises(BackupError) as refused:
        restore_backup(production, backup, lambda: pytest.fail("no passphrase is asked"))
    assert all(problem in str(refused.value) for problem in expected)
    assert still_empty(production)


@EMBEDDED
def test_without_the_objects_the_store_that_kept_them_is_restored_onto(
    rt: Runtime, settings: Settings, target: Settings, tmp_path: Path
) -> None:
    one_paper(rt)
    folder = tmp_path / "backup"
    written = write_backup(rt, folder, PASSPHRASE, copy_objects=False)
    assert not (folder / "objects").exists()
    assert written.manifest.objects_copied is False
    # The store's own replica stands in for the copies (S3 versioning or replication).
    shutil.copytree(settings.data_dir / "blobs", target.data_dir / "blobs")

    report = restore_backup(target, folder, lambda: PASSPHRASE)

    assert report.problems == []
    assert report.papers == 1


@ON_BOTH
def test_without_the_objects_a_store_that_lacks_them_is_refused_before_anything_is_written(
    rt: Runtime, target: Settings, tmp_path: Path
) -> None:
    """Review finding: onto an empty or wrong bucket, the rows were written, then every paper
    was reported missing: an instance of papers without files, to empty by hand."""
    one_paper(rt)
    folder = tmp_path / "backup"
    write_backup(rt, folder, PASSPHRASE, copy_objects=False)
    with pytest.raises(BackupError, match="the blob store lacks 2 of the backup's 2 objects"):
        restore_backup(target, folder, lambda: pytest.fail("no passphrase is asked"))
    assert still_empty(target)


@EMBEDDED
def test_a_master_version_retired_during_the_backup_stops_it(
    rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_paper(rt)
    assert isinstance(rt.master_keys, LocalKeyring)
    # The rows were read, then the version their key slots use was retired.
    monkeypatch.setattr(rt.master_keys, "versions", lambda: [])

    with pytest.raises(BackupError, match=r"versions \[1\] were retired during the backup"):
        write_backup(rt, tmp_path / "backup", PASSPHRASE)
    assert not (tmp_path / "backup" / KEYRING).exists()


@EMBEDDED
def test_a_backup_from_a_newer_coffre_is_refused(backup: Path, target: Settings) -> None:
    manifest = backup / MANIFEST
    manifest.write_text(manifest.read_text().replace('"revision": "', '"revision": "9999'))

    with pytest.raises(BackupError, match="unknown to this version of coffre"):
        restore_backup(target, backup, lambda: pytest.fail("no passphrase is asked"))
    assert not target.data_dir.exists()


def with_sums_made_again(folder: Path) -> None:
    """What someone who can write to the backup's medium can do: change a file, then put its
    new size and SHA-256 in the manifest."""
    manifest = Manifest.from_json((folder / MANIFEST).read_bytes())
    files = {name: sum_of(folder / name) for name in manifest.files}
    (folder / MANIFEST).write_bytes(dataclasses.replace(manifest, files=files).to_json())


def made_admin(folder: Path) -> None:
    rows = (folder / DATABASE).read_text()
    assert '"beneficiary"' in rows
    (folder / DATABASE).write_text(rows.replace('"beneficiary"', '"admin"'))


@EMBEDDED
def test_a_backup_changed_with_its_checksums_is_refused_before_anything_is_written(
    backup: Path, target: Settings
) -> None:
    made_admin(backup)
    with_sums_made_again(backup)

    with pytest.raises(BackupError, match="manifest was changed since the backup was written"):
        restore_backup(target, backup, lambda: PASSPHRASE)
    assert still_empty(target)


@EMBEDDED
def test_the_seal_of_another_backup_is_refused(
    backup: Path, rt: Runtime, target: Settings, tmp_path: Path
) -> None:
    """Same keyring, same passphrase: the seal still belongs to the other manifest only."""
    other = tmp_path / "other"
    one_paper_more(rt)
    write_backup(rt, other, PASSPHRASE)
    shutil.copyfile(backup / SEAL, other / SEAL)

    with pytest.raises(BackupError, match="manifest was changed since the backup was written"):
        restore_backup(target, other, lambda: PASSPHRASE)
    assert still_empty(target)


def one_paper_more(rt: Runtime) -> None:
    with TestClient(create_app(runtime=rt), base_url="http://coffre.test") as client:
        bruno = sign_up(client, "bruno.martin", "Bruno")
        assert upload(client, bruno, pdf("bail")).status_code == 201


@EMBEDDED
def test_a_backup_without_its_seal_is_refused_before_the_passphrase(
    backup: Path, target: Settings
) -> None:
    (backup / SEAL).unlink()

    with pytest.raises(BackupError, match=f"{SEAL} is missing"):
        restore_backup(target, backup, lambda: pytest.fail("no passphrase is asked"))
    assert not target.data_dir.exists()


def written_before_seals(folder: Path) -> None:
    manifest = Manifest.from_json((folder / MANIFEST).read_bytes())
    old = dataclasses.replace(manifest, format=UNSEALED_FORMAT)
    (folder / MANIFEST).write_bytes(old.to_json())
    (folder / SEAL).unlink()


@EMBEDDED
def test_a_backup_from_before_seals_is_restored_only_on_the_operators_word(
    backup: Path, target: Settings
) -> None:
    written_before_seals(backup)

    with pytest.raises(BackupError, match=r"has no seal.*--trust-unsealed"):
        restore_backup(target, backup, lambda: pytest.fail("no passphrase is asked"))
    assert not target.data_dir.exists()

    report = restore_backup(target, backup, lambda: PASSPHRASE, trust_unsealed=True)
    assert report.problems == []
    assert report.papers == 1


@pytest.mark.parametrize("settings", [pytest.param("kms", marks=pytest.mark.kms)], indirect=True)
def test_with_a_kms_the_seal_is_checked_with_its_key(
    backup: Path, settings: Settings, tmp_path: Path
) -> None:
    """No keyring in the folder: the KMS key named by COFFRE_KEYRING unwraps the seal's key."""
    target = Settings(_env_file=None, data_dir=tmp_path / "target", keyring=settings.keyring)
    changed = tmp_path / "changed"
    shutil.copytree(backup, changed)
    made_admin(changed)
    with_sums_made_again(changed)

    with pytest.raises(BackupError, match="manifest was changed since the backup was written"):
        restore_backup(target, changed, lambda: pytest.fail("no passphrase with a KMS"))
    # Into the same instance: the refusal left it empty.
    report = restore_backup(target, backup, lambda: pytest.fail("no passphrase with a KMS"))

    assert not (backup / KEYRING).exists()
    assert report.problems == []
    assert report.papers == 1
