"""coffre's S3 storage path (encrypt_blob -> S3BlobStore, and back) against plain boto3.

    .venv/bin/python -m bench.storage_path [--endpoint URL] [--sizes 1,100] [--repeat 3]

Without --endpoint or COFFRE_TEST_S3_ENDPOINT it starts its own Ceph RGW (scripts/ceph-rgw.sh)
and stops it at exit. Every case runs on one bucket of that one server, in one run, so the
ratios compare like with like even when the absolute figures are noisy. See bench/README.md.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import hashlib
import multiprocessing
import os
import platform
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

import boto3
import cryptography
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError
from rich import box
from rich.console import Console
from rich.table import Table

from keys.format import BlobContext, decrypt_blob, encrypt_blob
from keys.wrap import new_key
from storage.base import BlobStoreError
from storage.factory import make_s3_client
from storage.s3 import DEFAULT_PART_SIZE, READ_SIZE, S3BlobStore, ensure_bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024
PIECE = MIB  # the web upload reader hands coffre pieces of about 1 MiB
REGION = "us-east-1"
PART_SIZE = DEFAULT_PART_SIZE  # the store below uses the default: boto3 gets the same parts
CEPH_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ceph-rgw.sh"
# Ceph RGW frees overwritten objects only at garbage collection (hours later), and the script's
# memstore OSD holds 4 GiB: past this much written, writes would block rather than fail.
CEPH_WRITE_BUDGET = 3 * 1024 * MIB

BOTO3_ONE = "boto3 upload_fileobj, 8 MiB parts, 1 thread"
BOTO3_THREADED = "boto3 upload_fileobj, default config (10 threads)"
BOTO3_GET = "boto3 get_object + iter_chunks(1 MiB)"


def pieces(data: bytes) -> Iterator[bytes]:
    """The document as 1 MiB pieces: every upload case pays the same copy."""
    view = memoryview(data)
    for start in range(0, len(view), PIECE):
        yield bytes(view[start : start + PIECE])


def random_pieces(size: int) -> Iterator[bytes]:
    # The memory children never hold the whole document: their peak is the path's own.
    for start in range(0, size, PIECE):
        yield os.urandom(min(PIECE, size - start))


class IterReader:
    """A non-seekable, read-only file over an iterator, for boto3's upload_fileobj.

    read(n) returns exactly n bytes until the end: s3transfer turns a short read into a short
    part, and S3 refuses parts under 5 MB but the last.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        size = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        with memoryview(self._buffer) as view:
            head = bytes(view[:size])
        del self._buffer[:size]
        return head


