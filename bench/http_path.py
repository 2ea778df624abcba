"""The whole HTTP path, `coffre serve`, against plain boto3 on the same S3 server, in one run.

    .venv/bin/python -m bench.http_path [--endpoint URL] [--sizes 1,100] [--repeat 5] [--large]
                                        [--raw-pictures]
                                        [--setting COFFRE_NAME=VALUE ...] [--compare PATH]

Starts `coffre serve` (one process, as the command starts it: SQLite in a temporary folder, its
blobs on the S3 server) and a bare Starlette app on the same uvicorn (bench/http_floor.py: the
floor of any Python HTTP service, no encryption, no database). For each size, round-robin (in a
new order each round), the median of --repeat runs of: an upload through coffre's API (a PDF of
JPEG pages as a scanner writes it, or with --raw-pictures one uncompressed picture; multipart),
a raw PUT through the bare app, boto3 put_object; a download of coffre's paper, of the bare
app's object, boto3 get_object. Every row's client is urllib3, the one under boto3. With client
CPU, the server's CPU (/proc/<pid>/stat) and the growth of its peak memory (VmHWM) during each
run. --large adds a 1 GiB paper, one run of the coffre and boto3 rows. --compare PATH serves
another source tree of coffre beside (a worktree of main: before and after a change, in one
run), and prints the median of each round's difference between the two. Without --endpoint it
starts its own Ceph RGW (bench/storage_path.py). Which HTTP stack the servers use is uvicorn's
choice ("auto": httptools and uvloop when installed, else h11 and asyncio): run it twice, with
and without them, to compare. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import importlib.util
import io
import math
import os
import platform
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import urllib3
from PIL import Image
from rich import box
from rich.console import Console
from rich.table import Table

from bench.signin import Server, coffre_server, peak_rss_kib, running
from bench.storage_path import REGION, crc, leave_nothing, s3_server
from storage.factory import make_s3_client
from storage.s3 import READ_SIZE, ensure_bucket
from tests.ports import free_port
from tests.samples import pdf_shell

MIB = 1024 * 1024
GIB = 1024 * MIB
PASSWORD = "bench password 123456"  # noqa: S105 - a throwaway account in a temporary folder
JPEG_BYTES_PER_PIXEL = 0.79  # random grey at quality 90, measured here
SEND_PIECE = MIB  # the client hands the body to urllib3 by the MiB, never copied whole

UP_COFFRE = "up    coffre: POST /api/v1/vaults/me/documents (multipart)"
UP_COMPARED = "up    coffre --compare: the same"
UP_FLOOR = "up    bare Starlette: raw PUT -> boto3 upload_fileobj"
UP_BOTO3 = "up    boto3 put_object"
DOWN_COFFRE = "down  coffre: GET /api/v1/documents/{id}/content"
DOWN_COMPARED = "down  coffre --compare: the same"
DOWN_FLOOR = "down  bare Starlette: get_object streamed"
DOWN_BOTO3 = "down  boto3 get_object + iter_chunks(1 MiB)"
UPLOADS = (UP_COFFRE, UP_COMPARED, UP_FLOOR, UP_BOTO3)
ALL_ROWS = (*UPLOADS, DOWN_COFFRE, DOWN_COMPARED, DOWN_FLOOR, DOWN_BOTO3)
COMPARED = (UP_COMPARED, DOWN_COMPARED)
LARGE_ROWS = (UP_COFFRE, UP_BOTO3, DOWN_COFFRE, DOWN_BOTO3)
REFERENCE = {row: UP_BOTO3 if row in UPLOADS else DOWN_BOTO3 for row in ALL_ROWS}
FLOOR = {
    UP_COFFRE: UP_FLOOR,
    UP_COMPARED: UP_FLOOR,
    DOWN_COFFRE: DOWN_FLOOR,
    DOWN_COMPARED: DOWN_FLOOR,
}


@dataclass
class Sample:
    wall: float
    client_cpu: float
    server_cpu: float | None = None
    rss_before_kib: int | None = None
    growth_kib: int | None = None


@dataclass
class Servers:
    coffre: Server
    floor: Server
    token: str
    coffre_start_kib: int  # coffre's RSS once signed up, before any paper
    # --compare: coffre serve from another source tree, and its bearer token
    compared: Server | None = None
    compared_token: str = ""

    def rows(self) -> tuple[str, ...]:
        return tuple(row for row in ALL_ROWS if self.compared or row not in COMPARED)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status (Linux only)")


@dataclass
class Paper:
    """One size's bytes, and where each path put them."""

    data: bytes
    document_id: str = ""
    compared_document_id: str = ""
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    crc: int = field(init=False)

    def __post_init__(self) -> None:
        self.crc = crc([self.data])

    @property
    def size(self) -> int:
        return len(self.data)

    def key(self, row: str) -> str:
        return f"{self.size // MIB}mib-{'floor' if row in (UP_FLOOR, DOWN_FLOOR) else 'boto3'}"


