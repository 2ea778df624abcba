"""My account through the API: profile, password, recovery codes, second factor, history;
and the ways back in without email or phone."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from vault.accounts import second_factor
from vault.accounts.accounts import (
    change_name,
    change_password,
    contact_changes,
    suggest_login,
    update_profile,
)
from vault.accounts.recovery import (
    clear_sign_in_delay as clear_sign_in_delay_for,
)
from vault.accounts.recovery import (
    issue_reset_code,
    new_recovery_codes,
    recover,
    reset_with_person,
    unlock,
)
from vault.consent.history import MAX_PAGE_SIZE, PAGE_SIZE, history
from webui.api.schemas import (
    AssistedPasswordIn,
    JournalEntry,
    LoginSuggestion,
    MeOut,
    PasswordChange,
    ProfilePatch,
    Reauthentication,
    RecoveryCodesOut,
    RecoveryIn,
    ResetCodeOut,
    SecondFactorConfirm,
    SecondFactorSetup,
    UnlockIn,
)
from webui.api.session import me_out
from webui.deps import (
    ApiPlatformAdmin,
    ApiSecondFactorUser,
    ApiSignedIn,
    ApiUser,
    DbSession,
    RuntimeDep,
    attempt_of,
    client_address,
    confirm_caller,
)

router = APIRouter(tags=["account"])

# A journal entry's `seq` is a 64-bit integer in the database: a larger `before` is refused
# here rather than failing in the database's hands.
LARGEST_SEQ = 2**63 - 1


@router.patch("/me")
def update_me(
    body: ProfilePatch, person: ApiUser, request: Request, db: DbSession, rt: RuntimeDep
) -> MeOut:
    """Language, one's own name and contact details; changing the email or the phone needs
    `current_password` (and `totp` where a second factor is on), the rest does not."""
    if contact_changes(db, rt.master_keys, person, email=body.email, phone=body.phone):
        confirm_caller(
            request,
            db,
            rt,
            person,
            password=body.current_password,
            totp=body.totp,
        )
    update_profile(
        db,
        rt.master_keys,
        person,
        preferred_language=body.preferred_language,
        email=body.email,
        phone=body.phone,
        source=client_address(request),
    )
    # After the password's check: a wrong one keeps its count and journal line, and only them.
    if body.display_name is not None:
        change_name(db, person, body.display_name, source=client_address(request))
    return me_out(db, rt.settings, person)


@router.post("/me/password", status_code=204)
def new_password(
    body: PasswordChange, signed_in: ApiSignedIn, request: Request, db: DbSession, rt: RuntimeDep
) -> Response:
    """Change the password; every other session ends. Needs `current_password` (and `totp`
    where a second factor is on); wrong ones are throttled (429 with Retry-After) like
    sign-ins, and journaled."""
    change_password(
        db,
        rt.master_keys,
        signed_in.person,
        current=body.current_password,
        totp=body.totp,
        new=body.new_password,
        keep_session=signed_in.session.id,
        attempt=attempt_of(request, db, rt, signed_in.person.login),
    )
    return Response(status_code=204)


@router.post("/me/recovery-codes", status_code=201)
def recovery_codes(
    body: Reauthentication, person: ApiUser, request: Request, db: DbSession, rt: RuntimeDep
) -> RecoveryCodesOut:
    """Ten new single-use recovery codes, shown this once; the old ones stop working. Needs
    `current_password` (and `totp` where a second factor is on)."""
    confirm_caller(
        request,
        db,
        rt,
        person,
        password=body.current_password,
        totp=body.totp,
    )
    codes = new_recovery_codes(db, person, client_address(request))
    return RecoveryCodesOut(codes=codes)


@router.get("/me/second-factor/new")
def second_factor_setup(person: ApiSecondFactorUser) -> SecondFactorSetup:
    """A fresh secret to add to an authenticator app; nothing is saved until it is confirmed."""
    secret = second_factor.new_secret()
    return SecondFactorSetup(secret=secret, uri=second_factor.provisioning_uri(person, secret))


@router.post("/me/second-factor", status_code=204)
def second_factor_enable(
    body: SecondFactorConfirm,
    person: ApiSecondFactorUser,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
) -> Response:
    """Turn the second factor on, or replace it, with `secret` and a `code` it gives. Needs
    `current_password`, and `totp` (a code of the current app) when one is already on."""
    confirm_caller(
        request,
        db,
        rt,
        person,
        password=body.current_password,
        totp=body.totp,
    )
    second_factor.enable(db, rt.master_keys, person, body.secret, body.code)
    return Response(status_code=204)


@router.delete("/people/{person_id}/second-factor", status_code=204)
def second_factor_reset(
    person_id: str, admin: ApiPlatformAdmin, request: Request, db: DbSession
) -> Response:
    """A platform admin removes the second factor of someone who lost their phone (404 for an
    unknown id; 409 for an administrator, who must keep theirs). The person sees it in their
    history."""
    second_factor.reset(db, admin, person_id, client_address(request))
    return Response(status_code=204)


@router.post("/recovery", status_code=204)
def recover_account(body: RecoveryIn, request: Request, db: DbSession, rt: RuntimeDep) -> Response:
    """A new password with a recovery code or a counsellor's reset code. Every session ends.
    Wrong codes are throttled (429 with Retry-After)."""
    recover(db, rt, body.login, body.code, body.new_password, client_address(request))
    return Response(status_code=204)


@router.get("/login-suggestion")
def login_suggestion(display_name: str, db: DbSession) -> LoginSuggestion:
    """A free login built from a name, to offer at sign-up (the person may change it)."""
    return LoginSuggestion(login=suggest_login(db, display_name[:200]))


@router.post("/beneficiaries/{person_id}/reset-code", status_code=201)
def reset_code(
    person_id: str,
    body: Reauthentication,
    helper: ApiUser,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
) -> ResetCodeOut:
    """A counsellor with the "recover" scope gets a one-time code to hand over in person. Needs
    the counsellor's `current_password` (and `totp` where a second factor is on): whoever finds
    their session open gets no code with it."""
    confirm_caller(request, db, rt, helper, password=body.current_password, totp=body.totp)
    code, expires_at = issue_reset_code(db, rt, helper, person_id, client_address(request))
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
    their own recovery codes. Needs the counsellor's `current_password` (and `totp` where a
    second factor is on), asked before anything else."""
    confirm_caller(request, db, rt, helper, password=body.current_password, totp=body.totp)
    reset_with_person(db, rt, helper, person_id, body.new_password, client_address(request))
    return Response(status_code=204)


