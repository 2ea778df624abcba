"""Consent through the API: grants, requests for access, the people who granted me access."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from vault.consent.grants import (
    GrantTerms,
    answer_request,
    answering_needs_identity,
    create_grant,
    granted_vaults,
    grants_of,
    request_access,
    revoke,
)
from vault.models import Grant
from vault.policy import giving_needs_identity, grant_categories, grant_scopes
from webui.api.schemas import (
    AccessRequestIn,
    GrantAnswer,
    GrantedVaultOut,
    GrantIn,
    GrantOut,
)
from webui.deps import ApiProfessional, ApiUser, DbSession, RuntimeDep, confirm_caller

router = APIRouter(tags=["consent"])


def grant_out(grant: Grant) -> GrantOut:
    return GrantOut(
        id=grant.id,
        vault_id=grant.vault_id,
        counsellor_id=grant.counsellor_id,
        organisation_id=grant.organisation_id,
        scopes=grant_scopes(grant),
        categories=grant_categories(grant),
        status=grant.status,
        consent=grant.consent,
        expires_at=grant.expires_at,
        created_at=grant.created_at,
    )


@router.post("/grants", status_code=201)
def give_access(
    body: GrantIn, person: ApiUser, request: Request, db: DbSession, rt: RuntimeDep
) -> GrantOut:
    """The beneficiary gives a counsellor or an organisation access to their vault. Giving
    "recover" needs `current_password` (a session alone must not hand the account over)."""
    if giving_needs_identity(body.scopes):
        confirm_caller(
            request,
            db,
            rt,
            person,
            password=body.current_password,
            totp=body.totp,
        )
    grant = create_grant(
        db,
        rt,
        person,
        GrantTerms(body.scopes, body.categories, body.expires_on),
        counsellor_id=body.counsellor_id,
        organisation_id=body.organisation_id,
    )
    return grant_out(grant)


@router.get("/grants")
def my_grants(person: ApiUser, db: DbSession, rt: RuntimeDep) -> list[GrantOut]:
    """Grants on my vault (beneficiary) or grants I hold (professional)."""
    grants = grants_of(db, rt, person)
    return [grant_out(g) for g in grants]


@router.delete("/grants/{grant_id}", status_code=204)
def end_access(grant_id: str, person: ApiUser, db: DbSession) -> Response:
    revoke(db, person, grant_id)
    return Response(status_code=204)


@router.post("/grants/{grant_id}/accept")
def accept(
    grant_id: str,
    person: ApiUser,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    body: GrantAnswer | None = None,
) -> GrantOut:
    """Accept a request; one asking for "recover" needs `current_password`."""
    if answering_needs_identity(db, person, grant_id):
        confirm_caller(
            request,
            db,
            rt,
            person,
            password=body.current_password if body else None,
            totp=body.totp if body else None,
        )
    grant = answer_request(db, person, grant_id, accept=True)
    return grant_out(grant)


@router.post("/grants/{grant_id}/refuse")
def refuse(grant_id: str, person: ApiUser, db: DbSession) -> GrantOut:
    grant = answer_request(db, person, grant_id, accept=False)
    return grant_out(grant)


@router.post(
    "/access-requests",
    status_code=202,
    response_class=Response,
    responses={202: {"description": "Asked, or not: the same answer whether the login exists."}},
)
def ask_for_access(
    body: AccessRequestIn, person: ApiUser, db: DbSession, rt: RuntimeDep
) -> Response:
    """A professional asks a person for access; the person answers at their next sign-in.
    The answer is the same whether the login exists or not."""
    request_access(
        db, rt, person, body.login, GrantTerms(body.scopes, body.categories, body.expires_on)
    )
    return Response(status_code=202)


# A page of the API's list: at most this many people.
MAX_LIMIT = 500


@router.get(
    "/beneficiaries",
    responses={
        200: {
            "headers": {
                "X-Total-Count": {
                    "description": "How many people `q` finds, before `limit` and `offset`.",
                    "schema": {"type": "integer"},
                }
            }
        }
    },
)
def my_beneficiaries(
    person: ApiProfessional,
    db: DbSession,
    rt: RuntimeDep,
    response: Response,
    q: Annotated[
        str,
        Query(
            max_length=100,
            description="Only people whose name or login has every word of it, whatever the "
            "case, accents and Arabic vowel marks.",
        ),
    ] = "",
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_LIMIT, description="At most this many; none: all.")
    ] = None,
    offset: Annotated[int, Query(ge=0, description="Leave out this many first.")] = 0,
) -> list[GrantedVaultOut]:
    """The vaults granted to the caller (a professional), with the scopes, by name. Without
    parameters, every one of them."""
    vaults = granted_vaults(db, rt, person, q)
    response.headers["X-Total-Count"] = str(len(vaults))
    shown = vaults[offset : None if limit is None else offset + limit]
    return [GrantedVaultOut(**v.__dict__) for v in shown]
