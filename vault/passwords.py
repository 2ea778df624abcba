"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults) and the rules for a new
password: at least 8 characters, no composition rules, not one of the most common ones."""

import threading
from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vault.errors import InvalidInputError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1000

_hasher = PasswordHasher()
# Each hash takes 64 MiB: a burst of sign-ins waits here instead of exhausting memory.
_slots = threading.BoundedSemaphore(4)


def limit_concurrent_hashes(count: int) -> None:
    global _slots
    _slots = threading.BoundedSemaphore(max(1, count))


def hash_password(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("coffre-unknown-login")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown login), spend the same time and say no."""
    with _slots:
        try:
            if password_hash is None:
                _hasher.verify(_dummy_hash(), password)
                return False
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = (files("vault") / "data" / "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def check_new_password(password: str, *personal: str) -> None:
    """Refuse a password that is too short, too common, or just the person's login or name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            "Le mot de passe doit avoir au moins %(minimum)s caractères.",
            field="password",
            minimum=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError("Le mot de passe est trop long.", field="password")
    lowered = password.strip().lower()
    if lowered in _common_passwords() or lowered in {p.strip().lower() for p in personal if p}:
        raise InvalidInputError(
            "Ce mot de passe est trop facile à deviner. Choisissez-en un autre, "
            "par exemple une petite phrase.",
            field="password",
        )
