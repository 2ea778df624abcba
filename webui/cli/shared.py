"""What the commands share: where they print, and the runtime they build (called as
`shared.runtime()`, so that a test hands every command its runtime by replacing this one)."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from keys.errors import CryptoError
from vault.config import get_settings
from vault.errors import CannotStart, VaultError
from vault.runtime import Runtime
from vault.wiring import build_runtime
from webui.cli.check import refuse

# soft_wrap: a report line stays one line, whatever the terminal width, so it can be grepped.
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def secret_from_stdin(given: bool, option: str, what: str) -> str:
    """The first line of standard input, once `option` says the secret comes there: never as an
    argument, which the process list and the shell's history would show. Else exit 2."""
    if not given:
        errors.print(f"Give the {what} on standard input with {option}.")
        raise typer.Exit(2)
    return sys.stdin.readline().rstrip("\n")


def runtime() -> Runtime:
    # Files coffre creates (SQLite database and journal, blobs) are for its own user only.
    os.umask(0o077)
    try:
        return build_runtime(get_settings())
    except CannotStart as refusal:
        refuse(refusal)


@contextmanager
def refusals_end_the_command() -> Iterator[None]:
    """A refusal of the domain (an unknown login, another job that changed the keys meanwhile)
    is its message on one line and exit status 1, not a traceback: nothing was lost."""
    try:
        yield
    except VaultError as exc:
        errors.print(exc.message)
        raise typer.Exit(1) from exc
    except CryptoError as exc:  # the keyring's own refusal: an unknown version, say
        errors.print(str(exc))
        raise typer.Exit(1) from exc
