"""Wycheproof vectors (tests/vectors/wycheproof, see its README) through coffre's own code paths."""

import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from keys.errors import IntegrityError
from keys.format import _cobblestone_decrypt, cobblestone_decrypt_stream
from keys.wrap import _hkdf, unwrap_key
from tests.unit.keys.streams import drain, rechunk

VECTORS = Path(__file__).parents[2] / "vectors" / "wycheproof"
CHUNK = 16384

Case = dict[str, Any]


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return doc


def cases(doc: dict[str, Any], group_filter: Any = None) -> list[Case]:
    return [
        test
        for group in doc["testGroups"]
        if group_filter is None or group_filter(group)
        for test in group["tests"]
    ]


def by_id(all_cases: list[Case]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", all_cases, ids=[f"tc{c['tcId']}" for c in all_cases])


COBBLESTONE = load("c2sp_chunked_encryption_aes_256_gcm_test.json")
COBBLESTONE_CASES = cases(COBBLESTONE)
# Wraps use AES-256-GCM with 96-bit nonces and 128-bit tags only: other groups do not apply.
AES_GCM = load("aes_gcm_test.json")
AES_GCM_CASES = cases(
    AES_GCM, lambda g: (g["keySize"], g["ivSize"], g["tagSize"]) == (256, 96, 128)
)
HKDF = load("hkdf_sha256_test.json")
HKDF_CASES = cases(HKDF)


def test_no_vector_is_silently_skipped() -> None:
    assert len(COBBLESTONE_CASES) == COBBLESTONE["numberOfTests"] == 35
    assert len(cases(AES_GCM)) == AES_GCM["numberOfTests"] == 316
    assert len(AES_GCM_CASES) == 66
    assert len(HKDF_CASES) == HKDF["numberOfTests"] == 86


def cobblestone_params() -> list[Any]:
    """Each case whole, then in pieces that cut chunks anywhere (7-byte pieces only when small)."""
    params = []
    for case in COBBLESTONE_CASES:
        ciphertext = zlib.decompress(bytes.fromhex(case["ct"]))
        feeds = [None, 1000, 16401] + ([7] if len(ciphertext) < 100_000 else [])
        params += [
            pytest.param(case, ciphertext, feed, id=f"tc{case['tcId']}-{feed or 'whole'}")
            for feed in feeds
        ]
    return params


@pytest.mark.parametrize(("case", "ciphertext", "feed"), cobblestone_params())
def test_cobblestone(case: Case, ciphertext: bytes, feed: int | None) -> None:
    key, context = bytes.fromhex(case["key"]), bytes.fromhex(case["ctx"])
    stream = cobblestone_decrypt_stream(key, context, rechunk([ciphertext], feed))
    check_cobblestone_output(case, *drain(stream))
    if case["result"] == "invalid":
        with pytest.raises(IntegrityError):
            next(stream)
    # The public stream holds small pieces back (coalescing); the raw one shows what
    # Cobblestone releases chunk by chunk, so the valid-prefix rule is really exercised.
    raw = _cobblestone_decrypt(key, context, rechunk([ciphertext], feed))
    check_cobblestone_output(case, *drain(raw))


def check_cobblestone_output(case: Case, out: bytes, error: Exception | None) -> None:
    length = case.get("msgLength", 0)
    if case["result"] == "valid":
        assert error is None
        assert len(out) == length
        assert hashlib.sha512(out).hexdigest() == case["msgSha512"]
        return
    assert isinstance(error, IntegrityError)
    # At most the valid prefix that msgLength/msgSha512 describe, in whole chunks.
    assert len(out) <= length
    assert len(out) % CHUNK == 0
    if out and len(out) == length:
        assert hashlib.sha512(out).hexdigest() == case["msgSha512"]
    if "HeaderFailure" in case["flags"]:
        assert out == b""


@by_id(AES_GCM_CASES)
def test_aes_gcm_through_unwrap(case: Case) -> None:
    assert case["result"] in ("valid", "invalid")
    sealed = bytes([1]) + bytes.fromhex(case["iv"] + case["ct"] + case["tag"])
    key, aad = bytes.fromhex(case["key"]), bytes.fromhex(case["aad"])
    if case["result"] == "valid":
        assert unwrap_key(key, sealed, aad) == bytes.fromhex(case["msg"])
    else:
        with pytest.raises(IntegrityError):
            unwrap_key(key, sealed, aad)


@by_id(HKDF_CASES)
def test_hkdf(case: Case) -> None:
    ikm, salt, info = (bytes.fromhex(case[k]) for k in ("ikm", "salt", "info"))
    if case["result"] == "valid":
        assert _hkdf(ikm, salt, info, case["size"]).hex() == case["okm"]
    else:
        assert case["flags"] == ["SizeTooLarge"]
        with pytest.raises(ValueError, match="larger than"):
            _hkdf(ikm, salt, info, case["size"])
