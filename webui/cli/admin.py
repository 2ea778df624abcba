"""`coffre admin`: create and erase platform administrators; a professional's forgotten
password."""

from typing import Annotated

import typer

from vault.accounts import second_factor
from vault.accounts.accounts import create_person, reset_at_the_console
from vault.accounts.erasure import erase_account
from vault.db import transaction
from vault.vocabulary import Role
from webui.cli import shared
from webui.cli.shared import console

admin_app = typer.Typer(
    help="Platform administrators; a professional's forgotten password.", no_args_is_help=True
)


@admin_app.command("create")
def admin_create(
    login: Annotated[str, typer.Option(help="The administrator's login.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    display_name: Annotated[str, typer.Option(help="Name shown in the journal.")] = "",
) -> None:
    """Create a platform administrator."""
    password = shared.secret_from_stdin(password_stdin, "--password-stdin", "password")
    rt = shared.runtime()
    with shared.refusals_end_the_command(), transaction(rt.sessions) as db:
        person = create_person(
            db,
            rt.master_keys,
            login=login,
            display_name=display_name or login,
            password=password,
            role=Role.ADMIN,
        )
        secret = second_factor.new_secret()
        second_factor.install(db, rt.master_keys, person, secret)
    console.print(f"Administrator {person.login} created.")
    console.print(
        "Administrators sign in with a second factor. Add this account to an authenticator app "
        "now; the key is shown only this once:"
    )
    console.print(f"  key: {secret}")
    console.print(f"  URI: {second_factor.provisioning_uri(person, secret)}")


@admin_app.command("reset-password")
def admin_reset_password(
    login: Annotated[str, typer.Option(help="The professional's login.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the provisional password from standard input."),
    ] = False,
) -> None:
    """Give a professional who forgot their password a provisional one (they choose their own
    at their next sign-in; their sessions end). Not for a person's own account."""
    password = shared.secret_from_stdin(password_stdin, "--password-stdin", "provisional password")
    rt = shared.runtime()
    with shared.refusals_end_the_command(), transaction(rt.sessions) as db:
        person = reset_at_the_console(db, login, password)
    console.print(
        f"{person.login} has a provisional password: give it to them in person. They choose "
        "their own at their next sign-in; their open sessions have ended."
    )


@admin_app.command("erase")
def admin_erase(
    login: Annotated[str, typer.Option(help="The login of the account to erase.")],
) -> None:
    """Erase an account for good: its user key is destroyed first, then its papers."""
    rt = shared.runtime()
    with shared.refusals_end_the_command():
        purged = erase_account(rt, login)
    console.print(f"Account {login} erased; its keys are destroyed and {purged} objects purged.")
