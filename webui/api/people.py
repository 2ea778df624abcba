"""Accounts of beneficiaries through the API: self sign-up, or created by a professional with
the person present."""

from fastapi import APIRouter, Request

from vault.accounts import throttle
from vault.accounts.accounts import create_person
from vault.accounts.recovery import new_recovery_codes
from vault.consent.grants import create_account_in_person
from vault.errors import ForbiddenError
from vault.vocabulary import Role
from webui.api.schemas import CreatedInPersonOut, SignUpIn, SignUpOut
from webui.api.session import me_out
from webui.deps import DbSession, RuntimeDep, api_signed_in, bearer_token, client_address

router = APIRouter(tags=["people"])


@router.post("/beneficiaries", status_code=201)
def create_beneficiary(
    body: SignUpIn, request: Request, db: DbSession, rt: RuntimeDep
) -> SignUpOut | CreatedInPersonOut:
    """Without a token: self sign-up, when the instance allows it. With a professional's token
    and `"consent": true`: an account created with the person present, who types their own
    password; the professional gets a grant with every scope for the default period. Either way
    the answer carries ten recovery codes, shown this once: print them."""
    if bearer_token(request) is not None:
        professional = api_signed_in(request, db, rt).person
        created = create_account_in_person(
            db,
            rt,
            professional,
            login=body.login,
            display_name=body.display_name,
            password=body.password,
            consent=body.consent,
        )
        return CreatedInPersonOut(
            id=created.person.id,
            vault_id=created.vault.id,
            login=created.person.login,
            display_name=created.person.display_name,
            grant_id=created.grant.id,
            recovery_codes=created.recovery_codes,
        )
    if not rt.settings.allow_signup:
        raise ForbiddenError("Ce service n'accepte pas les inscriptions en ligne.")
    throttle.count_sign_up(db, rt.settings, client_address(request))
    person = create_person(
        db,
        rt.master_keys,
        login=body.login,
        display_name=body.display_name,
        password=body.password,
        role=Role.BENEFICIARY,
        preferred_language=body.preferred_language,
    )
    codes = new_recovery_codes(db, person, client_address(request))
    return SignUpOut(**me_out(db, rt.settings, person).model_dump(), recovery_codes=codes)
