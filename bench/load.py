"""Many people at once: `coffre serve`, one then two instances, on PostgreSQL + S3.

    .venv/bin/python -m bench.load [--people 50] [--concurrency 8] [--instances 1,2]
                                   [--backend postgresql|sqlite] [--endpoint URL]

For each instance count, on a fresh database and a fresh bucket: starts `coffre db upgrade`,
then that many `coffre serve` processes on as many ports (one database, one bucket, one
keyring file; each instance its own data folder), creates --people people and a first paper for
each through the API (untimed), then drives them from this process with httpx: each person
signs in, lists their papers, opens one (downloads it), uploads a 1 MiB paper and signs out, on
the instance of their number modulo the instances. --concurrency people at a time, each person
one request after the other: at most --concurrency requests in flight. Prints the throughput,
p50/p95/p99 per route template, the errors by status, and each instance's peak memory (VmHWM)
and CPU. PostgreSQL is a throwaway server (scripts/pg.sh), the S3 server a throwaway Ceph RGW
unless --endpoint (bench/storage_path.py). --backend sqlite: one SQLite file and one local
folder shared by the instances, for a quick try. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import os
import platform
import random
import resource
import secrets
import shutil
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bench.http_path import form, http_stack, random_pdf, settle, tree_cpu
from bench.rotation import PG_SERVER_OPTIONS, postgres
from bench.signin import (
    DEFAULT_PROFILE,
    Server,
    coffre_server,
    hashes_per_second,
    one_hash_seconds,
    peak_rss_kib,
)
from bench.storage_path import REGION, crc, s3_server
from storage.factory import make_s3_client
from storage.s3 import ensure_bucket
from vault.config import Settings
from vault.documents.previews import JPEG_START, run_worker

MIB = 1024 * 1024
PAPER_BYTES = MIB
PASSWORD = "bench password 123456"  # noqa: S105 - throwaway people in a temporary folder
SET_UP_IN_FLIGHT = 4  # people created at once before the clock starts (argon2 hashes)

SIGN_IN = "POST /api/v1/session"
LIST = "GET /api/v1/vaults/{vault_id}/documents"
OPEN = "GET /api/v1/documents/{document_id}/content"
UPLOAD = "POST /api/v1/vaults/{vault_id}/documents"
SIGN_OUT = "DELETE /api/v1/session"
ROUTES = (SIGN_IN, LIST, OPEN, UPLOAD, SIGN_OUT)


@dataclass
class Backend:
    description: str
    settings: Callable[[Path, str], dict[str, str]]  # (folder, run name): COFFRE_* of a run


@dataclass
class Sample:
    route: str
    status: str  # the HTTP status, or the name of the transport error
    seconds: float
    ok: bool
    server_cpu: float | None = None  # measured only when one person at a time is served


@dataclass
class Instance:
    server: Server
    rss_before_kib: int = 0
    peak_kib: int = 0
    cpu_seconds: float = 0.0


@dataclass
class Run:
    instances: list[Instance]
    people: int
    concurrency: int
    wall: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    people_done: int = 0
    driver_cpu: float = 0.0  # this process: the simulated people
    alone: list[Sample] = field(default_factory=list)  # after the timed run: one_at_a_time


def login(i: int) -> str:
    return f"bench.load{i:04d}"


def upload(http: httpx.Client, headers: dict[str, str], data: bytes) -> httpx.Response:
    pieces, form_headers = form(data)
    return http.post(
        "/api/v1/vaults/me/documents", content=pieces(), headers=headers | form_headers
    )


def create_person(url: str, i: int, data: bytes) -> None:
    """Sign-up, sign-in, a first paper, sign-out: untimed, before the clock starts."""
    with httpx.Client(base_url=url, timeout=300) as http:
        body = {"login": login(i), "display_name": f"Banc {i}", "password": PASSWORD}
        created = http.post("/api/v1/beneficiaries", json=body)
        if created.status_code != 201:
            raise RuntimeError(f"sign-up {login(i)}: {created.status_code} {created.text[:200]}")
        session = http.post("/api/v1/session", json={"login": login(i), "password": PASSWORD})
        if session.status_code != 201:
            raise RuntimeError(f"sign-in {login(i)}: {session.status_code} {session.text[:200]}")
        auth = {"Authorization": f"Bearer {session.json()['token']}"}
        paper = upload(http, auth, data)
        if paper.status_code != 201:
            raise RuntimeError(f"first paper {login(i)}: {paper.status_code} {paper.text[:200]}")
        http.delete("/api/v1/session", headers=auth)


class Journey:
    """One person's visit, each request timed and checked; stops at the first failure that
    leaves nothing to do next (no token, no paper to open)."""

    def __init__(self, url: str, i: int, data: bytes, server_pid: int | None = None) -> None:
        """`server_pid`: measure the server's CPU for each request, the server being quiet
        before and after it (its thumbnail counts in the upload)."""
        self._url, self._i, self._data, self._pid = url, i, data, server_pid
        self._crc = crc([data])
        self.samples: list[Sample] = []
        self.last: httpx.Response | None = None  # the last answer, when it was the expected one

    def _timed(self, route: str, expected: int, send: Callable[[], httpx.Response]) -> Sample:
        if self._pid is not None:
            settle(self._pid)
            cpu = tree_cpu(self._pid)
        start = time.perf_counter()
        answer: httpx.Response | None = None
        try:
            answer = send()
            status, ok = str(answer.status_code), answer.status_code == expected
        except httpx.HTTPError as error:
            status, ok = type(error).__name__, False
        sample = Sample(route, status, time.perf_counter() - start, ok)
        if self._pid is not None:
            settle(self._pid)
            sample.server_cpu = tree_cpu(self._pid) - cpu
        self.samples.append(sample)
        self.last = answer if ok else None
        return sample

    def run(self) -> bool:
        """True when every request of the visit got its expected answer."""
        with httpx.Client(base_url=self._url, timeout=300) as http:
            body = {"login": login(self._i), "password": PASSWORD}
            if not self._timed(SIGN_IN, 201, lambda: http.post("/api/v1/session", json=body)).ok:
                return False
            assert self.last is not None
            auth = {"Authorization": f"Bearer {self.last.json()['token']}"}
            listed = self._timed(
                LIST, 200, lambda: http.get("/api/v1/vaults/me/documents", headers=auth)
            )
            papers = self.last.json() if listed.ok and self.last is not None else []
            if papers:
                chosen = random.choice(papers)["id"]
                url = f"/api/v1/documents/{chosen}/content"
                self._timed(OPEN, 200, lambda: read_all(http, url, auth, self._crc))
            self._timed(UPLOAD, 201, lambda: upload(http, auth, self._data))
            self._timed(SIGN_OUT, 204, lambda: http.delete("/api/v1/session", headers=auth))
        return bool(papers) and all(sample.ok for sample in self.samples)


class OtherBytesError(httpx.HTTPError):
    """A paper came back, whole, but not with the bytes every person uploads."""


def read_all(
    http: httpx.Client, url: str, headers: dict[str, str], expected: int
) -> httpx.Response:
    """A download read to its last byte (the time of the whole paper, not of its headers) and
    checked against the CRC-32 of the bench's paper (every paper here has its bytes)."""
    with http.stream("GET", url, headers=headers) as answer:
        received = crc(answer.iter_raw())
    if answer.status_code == 200 and received != expected:
        raise OtherBytesError(url)
    return answer


