"""The bin through the API: what was deleted, and taking a paper back."""

from fastapi import APIRouter

from vault.documents import bin as paper_bin
from vault.documents.expiry import rule_of
from webui.api.documents import resolve_vault_id
from webui.api.schemas import BinnedOut, DocumentOut
from webui.deps import ApiUser, DbSession, RuntimeDep

router = APIRouter(tags=["documents"])


@router.get("/vaults/{vault_id}/bin")
def list_bin(vault_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep) -> list[BinnedOut]:
    """The owner's deleted papers, most recent first; others get 404."""
    papers = paper_bin.list_bin(db, rt, person, resolve_vault_id(db, person, vault_id))
    rule = rule_of(rt.settings)
    return [BinnedOut.of(p, rule) for p in papers]


@router.post("/documents/{document_id}/restore")
def restore_document(
    document_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep
) -> DocumentOut:
    """Take a paper out of the bin (its owner only)."""
    view = paper_bin.restore_document(db, rt, person, document_id)
    return DocumentOut.of(view, rule_of(rt.settings))
