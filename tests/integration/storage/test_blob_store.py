"""The BlobStore contract, checked on every back end: a local directory and a real S3 server."""

import hashlib
import os
import socket
import stat
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_s3 import S3Client

from storage import (
    BlobNotFoundError,
    BlobStore,
    BlobStoreError,
    LocalBlobStore,
    S3BlobStore,
    open_store,
)
from storage.factory import make_s3_client
from storage.s3 import DEFAULT_PART_SIZE, DEFAULT_PARTS_IN_FLIGHT, MIN_PART_SIZE

KiB = 1024
MiB = 1024 * KiB


def _chunks(data: bytes, size: int = MiB + 7) -> Iterator[bytes]:
    # An odd chunk size, so chunk boundaries never line up with S3 part boundaries.
    for start in range(0, len(data), size):
        yield data[start : start + size]


class Boom(Exception):
    """Raised by a caller's stream: must reach the caller unchanged."""


def _failing_stream(good_bytes: int) -> Iterator[bytes]:
    for _ in range(good_bytes // MiB):
        yield b"x" * MiB
    yield b"x" * (good_bytes % MiB)
    raise Boom


def _names(store: BlobStore) -> set[str]:
    return {info.name for info in store.list()}


@pytest.mark.parametrize(
    "size",
    [0, 1, 5 * MiB - 1, 8 * MiB + 1, 20 * MiB],
    ids=["0B", "1B", "5MiB-1", "8MiB+1", "20MiB"],
)
def test_round_trip(blob_store: BlobStore, size: int) -> None:
    data = os.urandom(size)

    assert blob_store.put("blob-a", _chunks(data)) == size

    got = list(blob_store.get("blob-a"))
    assert b"".join(got) == data
    assert all(len(chunk) <= MiB for chunk in got)  # streamed, never one big read
    assert blob_store.exists("blob-a")
    assert [(info.name, info.size) for info in blob_store.list()] == [("blob-a", size)]


def test_put_replaces_an_existing_blob(blob_store: BlobStore) -> None:
    blob_store.put("blob-a", [b"first"])
    blob_store.put("blob-a", [b"second", b" version"])

    assert b"".join(blob_store.get("blob-a")) == b"second version"


def test_get_missing_raises_not_found(blob_store: BlobStore) -> None:
    with pytest.raises(BlobNotFoundError):
        blob_store.get("never-stored")


def test_delete_is_idempotent(blob_store: BlobStore) -> None:
    blob_store.put("blob-a", [b"data"])

    blob_store.delete("blob-a")
    blob_store.delete("blob-a")
    blob_store.delete("never-stored")

    assert not blob_store.exists("blob-a")
    with pytest.raises(BlobNotFoundError):
        blob_store.get("blob-a")


def test_exists(blob_store: BlobStore) -> None:
    assert not blob_store.exists("blob-a")
    blob_store.put("blob-a", [b""])
    assert blob_store.exists("blob-a")


def test_list_shows_what_was_put(blob_store: BlobStore) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    stored = {"a": b"1", "ab12": b"22", "zz-top_1.x": b"333", "Q": b""}
    for name, data in stored.items():
        blob_store.put(name, [data])

    infos = {info.name: info for info in blob_store.list()}

    assert {name: info.size for name, info in infos.items()} == {
        name: len(data) for name, data in stored.items()
    }
    assert all(info.modified > before for info in infos.values())


@pytest.mark.parametrize(
    "good_bytes",
    [KiB, 12 * MiB, 50 * MiB],
    ids=["before-first-part", "after-first-part", "with-parts-in-flight"],
)
def test_failing_stream_leaves_nothing(
    blob_store: BlobStore, good_bytes: int, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(Boom):
        blob_store.put("blob-a", _failing_stream(good_bytes))

    assert not blob_store.exists("blob-a")
    assert "blob-a" not in _names(blob_store)
    if isinstance(blob_store, S3BlobStore):
        client: S3Client = request.getfixturevalue("s3_client")
        uploads = client.list_multipart_uploads(Bucket=blob_store.bucket)
        assert uploads.get("Uploads", []) == []
    if isinstance(blob_store, LocalBlobStore):
        assert list((blob_store.root / ".tmp").iterdir()) == []


def test_failing_stream_keeps_the_previous_version(blob_store: BlobStore) -> None:
    blob_store.put("blob-a", [b"the good copy"])

    with pytest.raises(Boom):
        blob_store.put("blob-a", _failing_stream(12 * MiB))

    assert b"".join(blob_store.get("blob-a")) == b"the good copy"


UNSAFE_NAMES = ["", ".", "..", "../x", "x/../../y", "a/b", "a\\b", "/etc/passwd", ".hidden"]
UNSAFE_NAMES += [".tmp", "a..b", "a\x00b", "a\nb", "é", "x" * 256]


@pytest.mark.parametrize("name", UNSAFE_NAMES)
def test_unsafe_names_are_refused(blob_store: BlobStore, name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid blob name"):
        blob_store.put(name, [b"data"])
    for operation in (blob_store.get, blob_store.exists, blob_store.delete):
        with pytest.raises(ValueError, match="invalid blob name"):
            operation(name)

    assert _names(blob_store) == set()
    assert {path.name for path in tmp_path.iterdir()} <= {"blobs"}  # nothing escaped the root


@pytest.mark.parametrize("name", ["a", "A-_9.bin", "-leading-dash", "_x", "x" * 255])
def test_opaque_names_are_accepted(blob_store: BlobStore, name: str) -> None:
    blob_store.put(name, [b"data"])
    assert b"".join(blob_store.get(name)) == b"data"


def test_check_passes(blob_store: BlobStore) -> None:
    blob_store.check()
    assert _names(blob_store) == set()  # the probe leaves nothing behind


def test_memory_stays_flat_on_100_mib(blob_store: BlobStore) -> None:
    size = 100 * MiB
    digest = hashlib.sha256()

    def lazy_stream() -> Iterator[bytes]:
        for i in range(size // MiB):
            chunk = i.to_bytes(4, "big") * (MiB // 4)
            digest.update(chunk)
            yield chunk

    tracemalloc.start()
    try:
        assert blob_store.put("big", lazy_stream()) == size
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read_back = hashlib.sha256()
        for chunk in blob_store.get("big"):
            read_back.update(chunk)
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert read_back.digest() == digest.digest()
    # The parts in flight, the one filling, and the pieces around it.
    budget = (DEFAULT_PARTS_IN_FLIGHT + 2) * DEFAULT_PART_SIZE
    assert put_peak < budget, f"put peaked at {put_peak / MiB:.1f} MiB"
    assert get_peak < 4 * MiB, f"get peaked at {get_peak / MiB:.1f} MiB"


@pytest.mark.s3
def test_parts_sent_from_reused_buffers_arrive_whole(
    s3_bucket_url: str, s3_client: S3Client
) -> None:
    real = open_store(s3_bucket_url)
    assert isinstance(real, S3BlobStore)
    store = S3BlobStore(real.bucket, s3_client, part_size=MIN_PART_SIZE, parts_in_flight=1)
    data = os.urandom(5 * MIN_PART_SIZE + 1)  # six parts through two buffers

    assert store.put("blob-a", _chunks(data)) == len(data)

    assert hashlib.sha256(b"".join(real.get("blob-a"))).digest() == hashlib.sha256(data).digest()


class PartFails:
    """An S3 client whose upload of one part fails, as a dropped connection or a server error
    would; everything else goes to the real server."""

    def __init__(self, client: S3Client, number: int) -> None:
        self._client = client
        self._number = number

    def upload_part(self, **kwargs: Any) -> Any:
        if kwargs["PartNumber"] == self._number:
            raise ClientError({"Error": {"Code": "InternalError"}}, "UploadPart")
        return self._client.upload_part(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.mark.s3
@pytest.mark.parametrize("number", [1, 3, 7], ids=["first", "in-flight", "last"])
def test_a_failed_part_leaves_nothing(s3_bucket_url: str, s3_client: S3Client, number: int) -> None:
    real = open_store(s3_bucket_url)
    assert isinstance(real, S3BlobStore)
    store = S3BlobStore(real.bucket, cast(S3Client, PartFails(s3_client, number)))

    with pytest.raises(BlobStoreError, match="upload part"):
        store.put("blob-a", _chunks(os.urandom(6 * DEFAULT_PART_SIZE + 1)))

    assert not real.exists("blob-a")
    assert s3_client.list_multipart_uploads(Bucket=real.bucket).get("Uploads", []) == []


# --- the local layout, which operators see on disk -------------------------------------------


def test_local_layout_is_private_and_sharded(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "new" / "blobs")
    store.put("abcdef", [b"data"])

    root = tmp_path / "new" / "blobs"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert (root / "ab" / "abcdef").read_bytes() == b"data"
    assert stat.S_IMODE((root / "ab" / "abcdef").stat().st_mode) == 0o600


# --- opening a store from its URL -------------------------------------------------------------


def test_open_store_file_url(tmp_path: Path) -> None:
    store = open_store(f"file://{tmp_path}/blobs")
    store.put("blob-a", [b"data"])
    assert (tmp_path / "blobs" / "bl" / "blob-a").read_bytes() == b"data"


@pytest.mark.parametrize(
    "url",
    [
        "file://relative/dir",
        "file:relative",
        "ftp://host/dir",
        "s3://",
        "s3://bucket/folder",
        "s3://key:secret@bucket",
        "s3://bucket?endpoint=http://x",
    ],
)
def test_open_store_refuses_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="blob store URL"):
        open_store(url)


@pytest.mark.s3
def test_open_store_creates_the_bucket_once(s3_bucket_url: str, s3_client: S3Client) -> None:
    first = open_store(s3_bucket_url + "&prefix=/coffre/blobs/")
    first.put("blob-a", [b"data"])
    second = open_store(s3_bucket_url)  # the bucket exists now: opened, not re-created

    assert isinstance(first, S3BlobStore)
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=first.bucket)["Contents"]]
    assert keys == ["coffre/blobs/blob-a"]
    assert [info.name for info in first.list()] == ["blob-a"]
    assert [info.name for info in second.list()] == ["coffre/blobs/blob-a"]


@pytest.mark.s3
def test_each_client_finds_the_credentials_of_its_time(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clients share botocore's parsed service models, never the credentials they found."""
    make_s3_client(s3_endpoint, "us-east-1").list_buckets()
    with monkeypatch.context() as fake:
        fake.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKE")
        fake.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
        with pytest.raises(ClientError):
            make_s3_client(s3_endpoint, "us-east-1").list_buckets()
    make_s3_client(s3_endpoint, "us-east-1").list_buckets()


# --- an S3 server that cannot be reached --------------------------------------------------------


@pytest.fixture
def dead_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # closed again: connections are refused


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
    # Retries would only make these tests slower: the error is the same.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@pytest.mark.usefixtures("fake_credentials")
def test_unreachable_s3_raises_blob_store_error(dead_endpoint: str) -> None:
    store = S3BlobStore("some-bucket", make_s3_client(dead_endpoint, "us-east-1"))

    for attempt in (
        lambda: store.put("small", [b"data"]),
        lambda: store.put("large", _chunks(b"x" * (DEFAULT_PART_SIZE + 1))),
        lambda: store.get("blob-a"),
        lambda: store.exists("blob-a"),
        lambda: list(store.list()),
        store.check,
    ):
        with pytest.raises(BlobStoreError) as caught:
            attempt()
        assert "very-secret-value" not in str(caught.value)


@pytest.mark.usefixtures("fake_credentials")
def test_open_store_on_unreachable_s3_raises_blob_store_error(dead_endpoint: str) -> None:
    with pytest.raises(BlobStoreError):
        open_store(f"s3://some-bucket?endpoint_url={dead_endpoint}&region=us-east-1")