def drive(run: Run, data: bytes) -> None:
    """Every person once, `run.concurrency` at a time, spread over the instances."""
    lock = threading.Lock()
    urls = [instance.server.url for instance in run.instances]

    def person(i: int) -> None:
        journey = Journey(urls[i % len(urls)], i, data)
        done = journey.run()
        with lock:
            run.samples.extend(journey.samples)
            run.people_done += done

    order = list(range(run.people))
    random.shuffle(order)  # not always the same instance first
    for instance in run.instances:
        instance.rss_before_kib = peak_rss_kib(instance.server.process.pid, reset=True)
        instance.cpu_seconds = tree_cpu(instance.server.process.pid)
    driver, start = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(run.concurrency) as pool:
        list(pool.map(person, order))
    run.wall = time.perf_counter() - start
    run.driver_cpu = time.process_time() - driver
    for instance in run.instances:
        pid = instance.server.process.pid
        instance.peak_kib = peak_rss_kib(pid)
        instance.cpu_seconds = tree_cpu(pid) - instance.cpu_seconds


def one_at_a_time(instance: Instance, people: int, data: bytes) -> list[Sample]:
    """The first `people` visit again, one request at a time, the server's CPU measured for
    each: what each route costs, without the queueing of the timed run."""
    samples = []
    for i in range(people):
        journey = Journey(instance.server.url, i, data, instance.server.process.pid)
        journey.run()
        samples.extend(journey.samples)
    return samples


