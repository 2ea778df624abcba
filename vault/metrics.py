"""Counters of what the vault does, for Prometheus (webui/metrics.py serves them at /metrics).

Only figures, never who: no label carries a person, a paper or an address. Each process counts
its own (with `coffre serve --workers N`, one set per worker)."""

from collections.abc import Iterable, Iterator

from prometheus_client import Counter

SIGN_IN_FAILURES = Counter(
    "coffre_sign_in_failures",
    "Sign-ins refused for a wrong secret: an unknown login or a wrong password (step "
    '"password"), a wrong second-factor code (step "second_factor").',
    ["step"],
)
THROTTLED = Counter(
    "coffre_throttled",
    "Attempts refused without checking anything: a secret while its account, address or "
    'device must wait (what "secret"), a self sign-up past its address\'s hourly limit '
    '(what "sign_up").',
    ["what"],
)
UPLOADS = Counter("coffre_uploads", "Papers added (stored and recorded).")
UPLOAD_BYTES = Counter("coffre_upload_bytes", "Bytes of the papers added, before encryption.")
DOWNLOAD_BYTES = Counter(
    "coffre_download_bytes",
    'Bytes of papers sent, decrypted: opened or downloaded (kind "paper"), a shared copy '
    'through its link (kind "share").',
    ["kind"],
)


def counted(chunks: Iterable[bytes], kind: str) -> Iterator[bytes]:
    """The chunks, each counted as it is read from the store and decrypted (a download cut
    short counts what was read, at most the read-ahead more than what left)."""
    counter = DOWNLOAD_BYTES.labels(kind)
    for chunk in chunks:
        counter.inc(len(chunk))
        yield chunk
