"""Before an instance that holds papers starts: the keyring and the blob store its settings
name are the ones its papers are in. A mistyped bucket, folder or prefix, or another instance's
keyring (a restore drill's, a `coffre keys import` of the wrong backup) would otherwise start as
if healthy: every paper « abîmé », while the papers and accounts added meanwhile go where the
right settings never look, and are lost when the setting is put right."""

from sqlalchemy import Engine, select

from keys.errors import CryptoError
from keys.hierarchy import open_user_key
from keys.providers.base import MasterKeyProvider
from storage.base import BlobStore
from vault.errors import CannotStart
from vault.keylife.keychain import MASTER_SLOT
from vault.models import Blob, KeySlot, UserKey

# The newest objects the database names: a store that holds none of them is another store.
# One missing is a paper damaged, not a wrong place: that is `coffre keys verify`'s to find.
SAMPLE = 5


def keyring_opens_the_keys(engine: Engine, master_keys: MasterKeyProvider, keyring: str) -> None:
    with engine.connect() as connection:
        slot = connection.execute(
            select(UserKey.person_id, UserKey.version, KeySlot.master_version, KeySlot.wrapped_key)
            .join(KeySlot, KeySlot.user_key_id == UserKey.id)
            .where(
                UserKey.state != "destroyed",
                KeySlot.kind == MASTER_SLOT,
                KeySlot.master_version.is_not(None),
            )
            .order_by(UserKey.created_at.desc())
            .limit(1)
        ).first()
    if slot is None:
        return
    try:
        open_user_key(
            master_keys, slot.person_id, slot.version, slot.master_version, slot.wrapped_key
        )
    except CryptoError as exc:
        raise CannotStart(
            [
                f"the keyring {keyring} does not open the keys this database holds ({exc}): "
                "if it is another instance's, or an older backup's, set COFFRE_KEYRING to "
                "this instance's keyring (`coffre keys import` restores it from its backup)"
            ]
        ) from None


def store_holds_the_papers(engine: Engine, store: BlobStore, storage_url: str) -> None:
    with engine.connect() as connection:
        names = list(
            connection.scalars(
                select(Blob.object_name).order_by(Blob.created_at.desc()).limit(SAMPLE)
            )
        )
    if names and not any(store.exists(name) for name in names):
        raise CannotStart(
            [
                f"the blob store {storage_url} holds none of the {len(names)} newest objects "
                "this database names: COFFRE_STORAGE_URL names another place (a bucket, "
                "folder or prefix mistyped?). Set it to where this instance's papers are"
            ]
        )
