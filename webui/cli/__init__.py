"""The `coffre` command: serve the app, create administrators, look after the keys.

One module per command group; this one only puts them together.
"""

import typer

from vault.config import get_settings
from vault.errors import CannotStart
from webui.cli import admin, audit, backup, check, db, keys, reminders, serve, storage

app = typer.Typer(help="coffre : coffre-fort numérique.", no_args_is_help=True)


@app.callback()
def settings_first() -> None:
    """Every command reads the settings first: one that cannot be (COFFRE_BIN_DAYS=-30) stops
    it with one line, before anything is opened or written."""
    try:
        get_settings()
    except CannotStart as refusal:
        check.refuse(refusal)


app.add_typer(admin.admin_app, name="admin")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(storage.storage_app, name="storage")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(reminders.reminders_app, name="reminders")
app.add_typer(db.db_app, name="db")
app.command("check")(check.check)
backup.register(app)
serve.register(app)
