"""Settings, read from COFFRE_* environment variables (and an optional .env file).

Built by `get_settings()` so tests can build their own; nothing is read at import time.
"""

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from vault import wall_clock
from vault.errors import CannotStart

MiB = 1024 * 1024

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def parse_networks(text: str) -> tuple[Network, ...]:
    """ "10.0.0.1, 192.168.0.0/16, ::1" -> the networks; a lone address is a network of one."""
    return tuple(ipaddress.ip_network(part.strip()) for part in text.split(",") if part.strip())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COFFRE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("coffre-data"))
    database_url: str | None = None
    storage_url: str | None = None
    keyring: str | None = None
    allow_signup: bool = True
    max_upload_bytes: int = Field(default=100 * MiB, ge=1)
    session_idle_minutes: int = Field(default=15, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    orphan_grace_minutes: int = Field(default=60, ge=0)
    throttle_base_delay_seconds: float = Field(default=1.0, ge=0)
    # Proxies whose X-Forwarded-For is believed (addresses or CIDR networks, comma-separated).
    # Empty: the header is ignored and the peer's address is the client's.
    trusted_proxies: str = ""
    # Self sign-ups from one address (an IPv6 /64) in one clock hour; each costs a password
    # hash. 0: no limit.
    signups_per_address_per_hour: int = Field(default=10, ge=0)
    device_cookie_days: int = Field(default=365, ge=1)
    # Requests handled at once by one process; more get 503 (`coffre serve`).
    max_requests: int = Field(default=200, ge=1)
    # argon2id profile of new password hashes (vault.accounts.passwords.PROFILES).
    argon2_profile: Literal["owasp", "rfc9106"] = "owasp"
    max_concurrent_hashes: int = Field(default=4, ge=1)
    # Sign-ins past the running hashes wait in line, up to this many; more get 503.
    max_waiting_hashes: int = Field(default=64, ge=0)
    reset_code_minutes: int = Field(default=15, ge=1)
    grant_default_days: int = Field(default=180, ge=1)
    grant_max_days: int = Field(default=365, ge=1)
    grant_inactivity_days: int = Field(default=180, ge=1)
    master_rotation_days: int = Field(default=365, ge=0)
    # After a password reset made with a counsellor, the papers that counsellor may not view
    # stay closed this long, unless the person enters one of their own recovery codes.
    assisted_reset_hold_hours: int = Field(default=72, ge=0)
    # At most this many access requests pending or refused, from one professional to one
    # vault, within this many days; beyond, a request is silently not recorded.
    access_request_limit: int = Field(default=3, ge=0)
    access_request_window_days: int = Field(default=30, ge=1)
    # Who runs this coffre, shown on « Qui gère ce service » and « Aide »: a name, how to reach
    # them (email, phone, address; one per line) and the legal notice. Empty until filled in.
    operator_name: str = ""
    operator_contact: str = ""
    operator_legal_notice: str = ""
    # Papers: a paper expiring within this many days is "soon"; reminders go this many days
    # before (once each); a deleted paper waits this long in the bin; each person's papers may
    # take this much space (the bin not counted).
    expiry_soon_days: int = Field(default=60, ge=0)
    reminder_days: tuple[int, ...] = (60, 30, 7)
    bin_days: int = Field(default=30, ge=1)
    # The zone of the times people read (history, holds, sessions): the stored UTC is shown
    # in it (vault.wall_clock).
    timezone: str = wall_clock.DEFAULT
    quota_bytes: int = Field(default=600 * MiB, ge=1)
    # A link to a marked copy lives at most this long.
    share_max_hours: int = Field(default=720, ge=1)
    # Where links in emails and shares point: this coffre's address as people reach it
    # (https://coffre.example.org). Empty: the address of the request that made the link.
    public_url: str = ""
    # Email for expiry reminders. Empty host: no email is sent; reminders wait as a banner.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_from: str = ""
    # Thumbnails and photo pages are made in a separate process with these limits, so that a
    # hostile file cannot stall or exhaust the server.
    preview_timeout_seconds: float = Field(default=10.0, gt=0)
    preview_memory_mib: int = Field(default=512, ge=1)
    # Templates of such processes kept, one per kind of job (checks, photos, thumbnails, marked
    # copies), their
    # libraries loaded, each forking a child per file: ~1 ms instead of ~130 ms of CPU for a
    # new interpreter. 0 starts a template for each file.
    warm_workers: int = Field(default=4, ge=0)
    # Every file is opened by its format's library in that process before its paper is kept:
    # a picture of more pixels, or a PDF of more pages, is refused.
    max_image_pixels: int = Field(default=50_000_000, ge=1)
    max_pdf_pages: int = Field(default=500, ge=1)
    # An upload to S3 goes up in parts of this size, this many at once, while the next part is
    # received and encrypted: each upload holds about (parts in flight + 1) x part size. Uploads
    # are encrypted, and downloads read and decrypted, this far ahead of the next step.
    s3_part_mib: int = Field(default=8, ge=5)
    s3_parts_in_flight: int = Field(default=4, ge=1)
    read_ahead_mib: int = Field(default=4, ge=1)
    # An S3 server that is down or stalled: a connection is given up after the first delay
    # (also the longest wait to hand it each piece of a request), an answer after the second
    # (the longest wait for each piece of it); a request is tried this many times in all, then
    # the person gets « service momentanément indisponible » (503). Worst case for one request:
    # about attempts x (connect + read) seconds.
    s3_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    s3_read_timeout_seconds: float = Field(default=20.0, gt=0)
    s3_attempts: int = Field(default=3, ge=1)
    # Where to get the source code of the coffre that runs here (AGPL): a web address.
    project_url: str = ""
    # "production": refuse to start on settings unfit for real people's papers
    # (vault/production.py says which; `coffre check` lists them).
    env: Literal["development", "production"] = "development"
    # Logs and metrics (README « Logs and metrics »): "json" writes every log record as one JSON
    # object on one line, with one line per request. /metrics answers only a request carrying
    # `Authorization: Bearer <metrics_token>`; while it is unset, /metrics does not exist (404).
    log_format: Literal["text", "json"] = "text"
    metrics_token: SecretStr | None = None

    @field_validator("project_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        # It becomes a link: a javascript: or data: address would run in the person's page.
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("COFFRE_PROJECT_URL: an address starting with https://")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # or a folder (« Europe »)
            raise ValueError("a zone of the tz database, such as Europe/Paris") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as exc:
            raise ValueError(f"COFFRE_TRUSTED_PROXIES: {exc}") from exc
        return value

    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'coffre.db'}"

    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.data_dir.resolve() / "blobs").as_uri()

    def resolved_keyring(self) -> str:
        return self.keyring or (self.data_dir.resolve() / "keyring.json").as_uri()


@lru_cache
def get_settings() -> Settings:
    """The settings from the environment (and .env); CannotStart, one line per setting that
    cannot be, without the value given (it may be a secret)."""
    try:
        return Settings()
    except ValidationError as invalid:
        raise CannotStart(
            [_one_line(str(error["loc"][0]), error["msg"]) for error in invalid.errors()]
        ) from None
    except SettingsError as unreadable:  # a list or a tuple not written as JSON
        raise CannotStart([str(unreadable)]) from None


def _one_line(field: str, message: str) -> str:
    name = f"COFFRE_{field.upper()}"
    message = message.removeprefix("Value error, ").removeprefix(f"{name}: ")
    return f"{name}: {message.rstrip('.')}."
