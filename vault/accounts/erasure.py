"""Erasing an account for good (crypto-shredding): the person's user keys are destroyed first,
in their own transaction, so every copy of their blobs and sealed texts (backups included)
becomes unreadable at once; then the blobs are purged and the rows removed. The person's row
stays, emptied, only so the journal keeps its references: their name too when it is in
someone else's history, whose owner must still read who opened their papers, and always a
professional's, which the people who gave them an access read. A professional's account is
closed the same way when they leave their organisation (vault.consent.organisations)."""

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from vault.audit import journal
from vault.db import transaction
from vault.errors import NotFoundError
from vault.models import (
    AuthSession,
    Blob,
    Document,
    Grant,
    KeySlot,
    Membership,
    Person,
    RecoveryCode,
    Reminder,
    ResetCode,
    Share,
    TrustedDevice,
    UserKey,
    Vault,
    utcnow,
)
from vault.policy import is_professional
from vault.runtime import Runtime
from vault.vocabulary import GrantStatus


def erase_account(rt: Runtime, login: str, actor_id: str | None = None) -> int:
    """Returns how many stored objects were purged."""
    with transaction(rt.sessions) as db:
        person = db.scalar(select(Person).where(Person.login == login, Person.erased_at.is_(None)))
        if person is None:
            raise NotFoundError(f"No person with login {login}.")
        person_id = person.id
        close_account(db, person, actor_id)
    return purge_vault(rt, person_id)


def purge_closed_vaults(rt: Runtime) -> int:
    """What an erasure cut short between its two steps left (`coffre storage sweep` finishes
    it): the papers of closed accounts, unreadable since their keys were destroyed. Returns how
    many stored objects were purged."""
    with transaction(rt.sessions) as db:
        owners = list(
            db.scalars(
                select(Vault.owner_id)
                .join(Person, Person.id == Vault.owner_id)
                .where(
                    Person.erased_at.is_not(None),
                    select(Document.id).where(Document.vault_id == Vault.id).exists(),
                )
            )
        )
    return sum(purge_vault(rt, owner_id) for owner_id in owners)


def purge_vault(rt: Runtime, person_id: str) -> int:
    """The rows of a closed account's papers, then their objects (the rows first: a purge cut
    short leaves only unreadable objects for the sweep). Returns how many objects went."""
    with transaction(rt.sessions) as db:
        vault = db.scalar(select(Vault).where(Vault.owner_id == person_id))
        if vault is None:
            return 0
        documents = select(Document.id).where(Document.vault_id == vault.id)
        names = list(db.scalars(select(Blob.object_name).where(Blob.document_id.in_(documents))))
        for paper_table in (Share, Reminder, Blob):
            db.execute(delete(paper_table).where(paper_table.document_id.in_(documents)))
        db.execute(delete(Document).where(Document.vault_id == vault.id))
        db.execute(
            update(Grant)
            .where(
                Grant.vault_id == vault.id,
                Grant.status.in_((GrantStatus.ACTIVE, GrantStatus.PENDING)),
            )
            .values(status=GrantStatus.REVOKED, ended_at=utcnow())
        )
    for name in names:
        rt.store.delete(name)
    return len(names)


def close_account(db: Session, person: Person, actor_id: str | None) -> None:
    """The account opens no more, and nothing it started acts on: its keys are destroyed, its
    sessions end, the accesses people gave it personally end (each person's history says so),
    and the reset codes it gave and nobody used are withdrawn. A professional keeps their name:
    the people they helped read it in their histories."""
    person_id = person.id
    # The order of the locks is that of what the account may have under way. Its sessions
    # first (a request of its own locks its session row when it starts). Then its row, as
    # keychain.recording_version does before writing under its keys: a row being written is
    # waited for, one that comes after waits for this closing and finds no key (not FOR UPDATE:
    # a journal line naming the person only needs the row to stay, and takes the journal's head
    # first). Then its own grants, then its memberships, as a change made through them does
    # (policy.current_grants), before the journal's head: such a change under way is waited
    # for, one that comes after waits, then sees the account closed.
    for table in (AuthSession, RecoveryCode, ResetCode, TrustedDevice):
        db.execute(delete(table).where(table.person_id == person_id))
    db.execute(select(Person.id).where(Person.id == person_id).with_for_update(key_share=True))
    key_ids = list(db.scalars(select(UserKey.id).where(UserKey.person_id == person_id)))
    db.execute(delete(KeySlot).where(KeySlot.user_key_id.in_(key_ids)))
    db.execute(update(UserKey).where(UserKey.id.in_(key_ids)).values(state="destroyed"))
    ended = _end_grants_held_by(db, person_id)
    memberships = select(Membership.person_id).where(Membership.person_id == person_id)
    db.execute(memberships.with_for_update())
    # After the grants, as a reset with one of these codes takes them (accounts.recovery).
    db.execute(
        delete(ResetCode).where(ResetCode.issued_by == person_id, ResetCode.used_at.is_(None))
    )
    _tell_givers(db, ended)
    # A colon no login may hold: nobody can sign up first under the login the closing takes.
    person.login = f"erased:{person_id}"
    if not is_professional(person) and not journal.acted_for_others(db, person_id):
        person.display_name = "Compte supprimé"
    person.password_hash = "!"  # noqa: S105 - matches no password: the account is closed
    person.email_sealed = person.phone_sealed = person.totp_secret_sealed = None
    person.erased_at = utcnow()
    journal.record(db, subject_id=person_id, actor_id=actor_id, action=journal.ACCOUNT_ERASED)


def held_personally(db: Session, person_id: str) -> list[tuple[Grant, str]]:
    """The accesses people gave this professional themselves, or that they asked for and wait,
    each with its giver's id (what people gave an organisation is not among them)."""
    rows = db.execute(
        select(Grant, Vault.owner_id)
        .join(Vault, Vault.id == Grant.vault_id)
        .where(
            Grant.counsellor_id == person_id,
            Grant.status.in_((GrantStatus.ACTIVE, GrantStatus.PENDING)),
        )
    ).all()
    return [(grant, owner_id) for grant, owner_id in rows]


def _end_grants_held_by(db: Session, person_id: str) -> list[tuple[Grant, str, bool]]:
    """The accesses given (or asked for) personally: what people gave an organisation stays
    for its other members. Each with its giver's id and whether it was only asked for."""
    ended = [
        (grant, owner_id, grant.status == GrantStatus.PENDING)
        for grant, owner_id in held_personally(db, person_id)
    ]
    for grant, _owner_id, _asked in ended:
        grant.status = GrantStatus.REVOKED
        grant.ended_at = utcnow()
    # Every grant changed before the first journal line: grant locks come before the journal's
    # head (vault.policy._CHANGES).
    db.flush()
    return ended


def _tell_givers(db: Session, ended: list[tuple[Grant, str, bool]]) -> None:
    """Each person whose access to the closed account ended reads it in their history."""
    for grant, owner_id, asked in ended:
        journal.record(
            db,
            subject_id=owner_id,
            actor_id=None,
            action=journal.REQUEST_HOLDER_CLOSED if asked else journal.GRANT_HOLDER_CLOSED,
            grant_id=grant.id,
        )
