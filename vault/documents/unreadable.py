"""Papers that cannot be read: what can be wrong with one, and the one log line each failure
gets. A damaged row never takes a list down: the lists show it as unreadable beside the others
(vault/documents/service.py), opening it is a refusal (UnreadableError, 409), and
`coffre keys verify` names it with its problem.

A log line holds ids and the problem's name only: never a title, never a traceback."""

import logging
from collections.abc import Iterator
from enum import StrEnum

from keys.errors import IntegrityError
from keys.format import BlobContext, decrypt_blob
from storage.base import BlobNotFoundError, BlobStore
from vault.errors import UnreadableError

log = logging.getLogger(__name__)


class Problem(StrEnum):
    """What is wrong, in the words `coffre keys verify` prints."""

    # The person's user key no longer opens from its master-key slot: all their papers.
    KEY_SLOT = "key slot"
    DATA_KEY = "wrapped data key"
    TITLE = "sealed title"
    FILENAME = "sealed file name"
    BLOB_MISSING = "blob missing"
    BLOB_ALTERED = "blob fails authentication"
    BLOB_DIFFERS = "blob differs from the recorded size or hash"


def logged(exc: UnreadableError, vault_id: str) -> UnreadableError:
    """Log the failure, once, where it is met; returns it for raising."""
    log.error("unreadable paper %s in vault %s: %s", exc.document_id, vault_id, exc.problem)
    return exc


def decrypted(
    store: BlobStore,
    object_name: str,
    data_key: bytes,
    context: BlobContext,
    vault_id: str,
) -> Iterator[bytes]:
    """A stored object's bytes, decrypted as they are read. A missing object raises
    UnreadableError here; one that fails authentication raises it at the first piece that is
    not authentic (the first, when its start is damaged)."""
    try:
        encrypted = store.get(object_name)
    except BlobNotFoundError:
        missing = UnreadableError(Problem.BLOB_MISSING, context.document_id)
        raise logged(missing, vault_id) from None
    return _authentic(decrypt_blob(data_key, context, encrypted), context.document_id, vault_id)


def _authentic(pieces: Iterator[bytes], document_id: str, vault_id: str) -> Iterator[bytes]:
    try:
        yield from pieces
    except IntegrityError:
        raise logged(UnreadableError(Problem.BLOB_ALTERED, document_id), vault_id) from None
