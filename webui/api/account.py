"""My account through the API: profile, password, recovery codes, second factor, history;
and the ways back in without email or phone."""

from fastapi import APIRouter, Request, Response

from vault import second_factor
from vault.accounts import change_password, suggest_login, update_profile
from vault.errors import AuthenticationError
from vault.history import history
from vault.recovery import (
    clear_sign_in_delay as clear_sign_in_delay_for,
)
from vault.recovery import (
    issue_reset_code,
    new_recovery_codes,
    recover,
    reset_with_person,
    unlock,
)
from webui.api.schemas import (
    AssistedPasswordIn,
    JournalEntry,
    LoginSuggestion,
    MeOut,
    PasswordChange,
    ProfilePatch,
    RecoveryCodesOut,
    RecoveryIn,
    ResetCodeOut,
    SecondFactorConfirm,
    SecondFactorSetup,
    UnlockIn,
)
from webui.api.session import me_out
from webui.deps import (
    ApiSecondFactorUser,
    ApiSignedIn,
    ApiUser,
    DbSession,
    RuntimeDep,
    client_address,
)

router = APIRouter(tags=["account"])


@router.patch("/me")
def update_me(body: ProfilePatch, person: ApiUser, db: DbSession, rt: RuntimeDep) -> MeOut:
    update_profile(
        db,
        rt.master_keys,
        person,
        preferred_language=body.preferred_language,
        email=body.email,
        phone=body.phone,
    )
    db.commit()
    return me_out(db, person)


@router.post("/me/password", status_code=204)
def new_password(
    body: PasswordChange, signed_in: ApiSignedIn, request: Request, db: DbSession
) -> Response:
    """Change the password; every other session ends."""
    change_password(
        db,
        signed_in.person,
        body.current_password,
        body.new_password,
        keep_session=signed_in.session.id,
        source=client_address(request),
    )
    db.commit()
    return Response(status_code=204)


@router.post("/me/recovery-codes", status_code=201)
def recovery_codes(person: ApiUser, request: Request, db: DbSession) -> RecoveryCodesOut:
    """Ten new single-use recovery codes, shown this once; the old ones stop working."""
    codes = new_recovery_codes(db, person, client_address(request))
    db.commit()
    return RecoveryCodesOut(codes=codes)


@router.get("/me/second-factor/new")
def second_factor_setup(person: ApiSecondFactorUser) -> SecondFactorSetup:
    """A fresh secret to add to an authenticator app; nothing is saved until it is confirmed."""
    secret = second_factor.new_secret()
    return SecondFactorSetup(secret=secret, uri=second_factor.provisioning_uri(person, secret))


@router.post("/me/second-factor", status_code=204)
def second_factor_enable(
    body: SecondFactorConfirm, person: ApiUser, db: DbSession, rt: RuntimeDep
) -> Response:
    second_factor.enable(db, rt.master_keys, person, body.secret, body.code)
    db.commit()
    return Response(status_code=204)


@router.post("/recovery", status_code=204)
def recover_account(body: RecoveryIn, request: Request, db: DbSession, rt: RuntimeDep) -> Response:
    """A new password with a recovery code or a counsellor's reset code. Every session ends."""
    try:
        recover(db, rt, body.login, body.code, body.new_password, client_address(request))
    except AuthenticationError:
        db.commit()  # keep the failure count and the journal line
        raise
    db.commit()
    return Response(status_code=204)


@router.get("/login-suggestion")
def login_suggestion(display_name: str, db: DbSession) -> LoginSuggestion:
    """A free login built from a name, to offer at sign-up (the person may change it)."""
    return LoginSuggestion(login=suggest_login(db, display_name[:200]))


@router.post("/beneficiaries/{person_id}/reset-code", status_code=201)
def reset_code(
    person_id: str, helper: ApiUser, request: Request, db: DbSession, rt: RuntimeDep
) -> ResetCodeOut:
    """A counsellor with the "recover" scope gets a one-time code to hand over in person."""
    code, expires_at = issue_reset_code(db, rt, helper, person_id, client_address(request))
    db.commit()
    return ResetCodeOut(code=code, expires_at=expires_at)


@router.post("/beneficiaries/{person_id}/password", status_code=204)
def reset_password_with_person(
    person_id: str,
    body: AssistedPasswordIn,
    helper: ApiUser,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
) -> Response:
    """A counsellor with the "recover" scope, the person beside them: the person types a new
    password. Every session of the person ends; the journal names the counsellor; the papers
    the counsellor may not view stay closed for a while (423), unless the person enters one of
    their own recovery codes."""
    reset_with_person(db, rt, helper, person_id, body.new_password, client_address(request))
    return Response(status_code=204)


@router.post("/me/unlock", status_code=204)
def unlock_papers(
    body: UnlockIn, person: ApiUser, request: Request, db: DbSession, rt: RuntimeDep
) -> Response:
    """Open at once the papers closed after a reset made with a counsellor, with one of the
    person's own recovery codes (not a reset code). A wrong code is 401 and counts as a failed
    attempt. Without a hold, nothing is checked and nothing is spent."""
    unlock(db, rt, person, body.code, client_address(request))
    return Response(status_code=204)


@router.delete("/beneficiaries/{person_id}/sign-in-delay", status_code=204)
def clear_sign_in_delay(
    person_id: str, helper: ApiUser, request: Request, db: DbSession, rt: RuntimeDep
) -> Response:
    """A counsellor with the "recover" scope lifts the waiting time after failed sign-ins."""
    clear_sign_in_delay_for(db, rt, helper, person_id, client_address(request))
    db.commit()
    return Response(status_code=204)


@router.get("/journal")
def my_journal(person: ApiUser, db: DbSession) -> list[JournalEntry]:
    """The caller's history, newest first: who (and from which organisation) did what, when."""
    return [
        JournalEntry(
            id=line.id,
            action=line.action,
            actor_id=line.actor_id,
            actor_name=line.actor_name,
            organisation_id=line.organisation_id,
            organisation_name=line.organisation_name,
            document_id=line.document_id,
            occurred_at=line.occurred_at,
        )
        for line in history(db, person)
    ]
