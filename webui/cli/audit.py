"""`coffre audit`: the journal's hash chain."""

import typer

from vault.audit.journal import verify_chain
from vault.db import transaction
from webui.cli import shared
from webui.cli.shared import console

audit_app = typer.Typer(help="The journal.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the journal's hash chain; exit non-zero if an entry was changed, removed,
    reordered or inserted."""
    rt = shared.runtime()
    with transaction(rt.readers) as db:  # the running instance keeps writing meanwhile
        report = verify_chain(db)
    for problem in report.problems:
        console.print(f"BROKEN: {problem}")
    if report.problems:
        console.print(f"{report.entries} entries, the chain is broken.")
        raise typer.Exit(1)
    console.print(f"{report.entries} entries, the chain is intact.")
