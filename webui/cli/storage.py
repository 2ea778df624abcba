"""`coffre storage`: blob store maintenance."""

from datetime import timedelta
from typing import Annotated

import typer

from vault.accounts import throttle
from vault.accounts.erasure import purge_closed_vaults
from vault.db import transaction
from vault.documents.bin import erase_expired
from vault.documents.service import purge_objects
from vault.documents.shares import drop_copies_of_ended_links
from vault.models import utcnow
from vault.sweeper import NotThisStoresDatabaseError, sweep_orphans
from webui.cli import shared
from webui.cli.shared import console, errors

storage_app = typer.Typer(help="Blob store maintenance.", no_args_is_help=True)


@storage_app.command("sweep")
def storage_sweep(
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Remove the objects no row names even when they are most of the store.",
        ),
    ] = False,
) -> None:
    """Erase the papers whose time in the bin is over, those of closed accounts that an
    erasure cut short left, and the marked copies of links that are over, then remove stored
    objects no document refers to (leftovers of interrupted uploads or of a purge that failed),
    uploads that never ended (temp files, S3 multipart uploads: left by a crash or a store that
    went away), and the sign-in and sign-up counters whose hour is over."""
    rt = shared.runtime()
    with transaction(rt.sessions) as db:
        names = erase_expired(db, rt)
    # The rows went first: a purge cut short leaves only unreadable objects for the next sweep.
    purge_objects(rt.store, names)
    console.print(f"{len(names)} objects of papers erased from the bin.")
    console.print(f"{purge_closed_vaults(rt)} objects of closed accounts erased.")
    grace = timedelta(minutes=rt.settings.orphan_grace_minutes)
    with transaction(rt.sessions) as db:
        copies = drop_copies_of_ended_links(db, grace)
    purge_objects(rt.store, copies)
    console.print(f"{len(copies)} marked copies of links that are over erased.")
    refused: NotThisStoresDatabaseError | None = None
    try:
        with transaction(rt.sessions) as db:
            removed = sweep_orphans(db, rt.store, grace, force=force)
        console.print(f"{removed} orphaned objects removed.")
    except NotThisStoresDatabaseError as refusal:
        # The rest of the daily work goes on: uploads that never ended and expired counters
        # are leftovers whichever database this is.
        refused = refusal
        errors.print(str(refusal))
    unfinished = rt.store.sweep_unfinished(utcnow() - grace)
    console.print(f"{unfinished} unfinished uploads removed.")
    with transaction(rt.sessions) as db:
        counters = throttle.forget_expired(db)
    console.print(f"{counters} expired throttle counters removed.")
    if refused is not None:
        raise typer.Exit(1) from refused
