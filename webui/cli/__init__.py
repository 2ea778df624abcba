"""The `coffre` command: serve the app, create administrators, look after the keys.

One module per command group; this one only puts them together.
"""

import typer

from webui.cli import admin, audit, backup, check, db, keys, reminders, serve, storage

app = typer.Typer(help="coffre : coffre-fort numérique.", no_args_is_help=True)
app.add_typer(admin.admin_app, name="admin")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(storage.storage_app, name="storage")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(reminders.reminders_app, name="reminders")
app.add_typer(db.db_app, name="db")
app.command("check")(check.check)
backup.register(app)
serve.register(app)
