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
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from keys.errors import IntegrityError
from keys.format import FORMAT_VERSION, BlobContext, decrypt_blob, encrypt_blob
from keys.hierarchy import open_field, seal_field, unwrap_data_key, wrap_data_key
from keys.wrap import new_key
from storage.base import BlobStore
from storage.readahead import ReadAhead
from vault import metrics
from vault.accounts import hold
from vault.audit import journal
from vault.config import MiB
from vault.documents import quota, reminders
from vault.documents.categories import CATEGORIES
from vault.documents.filenames import kept_name
from vault.documents.inspection import InspectedUpload
from vault.documents.unreadable import Problem, decrypted, logged
from vault.errors import (
    N_,
    FileTooLargeError,
    ForbiddenError,
    InvalidInputError,
    UnreadableError,
)
from vault.keylife.keychain import active_user_key, open_key, recording_version
from vault.models import Blob, Document, Person, Share, UserKey, Vault, utcnow
from vault.policy import (
    Access,
    Action,
    acting_for,
    categories_open_to,
    require_document,
    require_vault,
)
from vault.runtime import Runtime
from vault.sweeper import hold_off_the_sweep, unnamed_for_long
from vault.text import typed_line

ORIGINAL = "original"
SEND_AGAIN = N_("L'envoi a pris trop de temps. Envoyez le fichier à nouveau.")
MAX_TITLE = 200
# A paper's end of validity, past or to come: a year outside is a typing mistake (0202, 9999).
FIRST_YEAR, LAST_YEAR = 1900, 2199
WRONG_YEAR = N_("Cette année n'est pas possible. Vérifiez la date.")


@dataclass(frozen=True)
class DocumentView:
    """A document as its reader sees it, with its free text opened."""

    id: str
    vault_id: str
    # None for a paper that cannot be read (see `readable`).
    title: str | None
    filename: str | None
    category: str
    content_type: str
    size: int
    expires_on: date | None
    uploaded_by: str
    uploaded_by_name: str
    private: bool
    created_at: datetime
    # Closed by a hold after a reset made with a counsellor (vault/accounts/hold.py): the title is
    # then the category's label and the file name is not given.
    locked: bool = False
    # False when its keys or sealed text cannot be opened (vault/documents/unreadable.py): it
    # is listed with what is stored in clear (category, dates, size), and cannot be opened.
    readable: bool = True


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

    @property
    def blob_owner(self) -> "BlobOwner":
        return BlobOwner(self.owner_id, self.user_key_id, self.user_key, self.user_key_version)


@dataclass(frozen=True)
class StoredUpload:
    plan: UploadPlan
    document_id: str
    blob: "StoredBlob"
    content_type: str
    began_at: datetime  # when its object began to be written

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
    began_at = utcnow()
    blob = store_blob(
        rt, plan.blob_owner, document_id, ORIGINAL, upload if chunks is None else chunks
    )
    return StoredUpload(plan, document_id, blob, content_type, began_at)


@dataclass(frozen=True)
class BlobOwner:
    """Whose user key (its version's id, the key opened, and its version number) wraps the
    data key of a new blob."""

    owner_id: str
    user_key_id: str
    user_key: bytes
    user_key_version: int


def recording_owner(db: Session, rt: Runtime, stored_by: BlobOwner) -> BlobOwner:
    """The owner's key for the rows written now, locked against a rotation destroying it before
    they are committed (keychain.recording_version). The bytes were stored under `stored_by`,
    the key of the plan: a rotation may have replaced it since (see StoredBlob.under)."""
    user_key = recording_version(db, stored_by.owner_id)
    if user_key.id == stored_by.user_key_id:
        return stored_by
    key = open_key(db, rt.master_keys, user_key)
    return BlobOwner(stored_by.owner_id, user_key.id, key, user_key.version)


