"""Papers in a vault: add, list, read, change, delete.

Order of writes makes a crash safe: the ciphertext is stored first, then the rows. A failed
upload leaves no row; a crash between the two leaves an object whose data key was never saved
(unreadable), which `sweep_orphans` removes later. Services never commit.
"""

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from keys.format import FORMAT_VERSION, BlobContext, decrypt_blob, encrypt_blob
from keys.hierarchy import open_field, seal_field, unwrap_data_key, wrap_data_key
from keys.wrap import new_key
from storage.base import BlobStore
from storage.readahead import ReadAhead
from vault import hold, journal, quota, reminders
from vault.config import MiB
from vault.documents.categories import CATEGORIES
from vault.documents.filenames import kept_name
from vault.documents.inspection import InspectedUpload
from vault.errors import FileTooLargeError, ForbiddenError, InvalidInputError
from vault.keychain import active_user_key, open_key
from vault.models import Blob, Document, Person, Share, UserKey, Vault, utcnow
from vault.policy import Access, Action, organisations_of, require_document, require_vault
from vault.runtime import Runtime

ORIGINAL = "original"
MAX_TITLE = 200


@dataclass(frozen=True)
class DocumentView:
    """A document as its reader sees it, with its free text opened."""

    id: str
    vault_id: str
    title: str
    filename: str | None
    category: str
    content_type: str
    size: int
    expires_on: date | None
    uploaded_by: str
    uploaded_by_name: str
    private: bool
    created_at: datetime
    # Closed by a hold after a reset made with a counsellor (vault/hold.py): the title is then
    # the category's label and the file name is not given.
    locked: bool = False


@dataclass(frozen=True)
class UploadPlan:
    """What storing an upload needs, gathered in a short transaction before the bytes flow."""

    owner_id: str
    vault_id: str
    user_key_id: str
    user_key_version: int
    user_key: bytes
    # The room left in the vault when the upload starts, and whose words a refusal takes.
    free_bytes: int
    by_owner: bool
    owner_name: str

    def over_quota(self) -> FileTooLargeError:
        return quota.over_quota(self.free_bytes, by_owner=self.by_owner, owner_name=self.owner_name)


@dataclass(frozen=True)
class StoredUpload:
    plan: UploadPlan
    document_id: str
    blob: "StoredBlob"
    content_type: str

    @property
    def object_name(self) -> str:
        return self.blob.object_name

    @property
    def plain_size(self) -> int:
        return self.blob.plain_size


@dataclass(frozen=True)
class DocumentFields:
    title: str
    category: str
    expires_on: date | None = None
    filename: str | None = None


def plan_upload(db: Session, rt: Runtime, actor: Person, vault_id: str) -> UploadPlan:
    vault = require_vault(db, rt.settings, actor, vault_id, Action.UPLOAD).vault
    user_key, key = active_user_key(db, rt.master_keys, vault.owner_id)
    owner = actor if actor.id == vault.owner_id else db.get_one(Person, vault.owner_id)
    return UploadPlan(
        vault.owner_id,
        vault.id,
        user_key.id,
        user_key.version,
        key,
        free_bytes=quota.free_bytes(db, rt.settings, vault.owner_id),
        by_owner=actor.id == owner.id,
        owner_name=owner.display_name,
    )


def store_upload(rt: Runtime, plan: UploadPlan, chunks: Iterable[bytes]) -> StoredUpload:
    """Check, encrypt and store the bytes. Raises before anything is stored if the file is
    refused; if it fails midway, the store leaves nothing behind."""
    return store_inspected(rt, plan, inspect_upload(rt, plan, chunks))


def inspect_upload(rt: Runtime, plan: UploadPlan, chunks: Iterable[bytes]) -> InspectedUpload:
    """The bytes checked as they are read, against the instance's limit or the room left in
    the vault, whichever is smaller (each with its own words)."""
    if plan.free_bytes < rt.settings.max_upload_bytes:
        return InspectedUpload(chunks, plan.free_bytes, plan.over_quota())
    return InspectedUpload(chunks, rt.settings.max_upload_bytes)


