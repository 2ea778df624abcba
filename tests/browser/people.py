"""People the browser tests share: a counsellor of a CCAS, signing in through the page, and
papers put straight in a vault."""

from playwright.sync_api import Page
from sqlalchemy.orm import Session

from tests.app_fixtures import PASSWORD
from tests.samples import pdf
from vault.accounts.accounts import create_person
from vault.db import transaction
from vault.documents.service import (
    DocumentFields,
    create_document,
    plan_upload,
    store_upload,
    update_document,
)
from vault.models import Membership, Organisation, Person
from vault.runtime import Runtime
from vault.vocabulary import MemberRole, Role


def claire_of_the_ccas(db: Session, rt: Runtime) -> Person:
    """Claire Martin, counsellor at the CCAS d'Orléans (password PASSWORD)."""
    organisation = Organisation(name="CCAS d'Orléans")
    db.add(organisation)
    db.flush()
    claire = create_person(
        db,
        rt.master_keys,
        login="claire.martin",
        display_name="Claire Martin",
        password=PASSWORD,
        role=Role.COUNSELLOR,
    )
    db.add(
        Membership(person_id=claire.id, organisation_id=organisation.id, role=MemberRole.COUNSELLOR)
    )
    db.flush()
    return claire


def sign_in(page: Page, url: str, login: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/connexion")
    page.get_by_label("Mon identifiant").fill(login)
    page.get_by_label("Mon mot de passe").fill(password)
    page.get_by_role("button", name="Ouvrir", exact=True).click()


def add_paper(
    rt: Runtime,
    owner: Person,
    vault_id: str,
    title: str,
    private: bool = False,
    content: bytes | None = None,
    category: str = "identity",
) -> str:
    """A paper in `vault_id`, added by `owner` (a PDF unless `content` is given)."""
    with transaction(rt.sessions) as db:
        plan = plan_upload(db, rt, owner, vault_id)
    stored = store_upload(rt, plan, [content if content is not None else pdf(title)])
    with transaction(rt.sessions) as db:
        document_id = create_document(db, rt, owner, stored, DocumentFields(title, category)).id
        if private:
            update_document(db, rt, owner, document_id, private=True)
    return document_id


def amina_with_a_safe(db: Session, rt: Runtime) -> Person:
    """Amina Diallo, who has a safe of her own (password PASSWORD)."""
    return create_person(
        db,
        rt.master_keys,
        login="amina.diallo",
        display_name="Amina Diallo",
        password=PASSWORD,
        role=Role.BENEFICIARY,
    )