def random_pdf(size: int) -> bytes:
    """`size` bytes of a valid one-page PDF (pypdf opens it before it is kept) whose one
    picture is written without compression, its pixels random: the worst case of the check,
    where PDFium compresses the whole picture as it writes its copy (format_checks)."""
    head, tail = pdf_shell(size)
    return head + os.urandom(size) + tail


def scanned_pdf(size: int) -> bytes:
    """About `size` bytes of a PDF as a scanner or a phone writes one: a page per MiB (at most
    200), each a JPEG picture of A4 proportions (its grain random, so that it does not shrink),
    padded to `size` by a comment before the table."""
    pages = max(1, min(size // MIB, 200))
    width = int(math.sqrt(size / pages / JPEG_BYTES_PER_PIXEL / math.sqrt(2)))
    height = int(width * math.sqrt(2))
    picture = io.BytesIO()
    noise = Image.frombytes("L", (width, height), os.urandom(width * height))
    noise.save(picture, "JPEG", quality=90)
    jpeg = picture.getvalue()
    drawing = b"q 595 0 0 842 0 0 cm /Scan Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (3 + 3 * page) for page in range(pages)), pages),
    ]
    for page in range(pages):
        contents, scan = 4 + 3 * page, 5 + 3 * page
        objects += [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /XObject << /Scan %d 0 R >> >> >>" % (contents, scan),
            b"<< /Length %d >>\nstream\n" % len(drawing) + drawing + b"\nendstream",
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
            % (width, height, len(jpeg))
            + jpeg
            + b"\nendstream",
        ]
    parts = [b"%PDF-1.4\n"]
    written = len(parts[0])
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(written)
        parts.append(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        written += len(parts[-1])
    table = b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    table += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n" % (len(objects) + 1)
    end = b"\n%%EOF\n"
    xref_at = max(written, size - len(table) - len(trailer) - len(end) - len(b"%d" % size))
    if xref_at > written:
        padding = xref_at - written
        parts.append(b"%" + b" " * (padding - 2) + b"\n" if padding > 1 else b"\n")
    parts += [table, trailer, b"%d" % xref_at, end]
    return b"".join(parts)


def form(data: bytes) -> tuple[Callable[[], Iterator[bytes]], dict[str, str]]:
    """The multipart body of an upload (its fields, then the file), as a fresh iterator of
    pieces for each run, and its headers: the bytes are sliced, never copied whole."""
    boundary = secrets.token_hex(16)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nidentity\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBanc\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="banc.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def pieces() -> Iterator[bytes]:
        yield head
        with memoryview(data) as view:
            for start in range(0, len(view), SEND_PIECE):
                yield bytes(view[start : start + SEND_PIECE])
        yield tail

    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + len(data) + len(tail)),
    }
    return pieces, headers


def raw(data: bytes) -> Iterator[bytes]:
    with memoryview(data) as view:
        for start in range(0, len(view), SEND_PIECE):
            yield bytes(view[start : start + SEND_PIECE])


def received(answer: urllib3.BaseHTTPResponse, expected: int) -> None:
    """Read a download to the end, checked by a running hash (never held whole)."""
    try:
        if answer.status != 200:
            raise RuntimeError(f"download: {answer.status} {answer.read()[:200]!r}")
        if crc(answer.stream(READ_SIZE)) != expected:
            raise RuntimeError("the downloaded bytes differ from the uploaded ones")
    finally:
        answer.release_conn()


