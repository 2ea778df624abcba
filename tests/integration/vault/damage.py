"""Damage one row or one object the way a failing disk, a bad restore or a wrong hand would:
straight in the database or the blob store, behind the app's back."""

from sqlalchemy import select, update

from vault.db import transaction
from vault.models import Blob, Document, KeySlot, UserKey
from vault.runtime import Runtime

ORIGINAL = "original"


def flipped(value: bytes) -> bytes:
    """The last byte changed: the authentication tag of a sealed value or wrapped key."""
    return value[:-1] + bytes((value[-1] ^ 0x01,))


def damage_title(rt: Runtime, document_id: str) -> None:
    with transaction(rt.sessions) as db:
        sealed = db.scalars(select(Document.title_sealed).where(Document.id == document_id)).one()
        db.execute(
            update(Document).where(Document.id == document_id).values(title_sealed=flipped(sealed))
        )


def damage_data_key(rt: Runtime, document_id: str) -> None:
    """The wrapped data key of the paper's original."""
    with transaction(rt.sessions) as db:
        blob = db.scalars(
            select(Blob).where(Blob.document_id == document_id, Blob.role == ORIGINAL)
        ).one()
        blob.wrapped_data_key = flipped(blob.wrapped_data_key)


def damage_key_slot(rt: Runtime, person_id: str) -> None:
    """Every master-key slot of the person's user keys: none of their keys opens any more."""
    with transaction(rt.sessions) as db:
        slots = db.scalars(
            select(KeySlot)
            .join(UserKey, UserKey.id == KeySlot.user_key_id)
            .where(UserKey.person_id == person_id)
        ).all()
        assert slots
        for slot in slots:
            slot.wrapped_key = flipped(slot.wrapped_key)


def object_of(rt: Runtime, document_id: str) -> str:
    with transaction(rt.sessions) as db:
        name: str = db.scalars(
            select(Blob.object_name).where(Blob.document_id == document_id, Blob.role == ORIGINAL)
        ).one()
    return name


def remove_object(rt: Runtime, document_id: str) -> None:
    rt.store.delete(object_of(rt, document_id))


def alter_object_start(rt: Runtime, document_id: str) -> None:
    """One bit changed in the first encrypted segment: caught before any byte is given out."""
    name = object_of(rt, document_id)
    stored = bytearray(b"".join(rt.store.get(name)))
    stored[100] ^= 0x01
    rt.store.put(name, [bytes(stored)])
