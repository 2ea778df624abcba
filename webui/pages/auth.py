"""Pages before and around sign-in: sign in (and its second step), sign up, sign out,
forgotten password. Everything works without JavaScript."""

import re
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from vault.accounts import devices, throttle
from vault.accounts.accounts import LANGUAGES, create_person, normalise_login, suggest_login
from vault.accounts.hold import hold_words
from vault.accounts.recovery import new_recovery_codes, recover
from vault.accounts.sessions import SignedIn, close_session, open_session, resolve_session
from vault.accounts.signin import sign_in, sign_in_second_step
from vault.consent.grants import pending_requests
from vault.errors import (
    AuthenticationError,
    BusyError,
    ConflictError,
    InvalidInputError,
    SecondFactorRequiredError,
    ThrottledError,
    TooManySignUpsError,
    VaultError,
)
from vault.models import Person
from vault.policy import is_professional, may_see_keys_page
from vault.text import typed_line
from vault.vocabulary import Role
from webui import i18n
from webui.deps import (
    PAGE_CSRF,
    DbSession,
    PageSignedIn,
    RuntimeDep,
    attempt,
    attempt_of,
    client_address,
    device_of,
    device_token,
)
from webui.navigation import local_path
from webui.pages.common import (
    anonymous_form,
    is_yes,
    redirect,
)
from webui.pages.render import page
from webui.security import (
    DEVICE_COOKIE,
    MFA_COOKIE,
    SHARED_COOKIE,
    clear_cookie,
    clear_session_cookie,
    cookie_name,
    set_cookie,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])

MFA_LIFETIME = timedelta(minutes=5)

YesInLink = Annotated[str, Query(max_length=10)]


def start_session(
    request: Request, db: DbSession, rt: RuntimeDep, person: Person, response: Response
) -> Response:
    """A brand-new session: whatever token the browser held before is never reused."""
    token, _record = open_session(db, rt.settings, person, "web", device_of(request))
    set_session_cookie(request, response, token)
    return response


@router.get("/")
def home(signed_in: PageSignedIn, db: DbSession) -> Response:
    if signed_in is None:
        return redirect("/connexion")
    return redirect(landing(db, signed_in.person))


