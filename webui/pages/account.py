"""« Mon compte »: password, recovery codes, sessions, language and contact, second factor.

What can take the account (new codes, a second factor, other contact details, closing every
session) asks again for the current password, and the current code where a second factor is on.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from vault.accounts import second_factor
from vault.accounts.accounts import (
    LANGUAGES,
    change_name,
    change_password,
    contact_changes,
    contact_details,
    update_profile,
    vault_of,
)
from vault.accounts.recovery import (
    codes_in_force,
    codes_seen_by_someone_else,
    new_recovery_codes,
    password_seen_by,
    unused_recovery_codes,
)
from vault.accounts.sessions import SignedIn, close_all_sessions, sessions_of
from vault.audit import journal
from vault.consent.organisations import visible_organisations
from vault.errors import N_, ForbiddenError, InvalidInputError, VaultError
from vault.models import AuthSession
from vault.policy import is_professional, may_change_own_name, may_use_second_factor
from webui.deps import (
    PAGE_CSRF,
    SECOND_FACTOR_ONLY,
    DbSession,
    PageSignedIn,
    RuntimeDep,
    attempt,
    attempt_of,
    client_address,
    confirm_caller,
    need,
)
from webui.errors import page_text
from webui.pages.auth import codes_page, signed_out_redirect, start_session
from webui.pages.common import Code, Password, field_in_form, redirect
from webui.pages.render import page

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])

NOTICES = {
    "mot-de-passe": N_("Votre mot de passe est changé. Vos autres connexions sont fermées."),
    "infos": N_("Vos informations sont enregistrées."),
    "nom": N_("Votre nom est changé."),
    "double": N_("La double vérification est activée."),
}


@dataclass(frozen=True)
class Place:
    """The open sessions of one kind of device, as « Où mon coffre est ouvert » shows them."""

    device: str
    count: int
    last_seen_at: datetime
    here: bool


def places(sessions: Sequence[AuthSession], current_id: str) -> list[Place]:
    """One line per device, whatever the number of sessions opened on it (the person cannot
    tell them apart anyway): this device first, then the last seen. `sessions`: the last seen
    first."""
    grouped: dict[str, list[AuthSession]] = {}
    for session in sessions:
        grouped.setdefault(session.device, []).append(session)
    found = [
        Place(device, len(group), group[0].last_seen_at, any(s.id == current_id for s in group))
        for device, group in grouped.items()
    ]
    return sorted(found, key=lambda place: not place.here)


def account_page(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedIn,
    error: VaultError | None = None,
    form: str = "",
    notice: str = "",
    typed: dict[str, str] | None = None,
) -> Response:
    """`typed`: what the refused `form` sent, shown again in its fields (never a password)."""
    person = me.person
    typed = typed or {}
    setup_secret = None
    if may_use_second_factor(person):
        # The key the person may already have added to their app, if the form came back.
        kept = typed.get("secret", "")
        setup_secret = kept if second_factor.is_secret(kept) else second_factor.new_secret()
    stored = contact_details(db, rt.master_keys, person)
    infos = {
        "display_name": typed.get("display_name", person.display_name),
        "preferred_language": typed.get("preferred_language", person.preferred_language),
        "email": typed.get("email", stored["email"]),
        "phone": typed.get("phone", stored["phone"]),
    }
    errors: dict[str, str] = {}
    if error is not None:
        errors = {field_in_form(form, error.field or "current_password"): page_text(request, error)}
    return page(
        request,
        "account.html",
        me,
        error=error,
        errors=errors,
        notice=NOTICES.get(notice, ""),
        codes_left=unused_recovery_codes(db, person.id),
        codes_seen=codes_seen_by_someone_else(db, person.id),
        password_seen=password_seen_by(db, person) is not None,
        codes_in_force=codes_in_force(db, person.id),
        places=places(sessions_of(db, rt.settings, person.id), me.session.id),
        languages=LANGUAGES,
        infos=infos,
        may_change_name=may_change_own_name(person),
        setup_secret=setup_secret,
        setup_uri=second_factor.provisioning_uri(person, setup_secret) if setup_secret else "",
        has_vault=vault_of(db, person.id) is not None,
        organisations=(
            [o.name for o in visible_organisations(db, person)] if is_professional(person) else []
        ),
    )


def refused(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedIn,
    exc: VaultError,
    form: str,
    typed: dict[str, str] | None = None,
) -> Response:
    """The account page again, with the error summary and what the form sent (the action was
    undone by `attempt`, but for a wrong password's or code's failure count and journal
    line)."""
    return account_page(request, db, rt, me, error=exc, form=form, typed=typed)


@router.get("/compte")
def account(
    request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn, fait: str = ""
) -> Response:
    return account_page(request, db, rt, need(signed_in), notice=fait)


@router.post("/compte/mot-de-passe")
def password(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    current_password: Password = "",
    totp: Code = "",
    password: Password = "",
) -> Response:
    me = need(signed_in)
    try:
        change_own_password(request, db, rt, me, current=current_password, totp=totp, new=password)
    except VaultError as exc:
        return refused(request, db, rt, me, exc, form="")
    return start_session(request, db, rt, me.person, redirect("/compte?fait=mot-de-passe"))


def change_own_password(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedIn,
    *,
    current: str,
    totp: str | None,
    new: str,
) -> None:
    """The signed-in person's new password (vault.accounts.accounts.change_password); a
    refusal undoes it, but for a wrong password's count. Every session ends, this one too: the
    caller opens a new one for this browser (start_session), so a copy of this tab's cookie
    opens nothing after the change."""
    with attempt(db):
        change_password(
            db,
            rt.master_keys,
            me.person,
            current=current,
            totp=totp,
            new=new,
            keep_session=None,
            attempt=attempt_of(request, db, rt, me.person.login),
        )


@router.post("/compte/codes")
def recovery_codes(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    current_password: Password = "",
    totp: Code = "",
    codes_in_force: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    """The codes are the answer itself (they are never stored to be shown later), so the tab
    keeps this form: sent again, it finds newer codes than the ones it was shown and changes
    nothing."""
    me = need(signed_in)
    try:
        with attempt(db):
            confirm_caller(request, db, rt, me.person, password=current_password, totp=totp)
            codes = new_recovery_codes(
                db, me.person, client_address(request), replacing=codes_in_force
            )
    except VaultError as exc:
        return refused(request, db, rt, me, exc, form="codes")
    return codes_page(request, me, codes, first_time=False)


@router.post("/compte/infos")
def details(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    preferred_language: Annotated[str, Form(max_length=10)] = "fr",
    email: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=200)] = "",
    current_password: Password = "",
    totp: Code = "",
) -> Response:
    """The language alone needs nothing more; another email or phone needs the password."""
    me = need(signed_in)
    try:
        with attempt(db):
            if contact_changes(db, rt.master_keys, me.person, email=email, phone=phone):
                confirm_caller(request, db, rt, me.person, password=current_password, totp=totp)
            update_profile(
                db,
                rt.master_keys,
                me.person,
                preferred_language=preferred_language,
                email=email,
                phone=phone,
                source=client_address(request),
            )
    except VaultError as exc:
        typed = {"preferred_language": preferred_language, "email": email, "phone": phone}
        return refused(request, db, rt, me, exc, form="infos", typed=typed)
    return redirect("/compte?fait=infos")


@router.post("/compte/nom")
def own_name(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    display_name: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    me = need(signed_in)
    try:
        change_name(db, me.person, display_name, source=client_address(request))
    except InvalidInputError as exc:
        return refused(request, db, rt, me, exc, form="name", typed={"display_name": display_name})
    return redirect("/compte?fait=nom")


@router.post("/compte/double-verification")
def enable_second_factor(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    secret: Annotated[str, Form(max_length=64)] = "",
    code: Code = "",
    current_password: Password = "",
    totp: Code = "",
) -> Response:
    """Turn the second factor on, or move it to a new app (with a code of the current one)."""
    me = need(signed_in)
    try:
        with attempt(db):
            if not may_use_second_factor(me.person):
                raise ForbiddenError(SECOND_FACTOR_ONLY)
            confirm_caller(request, db, rt, me.person, password=current_password, totp=totp)
            second_factor.enable(db, rt.master_keys, me.person, secret, code)
    except VaultError as exc:
        return refused(request, db, rt, me, exc, form="double", typed={"secret": secret})
    return redirect("/compte?fait=double")


@router.post("/compte/deconnecter-partout")
def sign_out_everywhere(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    current_password: Password = "",
    totp: Code = "",
) -> Response:
    me = need(signed_in)
    try:
        with attempt(db):
            confirm_caller(request, db, rt, me.person, password=current_password, totp=totp)
    except VaultError as exc:
        return refused(request, db, rt, me, exc, form="partout")
    close_all_sessions(db, me.person.id)
    journal.record(
        db,
        subject_id=me.person.id,
        actor_id=me.person.id,
        action=journal.SIGN_OUT_EVERYWHERE,
        source=client_address(request),
    )
    return signed_out_redirect(request)
