"""Key rotation throughput: a master rotation over N people, one person's user-key rotation.

    .venv/bin/python -m bench.rotation [--people 10000,100000] [--backends sqlite,postgresql]
                                       [--batch 2000] [--workers 1,2] [--rounds 1]
                                       [--papers 5000] [--profile]

For each backend and each N, a fresh database is filled in bulk with N people, each with a real
user key wrapped by the master key, and one of them with --papers documents (a wrapped data key
and sealed title each; no blob object: neither rotation reads the blob store). Then, per batch
size and number of workers, `rotate_master` (a new master version, every user key re-wrapped)
is timed, --rounds times in alternating order (the median run is shown), then `rotate_user` on
the person with the papers, once per batch size, with the CPU time of this process and of the
database server. `--people 1000000` runs in a few minutes: the whole run, fill included,
is timed against issue 11's target. PostgreSQL is a throwaway server started with scripts/pg.sh
and stopped at exit. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import datetime as dt
import os
import platform
import pstats
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cryptography
import psycopg
import sqlalchemy
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import (
    Connection,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    make_url,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from keys.format import FORMAT_VERSION
from keys.hierarchy import new_user_key, seal_field, seal_user_key, wrap_data_key
from keys.wrap import new_key
from vault.accounts.passwords import hash_password
from vault.config import Settings
from vault.db import make_engine, migrate
from vault.keylife.keychain import MASTER_SLOT
from vault.keylife.rotation import rewrap_master_batch, rotate_master, rotate_user
from vault.models import Base, Blob, Document, KeySlot, Person, UserKey, Vault, new_id
from vault.runtime import Runtime
from vault.wiring import build_runtime

ROOT = Path(__file__).resolve().parent.parent
PG_SCRIPT = ROOT / "scripts" / "pg.sh"
# PostgreSQL's default 128 MB of shared buffers holds 100,000 people's key tables but not
# 1,000,000 (about 1 GB with their indexes, twice the rows once rotated): each re-wrapped key
# then read 1.6 pages from outside them and cost twice the server time. A server sized for its
# data is the case to measure; 2 GB is what scripts/pg.sh is given (only pages used are taken).
PG_SERVER_OPTIONS = "-c shared_buffers=2GB"
PASSWORD = "bench password 123456"  # noqa: S105 - throwaway people in a temporary folder
FILL_CHUNK = 5_000  # rows per executemany and per transaction while filling
PAPER_SIZE = 300_000  # recorded sizes only: no object is written
# Issue 11: at 100,000 people, 10,000 user keys a second or more; 1,000,000 people, fill
# included, in under 3 minutes. Both on PostgreSQL.
TARGET_PEOPLE, TARGET_KEYS_PER_SECOND = 100_000, 10_000
LARGE_PEOPLE, LARGE_SECONDS = 1_000_000, 180.0
MASTER, USER = "master: user keys re-wrapped", "user: data keys re-wrapped (+ titles)"


@dataclass(frozen=True)
class Owner:
    """The person given the papers; their user key is kept to seal titles and wrap data keys."""

    person_id: str
    vault_id: str
    user_key_id: str
    user_key: bytes


Chunk = dict[type[Base], list[dict[str, Any]]]  # rows per table, in foreign-key order


def insert_rows(connection: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Rows of one table. On PostgreSQL in one statement, INSERT ... SELECT unnest(one array
    per column), the other columns taking their defaults as an executemany would give them: an
    executemany sends one INSERT per row, and the server runs each (COPY would be quicker still,
    but is no SQL statement). On SQLite, in-process, the executemany is quick."""
    if connection.dialect.name != "postgresql":
        connection.execute(insert(model), rows)
        return
    table = model.__table__
    columns = list(rows[0])
    arrays = [
        func.unnest(bindparam(name, [row[name] for row in rows], ARRAY(table.c[name].type)))
        for name in columns
    ]
    connection.execute(insert(model).from_select(columns, select(*arrays)))


def random_ids(count: int) -> Iterator[str]:
    """Random ids in the 36-character form new_id() gives (a UUID's text), from one read of the
    system's random source: uuid4() one at a time was a third of the fill's Python time."""
    raw = os.urandom(16 * count).hex()
    for i in range(0, 32 * count, 32):
        h = raw[i : i + 32]
        yield f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def binary_parameters(
    _connection: Connection,
    _cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    _executemany: bool,
) -> tuple[str, Any]:
    """Have psycopg send each parameter in binary (%b) rather than as text (%s): a text array
    is quoted element by element in Python, a binary one is copied. This took the fill's Python
    time per person from ~48 to ~30 µs."""
    return PLACEHOLDER.sub(r"%(\1)b", statement), parameters


