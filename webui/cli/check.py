"""`coffre check`: the settings production refuses, and how a command refuses to start."""

from typing import NoReturn

import typer

from vault.config import get_settings
from vault.errors import CannotStart
from vault.production import findings


def check() -> None:
    """List what COFFRE_ENV=production would refuse to start with, one line each (whatever
    COFFRE_ENV says); exit 1 if anything, else print "ok"."""
    problems = findings(get_settings())
    for problem in problems:
        typer.echo(problem)
    if problems:
        raise typer.Exit(1)
    typer.echo("ok")


def refuse(refusal: CannotStart) -> NoReturn:
    """Stop a command that must not start: why and how to fix it, without a traceback."""
    for problem in refusal.problems:
        typer.echo(problem, err=True)
    raise typer.Exit(1)