class Paths:
    """Every row as a call on one paper."""

    def __init__(self, servers: Servers, bucket: str, endpoint: str) -> None:
        self._servers = servers
        self._bucket = bucket
        self._s3 = make_s3_client(endpoint, REGION)
        # urllib3, the HTTP client under boto3, for every row: the rows then differ by what
        # serves them, not by their client (httpx spends ~45 ms more CPU reading 100 MiB here).
        self._http = urllib3.PoolManager(timeout=600, retries=False)

    def close(self) -> None:
        self._http.clear()

    def _coffre(self, row: str) -> tuple[str, dict[str, str]]:
        """The coffre server of a row, and its bearer token's header."""
        server, token = self._servers.coffre, self._servers.token
        if row in COMPARED and self._servers.compared is not None:
            server, token = self._servers.compared, self._servers.compared_token
        return server.url, {"Authorization": f"Bearer {token}"}

    def run(self, row: str, paper: Paper) -> None:
        floor = self._servers.floor.url
        if row in (UP_COFFRE, UP_COMPARED):
            coffre, auth = self._coffre(row)
            pieces, headers = form(paper.data)
            answer = self._http.request(
                "POST",
                f"{coffre}/api/v1/vaults/me/documents",
                body=pieces(),
                headers=auth | headers,
            )
            if answer.status != 201:
                raise RuntimeError(f"coffre upload: {answer.status} {answer.data[:300]!r}")
            if row == UP_COFFRE:
                paper.document_id = answer.json()["id"]
            else:
                paper.compared_document_id = answer.json()["id"]
        elif row == UP_FLOOR:
            length = {"Content-Length": str(paper.size)}
            answer = self._http.request(
                "PUT", f"{floor}/objects/{paper.key(row)}", body=raw(paper.data), headers=length
            )
            if answer.status != 201:
                raise RuntimeError(f"bare upload: {answer.status} {answer.data[:300]!r}")
        elif row == UP_BOTO3:
            self._s3.put_object(Bucket=self._bucket, Key=paper.key(row), Body=paper.data)
        elif row in (DOWN_COFFRE, DOWN_COMPARED):
            coffre, auth = self._coffre(row)
            document = paper.document_id if row == DOWN_COFFRE else paper.compared_document_id
            url = f"{coffre}/api/v1/documents/{document}/content"
            received(self._http.request("GET", url, headers=auth, preload_content=False), paper.crc)
        elif row == DOWN_FLOOR:
            url = f"{floor}/objects/{paper.key(row)}"
            received(self._http.request("GET", url, preload_content=False), paper.crc)
        else:
            body = self._s3.get_object(Bucket=self._bucket, Key=paper.key(row))["Body"]
            if crc(body.iter_chunks(READ_SIZE)) != paper.crc:
                raise RuntimeError("boto3 read back other bytes")

    def server_of(self, row: str) -> Server | None:
        if row in (UP_COFFRE, DOWN_COFFRE):
            return self._servers.coffre
        if row in COMPARED:
            return self._servers.compared
        if row in (UP_FLOOR, DOWN_FLOOR):
            return self._servers.floor
        return None

    def timed(self, row: str, paper: Paper) -> Sample:
        server = self.server_of(row)
        pid = server.process.pid if server else None
        before = peak_rss_kib(pid, reset=True) if pid else None
        server_cpu = tree_cpu(pid) if pid else 0.0
        wall, cpu = time.perf_counter(), time.process_time()
        self.run(row, paper)
        sample = Sample(time.perf_counter() - wall, time.process_time() - cpu)
        if pid and before is not None:
            settle(pid)
            sample.server_cpu = tree_cpu(pid) - server_cpu
            sample.rss_before_kib = before
            sample.growth_kib = peak_rss_kib(pid) - before
        return sample


def tree_cpu(pid: int) -> float:
    """The CPU of the process, of its children it waited for and of those still running (the
    templates of coffre's workers, with the children they forked and waited for)."""
    return cpu_with_children(pid) + sum(map(live_cpu, live_children(pid)))