def insert_chunks(rt: Runtime, chunks: Iterator[Chunk]) -> None:
    """Each chunk in a transaction of its own, sent from a thread while the next chunk is made.
    PostgreSQL's side of the fill costs about twice Python's (indexes on random UUIDs): two
    chunks go in at once there, on two connections (a quarter to a third quicker). SQLite writes
    one transaction at a time: one thread."""
    postgresql = rt.engine.dialect.name == "postgresql"
    if postgresql:
        event.listen(rt.engine, "before_cursor_execute", binary_parameters, retval=True)
    try:
        insert_in_threads(rt, chunks, 2 if postgresql else 1)
    finally:
        if postgresql:
            event.remove(rt.engine, "before_cursor_execute", binary_parameters)


def insert_in_threads(rt: Runtime, chunks: Iterator[Chunk], threads: int) -> None:
    with ThreadPoolExecutor(max_workers=threads) as inserters:
        pending: deque[Future[None]] = deque()
        for chunk in chunks:
            if len(pending) == threads:
                pending.popleft().result()
            pending.append(inserters.submit(insert_chunk, rt, chunk))
        for future in pending:
            future.result()


def insert_chunk(rt: Runtime, chunk: Chunk) -> None:
    with rt.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # No foreign-key check per row, as pg_restore --disable-triggers loads (the bench's
            # own server, as its superuser): each row's parent is inserted just before it, in
            # this transaction. A quarter of the server's time in the fill; the rotations run in
            # transactions of their own, with every check.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for model, rows in chunk.items():
            insert_rows(connection, model, rows)


def fill(rt: Runtime, count: int) -> Owner:
    """`count` people with a vault and a real user key each, inserted in bulk, FILL_CHUNK at a
    time, rather than through the ORM and `create_user_key` (one flush per person)."""
    if count < 1:
        raise SystemExit("--people must be at least 1")
    password_hash = hash_password(PASSWORD)  # one argon2 hash shared: 100,000 would take hours
    owners: list[Owner] = []

    def chunks() -> Iterator[Chunk]:
        for start in range(0, count, FILL_CHUNK):
            # In foreign-key order: SQLite checks them (PRAGMA foreign_keys=ON).
            chunk: Chunk = {Person: [], Vault: [], UserKey: [], KeySlot: []}
            stop = min(start + FILL_CHUNK, count)
            ids = random_ids(4 * (stop - start))
            for n in range(start, stop):
                person_id, vault_id, user_key_id, slot_id = (
                    next(ids),
                    next(ids),
                    next(ids),
                    next(ids),
                )
                key = new_user_key()
                master_version, wrapped = seal_user_key(rt.master_keys, person_id, 1, key)
                chunk[Person].append(
                    {
                        "id": person_id,
                        "login": f"person.{n:07d}",
                        "display_name": f"P {n}",
                        "role": "beneficiary",
                        "password_hash": password_hash,
                    }
                )
                chunk[Vault].append({"id": vault_id, "owner_id": person_id})
                chunk[UserKey].append({"id": user_key_id, "person_id": person_id, "version": 1})
                chunk[KeySlot].append(
                    {
                        "id": slot_id,
                        "user_key_id": user_key_id,
                        "kind": MASTER_SLOT,
                        "master_version": master_version,
                        "wrapped_key": wrapped,
                    }
                )
                if not owners:
                    owners.append(Owner(person_id, vault_id, user_key_id, key))
            yield chunk

    insert_chunks(rt, chunks())
    return owners[0]