def set_up(urls: list[str], people: int, data: bytes) -> None:
    """Each person is created on the instance after the one that will serve their visit: with
    two, their account and first paper come from the other process."""
    with ThreadPoolExecutor(SET_UP_IN_FLIGHT) as pool:
        list(pool.map(lambda i: create_person(urls[(i + 1) % len(urls)], i, data), range(people)))


@contextlib.contextmanager
def instances(count: int, folder: Path, settings: dict[str, str]) -> Iterator[list[Instance]]:
    """`count` coffre serve processes over the same database, bucket and keyring, started one
    after the other (each after its own `coffre db upgrade`, as bench.signin starts them)."""
    with contextlib.ExitStack() as stack:
        started = []
        for n in range(count):
            data_dir = folder / f"instance-{n + 1}" / "data"
            data_dir.parent.mkdir(parents=True)
            started.append(Instance(stack.enter_context(coffre_server(data_dir, None, settings))))
        yield started


def one_run(
    backend: Backend, folder: Path, count: int, args: argparse.Namespace, data: bytes
) -> Run:
    run_folder = folder / f"{count}-instances"
    run_folder.mkdir()
    settings = backend.settings(run_folder, f"{count}i")
    with instances(count, run_folder, settings) as running:
        set_up([instance.server.url for instance in running], args.people, data)
        run = Run(running, args.people, args.concurrency)
        drive(run, data)
        run.alone = one_at_a_time(running[0], min(args.alone, args.people), data)
    return run