def store_inspected(
    rt: Runtime,
    plan: UploadPlan,
    upload: InspectedUpload,
    chunks: Iterable[bytes] | None = None,
) -> StoredUpload:
    """store_upload for bytes whose inspection has begun (their type may already be known);
    `chunks`: the upload's bytes after another step on their way (content_check)."""
    content_type = upload.content_type()
    document_id = str(uuid.uuid4())
    blob = store_blob(
        rt,
        BlobOwner(plan.owner_id, plan.user_key, plan.user_key_version),
        document_id,
        ORIGINAL,
        upload if chunks is None else chunks,
    )
    return StoredUpload(plan=plan, document_id=document_id, blob=blob, content_type=content_type)


@dataclass(frozen=True)
class BlobOwner:
    """Whose user key (opened, and its version) wraps the data key of a new blob."""

    owner_id: str
    user_key: bytes
    user_key_version: int


@dataclass(frozen=True)
class StoredBlob:
    blob_id: str
    object_name: str
    wrapped_data_key: bytes
    plain_size: int
    stored_size: int
    stored_sha256: str

    def row(self, document_id: str, role: str, user_key_id: str, now: datetime) -> Blob:
        """The row that records this object and keeps its wrapped data key."""
        return Blob(
            id=self.blob_id,
            document_id=document_id,
            role=role,
            object_name=self.object_name,
            user_key_id=user_key_id,
            wrapped_data_key=self.wrapped_data_key,
            format_version=FORMAT_VERSION,
            plain_size=self.plain_size,
            stored_size=self.stored_size,
            stored_sha256=self.stored_sha256,
            created_at=now,
        )


def store_blob(
    rt: Runtime, owner: BlobOwner, document_id: str, role: str, chunks: Iterable[bytes]
) -> StoredBlob:
    """Encrypt bytes under a fresh data key into a new object with an opaque name; the caller
    writes the Blob row (or deletes the object if it cannot)."""
    blob_id, object_name = str(uuid.uuid4()), uuid.uuid4().hex
    data_key = new_key()
    context = BlobContext(owner.owner_id, document_id, blob_id, role)
    digest = hashlib.sha256()
    plain_size = 0

    def counted(stream: Iterable[bytes]) -> Iterator[bytes]:
        nonlocal plain_size
        for piece in stream:
            plain_size += len(piece)
            yield piece

    def hashed(stream: Iterator[bytes]) -> Iterator[bytes]:
        for piece in stream:
            digest.update(piece)
            yield piece

    # Received and encrypted in a thread of its own, ahead of the hashing and the store, which
    # sends earlier parts meanwhile.
    encrypted = ReadAhead(
        encrypt_blob(data_key, owner.user_key_version, context, counted(chunks)),
        rt.settings.read_ahead_mib * MiB,
    )
    with closing(encrypted):
        stored_size = rt.store.put(object_name, hashed(encrypted))
    wrapped = wrap_data_key(
        owner.user_key, data_key, owner.owner_id, document_id, blob_id, owner.user_key_version
    )
    return StoredBlob(blob_id, object_name, wrapped, plain_size, stored_size, digest.hexdigest())


def discard_upload(store: BlobStore, stored: StoredUpload) -> None:
    store.delete(stored.object_name)


def clean_fields(fields: DocumentFields) -> DocumentFields:
    """Validate the describing fields; a missing title falls back to the category's label."""
    if fields.category not in CATEGORIES:
        raise InvalidInputError("Choisissez le type de papier.", field="category")
    title = " ".join(fields.title.split()) or CATEGORIES[fields.category]
    if len(title) > MAX_TITLE:
        raise InvalidInputError(
            "Le nom doit faire moins de %(max)s caractères.", field="title", max=MAX_TITLE
        )
    return DocumentFields(title, fields.category, fields.expires_on, fields.filename)


