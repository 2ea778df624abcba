"""Typed FastAPI dependencies: routes read like their signature."""

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vault.accounts.hold import closes_any_paper, current_hold
from vault.accounts.reauth import confirm_identity, confirm_password
from vault.accounts.recovery import may_unlock
from vault.accounts.sessions import SignedIn, resolve_session
from vault.accounts.signin import attempt_for
from vault.accounts.throttle import Attempt
from vault.db import replay_kept
from vault.errors import N_, ForbiddenError, VaultError
from vault.models import Person
from vault.policy import (
    is_platform_admin,
    is_professional,
    may_use_second_factor,
    must_choose_password,
)
from vault.runtime import Runtime
from webui import i18n
from webui.proxies import as_written, is_trusted, peer_of
from webui.security import (
    DEVICE_COOKIE,
    EXPIRED,
    FORM_COOKIE,
    SAFE_METHODS,
    cookie_name,
    csrf_ok,
    same_origin,
    session_cookie_name,
)


# The dependencies that do no I/O are `async`: FastAPI runs them on the event loop, where a
# plain `def` would cost a hop to a worker thread and back on every request.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(rt: RuntimeDep) -> Iterator[Session]:
    """The request owns the transaction: committed when the route returns, before the answer
    is sent, rolled back when it raises, except a refusal that must leave a trace (the journal
    line of an attempted access, the count of failed attempts)."""
    with rt.sessions() as session:
        try:
            yield session
        except VaultError as exc:
            if exc.keeps_writes:
                session.commit()
            else:
                _roll_back(session)
            raise
        except BaseException:
            _roll_back(session)
            raise
        try:
            session.commit()
        except BaseException:
            _roll_back(session)
            raise


def _roll_back(session: Session) -> None:
    """Undo the request's work, but what must stay whatever it comes to (vault.db.replay_kept).
    Detached first: the error page is rendered after the session closes and still needs the
    signed-in person's name and role, which a rollback would expire."""
    session.expunge_all()
    session.rollback()
    if replay_kept(session):
        session.commit()


@contextmanager
def attempt(db: Session) -> Iterator[None]:
    """A form's action in a savepoint: a refusal undoes what the action wrote (but what it must
    keep, see VaultError.keeps_writes) and leaves the rest of the request's work, and the
    objects the page shows, untouched, so the form can be shown again with its error."""
    savepoint = db.begin_nested()
    try:
        yield
    except VaultError as exc:
        if exc.keeps_writes:
            savepoint.commit()
        else:
            savepoint.rollback()
            replay_kept(db)
        raise
    except BaseException:
        savepoint.rollback()
        replay_kept(db)
        raise
    savepoint.commit()


# scope="function": the commit happens before the response is sent, so a failed commit is an
# error answer, never a success the database forgot.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def client_address(request: Request) -> str:
    """The source address for throttling and the journal. The peer's, unless the peer is one of
    COFFRE_TRUSTED_PROXIES: then the right-most X-Forwarded-For entry that is not itself a
    trusted proxy (entries further left were written by the client and prove nothing)."""
    peer = peer_of(request.scope)
    trusted = request.app.state.runtime.settings.trusted_proxy_networks()
    if not is_trusted(peer, trusted):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    address = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # not written by a proxy of ours: stop at the last one we trust
        address = as_written(hop)
        if not is_trusted(address, trusted):
            break
    return address


def device_token(request: Request) -> str | None:
    """The device cookie of a browser where someone signed in before, if it sent one."""
    return request.cookies.get(cookie_name(request, DEVICE_COOKIE)) or None


def attempt_of(request: Request, db: Session, rt: Runtime, login: str) -> Attempt:
    """Someone about to present a secret for `login`, from this request's address and device."""
    return attempt_for(db, rt, login, client_address(request), device_token(request))


def confirm_caller(
    request: Request,
    db: Session,
    rt: Runtime,
    person: Person,
    *,
    password: str | None,
    totp: str | None,
) -> None:
    """The signed-in person proves again who they are (see vault.accounts.reauth), throttled from
    this request's address and device."""
    confirm_identity(
        db,
        rt.master_keys,
        person,
        password=password,
        totp=totp,
        attempt=attempt_of(request, db, rt, person.login),
    )


