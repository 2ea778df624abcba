"""Settings, read from COFFRE_* environment variables (and an optional .env file).

Built by `get_settings()` so tests can build their own; nothing is read at import time.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COFFRE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("coffre-data"))
    database_url: str | None = None
    storage_url: str | None = None
    keyring: str | None = None
    allow_signup: bool = True
    max_upload_bytes: int = 100 * MiB
    session_idle_minutes: int = 15
    session_max_hours: int = 12
    orphan_grace_minutes: int = 60
    throttle_base_delay_seconds: float = 1.0
    max_concurrent_hashes: int = 4
    reset_code_minutes: int = 15
    grant_default_days: int = 180
    grant_max_days: int = 365
    grant_inactivity_days: int = 180
    master_rotation_days: int = 365
    # After a password reset made with a counsellor, the papers that counsellor may not view
    # stay closed this long, unless the person enters one of their own recovery codes.
    assisted_reset_hold_hours: int = 72
    # At most this many access requests pending or refused, from one professional to one
    # vault, within this many days; beyond, a request is silently not recorded.
    access_request_limit: int = 3
    access_request_window_days: int = 30

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'coffre.db'}"

    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.data_dir.resolve() / "blobs").as_uri()

    def resolved_keyring(self) -> str:
        return self.keyring or (self.data_dir.resolve() / "keyring.json").as_uri()


@lru_cache
def get_settings() -> Settings:
    return Settings()
