"""Sign in and out of the API with bearer tokens; who am I."""

from fastapi import APIRouter, Response

from vault.accounts import authenticate, vault_of
from vault.models import Person
from vault.sessions import close_session, open_session
from webui.api.schemas import MeOut, SessionIn, SessionOut, UserOut
from webui.deps import ApiSignedIn, ApiUser, DbSession, RuntimeDep

router = APIRouter(tags=["session"])


@router.post("/session", status_code=201)
def sign_in(body: SessionIn, db: DbSession, rt: RuntimeDep) -> SessionOut:
    person = authenticate(db, body.login, body.password)
    token, _session = open_session(db, rt.settings, person, "api")
    db.commit()
    return SessionOut(token=token, user=user_out(person))


@router.delete("/session", status_code=204)
def sign_out(signed_in: ApiSignedIn, db: DbSession) -> Response:
    close_session(db, signed_in.session.id)
    db.commit()
    return Response(status_code=204)


@router.get("/me")
def me(person: ApiUser, db: DbSession) -> MeOut:
    return me_out(db, person)


def user_out(person: Person) -> UserOut:
    return UserOut(id=person.id, role=person.role, display_name=person.display_name)


def me_out(db: DbSession, person: Person) -> MeOut:
    vault = vault_of(db, person.id)
    return MeOut(
        id=person.id,
        role=person.role,
        display_name=person.display_name,
        login=person.login,
        vault_id=vault.id if vault else None,
    )