def create_document(
    db: Session, rt: Runtime, actor: Person, stored: StoredUpload, fields: DocumentFields
) -> DocumentView:
    """Record an upload already stored; the caller's commit makes it visible."""
    plan = stored.plan
    access = require_vault(db, rt.settings, actor, plan.vault_id, Action.UPLOAD)
    fields = clean_fields(replace(fields, filename=kept_name(fields.filename, stored.content_type)))
    # Counted again under the vault's lock: two uploads that each fit alone may not both fit.
    quota.lock_vault(db, plan.vault_id)
    free = quota.free_bytes(db, rt.settings, plan.owner_id)
    if stored.plain_size > free:
        raise replace(plan, free_bytes=free).over_quota()
    if not access.shows(Document(category=fields.category, private=False)):
        raise InvalidInputError("Ce type de papier n'est pas dans votre accès.", field="category")
    now = utcnow()
    document = Document(
        id=stored.document_id,
        vault_id=plan.vault_id,
        user_key_id=plan.user_key_id,
        title_sealed=seal_field(
            plan.user_key, plan.owner_id, stored.document_id, "title", fields.title
        ),
        filename_sealed=(
            seal_field(
                plan.user_key, plan.owner_id, stored.document_id, "filename", fields.filename
            )
            if fields.filename
            else None
        ),
        category=fields.category,
        content_type=stored.content_type,
        size=stored.plain_size,
        expires_on=fields.expires_on,
        uploaded_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.add(document)
    db.flush()
    db.add(stored.blob.row(document.id, ORIGINAL, plan.user_key_id, now))
    db.flush()
    note_change(db, actor, access, journal.DOCUMENT_ADDED, document)
    # What was just sealed need not be opened again, nor its uploader read back.
    return _described(db, document, fields.title, fields.filename, locked=False, uploader=actor)


def list_documents(db: Session, rt: Runtime, actor: Person, vault_id: str) -> list[DocumentView]:
    """The papers the caller may see in a vault, newest first; the caller commits (a look
    through a grant is journaled)."""
    access = require_vault(db, rt.settings, actor, vault_id, Action.VIEW)
    documents = db.scalars(
        select(Document)
        .where(Document.vault_id == access.vault.id, Document.deleted_at.is_(None))
        .order_by(Document.created_at.desc())
    ).all()
    keys = KeyCache(db, rt)
    owner_id = access.vault.owner_id
    note_use(db, actor, access, journal.DOCUMENT_LISTED, None)
    gate = hold.gate_for(db, rt.settings, actor, access.vault) if access.is_owner else None
    return [
        _locked_view(db, d)
        if gate and gate.closes(d)
        else _view(db, d, owner_id, keys.get(d.user_key_id))
        for d in documents
        if access.shows(d)
    ]


def get_document(db: Session, rt: Runtime, actor: Person, document_id: str) -> DocumentView:
    document, access = require_document(db, rt.settings, actor, document_id, Action.VIEW)
    note_use(db, actor, access, journal.DOCUMENT_VIEWED, document)
    key = KeyCache(db, rt).get(document.user_key_id)
    return _view(db, document, access.vault.owner_id, key)


def update_document(
    db: Session,
    rt: Runtime,
    actor: Person,
    document_id: str,
    *,
    title: str | None = None,
    category: str | None = None,
    expires_on: date | None = None,
    clear_expiry: bool = False,
    private: bool | None = None,
) -> DocumentView:
    document, access = require_document(db, rt.settings, actor, document_id, Action.MANAGE)
    if private is not None and not access.is_owner:
        raise ForbiddenError("Seule la personne elle-même peut rendre un papier privé.")
    owner_id = access.vault.owner_id
    user_key = KeyCache(db, rt).get(document.user_key_id)
    current = _view(db, document, owner_id, user_key)
    fields = clean_fields(
        DocumentFields(
            title=current.title if title is None else title,
            category=category or document.category,
            expires_on=None if clear_expiry else (expires_on or document.expires_on),
        )
    )
    if not access.shows(Document(category=fields.category, private=document.private)):
        raise InvalidInputError("Ce type de papier n'est pas dans votre accès.", field="category")
    changes = _changes(current, fields, private)
    if fields.expires_on != document.expires_on:
        reminders.forget(db, document.id)  # a renewed paper: its reminders start again
    document.title_sealed = seal_field(user_key, owner_id, document.id, "title", fields.title)
    document.category = fields.category
    document.expires_on = fields.expires_on
    if private is not None:
        document.private = private
    document.updated_at = utcnow()
    db.flush()
    if access.is_owner:
        for action in changes:
            note_change(db, actor, access, action, document)
    else:
        # A change through a grant is a line even when nothing changed: its answer showed the
        # paper's title to the professional.
        note_use(db, actor, access, journal.DOCUMENT_CHANGED, document)
    return _view(db, document, owner_id, user_key)


def _changes(current: DocumentView, fields: DocumentFields, private: bool | None) -> list[str]:
    """The journal lines of a change: its fields, then its privacy, each only if it changed."""
    changes = []
    if (fields.title, fields.category, fields.expires_on) != (
        current.title,
        current.category,
        current.expires_on,
    ):
        changes.append(journal.DOCUMENT_CHANGED)
    if private is not None and private != current.private:
        changes.append(
            journal.DOCUMENT_MADE_PRIVATE if private else journal.DOCUMENT_NO_LONGER_PRIVATE
        )
    return changes


def open_content(
    db: Session, rt: Runtime, actor: Person, document_id: str
) -> tuple[DocumentView, Iterator[bytes]]:
    """The document and a stream of its original bytes, decrypted as they are read. The stream
    raises keys.errors.IntegrityError at the first byte that is not authentic."""
    document, access = require_document(db, rt.settings, actor, document_id, Action.DOWNLOAD)
    blob = db.scalars(
        select(Blob).where(Blob.document_id == document.id, Blob.role == ORIGINAL)
    ).one()
    keys = KeyCache(db, rt)
    owner_id = access.vault.owner_id
    view = _view(db, document, owner_id, keys.get(document.user_key_id))
    note_use(db, actor, access, journal.DOCUMENT_DOWNLOADED, document)
    # Read and decrypted in a thread of its own while the previous pieces go to the client.
    budget = rt.settings.read_ahead_mib * MiB
    return view, ReadAhead(decrypt_stored_blob(db, rt, blob, owner_id, keys), budget)


def note_change(
    db: Session, actor: Person, access: Access, action: str, document: Document
) -> None:
    """Journal a change to a paper for the owner's history: made by the owner themselves, or
    through a grant (see note_use). What the owner only looks at is not journaled."""
    if access.is_owner:
        journal.record(
            db,
            subject_id=access.vault.owner_id,
            actor_id=actor.id,
            action=action,
            target_id=document.id,
        )
    else:
        note_use(db, actor, access, action, document)


def note_use(
    db: Session, actor: Person, access: Access, action: str, document: Document | None
) -> None:
    """Journal what a professional did through a grant, for the owner to see; keep the grant
    alive (grants end by themselves after long inactivity)."""
    grant = access.grant_for(document)
    if grant is None:
        return
    grant.last_used_at = utcnow()
    organisations = organisations_of(db, actor.id)
    journal.record(
        db,
        subject_id=access.vault.owner_id,
        actor_id=actor.id,
        action=action,
        target_id=document.id if document else None,
        organisation_id=grant.organisation_id or (organisations[0] if organisations else None),
        grant_id=grant.id,
    )


def decrypt_stored_blob(
    db: Session, rt: Runtime, blob: Blob, owner_id: str, keys: "KeyCache | None" = None
) -> Iterator[bytes]:
    data_key, context = blob_decryption(db, rt, blob, owner_id, keys)
    return decrypt_blob(data_key, context, rt.store.get(blob.object_name))


def blob_decryption(
    db: Session, rt: Runtime, blob: Blob, owner_id: str, keys: "KeyCache | None" = None
) -> tuple[bytes, BlobContext]:
    """The data key and context that open a blob, following the key chain from the master key."""
    keys = keys or KeyCache(db, rt)
    user_key = keys.get(blob.user_key_id)
    version = keys.version(blob.user_key_id)
    data_key = unwrap_data_key(
        user_key, blob.wrapped_data_key, owner_id, blob.document_id, blob.id, version
    )
    return data_key, BlobContext(owner_id, blob.document_id, blob.id, blob.role)


def delete_document(db: Session, rt: Runtime, actor: Person, document_id: str) -> str:
    """Move a paper to the bin, whoever deletes it: its owner may take it back until the bin
    period ends (vault/documents/bin.py). Its links to marked copies stop for good: a restore
    brings back the paper, not what was sent. Returns the vault's id."""
    document, access = require_document(db, rt.settings, actor, document_id, Action.MANAGE)
    note_change(db, actor, access, journal.DOCUMENT_DELETED, document)
    now = utcnow()
    document.deleted_at = now
    document.deleted_by = actor.id
    db.execute(
        update(Share)
        .where(Share.document_id == document.id, Share.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.flush()
    return document.vault_id


def purge_objects(store: BlobStore, names: Iterable[str]) -> None:
    for name in names:
        store.delete(name)


class KeyCache:
    """Opens each user key version once per unit of work."""

    def __init__(self, db: Session, rt: Runtime) -> None:
        self._db, self._rt = db, rt
        # The rows are kept too: the session holds its objects weakly, and would read one
        # dropped here again.
        self._keys: dict[str, tuple[UserKey, bytes]] = {}

    def get(self, user_key_id: str) -> bytes:
        return self._entry(user_key_id)[1]

    def version(self, user_key_id: str) -> int:
        return self._entry(user_key_id)[0].version

    def _entry(self, user_key_id: str) -> tuple[UserKey, bytes]:
        if user_key_id not in self._keys:
            row = self._db.get_one(UserKey, user_key_id)
            self._keys[user_key_id] = (row, open_key(self._db, self._rt.master_keys, row))
        return self._keys[user_key_id]


def describe(
    db: Session, rt: Runtime, documents: Iterable[Document], owner_id: str
) -> list[DocumentView]:
    """Papers of one owner as their owner sees them, free text opened."""
    keys = KeyCache(db, rt)
    return [_view(db, d, owner_id, keys.get(d.user_key_id)) for d in documents]


def _view(db: Session, document: Document, owner_id: str, user_key: bytes) -> DocumentView:
    title = open_field(user_key, owner_id, document.id, "title", document.title_sealed)
    filename = (
        open_field(user_key, owner_id, document.id, "filename", document.filename_sealed)
        if document.filename_sealed
        else None
    )
    return _described(db, document, title, filename, locked=False)


def _locked_view(db: Session, document: Document) -> DocumentView:
    """A paper closed by a hold: listed, but neither its title nor its file name is shown."""
    label = CATEGORIES.get(document.category, document.category)
    return _described(db, document, label, None, locked=True)


def _described(
    db: Session,
    document: Document,
    title: str,
    filename: str | None,
    *,
    locked: bool,
    uploader: Person | None = None,
) -> DocumentView:
    uploader = uploader or db.get(Person, document.uploaded_by)
    return DocumentView(
        id=document.id,
        vault_id=document.vault_id,
        title=title,
        filename=filename,
        category=document.category,
        content_type=document.content_type,
        size=document.size,
        expires_on=document.expires_on,
        uploaded_by=document.uploaded_by,
        uploaded_by_name=uploader.display_name if uploader else "",
        private=document.private,
        created_at=document.created_at,
        locked=locked,
    )


def own_titles(db: Session, rt: Runtime, owner: Person, document_ids: set[str]) -> dict[str, str]:
    """Titles of the owner's own documents, opened for their history page (not those a hold
    keeps closed)."""
    if not document_ids:
        return {}
    documents = db.scalars(
        select(Document)
        .join(Vault, Vault.id == Document.vault_id)
        .where(Vault.owner_id == owner.id, Document.id.in_(document_ids))
    ).all()
    keys = KeyCache(db, rt)
    gate = hold.gate_for(db, rt.settings, owner)
    return {
        d.id: open_field(keys.get(d.user_key_id), owner.id, d.id, "title", d.title_sealed)
        for d in documents
        if gate is None or not gate.closes(d)
    }


@dataclass(frozen=True)
class OpenedPaper:
    """A paper of the owner's, its free text opened, with what decrypts its original."""

    view: DocumentView
    object_name: str
    data_key: bytes
    context: BlobContext


def open_papers(
    db: Session, rt: Runtime, owner_id: str, documents: Iterable[Document]
) -> list[OpenedPaper]:
    """For the owner's export: each user key is opened once, every data key before the first
    byte is sent, so a broken key chain is an error status rather than a cut archive."""
    keys = KeyCache(db, rt)
    opened = []
    for document in documents:
        blob = db.scalars(
            select(Blob).where(Blob.document_id == document.id, Blob.role == ORIGINAL)
        ).one()
        data_key, context = blob_decryption(db, rt, blob, owner_id, keys)
        view = _view(db, document, owner_id, keys.get(document.user_key_id))
        opened.append(OpenedPaper(view, blob.object_name, data_key, context))
    return opened