def confirm_caller_password(
    request: Request, db: Session, rt: Runtime, person: Person, password: str | None
) -> None:
    """The signed-in person types their password again, without the code of a second factor
    (see vault.accounts.reauth.confirm_password), throttled from this request's address and
    device."""
    attempt = attempt_of(request, db, rt, person.login)
    confirm_password(db, person, password=password, attempt=attempt)


def device_of(request: Request) -> str:
    """A short, human description of the browser, for the list of sessions."""
    agent = request.headers.get("user-agent", "")
    browser = next(
        (name for key, name in _BROWSERS if key in agent), UNKNOWN_BROWSER if agent else A_PROGRAM
    )
    system = next((name for key, name in _SYSTEMS if key in agent), "")
    return f"{browser}, {system}" if system else browser


# Kept in French with the session; account.html translates them when it lists the sessions.
UNKNOWN_BROWSER = N_("Navigateur")
A_PROGRAM = N_("Programme")
_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS", "Mac"),
    ("Linux", "Linux"),
)


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


SIGN_IN_FIRST = N_("Connectez-vous pour continuer.")


CHOOSE_PASSWORD_FIRST = N_(
    "Choisissez d'abord votre propre mot de passe : celui-ci vous a été donné par quelqu'un "
    "d'autre."
)
# What someone whose password is provisional (vault.policy.must_choose_password) may still do:
# choose theirs, read who they are and the pages of help, leave (and switch the language).
_WHILE_PROVISIONAL = frozenset(
    {
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/me/password"),
        ("DELETE", "/api/v1/session"),
        ("GET", "/compte/premier-mot-de-passe"),
        ("POST", "/compte/premier-mot-de-passe"),
        ("POST", "/quitter"),
        ("GET", "/aide"),
        ("GET", "/protection"),
        ("GET", "/qui-gere"),
    }
)


class PasswordToChoose(Exception):
    """A page asked by someone who must first choose their own password: answered with a
    redirect to the page where they do."""


def _require_own_password(request: Request, person: Person, *, api: bool) -> None:
    if not must_choose_password(person):
        return
    if (request.method, request.url.path) in _WHILE_PROVISIONAL:
        return
    if request.method == "GET" and request.url.path.startswith("/langue/"):
        return  # the switch on that page too: the password is chosen in one's own language
    if api:
        raise ForbiddenError(CHOOSE_PASSWORD_FIRST)
    raise PasswordToChoose


def api_signed_in(request: Request, db: DbSession, rt: RuntimeDep) -> SignedIn:
    token = bearer_token(request)
    signed_in = resolve_session(db, rt.settings, token, "api") if token else None
    if signed_in is None:
        db.commit()  # an expired session is deleted even though the request is refused
        raise HTTPException(
            status_code=401, detail=SIGN_IN_FIRST, headers={"WWW-Authenticate": "Bearer"}
        )
    # The language of the request's refusals (webui.errors.api_language), noted now: the
    # error handlers must not ask the database, which may be what failed.
    request.state.language = i18n.language_of(request, signed_in.person)
    _require_own_password(request, signed_in.person, api=True)
    return signed_in


ApiSignedIn = Annotated[SignedIn, Depends(api_signed_in)]


async def api_user(signed_in: ApiSignedIn) -> Person:
    return signed_in.person


ApiUser = Annotated[Person, Depends(api_user)]


def session_token(request: Request) -> str:
    """The page session's token, as the browser's cookie holds it ("" without one)."""
    return request.cookies.get(session_cookie_name(request), "")


def page_signed_in(request: Request, db: DbSession, rt: RuntimeDep) -> SignedIn | None:
    token = session_token(request)
    signed_in = resolve_session(db, rt.settings, token, "web") if token else None
    if signed_in is None:
        db.commit()  # an expired session is deleted even though the page sends to sign-in
    request.state.signed_in = signed_in
    if signed_in is not None:
        _require_own_password(request, signed_in.person, api=False)
    # For the banner on every page while papers are closed after an assisted reset.
    held = current_hold(db, signed_in.person) if signed_in else None
    request.state.hold = held
    # Its button to open them with a recovery code only for someone who has one of their own.
    request.state.may_unlock = (
        signed_in is not None and held is not None and may_unlock(db, signed_in.person)
    )
    request.state.papers_closed = (
        signed_in is not None
        and held is not None
        and closes_any_paper(db, rt.settings, signed_in.person)
    )
    return signed_in