@router.get("/connexion")
def sign_in_form(
    request: Request,
    signed_in: PageSignedIn,
    partage: YesInLink = "",
    fin: YesInLink = "",
    suite: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """`partage`: a computer that is not the person's (no device cookie, nothing remembered);
    `fin`: the idle sign-out brought the person here; `suite`: the page to go back to."""
    if signed_in:
        return redirect("/papiers")
    return anonymous_form(
        request,
        "signin.html",
        shared=is_yes(partage) or request.cookies.get(cookie_name(request, SHARED_COOKIE)) == "1",
        login="",
        ended=is_yes(fin),
        after=local_path(suite) or "",
    )


@router.post("/connexion")
def sign_in_submit(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    login: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    shared: Annotated[int, Form()] = 0,
    suite: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        # Not in a savepoint: that would begin the transaction, and hold it, before the hash.
        person = sign_in(
            db, rt, login, password, client_address(request), device_token=device_token(request)
        )
    except SecondFactorRequiredError:
        return _second_step(request, db, rt, login, bool(shared))
    except (AuthenticationError, ThrottledError, BusyError) as exc:
        # Returning keeps the failure count: get_db commits.
        return anonymous_form(
            request,
            "signin.html",
            error=exc,
            login=login,
            shared=bool(shared),
            after=local_path(suite) or "",
        )
    response = start_session(
        request, db, rt, person, redirect(landing(db, person, after=local_path(suite)))
    )
    return remember_device(request, db, rt, person, response, shared=bool(shared))


def remember_device(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    person: Person,
    response: Response,
    shared: bool,
) -> Response:
    """A device cookie after a sign-in on the person's own browser: their next sign-ins from it
    are throttled apart from the address's (see vault.accounts.devices). Never on a shared
    computer, where the « not my computer » choice is kept instead, until the browser closes."""
    keep_shared_choice(request, response, shared)
    if shared:
        return response
    token = devices.remember(db, rt.settings, person, device_token(request))
    set_cookie(
        request,
        response,
        DEVICE_COOKIE,
        token,
        max_age=rt.settings.device_cookie_days * 24 * 3600,
    )
    return response


# A page of one paper, person, link or access (its path or its query names it by its id).
_NAMES_A_RECORD = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def landing(db: DbSession, person: Person, after: str | None = None) -> str:
    """Where a person lands after signing in: first who changed their password with a
    counsellor (once), then the page they were on when their session ended (`after`), then
    their answers if someone asked for access, then their papers. Never back to one paper,
    person or link: on a shared computer whoever signs in next may not be who left it there
    (they would get « Cette page n'existe pas », and the last person a line in her history
    saying they tried to open her paper)."""
    if after and _NAMES_A_RECORD.search(after):
        after = None
    if is_professional(person):
        return after or "/personnes"
    if may_see_keys_page(person):
        return after or "/admin/cles"
    if person.reset_notice_pending:
        return "/compte/mot-de-passe-change"
    if after:
        return after
    return "/acces" if pending_requests(db, person) else "/papiers"


def keep_shared_choice(request: Request, response: Response, shared: bool) -> None:
    if shared:
        set_cookie(request, response, SHARED_COOKIE, "1")
    elif request.cookies.get(cookie_name(request, SHARED_COOKIE)):
        clear_cookie(request, response, SHARED_COOKIE)


def _second_step(
    request: Request, db: DbSession, rt: RuntimeDep, login: str, shared: bool
) -> Response:
    """The password was right: hold a short half-session until the code comes."""
    person = db.scalars(select(Person).where(Person.login == normalise_login(login))).one()
    token, _record = open_session(
        db, rt.settings, person, "mfa", device_of(request), lifetime=MFA_LIFETIME
    )
    response = redirect("/connexion/code?partage=1" if shared else "/connexion/code")
    set_cookie(request, response, MFA_COOKIE, token)
    keep_shared_choice(request, response, shared)
    return response


@router.get("/connexion/code")
def second_step_form(request: Request, partage: YesInLink = "") -> Response:
    return anonymous_form(request, "signin_code.html", shared=is_yes(partage))


@router.post("/connexion/code")
def second_step_submit(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    code: Annotated[str, Form(max_length=20)] = "",
    shared: Annotated[int, Form()] = 0,
) -> Response:
    token = request.cookies.get(cookie_name(request, MFA_COOKIE), "")
    pending = resolve_session(db, rt.settings, token, "mfa") if token else None
    if pending is None:
        return redirect("/connexion")
    person = pending.person
    try:
        sign_in_second_step(db, rt, person, code, attempt_of(request, db, rt, person.login))
    except (AuthenticationError, ThrottledError) as exc:
        # Returning keeps the failure count: get_db commits.
        return anonymous_form(
            request, "signin_code.html", error=exc, error_field="totp", shared=bool(shared)
        )
    close_session(db, pending.session.id)
    response = start_session(request, db, rt, person, redirect(landing(db, person)))
    clear_cookie(request, response, MFA_COOKIE)
    return remember_device(request, db, rt, person, response, shared=bool(shared))


@router.get("/inscription")
def sign_up_form(
    request: Request, rt: RuntimeDep, db: DbSession, signed_in: PageSignedIn
) -> Response:
    """Someone signed in (the language switch on the codes page comes back here) has a coffre."""
    if signed_in:
        return redirect(landing(db, signed_in.person))
    if not rt.settings.allow_signup:
        return redirect("/connexion")
    return anonymous_form(request, "signup.html", step=1, values={}, languages=LANGUAGES)


@router.post("/inscription")
def sign_up_submit(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    step: Annotated[int, Form()] = 1,
    display_name: Annotated[str, Form(max_length=200)] = "",
    login: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    preferred_language: Annotated[str, Form(max_length=10)] = "fr",
) -> Response:
    """Step 1 asks the name; step 2 offers a login built from it and asks a password."""
    if not rt.settings.allow_signup:
        return redirect("/connexion")
    values = {
        "display_name": display_name,
        "login": login,
        "preferred_language": preferred_language,
    }
    if step == 1:
        if not typed_line(display_name):
            error = InvalidInputError("Écrivez votre nom.", field="display_name")
            return anonymous_form(
                request, "signup.html", error=error, step=1, values=values, languages=LANGUAGES
            )
        values["login"] = suggest_login(db, display_name)
        return anonymous_form(request, "signup.html", step=2, values=values, languages=LANGUAGES)
    try:
        with attempt(db):
            throttle.count_sign_up(db, rt.settings, client_address(request))
            person = create_person(
                db,
                rt.master_keys,
                login=login,
                display_name=display_name,
                password=password,
                role=Role.BENEFICIARY,
                preferred_language=preferred_language if preferred_language in LANGUAGES else "fr",
            )
            codes = new_recovery_codes(db, person, client_address(request))
    except (InvalidInputError, ConflictError, TooManySignUpsError) as exc:
        field_step = 1 if exc.field == "display_name" else 2
        return anonymous_form(
            request, "signup.html", error=exc, step=field_step, values=values, languages=LANGUAGES
        )
    token, record = open_session(db, rt.settings, person, "web", device_of(request))
    response = codes_page(request, SignedIn(person, record), codes, first_time=True)
    set_session_cookie(request, response, token)
    return response


def codes_page(
    request: Request,
    signed_in: SignedIn,
    codes: list[str],
    first_time: bool,
    *,
    owner: Person | None = None,
    next_url: str = "/papiers",
) -> HTMLResponse:
    """The recovery codes, shown once, in large type, ready to print with the login they go
    with. `owner` is the person they belong to when a counsellor shows them (an account made
    with the person present); the page then speaks to the counsellor."""
    return page(
        request,
        "recovery_codes.html",
        signed_in,
        codes=codes,
        first_time=first_time,
        owner=owner or signed_in.person,
        for_someone_else=owner is not None,
        next_url=next_url,
    )


@router.post("/quitter")
def sign_out(
    request: Request,
    db: DbSession,
    signed_in: PageSignedIn,
    inactif: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """`inactif`: sent by webui/static/idle.js when nobody used the page for too long."""
    if signed_in is not None:
        close_session(db, signed_in.session.id)
    return signed_out_redirect(request, idle=bool(inactif))


def signed_out_redirect(request: Request, idle: bool = False) -> Response:
    """To the goodbye page, in the language the person read (Clear-Site-Data takes the
    language's cookie with the others: the page would speak the computer's language)."""
    query = {"inactif": "1"} if idle else {}
    query["langue"] = i18n.current()
    if request.cookies.get(cookie_name(request, SHARED_COOKIE)) == "1":
        query["partage"] = "1"  # Clear-Site-Data takes that cookie too
    response = redirect(f"/au-revoir?{urlencode(query)}")
    clear_session_cookie(request, response)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@router.get("/au-revoir")
def signed_out(
    request: Request,
    inactif: Annotated[str, Query(max_length=1)] = "",
    langue: Annotated[str, Query(max_length=5)] = "",
    partage: YesInLink = "",
) -> HTMLResponse:
    """`langue`: the person's, for this page only (no cookie is left for the next person);
    `partage`: « not my computer » was chosen, and the way back in keeps it."""
    return page(
        request,
        "signed_out.html",
        None,
        idle=bool(inactif),
        shared=is_yes(partage),
        speaking_in=langue if langue in LANGUAGES else None,
    )


@router.get("/mot-de-passe-oublie")
def forgotten_form(request: Request, rt: RuntimeDep) -> Response:
    return anonymous_form(
        request, "forgotten.html", values={}, hold_words=hold_words(rt.settings, i18n.ngettext)
    )


@router.post("/mot-de-passe-oublie")
def forgotten_submit(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    login: Annotated[str, Form(max_length=200)] = "",
    code: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        with attempt(db):
            recover(db, rt, login, code, password, client_address(request))
    except VaultError as exc:
        return anonymous_form(
            request,
            "forgotten.html",
            error=exc,
            values={"login": login},
            hold_words=hold_words(rt.settings, i18n.ngettext),
        )
    return redirect("/connexion?nouveau=1")
