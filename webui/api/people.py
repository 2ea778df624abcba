"""Accounts of beneficiaries through the API: self sign-up, or created by a professional with
the person present."""

from fastapi import APIRouter, Request

from vault.accounts import create_person
from vault.errors import ForbiddenError
from vault.recovery import new_recovery_codes
from webui.api.schemas import SignUpIn, SignUpOut
from webui.api.session import me_out
from webui.deps import (
    DbSession,
    RuntimeDep,
    bearer_token,
    client_address,
)

router = APIRouter(tags=["people"])


@router.post("/beneficiaries", status_code=201)
def create_beneficiary(
    body: SignUpIn, request: Request, db: DbSession, rt: RuntimeDep
) -> SignUpOut:
    """Self sign-up. The answer carries ten recovery codes, shown this once: print them."""
    if bearer_token(request) is not None:
        raise ForbiddenError("Seul un professionnel peut créer un compte pour quelqu'un.")
    if not rt.settings.allow_signup:
        raise ForbiddenError("Ce service n'accepte pas les inscriptions en ligne.")
    person = create_person(
        db,
        rt.master_keys,
        login=body.login,
        display_name=body.display_name,
        password=body.password,
        role="beneficiary",
        preferred_language=body.preferred_language,
    )
    codes = new_recovery_codes(db, person, client_address(request))
    db.commit()
    return SignUpOut(**me_out(db, person).model_dump(), recovery_codes=codes)