def add_papers(rt: Runtime, owner: Owner, count: int) -> None:
    """`count` documents of one blob each, as an upload records them (title and file name
    sealed, data key wrapped under the user key), without any object in the store."""

    def chunks() -> Iterator[Chunk]:
        for start in range(0, count, FILL_CHUNK):
            chunk: Chunk = {Document: [], Blob: []}
            for n in range(start, min(start + FILL_CHUNK, count)):
                document_id, blob_id = new_id(), new_id()

                def sealed(field: str, text: str, document_id: str = document_id) -> bytes:
                    return seal_field(owner.user_key, owner.person_id, document_id, field, text)

                chunk[Document].append(
                    {
                        "id": document_id,
                        "vault_id": owner.vault_id,
                        "user_key_id": owner.user_key_id,
                        "title_sealed": sealed("title", f"Bulletin de salaire {n}"),
                        "filename_sealed": sealed("filename", f"salaire-{n:05d}.pdf"),
                        "category": "income",
                        "content_type": "application/pdf",
                        "size": PAPER_SIZE,
                        "uploaded_by": owner.person_id,
                    }
                )
                data_key = new_key()
                chunk[Blob].append(
                    {
                        "id": blob_id,
                        "document_id": document_id,
                        "role": "original",
                        "object_name": uuid.uuid4().hex,
                        "user_key_id": owner.user_key_id,
                        "wrapped_data_key": wrap_data_key(
                            owner.user_key, data_key, owner.person_id, document_id, blob_id, 1
                        ),
                        "format_version": FORMAT_VERSION,
                        "plain_size": PAPER_SIZE,
                        "stored_size": PAPER_SIZE + 100,
                        "stored_sha256": "0" * 64,
                    }
                )
            yield chunk

    insert_chunks(rt, chunks())


def settle(rt: Runtime) -> None:
    """Start each timed rotation from a vacuumed, analysed database, as autovacuum leaves a
    settled one: the previous rotation's dead rows and the fill's missing statistics would
    otherwise fall on whichever row comes next. SQLite rewrites in place: nothing to do."""
    if rt.engine.dialect.name == "postgresql":
        with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


@dataclass(frozen=True)
class Row:
    job: str
    backend: str
    people: int
    batch: int
    workers: int  # master rotations: batches at once (SQLite: always 1); user rotations: 1
    units: int  # master: user keys; user: data keys (each with a document's title re-sealed)
    seconds: float
    cpu_seconds: float  # this process
    server_cpu_seconds: float  # PostgreSQL's processes (SQLite runs in this process: 0)


@dataclass(frozen=True)
class Run:
    """One backend at one N, from the empty database to the last rotation (profile excluded)."""

    backend: str
    people: int
    fill_seconds: float
    seconds: float


def timed(
    job: str,
    backend: Backend,
    people: int,
    batch: int,
    workers: int,
    run: Callable[[Callable[[int], None]], int],
    expected: int,
) -> Row:
    """One rotation's wall time and CPU time (this process, and the database server's),
    checked to have done the expected number of units."""
    progress: list[int] = []
    start, cpu, server = time.perf_counter(), time.process_time(), backend.server_cpu()
    done = run(progress.append)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    server_seconds = backend.server_cpu() - server
    if done != expected or sum(progress) != expected:
        raise RuntimeError(f"rotation did {done} units ({sum(progress)} reported), not {expected}")
    return Row(
        job, backend.name, people, batch, workers, expected, seconds, cpu_seconds, server_seconds
    )


def master_row(rt: Runtime, backend: Backend, people: int, batch: int, workers: int) -> Row:
    settle(rt)

    def run(progress: Callable[[int], None]) -> int:
        # The progress list is appended to from each worker's thread (a list's append is atomic).
        return rotate_master(rt, batch, progress, workers)

    return timed(MASTER, backend, people, batch, workers, run, people)


