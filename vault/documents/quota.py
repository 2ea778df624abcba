"""How much room a person's vault has: the sizes of their papers not in the bin, against the
instance's quota. Uploads by a professional count against the person's quota: it is the
person's vault that fills up."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vault.config import Settings
from vault.errors import FileTooLargeError
from vault.models import Document, Vault

MiB = 1024 * 1024


def used_bytes(db: Session, owner_id: str) -> int:
    """The original sizes of the owner's papers, those in the bin left out."""
    total = db.scalar(
        select(func.coalesce(func.sum(Document.size), 0))
        .join(Vault, Vault.id == Document.vault_id)
        .where(Vault.owner_id == owner_id, Document.deleted_at.is_(None))
    )
    return int(total or 0)


def free_bytes(db: Session, settings: Settings, owner_id: str) -> int:
    return max(0, settings.quota_bytes - used_bytes(db, owner_id))


def lock_vault(db: Session, vault_id: str) -> None:
    """Hold the vault's row until the transaction ends, so that two uploads recorded at once
    are counted one after the other (SQLite's transactions already take the write lock at their
    start, see vault.db)."""
    db.execute(select(Vault.id).where(Vault.id == vault_id).with_for_update())


def no_room_to_restore(size: int, free: int) -> FileTooLargeError:
    """The refusal to take a paper out of the bin when the vault has no room left for it (the
    room was used since it was deleted): it stays in the bin meanwhile. Its size is rounded up
    and the room left down, so that the one never reads as fitting in the other."""
    paper = -(-size // MiB)
    megabytes = free // MiB
    if megabytes:
        return FileTooLargeError(
            "Ce papier prend %(paper)s Mo et il reste %(megabytes)s Mo de place dans votre "
            "coffre. Supprimez d'autres papiers, puis remettez-le.",
            paper=paper,
            megabytes=megabytes,
        )
    return FileTooLargeError(
        "Ce papier prend %(paper)s Mo et il reste moins de 1 Mo de place dans votre coffre. "
        "Supprimez d'autres papiers, puis remettez-le.",
        paper=paper,
    )


def over_quota(free: int, *, by_owner: bool, owner_name: str) -> FileTooLargeError:
    """The refusal of a file larger than the room left, saying how much is left, to the person
    or to the professional adding a paper for them (`by_owner` False)."""
    megabytes = free // MiB
    if by_owner:
        if megabytes:
            return FileTooLargeError(
                "Il reste %(megabytes)s Mo de place dans votre coffre.",
                field="file",
                megabytes=megabytes,
            )
        if free:
            return FileTooLargeError(
                "Il reste moins de 1 Mo de place dans votre coffre.", field="file"
            )
        return FileTooLargeError(
            "Votre coffre est plein. Supprimez des papiers pour faire de la place.", field="file"
        )
    name = owner_name
    if megabytes:
        return FileTooLargeError(
            "Il reste %(megabytes)s Mo de place dans le coffre de %(name)s.",
            field="file",
            megabytes=megabytes,
            name=name,
        )
    if free:
        return FileTooLargeError(
            "Il reste moins de 1 Mo de place dans le coffre de %(name)s.", field="file", name=name
        )
    return FileTooLargeError("Le coffre de %(name)s est plein.", field="file", name=name)