def quantile(values: list[float], q: int) -> float:
    """The q-th percentile, interpolated between the nearest ranks (statistics' "inclusive")."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def routes_table(run: Run) -> Table:
    title = (
        f"{len(run.instances)} instance{'s' * (len(run.instances) > 1)}: latency per route, "
        f"{run.people} people, {run.concurrency} in flight"
    )
    table = Table(title=title, box=box.MARKDOWN, title_justify="left")
    table.add_column("route")
    for header in ("requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(header, justify="right")
    for route in ROUTES:
        samples = [sample for sample in run.samples if sample.route == route]
        if not samples:
            continue
        times = [sample.seconds for sample in samples]
        table.add_row(
            route,
            str(len(samples)),
            str(sum(not sample.ok for sample in samples)),
            ms(quantile(times, 50)),
            ms(quantile(times, 95)),
            ms(quantile(times, 99)),
            ms(max(times)),
        )
    return table


def alone_table(run: Run) -> Table:
    people = sum(sample.route == SIGN_IN for sample in run.alone)
    title = (
        f"{len(run.instances)} instance{'s' * (len(run.instances) > 1)}: after the timed run, "
        f"{people} people again, one request at a time on instance 1, medians"
    )
    table = Table(title=title, box=box.MARKDOWN, title_justify="left")
    table.add_column("route")
    for header in ("wall ms", "server CPU ms", "share of the visit's server CPU"):
        table.add_column(header, justify="right")
    cpu = {
        route: statistics.median(
            sample.server_cpu or 0.0 for sample in run.alone if sample.route == route
        )
        for route in ROUTES
        if any(sample.route == route for sample in run.alone)
    }
    visit = sum(cpu.values()) or 1.0
    for route, spent in cpu.items():
        wall = statistics.median(sample.seconds for sample in run.alone if sample.route == route)
        table.add_row(route, ms(wall), ms(spent), f"{100 * spent / visit:.0f}%")
    table.add_row("a whole visit (sum of the medians)", "", ms(sum(cpu.values())), "")
    return table


def summary_table(runs: list[Run]) -> Table:
    table = Table(title="throughput and server memory", box=box.MARKDOWN, title_justify="left")
    table.add_column("instances", justify="right")
    headers = (
        "wall s",
        "people/s",
        "requests/s",
        "errors",
        "instance",
        "RSS before MiB",
        "peak RSS MiB",
        "server CPU s",
        "server CPU ms per person",
    )
    for header in headers:
        table.add_column(header, justify="right")
    for run in runs:
        errors = sum(not sample.ok for sample in run.samples)
        for n, instance in enumerate(run.instances):
            first = n == 0
            table.add_row(
                str(len(run.instances)) if first else "",
                f"{run.wall:.1f}" if first else "",
                f"{run.people_done / run.wall:.2f}" if first else "",
                f"{len(run.samples) / run.wall:.1f}" if first else "",
                str(errors) if first else "",
                str(n + 1),
                f"{instance.rss_before_kib / 1024:.0f}",
                f"{instance.peak_kib / 1024:.0f}",
                f"{instance.cpu_seconds:.1f}",
                ms(instance.cpu_seconds / run.people * len(run.instances)),
            )
    return table


def error_lines(run: Run) -> list[str]:
    failed = Counter(
        (sample.route, sample.status) for sample in run.samples if not sample.ok
    ).most_common()
    heading = f"{len(run.instances)} instance(s): {run.people_done} of {run.people} visits whole"
    if not failed:
        return [f"{heading}, no error"]
    return [
        f"{heading}, errors:",
        *(f"  {count} x {status} on {route}" for (route, status), count in failed),
    ]


def thumbnail_cpu_seconds(data: bytes, runs: int = 5) -> float:
    """CPU of one thumbnail of the bench's paper, drawn by coffre's preview worker (a process
    started per paper, after the upload's answer): the median of `runs`, this process idle."""
    settings = Settings.model_construct()  # the defaults, none of this environment's
    spent = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not run_worker(settings, "thumbnail", [data]).startswith(JPEG_START):
            raise RuntimeError("the preview worker drew no thumbnail of the bench's paper")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(spent)


def cost_lines(
    runs: list[Run], hash_seconds: float, hash_rate: float, thumbnail_seconds: float
) -> list[str]:
    cores = len(os.sched_getaffinity(0))
    lines = [
        f"one argon2 verify in this process: {ms(hash_seconds)} ms; {hash_rate:.1f} verifies/s "
        f"with {cores} threads (the machine's most, whatever the server); one thumbnail of the "
        f"paper (preview worker process): {ms(thumbnail_seconds)} ms CPU; each visit signs in "
        "once and uploads once"
    ]
    for run in runs:
        floor = run.people / hash_rate
        servers = sum(instance.cpu_seconds for instance in run.instances)
        lines.append(
            f"{len(run.instances)} instance(s): {run.people} sign-ins take at least {floor:.1f} s "
            f"of hashing, {100 * floor / run.wall:.0f}% of the {run.wall:.1f} s; CPU s: "
            f"coffre serve {servers:.1f} (thumbnail workers included), driver "
            f"{run.driver_cpu:.1f}, of the machine's {cores * run.wall:.1f}"
        )
    return lines


def machine(backend: Backend, args: argparse.Namespace, hash_seconds: float) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    version = importlib.metadata.version
    return [
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        f"{platform.system()} {platform.machine()}, {cpu}, nproc {len(os.sched_getaffinity(0))}, "
        f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}",
        f"Python {platform.python_version()}, {http_stack()}, httpx {httpx.__version__}, "
        f"argon2-cffi {version('argon2-cffi')} (one verify here: {ms(hash_seconds)} ms)",
        backend.description,
        f"{args.people} people, {args.concurrency} in flight, a {PAPER_BYTES // MIB} MiB PDF "
        "uploaded by each; the driver is this process (threads, one httpx client per person)",
    ]


