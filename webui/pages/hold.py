"""A password reset made with a counsellor, in pages. For the professional: « Aider au mot de
passe », which explains the ways in, changes the person's password with them on this screen, or
gives a code to hand over in person. For the person: who did it and when (shown once at the next
sign-in), and opening the closed papers with one of their recovery codes."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from vault.accounts.hold import current_hold, hold_words, last_assisted_reset, notice_seen
from vault.accounts.recovery import (
    issue_reset_code,
    last_reset_code,
    person_of_vault,
    refuse_code_sent_again,
    reset_with_person,
    unlock,
)
from vault.accounts.sessions import SignedIn
from vault.errors import (
    ConflictError,
    InvalidInputError,
    ThrottledError,
    VaultError,
    WrongSecretError,
)
from vault.models import Person
from vault.policy import require_help_recover
from vault.runtime import Runtime
from webui import i18n
from webui.deps import (
    PAGE_CSRF,
    DbSession,
    Professional,
    RuntimeDep,
    SignedInPage,
    attempt,
    client_address,
    confirm_caller,
)
from webui.errors import page_text
from webui.pages.auth import start_session
from webui.pages.common import Code, Password, field_in_form, redirect
from webui.pages.render import page

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])


def _helped_person(db: DbSession, rt: RuntimeDep, helper: Person, vault_id: str) -> Person:
    """The owner of the vault, when the professional holds their current "recover" scope."""
    return require_help_recover(db, rt.settings, helper, person_of_vault(db, vault_id))


@router.get("/personnes/{vault_id}/mot-de-passe")
def reset_form(
    vault_id: str, request: Request, db: DbSession, rt: RuntimeDep, me: Professional, fait: int = 0
) -> Response:
    person = _helped_person(db, rt, me.person, vault_id)
    return _help_page(request, db, rt, me, person, vault_id, done=bool(fait))


def _help_page(
    request: Request,
    db: DbSession,
    rt: Runtime,
    me: SignedIn,
    person: Person,
    vault_id: str,
    *,
    done: bool = False,
    error: VaultError | None = None,
    form: str = "reset",
) -> Response:
    """`form`: the one that was refused, whose own password field (« reset-current_password »,
    « code-current_password ») the error summary links to. The code's form carries the last
    code given, so that sent again from the tab's history it gives no other."""
    errors: dict[str, str] = {}
    if error is not None:
        # Too many wrong passwords (ThrottledError, no field) is said beside the password.
        field = field_in_form(form, error.field or "current_password")
        errors = {field: page_text(request, error)}
    return page(
        request,
        "person_password.html",
        me,
        error=error,
        errors=errors,
        person=person,
        vault_id=vault_id,
        done=done,
        hold_words=hold_words(rt.settings, i18n.ngettext),
        code_minutes=rt.settings.reset_code_minutes,
        last_code=last_reset_code(db, me.person, person.id),
    )


@router.post("/personnes/{vault_id}/mot-de-passe")
def reset_submit(
    vault_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: Professional,
    password: Password = "",
    current_password: Password = "",
    totp: Code = "",
) -> Response:
    """The professional's own password first, then the person types the new one here, beside
    them."""
    person = _helped_person(db, rt, me.person, vault_id)
    try:
        with attempt(db):
            confirm_caller(request, db, rt, me.person, password=current_password, totp=totp)
            reset_with_person(db, rt, me.person, person.id, password, client_address(request))
    except (InvalidInputError, ThrottledError) as exc:
        return _help_page(request, db, rt, me, person, vault_id, error=exc)
    return redirect(f"/personnes/{vault_id}/mot-de-passe?fait=1")


@router.post("/personnes/{vault_id}/mot-de-passe/code")
def reset_code(
    vault_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: Professional,
    current_password: Password = "",
    totp: Code = "",
    after: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    """A code the person redeems on « J'ai oublié mon mot de passe », handed over in person.
    Shown once, in this answer: never in an address, where it would stay in the history. The
    browser keeps this form to show the answer again; `after` makes it give no second code."""
    person = _helped_person(db, rt, me.person, vault_id)
    try:
        with attempt(db):
            refuse_code_sent_again(db, me.person, person.id, after)
            confirm_caller(request, db, rt, me.person, password=current_password, totp=totp)
            code, _expires_at = issue_reset_code(
                db, rt, me.person, person.id, client_address(request)
            )
    except (InvalidInputError, ThrottledError, ConflictError) as exc:
        return _help_page(request, db, rt, me, person, vault_id, error=exc, form="code")
    return page(
        request,
        "person_reset_code.html",
        me,
        person=person,
        vault_id=vault_id,
        code=code,
        code_minutes=rt.settings.reset_code_minutes,
        hold_words=hold_words(rt.settings, i18n.ngettext),
    )


@router.get("/compte/mot-de-passe-change")
def reset_notice(request: Request, db: DbSession, me: SignedInPage) -> Response:
    """Who changed the password with a counsellor, and when: shown first at the next sign-in,
    once."""
    reset = last_assisted_reset(db, me.person)
    if reset is None:
        return redirect("/papiers")
    notice_seen(db, me.person)
    held = current_hold(db, me.person) is not None
    return page(request, "reset_notice.html", me, reset=reset, held=held, hide_hold_banner=True)


@router.get("/compte/deverrouiller")
def unlock_form(request: Request, me: SignedInPage) -> Response:
    return page(request, "unlock.html", me, hide_hold_banner=True)


@router.post("/compte/deverrouiller")
def unlock_submit(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedInPage,
    code: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """A wrong code counts as a failed attempt (kept: the route returns normally). Every
    session ends with the new password, this one too: a new one opens for this browser."""
    try:
        ended = unlock(db, rt, me.person, code, password, None, client_address(request))
    except (WrongSecretError, ThrottledError, InvalidInputError) as exc:
        return page(
            request, "unlock.html", me, error=exc, error_field="code", hide_hold_banner=True
        )
    if not ended:
        return redirect("/papiers")
    return start_session(request, db, rt, me.person, redirect("/papiers?ouverts=1"))