PageSignedIn = Annotated[SignedIn | None, Depends(page_signed_in)]


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in person; answered with a redirect to sign in."""


class SessionEnded(Exception):
    """A form was sent with the cookie of a session that has ended (idle sign-out): answered
    with a page that says so and shows back what the person had typed, so nothing is lost."""

    def __init__(self, kept: list[tuple[str, str]]) -> None:
        super().__init__("session ended")
        self.kept = kept


# Never shown back: secrets, and the form's own token.
_NEVER_KEPT = ("csrf", "password", "code", "secret", "token")


def had_session(request: Request) -> bool:
    """The browser still holds a session cookie, but the session is over."""
    return bool(session_token(request))


def typed_text(form: FormData) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in form.multi_items()
        if isinstance(value, str)
        and value.strip()
        and not any(word in name.lower() for word in _NEVER_KEPT)
    ]


def need(signed_in: SignedIn | None) -> SignedIn:
    if signed_in is None:
        raise SignInRequired
    return signed_in


async def page_person(signed_in: PageSignedIn) -> SignedIn:
    return need(signed_in)


# A page that needs someone signed in; the role dependencies below build on it.
SignedInPage = Annotated[SignedIn, Depends(page_person)]

PROFESSIONALS_ONLY = N_("Cette page est réservée aux professionnels.")
ADMINS_ONLY = N_("Cette page est réservée aux administrateurs de la plateforme.")
SECOND_FACTOR_ONLY = N_("La double vérification est réservée aux professionnels.")


async def page_professional(me: SignedInPage) -> SignedIn:
    if not is_professional(me.person):
        raise ForbiddenError(PROFESSIONALS_ONLY)
    return me


async def page_platform_admin(me: SignedInPage) -> SignedIn:
    if not is_platform_admin(me.person):
        raise ForbiddenError(ADMINS_ONLY)
    return me


Professional = Annotated[SignedIn, Depends(page_professional)]
PlatformAdmin = Annotated[SignedIn, Depends(page_platform_admin)]


async def api_professional(person: ApiUser) -> Person:
    if not is_professional(person):
        raise ForbiddenError("Réservé aux professionnels.")
    return person


async def api_second_factor_user(person: ApiUser) -> Person:
    if not may_use_second_factor(person):
        raise ForbiddenError(SECOND_FACTOR_ONLY)
    return person


async def api_platform_admin(person: ApiUser) -> Person:
    if not is_platform_admin(person):
        raise ForbiddenError("Réservé aux administrateurs de la plateforme.")
    return person


ApiProfessional = Annotated[Person, Depends(api_professional)]
ApiPlatformAdmin = Annotated[Person, Depends(api_platform_admin)]
ApiSecondFactorUser = Annotated[Person, Depends(api_second_factor_user)]


async def page_csrf(request: Request, signed_in: PageSignedIn) -> None:
    """Every state-changing page request carries the token of a form we served: the session's,
    or before sign-in the double-submit cookie's, from a same-origin page. Otherwise 403 and
    the route never runs, so nothing changes."""
    # An async dependency runs in the request's own task: the language it sets holds for the
    # route (run in a worker thread with a copy of this context) and its error pages.
    i18n.speak(i18n.language_of(request, signed_in.person if signed_in else None))
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    submitted = form.get("csrf")
    token = submitted if isinstance(submitted, str) else None
    expected = [signed_in.session.csrf_token] if signed_in else []
    form_cookie = request.cookies.get(cookie_name(request, FORM_COOKIE))
    if form_cookie:
        expected.append(form_cookie)
    if not any(csrf_ok(request, value, token) for value in expected):
        if signed_in is None and had_session(request) and same_origin(request):
            raise SessionEnded(typed_text(form))
        raise HTTPException(status_code=403, detail=EXPIRED)


async def page_stream_origin(request: Request, signed_in: PageSignedIn) -> None:
    """For the one page whose body is a streamed upload: its token comes as the form's first
    field and is checked there, before a byte of the file is stored; here, the origin, and a
    session to check it against (without one, the form cannot be ours)."""
    if request.method in SAFE_METHODS:
        return
    if signed_in is None or not same_origin(request):
        raise HTTPException(status_code=403, detail=EXPIRED)


# Put on every page router: no state-changing page route can forget it.
PAGE_CSRF = Depends(page_csrf)
