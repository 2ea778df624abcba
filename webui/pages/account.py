"""« Mon compte »: password, recovery codes, sessions, language and contact, second factor."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from vault import journal, second_factor
from vault.accounts import LANGUAGES, change_password, contact_details, update_profile
from vault.errors import VaultError
from vault.policy import may_use_second_factor
from vault.recovery import new_recovery_codes, unused_recovery_codes
from vault.sessions import SignedIn, close_all_sessions, sessions_of
from webui.deps import PAGE_CSRF, DbSession, PageSignedIn, RuntimeDep, client_address, need
from webui.pages.auth import codes_page, signed_out_redirect
from webui.pages.common import check_csrf, redirect
from webui.pages.render import page

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])

NOTICES = {
    "mot-de-passe": "Votre mot de passe est changé. Vos autres connexions sont fermées.",
    "infos": "Vos informations sont enregistrées.",
    "double": "La double vérification est activée.",
}


def account_page(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedIn,
    error: VaultError | None = None,
    notice: str = "",
) -> Response:
    person = me.person
    setup_secret = (
        second_factor.new_secret()
        if may_use_second_factor(person) and person.totp_secret_sealed is None
        else None
    )
    return page(
        request,
        "account.html",
        me,
        error=error,
        error_field="current_password",
        notice=NOTICES.get(notice, ""),
        codes_left=unused_recovery_codes(db, person.id),
        sessions=sessions_of(db, person.id),
        languages=LANGUAGES,
        contact=contact_details(db, rt.master_keys, person),
        setup_secret=setup_secret,
        setup_uri=second_factor.provisioning_uri(person, setup_secret) if setup_secret else "",
    )


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
    current_password: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    me = need(signed_in)
    check_csrf(request, me, csrf)
    try:
        change_password(
            db, me.person, current_password, password, me.session.id, client_address(request)
        )
    except VaultError as exc:
        db.rollback()
        return account_page(request, db, rt, me, error=exc)
    db.commit()
    return redirect("/compte?fait=mot-de-passe")


@router.post("/compte/codes")
def recovery_codes(
    request: Request,
    db: DbSession,
    signed_in: PageSignedIn,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    me = need(signed_in)
    check_csrf(request, me, csrf)
    codes = new_recovery_codes(db, me.person, client_address(request))
    db.commit()
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
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    me = need(signed_in)
    check_csrf(request, me, csrf)
    try:
        update_profile(
            db,
            rt.master_keys,
            me.person,
            preferred_language=preferred_language,
            email=email,
            phone=phone,
        )
    except VaultError as exc:
        db.rollback()
        return account_page(request, db, rt, me, error=exc)
    db.commit()
    return redirect("/compte?fait=infos")


@router.post("/compte/double-verification")
def enable_second_factor(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    secret: Annotated[str, Form(max_length=64)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    me = need(signed_in)
    check_csrf(request, me, csrf)
    try:
        second_factor.enable(db, rt.master_keys, me.person, secret, code)
    except VaultError as exc:
        db.rollback()
        return account_page(request, db, rt, me, error=exc)
    db.commit()
    return redirect("/compte?fait=double")


@router.post("/compte/deconnecter-partout")
def sign_out_everywhere(
    request: Request,
    db: DbSession,
    signed_in: PageSignedIn,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    me = need(signed_in)
    check_csrf(request, me, csrf)
    close_all_sessions(db, me.person.id)
    journal.record(
        db,
        subject_id=me.person.id,
        actor_id=me.person.id,
        action=journal.SIGN_OUT_EVERYWHERE,
        source=client_address(request),
    )
    db.commit()
    return signed_out_redirect(request)
