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
import multiprocessing
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
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
from storage.factory import make_s3_client
from storage.s3 import DEFAULT_PART_SIZE, READ_SIZE, S3BlobStore, ensure_bucket
from tests.buckets import drop_bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    Upload = Callable[[str, Iterable[bytes]], object]  # (object name, plaintext pieces)
    Download = Callable[[str], Iterator[bytes]]  # object name -> plaintext pieces

MIB = 1024 * 1024
PIECE = MIB  # the web upload reader hands coffre pieces of about 1 MiB
REGION = "us-east-1"
PART_SIZE = DEFAULT_PART_SIZE  # the store below uses its default: boto3 gets the same parts
CEPH_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ceph-rgw.sh"
# Ceph RGW frees overwritten objects only at garbage collection (hours later), and the script's
# memstore OSD holds 4 GiB: past that, writes would block rather than fail.
CEPH_WRITE_BUDGET = 3 * 1024 * MIB

COFFRE_PUT = "put  coffre: encrypt_blob -> S3BlobStore.put"
STORE_PUT = "put    of which S3BlobStore.put alone (no encryption)"
ENCRYPT = "put    of which encrypt_blob alone (in memory)"
BOTO3_ONE = f"put  boto3 upload_fileobj, {PART_SIZE // MIB} MiB parts, 1 thread"
BOTO3_THREADED = "put  boto3 upload_fileobj, default config (10 threads)"
COFFRE_GET = "get  coffre: S3BlobStore.get -> decrypt_blob"
STORE_GET = "get    of which S3BlobStore.get alone (no decryption)"
DECRYPT = "get    of which decrypt_blob alone (in memory)"
BOTO3_GET = "get  boto3 get_object + iter_chunks(1 MiB)"
PUT_ROWS = (COFFRE_PUT, STORE_PUT, ENCRYPT, BOTO3_ONE, BOTO3_THREADED)
GET_ROWS = (COFFRE_GET, STORE_GET, DECRYPT, BOTO3_GET)
# The in-memory rows have no network side to compare: left out of the memory table.
MEMORY_ROWS = (COFFRE_PUT, STORE_PUT, BOTO3_ONE, BOTO3_THREADED, COFFRE_GET, STORE_GET, BOTO3_GET)
# Which object each path writes or reads: a download reads what the matching upload wrote.
OBJECTS = {COFFRE_PUT: "coffre", STORE_PUT: "plain", BOTO3_ONE: "boto3", BOTO3_THREADED: "boto3t"}
OBJECTS |= {COFFRE_GET: "coffre", STORE_GET: "plain", BOTO3_GET: "boto3"}


