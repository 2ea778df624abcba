"""`coffre backup FOLDER` and `coffre restore FOLDER`, or API.md's `--output DIR` / `--input DIR`
with `--passphrase-stdin` (README.md, "Backups")."""

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from keys.errors import CryptoError
from keys.providers.local import LocalKeyring
from storage.base import BlobStoreError
from vault.backup.export import write_backup
from vault.backup.manifest import KEYRING, BackupError
from vault.backup.restore import RestoreStoppedError, restore_backup
from vault.config import get_settings
from vault.errors import CannotStart
from vault.wiring import as_refusal
from webui.cli import shared
from webui.cli.check import refuse

# The name of the variable, not a passphrase.
PASSPHRASE_VARIABLE = "COFFRE_BACKUP_PASSPHRASE"  # noqa: S105

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

KeyringFile = Annotated[
    Path | None,
    typer.Option(help=f"The sealed keyring file (default: FOLDER/{KEYRING}); keep it apart."),
]


PassphraseStdin = Annotated[
    bool,
    typer.Option(
        "--passphrase-stdin",
        help=f"Read the keyring's passphrase from the first line of standard input (else "
        f"{PASSPHRASE_VARIABLE}, else a prompt).",
    ),
]


def _passphrase(confirm: bool, from_stdin: bool = False) -> str:
    # Never an option's value: a command line shows in process listings and shell histories.
    if from_stdin:
        return shared.secret_from_stdin(True, "--passphrase-stdin", "passphrase")
    return os.environ.get(PASSPHRASE_VARIABLE) or typer.prompt(
        "Keyring backup passphrase", hide_input=True, confirmation_prompt=confirm
    )


def _one_folder(argument: Path | None, option: Path | None, name: str) -> Path:
    """The folder, given as FOLDER or as API.md's `--output` / `--input`: once."""
    given = [folder for folder in (argument, option) if folder is not None]
    if len(given) != 1:
        errors.print(f"Give the folder once: as FOLDER or with {name}.")
        raise typer.Exit(2)
    return given[0]


def backup(
    folder: Annotated[Path | None, typer.Argument(help="A new or empty folder.")] = None,
    output: Annotated[Path | None, typer.Option(help="The folder, as an option.")] = None,
    passphrase_stdin: PassphraseStdin = False,
    no_blobs: Annotated[
        bool,
        typer.Option(
            "--no-blobs",
            help="List the objects with their checksums but do not copy them, for a store "
            "that keeps its own copies (S3 replication or versioning).",
        ),
    ] = False,
    keyring_file: KeyringFile = None,
) -> None:
    """Back up the database, the blob store and the keyring (sealed under a passphrase from
    standard input, COFFRE_BACKUP_PASSPHRASE or a prompt)."""
    folder = _one_folder(folder, output, "--output")
    rt = shared.runtime()
    passphrase = (
        _passphrase(confirm=True, from_stdin=passphrase_stdin)
        if isinstance(rt.master_keys, LocalKeyring)
        else ""
    )
    try:
        report = write_backup(
            rt, folder, passphrase, copy_objects=not no_blobs, keyring_file=keyring_file
        )
    except (BackupError, BlobStoreError, CryptoError, OSError) as exc:
        errors.print(f"Backup refused: {exc}")
        raise typer.Exit(1) from exc
    finally:
        rt.engine.dispose()
    manifest = report.manifest
    rows = sum(manifest.tables.values())
    copied = "copied" if manifest.objects_copied else "listed, not copied"
    console.print(
        f"Backup written to {folder}: schema {manifest.revision}, {rows} rows, "
        f"{manifest.objects} objects ({manifest.object_bytes} bytes) {copied}."
    )
    for name in report.missing_objects:
        console.print(f"MISSING object {name}: the database refers to it, the store lacks it.")
    if manifest.files.get(KEYRING):
        console.print(
            f"The keyring is sealed in {keyring_file or folder / KEYRING}: store it, and its "
            "passphrase, apart from the rest of the backup."
        )
    if report.missing_objects:
        raise typer.Exit(1)


def restore(
    folder: Annotated[
        Path | None, typer.Argument(help="A folder written by coffre backup.")
    ] = None,
    input_folder: Annotated[
        Path | None, typer.Option("--input", help="The folder, as an option.")
    ] = None,
    passphrase_stdin: PassphraseStdin = False,
    keyring_file: KeyringFile = None,
    trust_unsealed: Annotated[
        bool,
        typer.Option(
            "--trust-unsealed",
            help="Restore a backup written before manifests were sealed (coffre-backup/1), "
            "on your word that the folder was not changed.",
        ),
    ] = False,
) -> None:
    """Restore a backup into an empty instance, then check every paper and the journal."""
    folder = _one_folder(folder, input_folder, "--input")
    os.umask(0o077)
    try:
        with as_refusal():  # a database that is not there, a folder that cannot be made
            report = restore_backup(
                get_settings(),
                folder,
                lambda: _passphrase(confirm=False, from_stdin=passphrase_stdin),
                keyring_file,
                trust_unsealed=trust_unsealed,
            )
    except RestoreStoppedError as exc:
        errors.print(f"Restore stopped: {exc}.")
        raise typer.Exit(1) from exc
    except BackupError as exc:
        errors.print(f"Restore refused: {exc}")
        raise typer.Exit(1) from exc
    except CannotStart as refusal:
        refuse(refusal)
    rows = sum(report.tables.values())
    console.print(f"Restored {rows} rows and {report.objects} objects.")
    for problem in report.problems:
        console.print(f"FAILED {problem}")
    console.print(
        f"{report.papers} papers checked, {report.journal_entries} journal entries, "
        f"{len(report.problems)} problems."
    )
    if report.problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(backup)
    app.command()(restore)