@dataclass(frozen=True)
class StoredBlob:
    blob_id: str
    object_name: str
    wrapped_data_key: bytes
    plain_size: int
    stored_size: int
    stored_sha256: str

    def under(self, document_id: str, stored_by: BlobOwner, live: BlobOwner) -> "StoredBlob":
        """The same object, its data key wrapped by the `live` key rather than by the one it
        was stored under (`stored_by`, kept open in memory, whose version a rotation may have
        destroyed meanwhile)."""
        if live.user_key_id == stored_by.user_key_id:
            return self
        ids = (stored_by.owner_id, document_id, self.blob_id)
        data_key = unwrap_data_key(
            stored_by.user_key, self.wrapped_data_key, *ids, stored_by.user_key_version
        )
        wrapped = wrap_data_key(live.user_key, data_key, *ids, live.user_key_version)
        return replace(self, wrapped_data_key=wrapped)

    def row(self, document_id: str, role: str, owner: BlobOwner, now: datetime) -> Blob:
        """The row that records this object and keeps its data key, wrapped by `owner`'s key."""
        return Blob(
            id=self.blob_id,
            document_id=document_id,
            role=role,
            object_name=self.object_name,
            user_key_id=owner.user_key_id,
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


def _still_stored(db: Session, rt: Runtime, stored: StoredUpload) -> None:
    """An object no row names yet is removed by the sweep once older than its grace period
    (vault.sweeper): past half of it (a slow phone still sending the file, or the rest of the
    form long after it), the object is looked for before a row names it, with the sweep held
    off until the rows are committed."""
    if not unnamed_for_long(rt.settings, stored.began_at):
        return
    hold_off_the_sweep(db)
    if rt.store.exists(stored.object_name):
        return
    raise InvalidInputError(SEND_AGAIN, field="file")


def clean_fields(fields: DocumentFields) -> DocumentFields:
    """Validate the describing fields; a missing title falls back to the category's label."""
    if fields.category not in CATEGORIES:
        raise InvalidInputError("Choisissez le type de papier.", field="category")
    title = typed_line(fields.title) or CATEGORIES[fields.category]
    if len(title) > MAX_TITLE:
        raise InvalidInputError(
            "Le nom doit faire moins de %(max)s caractères.", field="title", max=MAX_TITLE
        )
    if fields.expires_on is not None and not FIRST_YEAR <= fields.expires_on.year <= LAST_YEAR:
        raise InvalidInputError(WRONG_YEAR, field="expires_on")
    return DocumentFields(title, fields.category, fields.expires_on, fields.filename)


def create_document(
    db: Session, rt: Runtime, actor: Person, stored: StoredUpload, fields: DocumentFields
) -> DocumentView:
    """Record an upload already stored; the caller's commit makes it visible."""
    plan = stored.plan
    access = require_vault(db, rt.settings, actor, plan.vault_id, Action.UPLOAD)
    _still_stored(db, rt, stored)
    fields = clean_fields(replace(fields, filename=kept_name(fields.filename, stored.content_type)))
    # Counted again under the vault's lock: two uploads that each fit alone may not both fit.
    quota.lock_vault(db, plan.vault_id)
    free = quota.free_bytes(db, rt.settings, plan.owner_id)
    if stored.plain_size > free:
        raise replace(plan, free_bytes=free).over_quota()
    if not access.shows(Document(category=fields.category, private=False)):
        raise InvalidInputError("Ce type de papier n'est pas dans votre accès.", field="category")
    live = recording_owner(db, rt, plan.blob_owner)
    now = utcnow()
    document = Document(
        id=stored.document_id,
        vault_id=plan.vault_id,
        user_key_id=live.user_key_id,
        title_sealed=seal_field(
            live.user_key, plan.owner_id, stored.document_id, "title", fields.title
        ),
        filename_sealed=(
            seal_field(
                live.user_key, plan.owner_id, stored.document_id, "filename", fields.filename
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
    blob = stored.blob.under(document.id, plan.blob_owner, live)
    db.add(blob.row(document.id, ORIGINAL, live, now))
    db.flush()
    note_change(db, actor, access, journal.DOCUMENT_ADDED, document)
    metrics.UPLOADS.inc()
    metrics.UPLOAD_BYTES.inc(stored.plain_size)
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
    note_use(db, actor, access, journal.DOCUMENT_LISTED, None)
    gate = hold.gate_for(db, rt.settings, actor, access.vault) if access.is_owner else None
    shown = [d for d in documents if access.shows(d)]
    return _listed(db, KeyCache(db, rt), shown, access.vault.owner_id, gate)


def get_document(
    db: Session, rt: Runtime, actor: Person, document_id: str, action: Action = Action.VIEW
) -> DocumentView:
    """The paper's card; one that cannot be read comes back as such (`readable` false).
    `action`: for a page that asks to confirm it (« Supprimer »), whoever may not do it is
    refused there already."""
    document, access = require_document(db, rt.settings, actor, document_id, action)
    note_use(db, actor, access, journal.DOCUMENT_VIEWED, document)
    original = _originals(db, [document.id]).get(document.id)
    return _shown(db, document, access.vault.owner_id, KeyCache(db, rt), original)


def get_readable_document(
    db: Session, rt: Runtime, actor: Person, document_id: str
) -> DocumentView:
    """The paper's card, for what shows or sends the paper itself; UnreadableError when it
    cannot be read."""
    document, access = require_document(db, rt.settings, actor, document_id, Action.VIEW)
    note_use(db, actor, access, journal.DOCUMENT_VIEWED, document)
    return _readable(db, KeyCache(db, rt), document, access.vault.owner_id).view


def get_document_to_change(
    db: Session, rt: Runtime, actor: Person, document_id: str
) -> tuple[DocumentView, list[str]]:
    """The paper's card for its « Modifier » form, with the types it may be given, for whoever
    may change it (its owner, a helper with "manage"); UnreadableError when it cannot be read."""
    document, access = require_document(db, rt.settings, actor, document_id, Action.MANAGE)
    note_use(db, actor, access, journal.DOCUMENT_VIEWED, document)
    view = _readable(db, KeyCache(db, rt), document, access.vault.owner_id).view
    return view, categories_open_to(access, document.private)


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
    # The title is sealed again under the key version the row names: the row is held, and
    # read again, so that `coffre keys rotate-user` cannot move it to the next version (and
    # destroy this one) between that read and this transaction's commit.
    db.refresh(document, with_for_update=True)
    owner_id = access.vault.owner_id
    keys = KeyCache(db, rt)
    opened = _readable(db, keys, document, owner_id)
    current = opened.view
    user_key = keys.get(document.user_key_id)
    fields = clean_fields(
        DocumentFields(
            title=opened.title if title is None else title,
            category=document.category if category is None else category,
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
    return _described(db, document, fields.title, current.filename, locked=False)


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
) -> tuple[DocumentView, ReadAhead]:
    """The document and a stream of its original bytes, decrypted as they are read.
    UnreadableError when the paper cannot be read: here for its keys, sealed text or a missing
    object; from the stream at the first piece that is not authentic."""
    document, access = require_document(db, rt.settings, actor, document_id, Action.DOWNLOAD)
    opened = _readable(db, KeyCache(db, rt), document, access.vault.owner_id)
    chunks = decrypted(
        rt.store, opened.object_name, opened.data_key, opened.context, document.vault_id
    )
    note_use(db, actor, access, journal.DOCUMENT_DOWNLOADED, document)
    # Read and decrypted in a thread of its own while the previous pieces go to the client.
    return opened.view, ReadAhead(
        metrics.counted(chunks, "paper"), rt.settings.read_ahead_mib * MiB
    )


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
    """Journal what a professional did through a grant, for the owner to see, naming the
    organisation the grant speaks for (vault.policy.acting_for); keep the grant alive (grants
    end by themselves after long inactivity)."""
    grant = access.grant_for(document)
    if grant is None:
        return
    grant.last_used_at = utcnow()
    journal.record(
        db,
        subject_id=access.vault.owner_id,
        actor_id=actor.id,
        action=action,
        target_id=document.id if document else None,
        organisation_id=acting_for(db, actor.id, grant),
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
    return _blob_key(keys or KeyCache(db, rt), blob, owner_id)


def _blob_key(keys: "KeyCache", blob: Blob, owner_id: str) -> tuple[bytes, BlobContext]:
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
    now = utcnow()
    document.deleted_at = now
    document.deleted_by = actor.id
    # The links' rows before the journal's head, as a download counts its link then writes its
    # line (shares.take_copy): the other way round, each waited for the other.
    db.execute(
        update(Share)
        .where(Share.document_id == document.id, Share.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.flush()
    note_change(db, actor, access, journal.DOCUMENT_DELETED, document)
    return document.vault_id


def purge_objects(store: BlobStore, names: Iterable[str]) -> None:
    for name in names:
        store.delete(name)


class KeyCache:
    """Opens each user key version once per unit of work. A key whose slot does not open
    raises keys.errors.IntegrityError, each time it is asked for, without trying again."""

    def __init__(self, db: Session, rt: Runtime) -> None:
        self._db, self._rt = db, rt
        # The rows are kept too: the session holds its objects weakly, and would read one
        # dropped here again.
        self._keys: dict[str, tuple[UserKey, bytes]] = {}
        self._closed: set[str] = set()

    def get(self, user_key_id: str) -> bytes:
        return self._entry(user_key_id)[1]

    def version(self, user_key_id: str) -> int:
        return self._entry(user_key_id)[0].version

    def _entry(self, user_key_id: str) -> tuple[UserKey, bytes]:
        if user_key_id in self._closed:
            raise IntegrityError("the user key's slot does not open")
        if user_key_id not in self._keys:
            try:
                row = self._db.get_one(UserKey, user_key_id)
                self._keys[user_key_id] = (row, open_key(self._db, self._rt.master_keys, row))
            except (IntegrityError, NoResultFound):
                self._closed.add(user_key_id)
                raise IntegrityError("the user key's slot does not open") from None
        return self._keys[user_key_id]


def describe(
    db: Session, rt: Runtime, documents: Iterable[Document], owner: Person
) -> list[DocumentView]:
    """Papers of one owner as their owner sees them, free text opened; those that cannot be
    read as such, and those a hold keeps closed as in the list of papers."""
    gate = hold.gate_for(db, rt.settings, owner)
    return _listed(db, KeyCache(db, rt), list(documents), owner.id, gate)


def _listed(
    db: Session,
    keys: KeyCache,
    documents: list[Document],
    owner_id: str,
    gate: hold.Gate | None,
) -> list[DocumentView]:
    """Papers in a list: those a hold keeps closed show their category only, those that cannot
    be read show as such."""
    originals = _originals(db, [d.id for d in documents])
    return [
        _locked_view(db, d)
        if gate and gate.closes(d)
        else _shown(db, d, owner_id, keys, originals.get(d.id))
        for d in documents
    ]


def _originals(db: Session, document_ids: list[str]) -> dict[str, Blob]:
    """The original of each paper (one query for a whole list)."""
    if not document_ids:
        return {}
    blobs = db.scalars(
        select(Blob).where(Blob.document_id.in_(document_ids), Blob.role == ORIGINAL)
    )
    return {b.document_id: b for b in blobs}


@dataclass(frozen=True)
class OpenedPaper:
    """A paper of the owner's, its free text opened, with what decrypts its original."""

    view: DocumentView
    object_name: str
    data_key: bytes
    context: BlobContext
    title: str


def _opened(
    db: Session, keys: KeyCache, document: Document, owner_id: str, original: Blob | None
) -> OpenedPaper:
    """UnreadableError, not yet logged, when any of the paper's keys or sealed text cannot be
    opened."""
    title = _opened_text(keys, document, owner_id, "title", document.title_sealed)
    filename = (
        _opened_text(keys, document, owner_id, "filename", document.filename_sealed)
        if document.filename_sealed
        else None
    )
    if original is None:
        raise UnreadableError(Problem.BLOB_MISSING, document.id)
    _user_key(keys, original.user_key_id, document.id)
    try:
        data_key, context = _blob_key(keys, original, owner_id)
    except IntegrityError:
        raise UnreadableError(Problem.DATA_KEY, document.id) from None
    view = _described(db, document, title, filename, locked=False)
    return OpenedPaper(view, original.object_name, data_key, context, title)


_FIELD_PROBLEMS = {"title": Problem.TITLE, "filename": Problem.FILENAME}


def _opened_text(
    keys: KeyCache, document: Document, owner_id: str, field: str, sealed: bytes
) -> str:
    """A sealed field of the paper; UnreadableError (not logged) when its key or itself does
    not open."""
    user_key = _user_key(keys, document.user_key_id, document.id)
    try:
        return open_field(user_key, owner_id, document.id, field, sealed)
    except IntegrityError:
        raise UnreadableError(_FIELD_PROBLEMS[field], document.id) from None


def text_problem(keys: KeyCache, document: Document, owner_id: str) -> Problem | None:
    """What keeps the paper's key or sealed text from opening, if anything."""
    try:
        _opened_text(keys, document, owner_id, "title", document.title_sealed)
        if document.filename_sealed:
            _opened_text(keys, document, owner_id, "filename", document.filename_sealed)
    except UnreadableError as exc:
        return Problem(exc.problem)
    return None


def _user_key(keys: KeyCache, user_key_id: str, document_id: str) -> bytes:
    try:
        return keys.get(user_key_id)
    except IntegrityError:
        raise UnreadableError(Problem.KEY_SLOT, document_id) from None


def open_original(db: Session, rt: Runtime, document: Document, owner_id: str) -> OpenedPaper:
    """What decrypts the paper's original; UnreadableError when the paper cannot be read."""
    return _readable(db, KeyCache(db, rt), document, owner_id)


def _readable(db: Session, keys: KeyCache, document: Document, owner_id: str) -> OpenedPaper:
    """_opened for what needs the paper itself: a paper that cannot be read is refused."""
    original = _originals(db, [document.id]).get(document.id)
    try:
        return _opened(db, keys, document, owner_id, original)
    except UnreadableError as exc:
        raise logged(exc, document.vault_id) from None


def _shown(
    db: Session, document: Document, owner_id: str, keys: KeyCache, original: Blob | None
) -> DocumentView:
    """A paper in a list: one that cannot be read is shown as such, beside the others."""
    try:
        return _opened(db, keys, document, owner_id, original).view
    except UnreadableError as exc:
        logged(exc, document.vault_id)
        return _unreadable_view(db, document)


def _unreadable_view(db: Session, document: Document) -> DocumentView:
    return replace(_described(db, document, None, None, locked=False), readable=False)


def _locked_view(db: Session, document: Document) -> DocumentView:
    """A paper closed by a hold: listed, but neither its title nor its file name is shown."""
    label = CATEGORIES.get(document.category, document.category)
    return _described(db, document, label, None, locked=True)


def _described(
    db: Session,
    document: Document,
    title: str | None,
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
    keeps closed, nor those that cannot be read)."""
    if not document_ids:
        return {}
    documents = db.scalars(
        select(Document)
        .join(Vault, Vault.id == Document.vault_id)
        .where(Vault.owner_id == owner.id, Document.id.in_(document_ids))
    ).all()
    keys = KeyCache(db, rt)
    gate = hold.gate_for(db, rt.settings, owner)
    titles = {}
    for d in documents:
        if gate is not None and gate.closes(d):
            continue
        try:
            titles[d.id] = _opened_text(keys, d, owner.id, "title", d.title_sealed)
        except UnreadableError as exc:
            logged(exc, d.vault_id)
    return titles


def moved_original(db: Session, rt: Runtime, paper: OpenedPaper) -> OpenedPaper | None:
    """The paper as its original is recorded now, when that is another object than the one
    `paper` was opened with (`coffre keys reencrypt` switched it to a new object, then removed
    the old one); None when it is the same object, or no longer opens."""
    original = _originals(db, [paper.view.id]).get(paper.view.id)
    if original is None or original.object_name == paper.object_name:
        return None
    try:
        data_key, context = _blob_key(KeyCache(db, rt), original, paper.context.owner_id)
    except IntegrityError:
        return None
    return replace(paper, object_name=original.object_name, data_key=data_key, context=context)


def open_papers(
    db: Session, rt: Runtime, owner_id: str, documents: Iterable[Document]
) -> tuple[list[OpenedPaper], list[DocumentView]]:
    """For the owner's export: each user key is opened once, every data key before the first
    byte is sent. Returns the papers opened, and those that cannot be read (as such)."""
    documents = list(documents)
    keys = KeyCache(db, rt)
    originals = _originals(db, [d.id for d in documents])
    opened, unreadable = [], []
    for document in documents:
        try:
            opened.append(_opened(db, keys, document, owner_id, originals.get(document.id)))
        except UnreadableError as exc:
            logged(exc, document.vault_id)
            unreadable.append(_unreadable_view(db, document))
    return opened, unreadable