@contextlib.contextmanager
def backend_of(args: argparse.Namespace) -> Iterator[Backend]:
    if args.backend == "sqlite":
        description = (
            "SQLite + a local folder: one database file and one blob folder shared by the "
            "instances, in a temporary folder"
        )

        def local(folder: Path, _name: str) -> dict[str, str]:
            shared = folder / "shared"
            shared.mkdir()
            return {
                "COFFRE_DATABASE_URL": f"sqlite:///{shared / 'coffre.db'}",
                "COFFRE_STORAGE_URL": (shared / "blobs").as_uri(),
                "COFFRE_KEYRING": (shared / "keyring.json").as_uri(),
            }

        yield Backend(description, local)
        return
    if args.backend != "postgresql":
        raise SystemExit(f"unknown backend {args.backend!r}: postgresql or sqlite")
    with postgres() as (url, _postmaster), s3_server(args.endpoint) as s3:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            version = connection.exec_driver_sql("SHOW server_version").scalar()
        client = make_s3_client(s3.endpoint, REGION)

        def shared(folder: Path, name: str) -> dict[str, str]:
            # A database and a bucket per run, on the one PostgreSQL and the one S3 server.
            with admin.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE load_{name}")
            database = make_url(url).set(database=f"load_{name}")
            bucket = f"coffre-load-{name}-{secrets.token_hex(4)}"
            ensure_bucket(client, bucket)
            return {
                "COFFRE_DATABASE_URL": database.render_as_string(hide_password=False),
                "COFFRE_STORAGE_URL": f"s3://{bucket}?endpoint_url={s3.endpoint}&region={REGION}",
                "COFFRE_KEYRING": (folder / "keyring.json").as_uri(),
            }

        description = (
            f"PostgreSQL {version} (scripts/pg.sh: loopback TCP, fsync=off, "
            f"synchronous_commit=off, {PG_SERVER_OPTIONS.removeprefix('-c ')}) + {s3.description} "
            f"at {s3.endpoint}; one local keyring file shared by the instances"
        )
        try:
            yield Backend(description, shared)
        finally:
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=50, help="simulated people (50)")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="people, hence requests, in flight (8)"
    )
    parser.add_argument(
        "--instances", default="1,2", help="coffre serve processes, one run each (1,2)"
    )
    parser.add_argument(
        "--backend", default="postgresql", help="postgresql (+ S3, default) or sqlite (+ folder)"
    )
    parser.add_argument(
        "--alone",
        type=int,
        default=10,
        help="people visiting again one request at a time, server CPU per route (10; 0: none)",
    )
    parser.add_argument("--endpoint", help="S3 endpoint (default: $COFFRE_TEST_S3_ENDPOINT)")
    args = parser.parse_args()
    counts = [int(count) for count in args.instances.split(",")]
    # Wide, so that the Markdown tables never wrap and paste as they are into README.md.
    console = Console(width=180, highlight=False)
    hash_seconds = one_hash_seconds(DEFAULT_PROFILE)
    data = random_pdf(PAPER_BYTES)
    thumbnail_seconds = thumbnail_cpu_seconds(data)
    folder = Path(tempfile.mkdtemp(prefix="coffre-bench-load-"))
    try:
        with backend_of(args) as backend:
            console.print("\n".join(machine(backend, args, hash_seconds)))
            runs = []
            for count in counts:
                runs.append(one_run(backend, folder, count, args, data))
                console.print(routes_table(runs[-1]))
                if runs[-1].alone:
                    console.print(alone_table(runs[-1]))
            console.print(summary_table(runs))
            for run in runs:
                console.print("\n".join(error_lines(run)))
        # Once the database and S3 servers are stopped: the machine as quiet as it gets.
        rate = hashes_per_second(DEFAULT_PROFILE, len(os.sched_getaffinity(0)))
        console.print("\n".join(cost_lines(runs, hash_seconds, rate, thumbnail_seconds)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
