"""Errors of the key hierarchy. Messages are safe to show: they never contain key material."""


class CryptoError(Exception):
    """Base class of every error raised by keys/."""


class IntegrityError(CryptoError):
    """A ciphertext or wrapped key failed authentication: altered, truncated, swapped or moved."""


class FormatError(IntegrityError):
    """The blob header is not one this version of coffre can read."""


class KeyringError(CryptoError):
    """The master keyring is missing, unreadable or unsafe (e.g. readable by other users)."""
