"""Links to a marked copy of a paper, through the API: make, list, stop."""

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StrictInt

from vault.documents import shares
from vault.documents.service import get_document, purge_objects
from vault.models import Person
from webui.api.schemas import examples
from webui.deps import ApiUser, DbSession, RuntimeDep, attempt

router = APIRouter(tags=["shares"])


class ShareIn(BaseModel):
    model_config = examples(
        {
            "recipient": "CAF du Loiret",
            "purpose": "Dossier d'aide au logement",
            "expires_in_hours": 72,
            "max_downloads": 3,
        }
    )

    recipient: str = Field(
        max_length=1000,
        description="Who receives the copy (the office)",
        json_schema_extra={"minLength": 1},
    )
    purpose: str = Field(
        max_length=1000,
        description="Why: written on the copy too",
        json_schema_extra={"minLength": 1},
    )
    expires_in_hours: StrictInt = Field(
        description="1 to the instance's share_max_hours (720)", json_schema_extra={"minimum": 1}
    )
    max_downloads: StrictInt | None = Field(
        default=None,
        description="1 to 100; none: no limit",
        json_schema_extra={"minimum": 1, "maximum": 100},
    )
    code: str | None = Field(
        default=None, max_length=1000, description="A code the office must type first"
    )


class ShareCreated(BaseModel):
    id: str
    # The only time the link is given: only a hash of its token is kept.
    url: str
    expires_at: datetime


class ShareOut(BaseModel):
    id: str
    recipient: str | None = Field(
        description="None for a helper, on a link someone else made: only the person and the "
        "link's maker read whom and why a copy went to."
    )
    purpose: str | None
    expires_at: datetime
    max_downloads: int | None
    downloads: int
    revoked: bool
    has_code: bool
    created_by: str = Field(description="The name of who made the link")
    created_at: datetime
    valid: bool

    @classmethod
    def of(cls, view: shares.ShareView) -> "ShareOut":
        return cls(
            id=view.id,
            recipient=view.recipient,
            purpose=view.purpose,
            expires_at=view.expires_at,
            max_downloads=view.max_downloads,
            downloads=view.downloads,
            revoked=view.revoked,
            has_code=view.has_code,
            created_by=view.created_by_name,
            created_at=view.created_at,
            valid=view.valid,
        )


def link_of(request: Request, token: str) -> str:
    """The address the office opens: this coffre's public address, else the request's."""
    base = request.app.state.runtime.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/s/{token}"


def share_terms(body: ShareIn) -> shares.ShareTerms:
    return shares.ShareTerms(
        recipient=body.recipient,
        purpose=body.purpose,
        expires_in_hours=body.expires_in_hours,
        max_downloads=body.max_downloads,
        code=body.code,
    )


def make_link(
    db: DbSession, rt: RuntimeDep, person: Person, document_id: str, terms: shares.ShareTerms
) -> shares.NewShare:
    """Check and gather, then make and store the copy with no transaction open, then record
    the link (see vault.documents.shares.SharePlan)."""
    with attempt(db):
        plan = shares.plan_share(db, rt, person, document_id, terms)
    db.commit()
    stored = shares.store_copy(rt, plan)
    with attempt(db):
        return shares.record_share(db, rt, person, stored)


@router.post("/documents/{document_id}/shares", status_code=201)
def create_share(
    document_id: str,
    body: ShareIn,
    request: Request,
    person: ApiUser,
    db: DbSession,
    rt: RuntimeDep,
) -> ShareCreated:
    """Make a marked copy (« Copie pour {recipient} — {date} — {purpose} ») and a link to it."""
    created = make_link(db, rt, person, document_id, share_terms(body))
    return ShareCreated(
        id=created.id, url=link_of(request, created.token), expires_at=created.expires_at
    )


@router.get("/documents/{document_id}/shares")
def list_shares(document_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep) -> list[ShareOut]:
    """The paper's links. Through a grant this is a look at the paper, journaled like its card
    (as the page of links does)."""
    get_document(db, rt, person, document_id)
    return [ShareOut.of(v) for v in shares.list_shares(db, rt, person, document_id)]


@router.delete("/shares/{share_id}", status_code=204)
def revoke_share(share_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep) -> Response:
    """Stop the link at once; its copy is deleted."""
    _document_id, names = shares.revoke_share(db, rt, person, share_id)
    db.commit()  # the link stops first; a crash before the purge leaves only an orphan
    purge_objects(rt.store, names)
    return Response(status_code=204)
