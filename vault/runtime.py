"""The long-lived parts a process needs: database, blob store, master keys and settings.

Built once by the web app or a CLI command (vault/wiring.py), then handed to services explicitly.
"""

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from keys.providers.base import MasterKeyProvider
from storage.base import BlobStore
from vault.config import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    # Transactions that only read: they never wait for a writer nor hold anyone up.
    readers: sessionmaker[Session]
    store: BlobStore
    master_keys: MasterKeyProvider
