"""What the key hierarchy needs from a master key store (local keyring file, later a KMS)."""

from typing import Protocol


class MasterKeyProvider(Protocol):
    def primary_version(self) -> int:
        """The version new wraps use."""
        ...

    def versions(self) -> list[int]:
        """Every version still able to unwrap, in increasing order."""
        ...

    def wrap(self, key: bytes, aad: bytes) -> tuple[int, bytes]:
        """Wrap under the primary version; returns (version, wrapped)."""
        ...

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        """KeyringError if `version` is unknown, IntegrityError if the wrap does not open."""
        ...

    def check(self) -> None:
        """Raise KeyringError if the provider cannot be used."""
        ...

    def add_version(self) -> int:
        """A new master key version becomes primary (the start of a master rotation)."""
        ...

    def remove_version(self, version: int) -> None:
        """Retire a version nothing references any more."""
        ...