def cpu_with_children(pid: int) -> float:
    """utime + stime of the process and of its children it waited for (the preview worker
    that draws a thumbnail), fields 14 to 17 of /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def settle(pid: int) -> None:
    """Wait until the server has finished what it does after its answer (coffre draws the
    thumbnail then): no CPU spent for 0.1 s by it or by its children (the warm workers wait as
    children, idle). The next row then runs on a quiet server, and this row's CPU counts that
    work."""
    deadline = time.monotonic() + 30
    last, quiet = -1.0, 0
    while time.monotonic() < deadline and quiet < 2:
        spent = tree_cpu(pid)
        quiet = quiet + 1 if spent == last else 0
        last = spent
        time.sleep(0.05)


def live_children(pid: int) -> list[int]:
    found = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in path.read_text().split()]
    return found


def live_cpu(pid: int) -> float:
    """A child's CPU so far, 0 once it has gone (then its parent's count has it)."""
    try:
        return cpu_with_children(pid)
    except OSError:
        return 0.0


def measure(
    paths: Paths, rows: tuple[str, ...], papers: list[Paper], repeat: int, large: Paper | None
) -> None:
    for paper in papers:
        for row in rows:
            paths.run(row, paper)  # untimed: objects for the downloads, connections, caches
    # Round-robin rather than row after row, so that the machine's drift hits every row; in a
    # new order each round, so that no row always follows the same one and pays for it.
    shuffled = secrets.SystemRandom()
    for _ in range(repeat):
        for paper in papers:
            for row in shuffled.sample(rows, len(rows)):
                paper.samples.setdefault(row, []).append(paths.timed(row, paper))
    if large is not None:
        for row in LARGE_ROWS:
            large.samples[row] = [paths.timed(row, large)]


def seconds(values: list[float]) -> str:
    return f"{statistics.median(values):.4f}"


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def table(paper: Paper) -> Table:
    runs = len(next(iter(paper.samples.values())))
    title = f"{paper.size / MIB:g} MiB, {runs} run{'s' * (runs > 1)}, medians"
    result = Table(title=title, box=box.MARKDOWN, title_justify="left")
    result.add_column("path")
    for header in (
        *("s", "min s", "MiB/s", "client CPU s", "server CPU s", "server RSS MiB"),
        *("peak growth MiB (max)", "÷ boto3 (min)", "÷ bare app"),
    ):
        result.add_column(header, justify="right")
    median = {row: statistics.median(s.wall for s in runs) for row, runs in paper.samples.items()}
    best = {row: min(s.wall for s in runs) for row, runs in paper.samples.items()}
    for row in (row for row in ALL_ROWS if row in paper.samples):
        samples = paper.samples[row]
        server_cpu = [s.server_cpu for s in samples if s.server_cpu is not None]
        before = [s.rss_before_kib for s in samples if s.rss_before_kib is not None]
        growth = [s.growth_kib for s in samples if s.growth_kib is not None]
        reference = REFERENCE[row]
        floor = FLOOR.get(row)
        result.add_row(
            row,
            f"{median[row]:.4f}",
            f"{best[row]:.4f}",
            f"{paper.size / MIB / median[row]:.0f}",
            seconds([s.client_cpu for s in samples]),
            seconds(server_cpu) if server_cpu else "",
            mib(int(statistics.median(before))) if before else "",
            mib(max(growth)) if growth else "",
            f"{median[row] / median[reference]:.2f} ({best[row] / best[reference]:.2f})",
            f"{median[row] / median[floor]:.2f}" if floor in median else "",
        )
    return result


def memory(servers: Servers, papers: list[Paper]) -> str:
    """coffre's RSS before any paper, and the highest it reached in any timed run: what a
    measure from a reset peak does not show (memory kept by the allocator between runs)."""
    peaks = [
        sample.rss_before_kib + sample.growth_kib
        for paper in papers
        for row in (UP_COFFRE, DOWN_COFFRE)
        for sample in paper.samples.get(row, [])
        if sample.rss_before_kib is not None and sample.growth_kib is not None
    ]
    start = servers.coffre_start_kib
    return (
        f"coffre serve RSS: {mib(start)} MiB once signed up, highest peak in a timed run "
        f"{mib(max(peaks))} MiB (+{mib(max(peaks) - start)} MiB)"
    )


def targets(papers: list[Paper], large: Paper | None) -> list[str]:
    """The issue's goals, each with its figure and met or not."""
    lines = []
    for paper in papers:
        goal = 1.25 if paper.size >= 100 * MIB else 1.6 if paper.size < 2 * MIB else None
        if goal is None:
            continue
        for row in (UP_COFFRE, DOWN_COFFRE):
            ratio = statistics.median(s.wall for s in paper.samples[row]) / statistics.median(
                s.wall for s in paper.samples[REFERENCE[row]]
            )
            verdict = "met" if ratio <= goal else "MISSED"
            lines.append(
                f"target {paper.size / MIB:g} MiB {row.split()[0]} <= {goal}x boto3: "
                f"{ratio:.2f}x, {verdict}"
            )
    if large is not None:
        growth = large.samples[UP_COFFRE][0].growth_kib or 0
        verdict = "met" if growth < 64 * 1024 else "MISSED"
        lines.append(
            f"target {large.size / GIB:g} GiB upload, server memory growth < 64 MiB: "
            f"{mib(growth)} MiB, {verdict}"
        )
    return lines


