import pytest

from keys.errors import IntegrityError
from keys.wrap import (
    data_key_aad,
    derive_subkey,
    new_key,
    open_text,
    seal_text,
    text_aad,
    unwrap_key,
    user_key_aad,
    wrap_key,
)

AAD = data_key_aad("owner", "document", "blob", 1)


def field(raw: bytes) -> bytes:
    return len(raw).to_bytes(4, "big") + raw


def test_new_key_is_32_random_bytes() -> None:
    assert len(new_key()) == 32
    assert new_key() != new_key()


def test_wrap_round_trip_and_layout() -> None:
    kek, key = new_key(), new_key()
    wrapped = wrap_key(kek, key, AAD)
    assert len(wrapped) == 1 + 12 + 32 + 16
    assert wrapped[0] == 1
    assert wrap_key(kek, key, AAD) != wrapped
    assert unwrap_key(kek, wrapped, AAD) == key


def test_wrapped_key_moved_to_another_row_fails() -> None:
    kek = new_key()
    wrapped = wrap_key(kek, new_key(), AAD)
    for moved in (
        data_key_aad("other owner", "document", "blob", 1),
        data_key_aad("owner", "other document", "blob", 1),
        data_key_aad("owner", "document", "other blob", 1),
        data_key_aad("owner", "document", "blob", 2),
    ):
        with pytest.raises(IntegrityError):
            unwrap_key(kek, wrapped, moved)


def test_every_flipped_bit_and_truncation_fails() -> None:
    kek, key = new_key(), new_key()
    wrapped = wrap_key(kek, key, AAD)
    for index in range(len(wrapped)):
        for bit in range(8):
            altered = bytearray(wrapped)
            altered[index] ^= 1 << bit
            with pytest.raises(IntegrityError):
                unwrap_key(kek, bytes(altered), AAD)
    for length in range(len(wrapped)):
        with pytest.raises(IntegrityError):
            unwrap_key(kek, wrapped[:length], AAD)
    with pytest.raises(IntegrityError):
        unwrap_key(kek, wrapped + b"\0", AAD)


def test_unknown_version_wrong_kek_and_bad_kek_size_fail() -> None:
    kek = new_key()
    wrapped = wrap_key(kek, new_key(), AAD)
    with pytest.raises(IntegrityError, match="version 2"):
        unwrap_key(kek, b"\x02" + wrapped[1:], AAD)
    with pytest.raises(IntegrityError):
        unwrap_key(new_key(), wrapped, AAD)
    with pytest.raises(IntegrityError, match="invalid size"):
        unwrap_key(kek[:16], wrapped, AAD)


def test_wrap_refuses_bad_sizes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        wrap_key(new_key()[:16], new_key(), AAD)
    with pytest.raises(ValueError, match="256-bit"):
        wrap_key(new_key(), new_key()[:16], AAD)


@pytest.mark.parametrize("text", ["", "Carte d'identité", "Titre de séjour — 2025 ✓ 日本"])
def test_seal_text_round_trip(text: str) -> None:
    key, aad = new_key(), text_aad("owner", "record", "title")
    assert open_text(key, seal_text(key, text, aad), aad) == text


def test_sealed_text_moved_or_altered_fails() -> None:
    key, aad = new_key(), text_aad("owner", "record", "title")
    sealed = seal_text(key, "attestation CAF", aad)
    for moved in (
        text_aad("other", "record", "title"),
        text_aad("owner", "other", "title"),
        text_aad("owner", "record", "note"),
    ):
        with pytest.raises(IntegrityError):
            open_text(key, sealed, moved)
    with pytest.raises(IntegrityError):
        open_text(key, sealed[:-1] + bytes([sealed[-1] ^ 1]), aad)
    with pytest.raises(IntegrityError):
        open_text(key, sealed[:-1], aad)


def test_derive_subkey_separates_purposes() -> None:
    key = new_key()
    text, wrapping = derive_subkey(key, "text"), derive_subkey(key, "data-key-wrap")
    assert len(text) == len(wrapping) == 32
    assert len({key, text, wrapping}) == 3
    assert derive_subkey(key, "text") == text


def test_aad_encodings_are_pinned() -> None:
    # Stored wraps depend on these bytes: changing them makes every document unreadable.
    assert data_key_aad("o", "d", "b", 2) == b"".join(
        field(f) for f in (b"coffre/data-key/v1", b"o", b"d", b"b", (2).to_bytes(8, "big"))
    )
    assert user_key_aad("p", 3, 4) == b"".join(
        field(f)
        for f in (b"coffre/user-key/v1", b"p", (3).to_bytes(8, "big"), (4).to_bytes(8, "big"))
    )
    assert text_aad("o", "r", "title") == b"".join(
        field(f) for f in (b"coffre/text/v1", b"o", b"r", b"title")
    )


def test_aad_is_unambiguous() -> None:
    assert text_aad("ab", "c", "d") != text_aad("a", "bc", "d")
    assert text_aad("a", "b", "c") != data_key_aad("a", "b", "c", 0)