def consume(chunks: Iterable[bytes], expected: bytes) -> None:
    """Read a download to the end, checking it by a running hash (never held whole)."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    if digest.digest() != expected:
        raise RuntimeError("the downloaded bytes differ from the uploaded ones")


def boto3_upload(
    client: S3Client, bucket: str, name: str, chunks: Iterable[bytes], *, threads: bool
) -> None:
    config = (
        TransferConfig()
        if threads
        else TransferConfig(multipart_chunksize=PART_SIZE, use_threads=False)
    )
    # The stubs want IO[Any]; s3transfer only calls readable(), seekable() and read(n).
    client.upload_fileobj(cast(BinaryIO, IterReader(chunks)), bucket, name, Config=config)


def boto3_get(client: S3Client, bucket: str, name: str) -> Iterator[bytes]:
    # Same read size as S3BlobStore.get: iterating the body itself would read 1 KiB at a time.
    return client.get_object(Bucket=bucket, Key=name)["Body"].iter_chunks(READ_SIZE)


@dataclass(frozen=True)
class Doc:
    """One benchmarked document and what it takes to write and read it back."""

    size: int
    data: bytes
    digest: bytes
    key: bytes
    context: BlobContext

    @classmethod
    def random(cls, size: int) -> Doc:
        data = os.urandom(size)
        ids = [str(uuid.uuid4()) for _ in range(3)]
        return cls(
            size, data, hashlib.sha256(data).digest(), new_key(), BlobContext(*ids, "original")
        )

    def name(self, what: str) -> str:
        return f"{self.size // MIB}mib-{what}"

    def encrypt(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        return encrypt_blob(self.key, 1, self.context, chunks)

    def decrypt(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        return decrypt_blob(self.key, self.context, chunks)


@dataclass(frozen=True)
class Case:
    direction: str
    path: str
    run: Callable[[], object]


def cases(doc: Doc, client: S3Client, store: S3BlobStore) -> list[Case]:
    bucket, drain = store.bucket, collections.deque[bytes](maxlen=0).extend
    ciphertext = list(doc.encrypt(pieces(doc.data)))
    # The "of which" rows split coffre's figure into its two halves, done one after the other.
    return [
        Case(
            "put",
            "coffre: encrypt_blob -> S3BlobStore.put",
            lambda: store.put(doc.name("coffre"), doc.encrypt(pieces(doc.data))),
        ),
        Case(
            "put",
            "  of which S3BlobStore.put, no encryption",
            lambda: store.put(doc.name("plain"), pieces(doc.data)),
        ),
        Case(
            "put",
            "  of which encrypt_blob alone, in memory",
            lambda: drain(doc.encrypt(pieces(doc.data))),
        ),
        Case(
            "put",
            BOTO3_ONE,
            lambda: boto3_upload(
                client, bucket, doc.name("boto3"), pieces(doc.data), threads=False
            ),
        ),
        Case(
            "put",
            BOTO3_THREADED,
            lambda: boto3_upload(
                client, bucket, doc.name("boto3t"), pieces(doc.data), threads=True
            ),
        ),
        Case(
            "get",
            "coffre: S3BlobStore.get -> decrypt_blob",
            lambda: consume(doc.decrypt(store.get(doc.name("coffre"))), doc.digest),
        ),
        Case(
            "get",
            "  of which S3BlobStore.get, no decryption",
            lambda: consume(store.get(doc.name("plain")), doc.digest),
        ),
        Case(
            "get",
            "  of which decrypt_blob alone, in memory",
            lambda: consume(doc.decrypt(ciphertext), doc.digest),
        ),
        Case(
            "get",
            BOTO3_GET,
            lambda: consume(boto3_get(client, bucket, doc.name("boto3")), doc.digest),
        ),
    ]


def measure(all_cases: list[Case], repeat: int) -> dict[str, list[float]]:
    for case in all_cases:
        case.run()  # untimed: writes the objects the downloads read, warms connections
    times: dict[str, list[float]] = {case.path: [] for case in all_cases}
    # Round-robin rather than case after case, so that the machine's drift hits every case.
    for _ in range(repeat):
        for case in all_cases:
            start = time.perf_counter()
            case.run()
            times[case.path].append(time.perf_counter() - start)
    return times


def timing_table(doc: Doc, all_cases: list[Case], times: dict[str, list[float]]) -> Table:
    table = Table(
        title=f"{doc.size / MIB:g} MiB document, {len(next(iter(times.values())))} runs",
        box=box.MARKDOWN,
    )
    for header in (
        "direction",
        "path",
        "median s",
        "min s",
        "MiB/s",
        "÷ boto3 1 thread",
        "÷ boto3 threaded",
    ):
        table.add_column(header, justify="left" if header in ("direction", "path") else "right")
    median = {path: statistics.median(runs) for path, runs in times.items()}
    for case in all_cases:
        put = case.direction == "put"
        one = median[case.path] / median[BOTO3_ONE if put else BOTO3_GET]
        threaded = f"{median[case.path] / median[BOTO3_THREADED]:.2f}" if put else ""
        table.add_row(
            case.direction,
            case.path,
            f"{median[case.path]:.4f}",
            f"{min(times[case.path]):.4f}",
            f"{doc.size / MIB / median[case.path]:.0f}",
            f"{one:.2f}",
            threaded,
        )
    return table


@dataclass(frozen=True)
class MemoryJob:
    """One operation measured alone in a fresh process: pickled to a spawned child."""

    what: str
    endpoint: str
    bucket: str
    name: str
    size: int
    key: bytes
    context: BlobContext
    digest: bytes


def peak_rss(job: MemoryJob) -> tuple[int, int]:
    """In the child: (ru_maxrss before, after) the operation, in KiB."""
    client = make_s3_client(job.endpoint, REGION)
    store = S3BlobStore(job.bucket, client, part_size=PART_SIZE)
    store.check()  # the first request loads endpoint rules and opens a connection: baseline
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if job.what == "coffre put":
        store.put(job.name, encrypt_blob(job.key, 1, job.context, random_pieces(job.size)))
    elif job.what == "coffre get":
        consume(decrypt_blob(job.key, job.context, store.get(job.name)), job.digest)
    elif job.what == "boto3 get":
        consume(boto3_get(client, job.bucket, job.name), job.digest)
    else:
        threads = job.what == "boto3 put, threaded"
        boto3_upload(client, job.bucket, job.name, random_pieces(job.size), threads=threads)
    return before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_table(doc: Doc, endpoint: str, bucket: str) -> Table:
    jobs = [
        ("coffre put", "rss-coffre", "coffre: encrypt_blob -> S3BlobStore.put"),
        ("coffre get", doc.name("coffre"), "coffre: S3BlobStore.get -> decrypt_blob"),
        ("boto3 put, 1 thread", "rss-boto3", BOTO3_ONE + ", from a generator"),
        ("boto3 put, threaded", "rss-boto3t", BOTO3_THREADED + ", from a generator"),
        ("boto3 get", doc.name("boto3"), BOTO3_GET),
    ]
    table = Table(
        title=f"peak RSS, {doc.size / MIB:g} MiB document, each in a fresh process",
        box=box.MARKDOWN,
    )
    for header in ("path", "baseline MiB", "peak MiB", "peak - baseline MiB"):
        table.add_column(header, justify="left" if header == "path" else "right")
    spawn = multiprocessing.get_context("spawn")
    for what, name, label in jobs:
        job = MemoryJob(what, endpoint, bucket, name, doc.size, doc.key, doc.context, doc.digest)
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            before, after = pool.submit(peak_rss, job).result()
        table.add_row(
            label, f"{before / 1024:.0f}", f"{after / 1024:.0f}", f"{(after - before) / 1024:.0f}"
        )
    return table


def start_ceph(env: dict[str, str]) -> None:
    # A monitor of another run starting at the same moment can answer first ("wrong fsid").
    for attempt in range(1, 4):
        done = subprocess.run(
            ["bash", str(CEPH_SCRIPT), "start"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            print(done.stdout.strip(), file=sys.stderr)
            return
        print(f"Ceph start attempt {attempt} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
    raise SystemExit("could not start Ceph RGW; pass --endpoint to use a running S3 server")


@contextlib.contextmanager
def s3_server(endpoint: str | None) -> Iterator[tuple[str, str]]:
    """Yield (endpoint, description); start a throwaway Ceph RGW when none is given."""
    endpoint = endpoint or os.environ.get("COFFRE_TEST_S3_ENDPOINT")
    if endpoint:
        os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
        yield endpoint, "given S3 server"
        return
    ceph_dir = Path(tempfile.mkdtemp(prefix="coffre-bench-ceph-"))
    access, secret = secrets.token_hex(10), secrets.token_hex(20)
    env = {
        **os.environ,
        "CEPH_DIR": str(ceph_dir),
        "S3_ACCESS_KEY": access,
        "S3_SECRET_KEY": secret,
        "PYTHON": sys.executable,
    }
    try:
        start_ceph(env)
        # Set in os.environ, not passed to the client: the spawned memory children inherit it.
        os.environ.update(
            AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=REGION
        )
        for stray in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            os.environ.pop(stray, None)
        version = subprocess.run(
            ["ceph", "--version"], capture_output=True, text=True, check=False
        ).stdout.split()
        yield (
            (ceph_dir / "endpoint").read_text().strip(),
            f"Ceph RGW {' '.join(version[2:3])} memstore, started by the bench",
        )
    finally:
        subprocess.run(["bash", str(CEPH_SCRIPT), "stop"], env=env, check=False)
        shutil.rmtree(ceph_dir, ignore_errors=True)


def machine(server: str, endpoint: str) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{now} | {platform.system()} {platform.machine()}, {cpu}, nproc {len(os.sched_getaffinity(0))} | "
        f"Python {platform.python_version()} | cryptography {cryptography.__version__} | boto3 {boto3.__version__} | "
        f"{server} at {endpoint}, loopback | part size {PART_SIZE // MIB} MiB"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--endpoint", help="S3 endpoint (default: $COFFRE_TEST_S3_ENDPOINT, else start Ceph)"
    )
    parser.add_argument(
        "--sizes", default="1,100", help="document sizes in MiB, comma-separated (default 1,100)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (default 3)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    # Ascending: the memory table measures the last, largest document.
    sizes = sorted(int(float(size) * MIB) for size in args.sizes.split(","))
    console = Console(width=200, highlight=False)
    with s3_server(args.endpoint) as (endpoint, server):
        if (
            server.startswith("Ceph")
            and sum(sizes) * (4 * (args.repeat + 1) + 3) > CEPH_WRITE_BUDGET
        ):
            raise SystemExit(
                "that much data would fill the bench's Ceph memstore: lower --repeat or --sizes"
            )
        client = make_s3_client(endpoint, REGION)
        bucket = f"coffre-bench-{secrets.token_hex(4)}"
        ensure_bucket(client, bucket)
        store = S3BlobStore(bucket, client, part_size=PART_SIZE)
        try:
            console.print(machine(server, endpoint))
            for size in sizes:
                doc = Doc.random(size)
                all_cases = cases(doc, client, store)
                console.print(timing_table(doc, all_cases, measure(all_cases, args.repeat)))
            console.print(memory_table(doc, endpoint, bucket))
        finally:
            # Leave nothing behind on a server that outlives the run.
            with contextlib.suppress(BlobStoreError, ClientError, BotoCoreError):
                for blob in store.list():
                    store.delete(blob.name)
                client.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    main()