def paired(papers: list[Paper]) -> list[str]:
    """With --compare: the median of each round's difference, this tree's time minus the other
    tree's, which the machine's drift from round to round does not blur as it blurs two
    medians."""
    lines = []
    for paper in papers:
        for row, other in ((UP_COFFRE, UP_COMPARED), (DOWN_COFFRE, DOWN_COMPARED)):
            if other not in paper.samples:
                continue
            ours, theirs = paper.samples[row], paper.samples[other]
            differences = [a.wall - b.wall for a, b in zip(ours, theirs, strict=True)]
            lines.append(
                f"{paper.size / MIB:g} MiB {row.split()[0]}: this tree - --compare tree, median "
                f"of {len(differences)} paired runs: {statistics.median(differences) * 1000:+.2f}"
                " ms"
            )
    return lines


def sign_up(url: str) -> str:
    body = {"login": "banc.http", "display_name": "Banc HTTP", "password": PASSWORD}
    created = urllib3.request("POST", f"{url}/api/v1/beneficiaries", json=body, timeout=60)
    if created.status != 201:
        raise RuntimeError(f"sign-up: {created.status} {created.data[:200]!r}")
    signed_in = {"login": body["login"], "password": PASSWORD}
    session = urllib3.request("POST", f"{url}/api/v1/session", json=signed_in, timeout=60)
    if session.status != 201:
        raise RuntimeError(f"sign-in: {session.status} {session.data[:200]!r}")
    token: str = session.json()["token"]
    return token


@contextlib.contextmanager
def servers(
    folder: Path,
    endpoint: str,
    bucket: str,
    largest: int,
    settings: dict[str, str],
    compare: str | None,
) -> Iterator[Servers]:
    storage = f"s3://{bucket}?endpoint_url={endpoint}&region={REGION}"
    coffre_settings = {
        "COFFRE_STORAGE_URL": storage,
        "COFFRE_MAX_UPLOAD_BYTES": str(largest + MIB),
        "COFFRE_QUOTA_BYTES": str(1 << 50),  # every run adds a paper to the one vault
    } | settings
    floor_env = os.environ | {"FLOOR_S3_ENDPOINT": endpoint, "FLOOR_BUCKET": bucket}
    port = free_port()
    floor_command = [sys.executable, "-m", "uvicorn", "bench.http_floor:app", "--port", str(port)]
    floor_command += ["--app-dir", str(Path(__file__).resolve().parent.parent)]
    with contextlib.ExitStack() as stack:
        coffre = stack.enter_context(coffre_server(folder / "data", settings=coffre_settings))
        floor = stack.enter_context(running(floor_command, port, floor_env, folder))
        running_servers = Servers(coffre, floor, sign_up(coffre.url), rss_kib(coffre.process.pid))
        if compare is not None:
            # The other tree first on the path: its coffre, this environment's libraries.
            path = os.pathsep.join(filter(None, (compare, os.environ.get("PYTHONPATH"))))
            other = coffre_settings | {"PYTHONPATH": path}
            (folder / "compared").mkdir()
            compared = coffre_server(folder / "compared" / "data", settings=other)
            running_servers.compared = stack.enter_context(compared)
            running_servers.compared_token = sign_up(running_servers.compared.url)
        yield running_servers