def master_rows(
    rt: Runtime, backend: Backend, people: int, batches: list[int], args: argparse.Namespace
) -> list[Row]:
    """Each (batch, workers) --rounds times, the order reversed every other round so that no
    configuration always runs first or last on a machine whose load moves; the median run of
    each (by wall time; the lower of the two middle ones for an even count)."""
    configurations = [(b, w) for b in batches for w in numbers(args.workers)]
    if backend.name == "sqlite":  # SQLite writes one transaction at a time: one worker
        configurations = [(b, 1) for b in batches]
    runs: dict[tuple[int, int], list[Row]] = {c: [] for c in configurations}
    for turn in range(args.rounds):
        for batch, workers in configurations[:: -1 if turn % 2 else 1]:
            runs[batch, workers].append(master_row(rt, backend, people, batch, workers))
    return [sorted(r, key=lambda row: row.seconds)[(len(r) - 1) // 2] for r in runs.values()]


def user_row(
    rt: Runtime, backend: Backend, people: int, batch: int, owner: Owner, papers: int
) -> Row:
    settle(rt)

    def run(progress: Callable[[int], None]) -> int:
        return rotate_user(rt, owner.person_id, batch, progress).moved

    # rotate_user counts blobs and documents: one of each per paper; the row counts papers.
    row = timed(USER, backend, people, batch, 1, run, 2 * papers)
    return dataclasses.replace(row, units=papers)


@dataclass(frozen=True)
class Backend:
    name: str
    description: str
    database_url: Callable[[Path, int], str]  # (folder, N): a fresh empty database
    server_cpu: Callable[[], float]  # CPU seconds used so far by a server of its own


def server_cpu_seconds(postmaster: int) -> float:
    """CPU time used so far by a PostgreSQL server: the postmaster and every process it started
    (the backend serving the bench, the background writers, autovacuum workers while they
    live), from /proc/PID/stat."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command name in parentheses: state, ppid, ... utime and stime 12th, 13th.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that just ended
            continue
        if postmaster in (int(stat.parent.name), int(fields[1])):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def postgres() -> Iterator[tuple[str, int]]:
    """A throwaway PostgreSQL (scripts/pg.sh) in a temporary PGDIR; yields its URL and the
    postmaster's process id."""
    pgdir = Path(tempfile.mkdtemp(prefix="coffre-bench-pg-"))
    env = os.environ | {
        "PGDIR": str(pgdir),
        "PYTHON": sys.executable,
        "PG_SERVER_OPTIONS": PG_SERVER_OPTIONS,
    }
    try:
        command = ["bash", str(PG_SCRIPT), "start"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"could not start PostgreSQL:\n{done.stderr[-2000:]}")
        postmaster = int((pgdir / "data" / "postmaster.pid").read_text().split()[0])
        yield (pgdir / "url").read_text().strip(), postmaster
    finally:
        subprocess.run(["bash", str(PG_SCRIPT), "stop"], env=env, check=False)
        shutil.rmtree(pgdir, ignore_errors=True)


@contextlib.contextmanager
def backend(name: str) -> Iterator[Backend]:
    if name == "sqlite":
        description = (
            f"SQLite {sqlite3.sqlite_version}: a file in a temporary folder, coffre's pragmas "
            "(WAL, synchronous=FULL)"
        )
        yield Backend(
            name, description, lambda folder, _n: f"sqlite:///{folder / 'coffre.db'}", lambda: 0.0
        )
        return
    if name != "postgresql":
        raise SystemExit(f"unknown backend {name!r}: sqlite or postgresql")
    with postgres() as (url, postmaster):
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            version = connection.exec_driver_sql("SHOW server_version").scalar()

        def database(_folder: Path, people: int) -> str:
            # A database per N on the one server, rather than a server per N.
            with admin.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE bench_{people}")
            fresh = make_url(url).set(database=f"bench_{people}")
            return fresh.render_as_string(hide_password=False)

        description = (
            f"PostgreSQL {version} started by the bench (scripts/pg.sh: loopback TCP, "
            f"fsync=off, synchronous_commit=off, {PG_SERVER_OPTIONS.removeprefix('-c ')})"
        )
        try:
            yield Backend(name, description, database, lambda: server_cpu_seconds(postmaster))
        finally:
            admin.dispose()


def runtime(folder: Path, database_url: str) -> Runtime:
    settings = Settings(
        _env_file=None,
        data_dir=folder,
        database_url=database_url,
        keyring=(folder / "keyring.json").as_uri(),
    )
    # A database server's schema is made by a step of its own (`coffre db upgrade`).
    engine = make_engine(database_url)
    migrate(engine)
    engine.dispose()
    return build_runtime(settings)


def where(path: str) -> str:
    """A profiled function's file, short: relative to the project or to site-packages."""
    for base in (str(ROOT / ".venv") + "/", str(ROOT) + "/"):
        if path.startswith(base):
            path = path.removeprefix(base)
    return path.split("site-packages/")[-1]


def profile(rt: Runtime, backend: str, people: int, batch: int, top: int = 12) -> Table:
    """One more master rotation under cProfile: what rewrap_master_batch's time is spent on
    (each function it calls directly, with all that function calls in turn), then the
    functions with the most time of their own, wherever they are."""
    settle(rt)
    profiler = cProfile.Profile()
    profiler.enable()
    rotate_master(rt, batch, lambda _n: None)
    profiler.disable()
    # (file, line, name) -> (primitive calls, calls, own s, inclusive s, {caller: same four})
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    title = (
        f"cProfile of one master rotation, {backend}, {people:,} people, batch {batch} "
        f"({total:.1f} s under the profiler, which slows Python calls down)"
    )
    table = Table(title=title, box=box.MARKDOWN, title_justify="left")
    table.add_column("part")
    table.add_column("function")
    for header in ("calls", "own s", "incl. s", "incl. % of all"):
        table.add_column(header, justify="right")

    def add(part: str, key: tuple[str, int, str], numbers: tuple[Any, ...]) -> None:
        file, line, name = key
        _primitive, calls, own, inclusive = numbers[:4]
        function = f"{where(file)}:{line} {name}" if line else name
        if file.startswith("<sqlalchemy generated"):  # "<... wrapper for sqlalchemy.x.Y.z>"
            function = file.removesuffix(">").split(" for ")[-1]
        cells = (f"{calls}", f"{own:.2f}", f"{inclusive:.2f}", f"{100 * inclusive / total:.1f}")
        table.add_row(part, function, *cells)

    # From the callee's table of callers: only the calls made by rewrap_master_batch itself.
    direct = {
        key: numbers
        for key, entry in stats.items()
        for caller, numbers in entry[4].items()
        if caller[2] == rewrap_master_batch.__name__
    }
    for key in sorted(direct, key=lambda key: direct[key][3], reverse=True):
        if direct[key][3] >= total / 200:  # the rest (attribute reads, len...) is noise
            add("called by rewrap_master_batch", key, direct[key])
    for key in sorted(stats, key=lambda key: stats[key][2], reverse=True)[:top]:
        add("most own time", key, stats[key])
    return table


def results_table(rows: list[Row], rounds: int) -> Table:
    title = "rotations, one run each" if rounds == 1 else f"rotations, master: median of {rounds}"
    table = Table(title=title, box=box.MARKDOWN, title_justify="left")
    for header in ("job", "backend"):
        table.add_column(header)
    headers = (
        "people",
        "batch",
        "workers",
        "units",
        "seconds",
        "units/s",
        "µs/unit",
        "CPU µs/unit",
    )
    for header in headers:
        table.add_column(header, justify="right")
    for row in rows:
        table.add_row(
            row.job,
            row.backend,
            f"{row.people:,}",
            f"{row.batch}",
            f"{row.workers}",
            f"{row.units:,}",
            f"{row.seconds:.2f}",
            f"{row.units / row.seconds:,.0f}",
            f"{1e6 * row.seconds / row.units:.0f}",
            f"{1e6 * (row.cpu_seconds + row.server_cpu_seconds) / row.units:.0f} "
            f"({1e6 * row.cpu_seconds / row.units:.0f} + "
            f"{1e6 * row.server_cpu_seconds / row.units:.0f})",
        )
    return table


def summary(rows: list[Row], runs: list[Run]) -> list[str]:
    """How the per-unit cost (wall, and this process's CPU) moves from the smallest N to the
    largest, each run's time in all, and the targets."""
    lines = []
    people = sorted({row.people for row in rows})
    for job, unit in ((MASTER, "user key"), (USER, "data key")):
        for name in dict.fromkeys(row.backend for row in rows):
            for batch, workers in sorted({(row.batch, row.workers) for row in rows}):
                cost = {
                    row.people: (
                        1e6 * row.seconds / row.units,
                        1e6 * (row.cpu_seconds + row.server_cpu_seconds) / row.units,
                    )
                    for row in rows
                    if (row.job, row.backend, row.batch, row.workers) == (job, name, batch, workers)
                }
                if len(people) > 1 and people[0] in cost and people[-1] in cost:
                    (first, first_cpu), (last, last_cpu) = cost[people[0]], cost[people[-1]]
                    lines.append(
                        f"scaling, {job.split(':')[0]}, {name}, batch {batch}, {workers} "
                        f"worker(s): {first:.0f} µs "
                        f"per {unit} at {people[0]:,} people, {last:.0f} µs at {people[-1]:,} "
                        f"({last / first:.2f} times); CPU {first_cpu:.0f} then {last_cpu:.0f} µs "
                        f"({last_cpu / first_cpu:.2f} times)"
                    )
    for run in runs:
        lines.append(
            f"run, {run.backend}, {run.people:,} people: {run.seconds:.1f} s in all, "
            f"of which the fill {run.fill_seconds:.1f} s"
        )
    for row in rows:
        if (row.job, row.backend, row.people) == (MASTER, "postgresql", TARGET_PEOPLE):
            speed = row.units / row.seconds
            verdict = "met" if speed >= TARGET_KEYS_PER_SECOND else "MISSED"
            lines.append(
                f"target {TARGET_KEYS_PER_SECOND:,} user keys/s at {TARGET_PEOPLE:,} people on "
                f"PostgreSQL, batch {row.batch}, {row.workers} worker(s): {speed:,.0f}/s, "
                f"{verdict}"
            )
    for run in runs:
        if (run.backend, run.people) == ("postgresql", LARGE_PEOPLE):
            verdict = "met" if run.seconds < LARGE_SECONDS else "MISSED"
            lines.append(
                f"target {LARGE_PEOPLE:,} people, fill included, in under {LARGE_SECONDS:.0f} s "
                f"on PostgreSQL: {run.seconds:.1f} s, {verdict}"
            )
    return lines


def machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    return [
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        f"{platform.system()} {platform.machine()}, {cpu}, nproc {len(os.sched_getaffinity(0))}",
        f"Python {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__}",
        "local keyring file (AES-256-GCM master key); one process, master rotations with "
        "--workers threads; load average " + " ".join(f"{load:.2f}" for load in os.getloadavg()),
    ]


def numbers(text: str) -> list[int]:
    return sorted({int(value) for value in text.split(",")})


def measure(
    console: Console, chosen: Backend, folder: Path, people: int, args: argparse.Namespace
) -> tuple[list[Row], Run, Table | None]:
    """Every timed row of one backend at one N, on a database of its own; the whole run's time
    (from the empty database, migrations and fill included); and the profile."""
    batches = numbers(args.batch)
    data_dir = folder / f"{chosen.name}-{people}"
    start = time.perf_counter()
    rt = runtime(data_dir, chosen.database_url(data_dir, people))
    try:
        filling = time.perf_counter()
        owner = fill(rt, people)
        middle = time.perf_counter()
        add_papers(rt, owner, args.papers)
        end = time.perf_counter()
        console.print(
            f"  fill, {chosen.name}: {people:,} people in {middle - filling:.1f} s "
            f"({people / (middle - filling):,.0f}/s), {args.papers:,} papers in "
            f"{end - middle:.1f} s"
        )
        rows = master_rows(rt, chosen, people, batches, args)
        for batch in batches:
            rows.append(user_row(rt, chosen, people, batch, owner, args.papers))
        run = Run(chosen.name, people, end - start, time.perf_counter() - start)
        wanted = args.profile and people == numbers(args.people)[0]
        return rows, run, profile(rt, chosen.name, people, batches[0]) if wanted else None
    finally:
        rt.engine.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", default="10000,100000", help="N (default 10000,100000)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="(sqlite,postgresql)")
    parser.add_argument("--batch", default="2000", help="batch sizes (default 2000)")
    parser.add_argument(
        "--workers", default="1,2", help="master rotation workers, PostgreSQL (default 1,2)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="master rotations per configuration (1)"
    )
    parser.add_argument("--papers", type=int, default=5000, help="one person's papers (5000)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one more master rotation at the first N"
    )
    args = parser.parse_args()
    # Wide, so that the Markdown tables never wrap and paste as they are into README.md.
    console = Console(width=180, highlight=False)
    console.print("\n".join(machine()))
    rows: list[Row] = []
    runs: list[Run] = []
    profiles: list[Table] = []
    folder = Path(tempfile.mkdtemp(prefix="coffre-bench-rotation-"))
    try:
        for name in args.backends.split(","):
            with backend(name) as chosen:
                console.print(chosen.description)
                for people in numbers(args.people):
                    more, run, table = measure(console, chosen, folder, people, args)
                    rows += more
                    runs.append(run)
                    profiles += [table] if table else []
        console.print(results_table(rows, args.rounds))
        console.print("\n".join(summary(rows, runs)))
        for table in profiles:
            console.print(table)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
