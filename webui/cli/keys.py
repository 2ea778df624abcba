"""`coffre keys`: the key hierarchy: status, checks, rotations, the local keyring's backup."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from keys.backup import open_backup, seal_backup
from keys.errors import CryptoError
from keys.providers.local import LocalKeyring
from vault.backup.manifest import create
from vault.config import get_settings
from vault.db import transaction
from vault.keylife.integrity import Failure, count_blobs, verify_papers
from vault.keylife.key_status import key_status, record_verify_run
from vault.keylife.rotation import (
    everyone_to_rotate,
    finish_job,
    people_for,
    reencrypt,
    retire_master,
    rotate_master,
    rotate_user,
    start_master_rotation,
)
from vault.models import utcnow
from vault.wiring import keyring_path
from webui.cli import shared
from webui.cli.shared import console, errors

keys_app = typer.Typer(help="Key hierarchy: status and checks.", no_args_is_help=True)


@keys_app.command("status")
def keys_status() -> None:
    """Key versions in use, per level, with counts."""
    rt = shared.runtime()
    with transaction(rt.sessions) as db:
        status = key_status(db, rt.master_keys, rt.settings)
    table = Table(title="coffre keys")
    table.add_column("level")
    table.add_column("version")
    table.add_column("count", justify="right")
    for version in status.master_versions:
        primary = " (primary)" if version == status.master_primary else ""
        count = status.slots_by_master_version.get(version, 0)
        table.add_row("master", f"{version}{primary}", f"{count} user key slots")
    for version, count in status.user_keys_by_version.items():
        table.add_row("user", str(version), str(count))
    for state, count in status.user_keys_by_state.items():
        table.add_row("user (state)", state, str(count))
    for version, count in status.data_keys_by_format.items():
        table.add_row("data", f"blob format {version}", str(count))
    console.print(table)
    rotated = status.last_master_rotation
    console.print(
        f"Last master rotation: {rotated:%Y-%m-%d %H:%M} UTC"
        if rotated
        else "Master key never rotated."
    )
    if status.master_overdue:
        console.print(
            f"OVERDUE: rotate the master key (period {rt.settings.master_rotation_days} days): "
            "coffre keys rotate-master"
        )
    run = status.last_verify
    if run is not None and run.finished_at is not None:
        console.print(
            f"Last verify: {run.finished_at:%Y-%m-%d %H:%M} UTC, {run.units} blobs, "
            f"{run.failures} failed."
        )
    else:
        console.print("Blobs never verified: coffre keys verify")


@keys_app.command("verify")
def keys_verify() -> None:
    """Open every paper's key and sealed text, decrypt and check every blob; one line per
    failure (ids, never a title); exit non-zero on any failure."""
    rt = shared.runtime()
    failures = failed_blobs = papers = unreadable = 0
    started = utcnow()
    # Read-only: on SQLite a writing transaction would hold the one write lock, and every
    # sign-in and upload of the running instance wait, for the whole check.
    with transaction(rt.readers) as db:
        total = count_blobs(db)
        with Progress(console=errors, transient=True, disable=not errors.is_terminal) as progress:
            task = progress.add_task("Verifying blobs", total=total)
            for check in verify_papers(db, rt):
                for failure in check.failures:
                    console.print(f"FAILED {_where(failure)}: {failure.problem}")
                failures += len(check.failures)
                failed_blobs += check.failed_blobs
                papers += 1
                unreadable += not check.readable
                progress.advance(task, check.blobs)
    with transaction(rt.sessions) as db:
        record_verify_run(db, started, total, failures)
    console.print(f"{total - failed_blobs} of {total} blobs verified, {failed_blobs} failed.")
    console.print(f"{unreadable} of {papers} documents cannot be read.")
    if failures:
        raise typer.Exit(1)


def _where(failure: Failure) -> str:
    paper = f"document {failure.document_id}"
    if failure.blob_id is None:
        return f"{paper} (vault {failure.vault_id})"
    return f"blob {failure.blob_id} ({paper}, vault {failure.vault_id})"


def _progress(description: str, total: int) -> tuple[Progress, Callable[[int], None]]:
    progress = Progress(console=errors, disable=not errors.is_terminal)
    task = progress.add_task(description, total=total or None)
    return progress, lambda done: progress.advance(task, done)


BatchOption = Annotated[int, typer.Option(min=1, help="Units per transaction.")]
# Rows re-wrapped per transaction by the rotations: a larger batch cost no less per key when
# measured (bench/README.md, "Key rotation"), and a batch of 2,000 commits in about 0.2 s.
ROTATION_BATCH = 2000


def _one_or_all(login: str | None, all_people: bool) -> None:
    if (login is None) == (not all_people):
        errors.print("Give --login LOGIN or --all.")
        raise typer.Exit(2)


# Batches re-wrapped at once by a master rotation on PostgreSQL: two overlap this process's
# re-wrapping with the server's writing. On a 2-core machine they were 1.3-1.7 times faster
# than one under load and at 1,000,000 people, as fast at 100,000 when quieter, and three no
# faster (bench/README.md, "Key rotation"). SQLite always takes one.
ROTATION_WORKERS = 2
WorkersOption = Annotated[
    int, typer.Option(min=1, max=8, help="Batches at once, each on its own connection.")
]


@keys_app.command("rotate-master")
def keys_rotate_master(
    batch: BatchOption = ROTATION_BATCH, workers: WorkersOption = ROTATION_WORKERS
) -> None:
    """New master key version; re-wrap every user key (no blob is read or written).
    Interrupted, it resumes when run again."""
    rt = shared.runtime()
    with shared.refusals_end_the_command():
        target, behind = start_master_rotation(rt)
        progress, advance = _progress(f"Re-wrapping user keys under master v{target}", behind)
        with progress:
            done = rotate_master(rt, batch, advance, workers)
    console.print(f"Master key version {target} is primary; {done} user keys re-wrapped.")


@keys_app.command("retire-master")
def keys_retire_master(version: int) -> None:
    """Forget an old master key version; refused while anything references it."""
    rt = shared.runtime()
    with shared.refusals_end_the_command():
        retire_master(rt, version)
    console.print(f"Master key version {version} retired.")


@keys_app.command("rotate-user")
def keys_rotate_user(
    login: Annotated[str | None, typer.Option(help="One person's login.")] = None,
    all_people: Annotated[bool, typer.Option("--all", help="Every person.")] = False,
    batch: BatchOption = ROTATION_BATCH,
) -> None:
    """New user key version; re-wrap that vault's data keys, then destroy the old version
    (kept, exit 1, while rows another job holds still need it: run the command again)."""
    _one_or_all(login, all_people)
    rt = shared.runtime()
    job_id = None
    with shared.refusals_end_the_command():
        with transaction(rt.sessions) as db:
            if all_people:
                job, people = everyone_to_rotate(db)
                job_id = job.id
                # An earlier run stopped half-way: this one goes on with it (whoever was
                # rotated since it began is not rotated again).
                console.print(
                    f"Rotation of every key begun {job.started_at:%Y-%m-%d %H:%M} UTC: "
                    f"{len(people)} people to go."
                )
            else:
                people = people_for(db, login)
        progress, advance = _progress("Rotating user keys", len(people))
        units = kept = left = 0
        with progress:
            for person_id in people:
                rotation = rotate_user(rt, person_id, batch, lambda _done: None)
                units += rotation.moved
                kept += bool(rotation.left)
                left += rotation.left
                advance(1)
        if job_id is not None:  # everyone had their turn: the next run is a new rotation
            with transaction(rt.sessions) as db:
                finish_job(db, job_id, len(people))
    console.print(f"{len(people)} user keys rotated, {units} data keys and texts re-wrapped.")
    if kept:
        errors.print(
            f"The previous key version of {kept} of them is kept: {left} rows that still "
            "need it were held by another job (coffre keys reencrypt?). Run this command "
            "again once that job has ended."
        )
        raise typer.Exit(1)


@keys_app.command("reencrypt")
def keys_reencrypt(
    login: Annotated[str | None, typer.Option(help="One person's login.")] = None,
    all_people: Annotated[bool, typer.Option("--all", help="Every person.")] = False,
    batch: BatchOption = 20,
) -> None:
    """New data keys; re-encrypt the blobs (the old object goes once the new one is checked)."""
    _one_or_all(login, all_people)
    rt = shared.runtime()
    with transaction(rt.sessions) as db:
        total = count_blobs(db)
    progress, advance = _progress("Re-encrypting blobs", total)
    with shared.refusals_end_the_command(), progress:
        done = reencrypt(rt, login, batch, advance)
    console.print(f"{done.done} blobs re-encrypted.")
    if done.unreadable:
        errors.print(
            f"{len(done.unreadable)} blobs could not be read and keep their old key: "
            f"{', '.join(done.unreadable)}. `coffre keys verify` names their papers."
        )
        raise typer.Exit(1)


@keys_app.command("export")
def keys_export(
    output: Annotated[Path, typer.Option(help="Where to write the encrypted backup.")],
    passphrase_stdin: Annotated[bool, typer.Option("--passphrase-stdin")] = False,
) -> None:
    """Write the local keyring, encrypted under a passphrase (argon2id), to keep apart."""
    passphrase = shared.secret_from_stdin(passphrase_stdin, "--passphrase-stdin", "passphrase")
    keyring = _local_keyring()
    try:
        backup = seal_backup(keyring.export_document(), passphrase)
    except CryptoError as exc:
        errors.print(str(exc))
        raise typer.Exit(1) from exc
    try:
        _write_new(output, backup)
    except FileExistsError as exc:
        errors.print(f"{output} already exists: export into a new file.")
        raise typer.Exit(1) from exc
    except OSError as exc:
        errors.print(f"Cannot write {output}: {exc.strerror}")
        raise typer.Exit(1) from exc
    console.print(f"Keyring backup written to {output}. Keep it, and its passphrase, apart.")


@keys_app.command("import")
def keys_import(
    backup: Annotated[Path, typer.Option("--input", help="The encrypted backup.")],
    passphrase_stdin: Annotated[bool, typer.Option("--passphrase-stdin")] = False,
) -> None:
    """Restore the local keyring from an encrypted backup (refuses to overwrite one)."""
    passphrase = shared.secret_from_stdin(passphrase_stdin, "--passphrase-stdin", "passphrase")
    path = keyring_path(get_settings().resolved_keyring())
    try:
        sealed = backup.read_bytes()
    except OSError as exc:
        errors.print(f"Cannot read {backup}: {exc.strerror}")
        raise typer.Exit(1) from exc
    try:
        document = open_backup(sealed, passphrase)
        LocalKeyring.restore(path, document)
    except CryptoError as exc:
        errors.print(str(exc))
        raise typer.Exit(1) from exc
    console.print(f"Keyring restored to {path}.")


def _write_new(path: Path, content: bytes) -> None:
    """A new file, on disk before the command says it is written (a USB key pulled out next
    keeps it); a write that fails leaves no half file to be taken for a backup."""
    created = False
    try:
        with create(path) as file:
            created = True
            file.write(content)
    except OSError:
        if created:
            path.unlink(missing_ok=True)
        raise


def _local_keyring() -> LocalKeyring:
    provider = shared.runtime().master_keys
    if not isinstance(provider, LocalKeyring):
        errors.print("Only a local keyring file can be exported; a KMS keeps its own keys.")
        raise typer.Exit(2)
    return provider
