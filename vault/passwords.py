"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults)."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("coffre-unknown-login")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown login), spend the same time and say no."""
    try:
        if password_hash is None:
            _hasher.verify(_dummy_hash(), password)
            return False
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