@router.post("/me/unlock", status_code=204)
def unlock_papers(
    body: UnlockIn, signed_in: ApiSignedIn, request: Request, db: DbSession, rt: RuntimeDep
) -> Response:
    """Open at once the papers closed after a reset made with a counsellor, with one of the
    person's own recovery codes (not a reset code) and a new password (the one in force was
    typed at the counsellor's); every other session ends. A wrong code is 422 and counts as a
    failed attempt. Without a hold, nothing is checked and nothing is spent."""
    unlock(
        db,
        rt,
        signed_in.person,
        body.code,
        body.new_password,
        signed_in.session.id,
        client_address(request),
    )
    return Response(status_code=204)


@router.delete("/beneficiaries/{person_id}/sign-in-delay", status_code=204)
def clear_sign_in_delay(
    person_id: str,
    body: Reauthentication,
    helper: ApiUser,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
) -> Response:
    """A counsellor with the "recover" scope lifts the waiting time after failed sign-ins.
    Needs the counsellor's `current_password` (and `totp` where a second factor is on), asked
    before anything else: whoever finds their session open cannot lift the wait again and again
    while guessing the person's password."""
    confirm_caller(request, db, rt, helper, password=body.current_password, totp=body.totp)
    clear_sign_in_delay_for(db, rt, helper, person_id, client_address(request))
    return Response(status_code=204)


@router.get("/journal")
def my_journal(
    person: ApiUser,
    db: DbSession,
    before: Annotated[
        int | None,
        Query(
            ge=1,
            le=LARGEST_SEQ,
            description="The `seq` of the last entry of the previous page.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
    actor: Annotated[
        str | None, Query(max_length=100, description="Only what this person id did.")
    ] = None,
) -> list[JournalEntry]:
    """The caller's history, newest first: who (and from which organisation) did what, when.
    A person's refused attempts of one kind and one UTC day are one entry with a `count`."""
    return [
        JournalEntry(
            id=line.id,
            seq=line.seq,
            count=line.count,
            action=line.action,
            actor_id=line.actor_id,
            actor_name=line.actor_name,
            organisation_id=line.organisation_id,
            organisation_name=line.organisation_name,
            document_id=line.document_id,
            occurred_at=line.occurred_at,
        )
        for line in history(db, person, limit=limit, before=before, actor_id=actor).lines
    ]
