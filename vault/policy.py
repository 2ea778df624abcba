"""The one place that decides who may do what. Every route asks here; none decides on its own.

Today a vault is reachable by its owner only; grants to counsellors come with the consent work.
A platform admin has no right to read a beneficiary's papers. Anything the caller may not see
is reported as absent (NotFoundError), so its existence never leaks.
"""

from enum import StrEnum

from sqlalchemy.orm import Session

from vault.errors import NotFoundError
from vault.models import Document, Person, Vault

NOT_FOUND_DOCUMENT = "Ce document n'existe pas."
NOT_FOUND_VAULT = "Ce coffre n'existe pas."


class Action(StrEnum):
    VIEW = "view"
    UPLOAD = "upload"
    MANAGE = "manage"


def may_use_vault(actor: Person, vault: Vault, action: Action) -> bool:
    return actor.role == "beneficiary" and vault.owner_id == actor.id


def may_help_recover(db: Session, helper: Person, person: Person) -> bool:
    """Whether `helper` may issue a reset code or clear the sign-in delays of `person`: only a
    counsellor the person granted the "recover" scope. Grants come with the consent work; until
    then nobody may."""
    del db, helper, person
    return False


def require_vault(db: Session, actor: Person, vault_id: str, action: Action) -> Vault:
    vault = db.get(Vault, vault_id)
    if vault is None or not may_use_vault(actor, vault, action):
        raise NotFoundError(NOT_FOUND_VAULT)
    return vault


def require_document(
    db: Session, actor: Person, document_id: str, action: Action
) -> tuple[Document, Vault]:
    document = db.get(Document, document_id)
    vault = db.get(Vault, document.vault_id) if document is not None else None
    if document is None or vault is None or not may_use_vault(actor, vault, action):
        raise NotFoundError(NOT_FOUND_DOCUMENT)
    return document, vault
