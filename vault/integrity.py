"""`coffre keys verify`: walk every blob, follow its key chain, decrypt it end to end and
compare what was read with what the database recorded."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keys.errors import CryptoError
from keys.format import decrypt_blob
from storage.base import BlobStoreError
from vault.documents.service import blob_decryption
from vault.models import Blob, Document, Vault
from vault.runtime import Runtime


@dataclass(frozen=True)
class BlobCheck:
    blob_id: str
    document_id: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def count_blobs(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Blob)) or 0


def verify_blobs(db: Session, rt: Runtime) -> Iterator[BlobCheck]:
    rows = db.execute(
        select(Blob, Vault.owner_id)
        .join(Document, Document.id == Blob.document_id)
        .join(Vault, Vault.id == Document.vault_id)
        .order_by(Blob.created_at, Blob.id)
    ).all()
    for blob, owner_id in rows:
        yield BlobCheck(blob.id, blob.document_id, _problem(db, rt, blob, owner_id))


def _problem(db: Session, rt: Runtime, blob: Blob, owner_id: str) -> str:
    stored_hash = hashlib.sha256()
    stored_size = 0

    def measured() -> Iterator[bytes]:
        nonlocal stored_size
        for piece in rt.store.get(blob.object_name):
            stored_hash.update(piece)
            stored_size += len(piece)
            yield piece

    plain_size = 0
    try:
        data_key, context = blob_decryption(db, rt, blob, owner_id)
        for piece in decrypt_blob(data_key, context, measured()):
            plain_size += len(piece)
    except (CryptoError, BlobStoreError) as exc:
        return str(exc) or type(exc).__name__
    if stored_size != blob.stored_size or stored_hash.hexdigest() != blob.stored_sha256:
        return "stored object differs from the recorded size or hash"
    if plain_size != blob.plain_size:
        return "decrypted size differs from the recorded size"
    return ""
