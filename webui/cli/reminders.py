"""`coffre reminders`: expiry reminders."""

import typer

from vault.documents.reminders import send_due
from webui.cli import shared
from webui.cli.shared import console

reminders_app = typer.Typer(help="Expiry reminders.", no_args_is_help=True)


@reminders_app.command("send")
def reminders_send() -> None:
    """Send the expiry reminders due today (run it daily, from cron). Exits 1 when an email
    could not leave; it is tried again at the next run."""
    # The catalogues come with the web app's imports (FastAPI): only this command pays for them.
    from webui.i18n import CatalogueWording

    rt = shared.runtime()
    report = send_due(rt, wording=CatalogueWording())
    for failure in report.failures:
        console.print(
            f"FAILED reminder to person {failure.person_id} about document "
            f"{failure.document_id}: {failure.reason}"
        )
    console.print(
        f"Reminders: {report.emails} sent by email, {report.banners} waiting as banners, "
        f"{len(report.failures)} failed."
    )
    if report.failures:
        raise typer.Exit(1)
