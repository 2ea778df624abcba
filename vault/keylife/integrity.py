"""`coffre keys verify`: walk every paper, follow its key chain, open its sealed text, decrypt
each of its blobs end to end and compare what was read with what the database recorded. Each
failure names the paper and its vault (ids only, never a title) and what is wrong, in the words
of vault/documents/unreadable.py."""

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keys.errors import IntegrityError
from keys.format import decrypt_blob
from storage.base import BlobNotFoundError, BlobStoreError
from vault.documents.service import ORIGINAL, KeyCache, blob_decryption, text_problem
from vault.documents.unreadable import Problem
from vault.models import Blob, Document, Vault
from vault.runtime import Runtime


@dataclass(frozen=True)
class Failure:
    document_id: str
    vault_id: str
    problem: str
    # None: the paper's own key or sealed text; else the blob that fails.
    blob_id: str | None = None


@dataclass
class PaperCheck:
    document_id: str
    vault_id: str
    blobs: int
    # Blobs not verified: their own failure, or the paper's key that does not open.
    failed_blobs: int = 0
    failures: list[Failure] = field(default_factory=list)
    # Whether the paper itself opens: a failing thumbnail or marked copy leaves it readable.
    readable: bool = True

    @property
    def ok(self) -> bool:
        return not self.failures

    def failed(self, problem: str, blob: Blob | None = None) -> None:
        self.failures.append(
            Failure(self.document_id, self.vault_id, problem, blob.id if blob else None)
        )
        if blob is None or blob.role == ORIGINAL:
            self.readable = False


def count_blobs(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Blob)) or 0


def verify_papers(db: Session, rt: Runtime) -> Iterator[PaperCheck]:
    """Every paper, the bin's included, one owner after another: each owner's keys are opened
    once, and only theirs are held at a time."""
    rows = db.execute(
        select(Document, Vault.owner_id)
        .join(Vault, Vault.id == Document.vault_id)
        .order_by(Vault.owner_id, Document.created_at, Document.id)
    ).all()
    blobs: dict[str, list[Blob]] = defaultdict(list)
    for blob in db.scalars(select(Blob).order_by(Blob.created_at, Blob.id)):
        blobs[blob.document_id].append(blob)
    keys, keys_owner = KeyCache(db, rt), None
    for document, owner_id in rows:
        if owner_id != keys_owner:
            keys, keys_owner = KeyCache(db, rt), owner_id
        yield _check(db, rt, keys, document, owner_id, blobs[document.id])


def _check(
    db: Session, rt: Runtime, keys: KeyCache, document: Document, owner_id: str, blobs: list[Blob]
) -> PaperCheck:
    check = PaperCheck(document.id, document.vault_id, len(blobs))
    problem = text_problem(keys, document, owner_id)
    if problem is not None:
        check.failed(problem)
        if problem == Problem.KEY_SLOT:
            # Its blobs' data keys are wrapped by that same key: none can be checked.
            check.failed_blobs = len(blobs)
            return check
    if not any(blob.role == ORIGINAL for blob in blobs):
        check.failed(Problem.BLOB_MISSING)
    for blob in blobs:
        blob_problem = _blob_problem(db, rt, keys, blob, owner_id)
        if blob_problem:
            check.failed(blob_problem, blob)
            check.failed_blobs += 1
    return check


def _blob_problem(db: Session, rt: Runtime, keys: KeyCache, blob: Blob, owner_id: str) -> str:
    try:
        keys.get(blob.user_key_id)
    except IntegrityError:
        return Problem.KEY_SLOT
    try:
        data_key, context = blob_decryption(db, rt, blob, owner_id, keys)
    except IntegrityError:
        return Problem.DATA_KEY
    stored_hash = hashlib.sha256()
    stored_size = plain_size = 0

    def measured(pieces: Iterator[bytes]) -> Iterator[bytes]:
        nonlocal stored_size
        for piece in pieces:
            stored_hash.update(piece)
            stored_size += len(piece)
            yield piece

    try:
        for piece in decrypt_blob(data_key, context, measured(rt.store.get(blob.object_name))):
            plain_size += len(piece)
    except BlobNotFoundError:
        return Problem.BLOB_MISSING
    except IntegrityError:
        return Problem.BLOB_ALTERED
    except BlobStoreError as exc:
        return f"blob store error: {exc}"
    if (stored_size, stored_hash.hexdigest()) != (blob.stored_size, blob.stored_sha256):
        return Problem.BLOB_DIFFERS
    if plain_size != blob.plain_size:
        return "decrypted size differs from the recorded size"
    return ""