@dataclass(frozen=True)
class Doc:
    """A document's secrets, without its bytes: small enough to pickle to a memory child."""

    size: int
    crc: int
    key: bytes
    context: BlobContext

    def name(self, path: str) -> str:
        return f"{self.size // MIB}mib-{OBJECTS[path]}"

    def encrypt(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        return encrypt_blob(self.key, 1, self.context, chunks)

    def decrypt(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        return decrypt_blob(self.key, self.context, chunks)


def new_doc(data: bytes) -> Doc:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    context = BlobContext(ids[0], ids[1], ids[2], "original")
    return Doc(len(data), crc([data]), new_key(), context)


def pieces(data: bytes) -> Iterator[bytes]:
    """The document as 1 MiB pieces: every upload path pays the same copy."""
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


def crc(chunks: Iterable[bytes]) -> int:
    # CRC-32 rather than SHA-256 as the running hash: it need only catch a mix-up (decrypt_blob
    # authenticates), and SHA-256 (~2 GB/s here) would be a third of a 100 MiB download's time.
    value = 0
    for chunk in chunks:
        value = zlib.crc32(chunk, value)
    return value


def consume(chunks: Iterable[bytes], expected: int) -> None:
    """Read a download to the end, checked by a running hash (never held whole)."""
    if crc(chunks) != expected:
        raise RuntimeError("the downloaded bytes differ from the uploaded ones")


def uploads(client: S3Client, store: S3BlobStore, doc: Doc) -> dict[str, Upload]:
    single = TransferConfig(multipart_chunksize=PART_SIZE, use_threads=False)

    def boto3_put(config: TransferConfig) -> Upload:
        # The stubs want IO[Any]; s3transfer only calls readable(), seekable() and read(n).
        return lambda name, chunks: client.upload_fileobj(
            cast(BinaryIO, IterReader(chunks)), store.bucket, name, Config=config
        )

    return {
        COFFRE_PUT: lambda name, chunks: store.put(name, doc.encrypt(chunks)),
        STORE_PUT: store.put,
        BOTO3_ONE: boto3_put(single),
        BOTO3_THREADED: boto3_put(TransferConfig()),
    }


def downloads(client: S3Client, store: S3BlobStore, doc: Doc) -> dict[str, Download]:
    def boto3_get(name: str) -> Iterator[bytes]:
        # S3BlobStore.get's read size: iterating the body itself reads 1 KiB at a time.
        return client.get_object(Bucket=store.bucket, Key=name)["Body"].iter_chunks(READ_SIZE)

    return {
        COFFRE_GET: lambda name: doc.decrypt(store.get(name)),
        STORE_GET: store.get,
        BOTO3_GET: boto3_get,
    }


def timed(client: S3Client, store: S3BlobStore, data: bytes) -> dict[str, Callable[[], object]]:
    """Every row of the timing table as a call without arguments, in row order."""
    doc = new_doc(data)

    def put(path: Upload, name: str) -> Callable[[], object]:
        return lambda: path(name, pieces(data))

    def get(path: Download, name: str) -> Callable[[], object]:
        return lambda: consume(path(name), doc.crc)

    runs = {row: put(path, doc.name(row)) for row, path in uploads(client, store, doc).items()}
    runs |= {row: get(path, doc.name(row)) for row, path in downloads(client, store, doc).items()}
    # Crypto alone, unchecked (the coffre rows run the same code, checked), so that the two
    # "of which" rows add up to the coffre row.
    ciphertext = list(doc.encrypt(pieces(data)))
    drain = collections.deque[bytes](maxlen=0).extend
    runs[ENCRYPT] = lambda: drain(doc.encrypt(pieces(data)))
    runs[DECRYPT] = lambda: drain(doc.decrypt(ciphertext))
    return {row: runs[row] for row in PUT_ROWS + GET_ROWS}


@dataclass
class Times:
    wall: list[float]
    cpu: list[float]  # this process's CPU, every thread: the rest of wall time is the server's


def measure(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, Times]:
    for run in runs.values():
        run()  # untimed: writes the objects the downloads read, opens connections
    times = {row: Times([], []) for row in runs}
    # Round-robin rather than row after row, so that the machine's drift hits every row.
    for _ in range(repeat):
        for row, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            times[row].wall.append(time.perf_counter() - wall)
            times[row].cpu.append(time.process_time() - cpu)
    return times


def timing_table(size: int, times: dict[str, Times]) -> Table:
    title = f"{size / MIB:g} MiB document, {len(times[COFFRE_PUT].wall)} runs"
    table = Table(title=title, box=box.MARKDOWN, title_justify="left")
    table.add_column("path")
    headers = ("median s", "min s", "MiB/s", "client CPU s")
    for header in (*headers, "÷ boto3, median (min)", "÷ boto3 threaded, median (min)"):
        table.add_column(header, justify="right")
    median = {row: statistics.median(row_times.wall) for row, row_times in times.items()}
    best = {row: min(row_times.wall) for row, row_times in times.items()}

    # Both ratios: on a small shared machine a slow moment can move a median of 3 to 5 runs,
    # while the fastest run of each path is steadier.
    def ratio(row: str, reference: str) -> str:
        return f"{median[row] / median[reference]:.2f} ({best[row] / best[reference]:.2f})"

    for row, row_times in times.items():
        put = row in PUT_ROWS
        table.add_row(
            row,
            f"{median[row]:.4f}",
            f"{best[row]:.4f}",
            f"{size / MIB / median[row]:.0f}",
            f"{statistics.median(row_times.cpu):.4f}",
            ratio(row, BOTO3_ONE if put else BOTO3_GET),
            ratio(row, BOTO3_THREADED) if put else "",
        )
    return table


def peak_rss_kib(reset: bool = False) -> int:
    """This process's peak RSS (VmHWM), first brought down to the current RSS if `reset`.

    Not getrusage's ru_maxrss: Linux carries the parent's peak over fork and exec into it, so a
    child of this parent, which holds the documents, would report the parent's figure. And the
    reset keeps the peak of the imports from hiding an operation that needs less.
    """
    if reset:
        Path("/proc/self/clear_refs").write_text("5")  # Linux >= 4.0: VmHWM := VmRSS
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def peak_rss(endpoint: str, bucket: str, doc: Doc, path: str, name: str) -> tuple[int, int]:
    """In a fresh child: the RSS (KiB) before one upload or download, and its peak during it."""
    client = make_s3_client(endpoint, REGION)
    store = S3BlobStore(bucket, client, part_size=PART_SIZE)
    store.check()  # the first request loads endpoint rules and opens a connection: baseline
    before = peak_rss_kib(reset=True)
    if path in PUT_ROWS:
        uploads(client, store, doc)[path](name, random_pieces(doc.size))
    else:
        consume(downloads(client, store, doc)[path](name), doc.crc)
    return before, peak_rss_kib()


def memory_table(endpoint: str, bucket: str, data: bytes) -> Table:
    doc = new_doc(data)
    store = S3BlobStore(bucket, make_s3_client(endpoint, REGION), part_size=PART_SIZE)
    # The downloads read objects written with this doc's key, before any child starts.
    store.put(doc.name(COFFRE_PUT), doc.encrypt(pieces(data)))
    store.put(doc.name(STORE_PUT), pieces(data))
    title = f"peak RSS, {doc.size / MIB:g} MiB document, each path alone in a fresh process"
    table = Table(title=title, box=box.MARKDOWN, title_justify="left")
    table.add_column("path")
    for header in ("RSS before MiB", "peak MiB", "peak - before MiB"):
        table.add_column(header, justify="right")
    spawn = multiprocessing.get_context("spawn")
    for path in MEMORY_ROWS:
        name = doc.name(path) if path in GET_ROWS else "rss-" + doc.name(path)
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            before, after = pool.submit(peak_rss, endpoint, bucket, doc, path, name).result()
        mib = [f"{kib / 1024:.1f}" for kib in (before, after, after - before)]
        table.add_row(path, *mib)
    return table


def start_ceph(env: dict[str, str]) -> None:
    # A monitor of another run starting at the same moment can answer first ("wrong fsid").
    for attempt in range(1, 4):
        command = ["bash", str(CEPH_SCRIPT), "start"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            print(done.stdout.strip(), file=sys.stderr)
            return
        print(f"Ceph start attempt {attempt} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
    raise SystemExit("could not start Ceph RGW; pass --endpoint to use a running S3 server")


@dataclass(frozen=True)
class Server:
    endpoint: str
    description: str
    throwaway: bool  # a Ceph memstore of this run: stopped at exit, its 4 GiB is the limit


@contextlib.contextmanager
def s3_server(endpoint: str | None, memstore_bytes: int | None = None) -> Iterator[Server]:
    """The given S3 server, else a throwaway Ceph RGW started now and stopped at exit, its
    memstore `memstore_bytes` large (the script's 4 GiB by default)."""
    endpoint = endpoint or os.environ.get("COFFRE_TEST_S3_ENDPOINT")
    if endpoint:
        os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
        yield Server(endpoint, "the given S3 server", throwaway=False)
        return
    ceph_dir = Path(tempfile.mkdtemp(prefix="coffre-bench-ceph-"))
    access, secret = secrets.token_hex(10), secrets.token_hex(20)
    env = os.environ | {"CEPH_DIR": str(ceph_dir), "PYTHON": sys.executable}
    env |= {"S3_ACCESS_KEY": access, "S3_SECRET_KEY": secret}
    if memstore_bytes is not None:
        env["MEMSTORE_BYTES"] = str(memstore_bytes)
    try:
        start_ceph(env)
        # In os.environ rather than given to the client: the spawned memory children inherit it.
        os.environ.update(AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret)
        os.environ["AWS_DEFAULT_REGION"] = REGION
        for stray in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            os.environ.pop(stray, None)
        version = subprocess.run(["ceph", "--version"], capture_output=True, text=True).stdout
        endpoint = (ceph_dir / "endpoint").read_text().strip()
        description = f"Ceph RGW {' '.join(version.split()[2:3])} (memstore) started by the bench"
        yield Server(endpoint, description, throwaway=True)
    finally:
        subprocess.run(["bash", str(CEPH_SCRIPT), "stop"], env=env, check=False)
        shutil.rmtree(ceph_dir, ignore_errors=True)


def machine(server: Server) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    return [
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        f"{platform.system()} {platform.machine()}, {cpu}, nproc {len(os.sched_getaffinity(0))}",
        f"Python {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"boto3 {boto3.__version__}",
        f"{server.description} at {server.endpoint}, S3BlobStore part size {PART_SIZE // MIB} MiB",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoint", help="S3 endpoint (default: $COFFRE_TEST_S3_ENDPOINT)")
    parser.add_argument("--sizes", default="1,100", help="document sizes in MiB (default 1,100)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per row (default 3)")
    args = parser.parse_args()
    # Ascending: the memory table measures the last, largest document.
    sizes = sorted(int(float(size) * MIB) for size in args.sizes.split(","))
    # Wide, so that the Markdown tables never wrap and paste as they are into README.md.
    console = Console(width=180, highlight=False)
    with s3_server(args.endpoint) as server:
        written = sum(sizes) * 4 * (args.repeat + 1) + sizes[-1] * 6
        if server.throwaway and written > CEPH_WRITE_BUDGET:
            raise SystemExit("this would fill the bench's Ceph memstore: lower --repeat or --sizes")
        client = make_s3_client(server.endpoint, REGION)
        bucket = f"coffre-bench-{secrets.token_hex(4)}"
        ensure_bucket(client, bucket)
        store = S3BlobStore(bucket, client, part_size=PART_SIZE)
        try:
            console.print("\n".join(machine(server)))
            for size in sizes:
                data = os.urandom(size)  # once per size: every path sends these same bytes
                console.print(timing_table(size, measure(timed(client, store, data), args.repeat)))
            console.print(memory_table(server.endpoint, bucket, data))
        finally:
            leave_nothing(server, client, bucket)


def leave_nothing(server: Server, client: S3Client, bucket: str) -> None:
    """Drop the run's bucket on a server that outlives the run: a Ceph memstore fills, then
    refuses every new bucket. Not on the run's own Ceph: it goes anyway, and if it is what
    failed, these calls would only wait for timeouts."""
    if not server.throwaway:
        with contextlib.suppress(ClientError, BotoCoreError):
            drop_bucket(client, bucket)


if __name__ == "__main__":
    main()