def http_stack() -> str:
    """What uvicorn's "auto" picks in the servers (they run with this process's environment)."""

    def found(module: str) -> str | None:
        if importlib.util.find_spec(module) is None:
            return None
        return f"{module} {importlib.metadata.version(module)}"

    http = found("httptools") or "h11"
    loop = found("uvloop") or "asyncio"
    return f"uvicorn {importlib.metadata.version('uvicorn')} (auto): {http}, {loop}"


def machine(description: str, settings: dict[str, str], compare: str | None) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    chosen = ", ".join(f"{name}={value}" for name, value in settings.items()) or "defaults"
    return [
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        f"{platform.system()} {platform.machine()}, {cpu}, nproc {len(os.sched_getaffinity(0))}, "
        f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}",
        f"Python {platform.python_version()}, {http_stack()}, "
        f"client urllib3 {importlib.metadata.version('urllib3')}",
        f"{description}; coffre serve: one process, SQLite in a temporary folder, "
        f"settings: {chosen}",
        *([f"coffre --compare: coffre serve from {compare}, the same settings"] if compare else []),
    ]


def memstore_needed(sizes: list[int], repeat: int, large: bool, uploads: int) -> int:
    """What this run writes (Ceph frees overwritten objects only hours later), and room."""
    written = sum(sizes) * uploads * (repeat + 1) + (2 * GIB if large else 0)
    return max(4 * GIB, written + GIB)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoint", help="S3 endpoint (default: $COFFRE_TEST_S3_ENDPOINT)")
    parser.add_argument("--sizes", default="1,100", help="paper sizes in MiB (default 1,100)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per row (default 5)")
    parser.add_argument("--large", action="store_true", help="also 1 GiB, one run")
    parser.add_argument(
        "--raw-pictures",
        action="store_true",
        help="one uncompressed picture per PDF, the check's worst case (default: JPEG pages)",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="COFFRE_NAME=VALUE",
        help="a setting for coffre serve (repeatable)",
    )
    parser.add_argument(
        "--compare",
        metavar="PATH",
        help="another source tree of coffre (e.g. a worktree of main), served beside, same rows",
    )
    args = parser.parse_args()
    make_pdf = random_pdf if args.raw_pictures else scanned_pdf
    sizes = sorted(int(float(size) * MIB) for size in args.sizes.split(","))
    settings = dict(setting.split("=", 1) for setting in args.setting)
    console = Console(width=200, highlight=False)
    uploads = len(UPLOADS) - (args.compare is None)
    memstore = memstore_needed(sizes, args.repeat, args.large, uploads)
    folder = Path(tempfile.mkdtemp(prefix="coffre-bench-http-"))
    try:
        with s3_server(args.endpoint, memstore) as s3:
            bucket = f"coffre-bench-{secrets.token_hex(4)}"
            client = make_s3_client(s3.endpoint, REGION)
            ensure_bucket(client, bucket)
            largest = GIB if args.large else sizes[-1]
            try:
                with servers(
                    folder, s3.endpoint, bucket, largest, settings, args.compare
                ) as running_servers:
                    console.print("\n".join(machine(s3.description, settings, args.compare)))
                    paths = Paths(running_servers, bucket, s3.endpoint)
                    papers = [Paper(make_pdf(size)) for size in sizes]
                    large = Paper(make_pdf(GIB)) if args.large else None
                    try:
                        measure(paths, running_servers.rows(), papers, args.repeat, large)
                    finally:
                        paths.close()
            finally:
                leave_nothing(s3, client, bucket)
            everything = papers + ([large] if large else [])
            for paper in everything:
                console.print(table(paper))
            console.print(memory(running_servers, everything))
            console.print("\n".join(paired(papers) + targets(papers, large)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
