"""Sign in and out of the API with bearer tokens; who am I; my sessions."""

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from vault.accounts.accounts import vault_of
from vault.accounts.hold import current_hold
from vault.accounts.sessions import close_all_sessions, close_session, open_session, sessions_of
from vault.accounts.signin import sign_in as check_sign_in
from vault.audit import journal
from vault.config import Settings
from vault.documents.quota import used_bytes
from vault.models import Person
from webui.api.schemas import (
    HoldOut,
    MeOut,
    Reauthentication,
    SessionIn,
    SessionInfo,
    SessionOut,
    UserOut,
)
from webui.deps import (
    ApiSignedIn,
    ApiUser,
    DbSession,
    RuntimeDep,
    client_address,
    confirm_caller,
    device_of,
)

router = APIRouter(tags=["session"])


@router.post("/session", status_code=201)
def sign_in(body: SessionIn, request: Request, db: DbSession, rt: RuntimeDep) -> SessionOut:
    """Repeated failures give 429 with Retry-After; a wrong login and a wrong password give the
    same 401. Administrators (and those who turned it on) also send `totp`."""
    person = check_sign_in(db, rt, body.login, body.password, client_address(request), body.totp)
    token, _session = open_session(db, rt.settings, person, "api", device_of(request))
    return SessionOut(token=token, user=UserOut.of(person))


@router.delete("/session", status_code=204)
def sign_out(signed_in: ApiSignedIn, db: DbSession) -> Response:
    close_session(db, signed_in.session.id)
    return Response(status_code=204)


@router.get("/sessions")
def my_sessions(signed_in: ApiSignedIn, db: DbSession, rt: RuntimeDep) -> list[SessionInfo]:
    """The caller's sessions still open (not those ended by their idle or whole lifetime)."""
    return [
        SessionInfo(
            id=s.id,
            kind=s.kind,
            device=s.device,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            current=s.id == signed_in.session.id,
        )
        for s in sessions_of(db, rt.settings, signed_in.person.id)
    ]


@router.delete("/sessions", status_code=204)
def sign_out_everywhere(
    body: Reauthentication, signed_in: ApiSignedIn, request: Request, db: DbSession, rt: RuntimeDep
) -> Response:
    """End every session of the caller, this one included. Needs `current_password` (and
    `totp` where a second factor is on): whoever holds only a session cannot shut the person
    out of their other devices."""
    confirm_caller(
        request,
        db,
        rt,
        signed_in.person,
        password=body.current_password,
        totp=body.totp,
    )
    close_all_sessions(db, signed_in.person.id)
    journal.record(
        db,
        subject_id=signed_in.person.id,
        actor_id=signed_in.person.id,
        action=journal.SIGN_OUT_EVERYWHERE,
        source=client_address(request),
    )
    return Response(status_code=204)


@router.get("/me")
def me(person: ApiUser, db: DbSession, rt: RuntimeDep) -> MeOut:
    """The caller, with the room their papers take (`used_bytes`) out of `quota_bytes`."""
    return me_out(db, rt.settings, person)


def me_out(db: Session, settings: Settings, person: Person) -> MeOut:
    vault = vault_of(db, person.id)
    used = used_bytes(db, person.id) if vault else 0
    return MeOut.of_person(
        person, vault.id if vault else None, hold_out(db, person), (used, settings.quota_bytes)
    )


def hold_out(db: Session, person: Person) -> HoldOut | None:
    hold = current_hold(db, person)
    if hold is None:
        return None
    return HoldOut(until=hold.until, by_name=hold.by_name, organisation_name=hold.organisation_name)
