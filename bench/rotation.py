"""Key rotation throughput: a master rotation over N people, one person's user-key rotation.

    .venv/bin/python -m bench.rotation [--people 10000,100000] [--backends sqlite,postgresql]
                                       [--batch 500,2000] [--papers 5000] [--profile]

For each backend and each N, a fresh database is filled in bulk with N people, each with a real
user key wrapped by the master key, and one of them with --papers documents (a wrapped data key
and sealed title each; no blob object: neither rotation reads the blob store). Then, per batch
size, `rotate_master` (a new master version, every user key re-wrapped) and `rotate_user` on
the person with the papers are timed, one run each. PostgreSQL is a throwaway server started
with scripts/pg.sh and stopped at exit. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import os
import platform
import pstats
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cryptography
import psycopg
import sqlalchemy
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, insert, make_url

from keys.format import FORMAT_VERSION
from keys.hierarchy import new_user_key, seal_field, seal_user_key, wrap_data_key
from keys.wrap import new_key
from vault.config import Settings
from vault.keychain import MASTER_SLOT
from vault.models import Blob, Document, KeySlot, Person, UserKey, Vault, new_id
from vault.passwords import hash_password
from vault.rotation import rewrap_master_batch, rotate_master, rotate_user
from vault.runtime import Runtime, build_runtime

ROOT = Path(__file__).resolve().parent.parent
PG_SCRIPT = ROOT / "scripts" / "pg.sh"
PASSWORD = "bench password 123456"  # noqa: S105 - throwaway people in a temporary folder
FILL_CHUNK = 5_000  # rows per executemany and per transaction while filling
PAPER_SIZE = 300_000  # recorded sizes only: no object is written
TARGET_PEOPLE, TARGET_SECONDS = 100_000, 60.0
MASTER, USER = "master: user keys re-wrapped", "user: data keys re-wrapped (+ titles)"


@dataclass(frozen=True)
class Owner:
    """The person given the papers; their user key is kept to seal titles and wrap data keys."""

    person_id: str
    vault_id: str
    user_key_id: str
    user_key: bytes


def fill(rt: Runtime, count: int) -> Owner:
    """`count` people with a vault and a real user key each, inserted in bulk.

    Rows go through SQLAlchemy Core executemany, FILL_CHUNK at a time, rather than the ORM and
    `create_user_key` (one flush per person): 100,000 people in seconds, not many minutes.
    """
    password_hash = hash_password(PASSWORD)  # one argon2 hash shared: 100,000 would take hours
    owner: Owner | None = None
    for start in range(0, count, FILL_CHUNK):
        people, vaults, user_keys, slots = [], [], [], []
        for n in range(start, min(start + FILL_CHUNK, count)):
            person_id, vault_id, user_key_id = new_id(), new_id(), new_id()
            key = new_user_key()
            master_version, wrapped = seal_user_key(rt.master_keys, person_id, 1, key)
            people.append(
                {
                    "id": person_id,
                    "login": f"person.{n:06d}",
                    "display_name": f"P {n}",
                    "role": "beneficiary",
                    "password_hash": password_hash,
                }
            )
            vaults.append({"id": vault_id, "owner_id": person_id})
            user_keys.append({"id": user_key_id, "person_id": person_id, "version": 1})
            slots.append(
                {
                    "id": new_id(),
                    "user_key_id": user_key_id,
                    "kind": MASTER_SLOT,
                    "master_version": master_version,
                    "wrapped_key": wrapped,
                }
            )
            if owner is None:
                owner = Owner(person_id, vault_id, user_key_id, key)
        with rt.engine.begin() as connection:
            # In foreign-key order: SQLite checks them (PRAGMA foreign_keys=ON).
            connection.execute(insert(Person), people)
            connection.execute(insert(Vault), vaults)
            connection.execute(insert(UserKey), user_keys)
            connection.execute(insert(KeySlot), slots)
    if owner is None:
        raise SystemExit("--people must be at least 1")
    return owner


def add_papers(rt: Runtime, owner: Owner, count: int) -> None:
    """`count` documents of one blob each, as an upload records them (title and file name
    sealed, data key wrapped under the user key), without any object in the store."""
    for start in range(0, count, FILL_CHUNK):
        documents, blobs = [], []
        for n in range(start, min(start + FILL_CHUNK, count)):
            document_id, blob_id = new_id(), new_id()

            def sealed(field: str, text: str, document_id: str = document_id) -> bytes:
                return seal_field(owner.user_key, owner.person_id, document_id, field, text)

            documents.append(
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
            blobs.append(
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
        with rt.engine.begin() as connection:
            connection.execute(insert(Document), documents)
            connection.execute(insert(Blob), blobs)


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
    units: int  # master: user keys; user: data keys (each with a document's title re-sealed)
    seconds: float


def timed(run: Callable[[Callable[[int], None]], int], expected: int) -> tuple[int, float]:
    """One rotation's wall time, checked to have done the expected number of units."""
    progress: list[int] = []
    start = time.perf_counter()
    done = run(progress.append)
    seconds = time.perf_counter() - start
    if done != expected or sum(progress) != expected:
        raise RuntimeError(f"rotation did {done} units ({sum(progress)} reported), not {expected}")
    return done, seconds


def master_row(rt: Runtime, backend: str, people: int, batch: int) -> Row:
    settle(rt)
    done, seconds = timed(lambda progress: rotate_master(rt, batch, progress), people)
    return Row(MASTER, backend, people, batch, done, seconds)


def user_row(rt: Runtime, backend: str, people: int, batch: int, owner: Owner, papers: int) -> Row:
    settle(rt)

    def run(progress: Callable[[int], None]) -> int:
        return rotate_user(rt, owner.person_id, batch, progress)

    # rotate_user counts blobs and documents: one of each per paper.
    done, seconds = timed(run, 2 * papers)
    return Row(USER, backend, people, batch, done // 2, seconds)


@dataclass(frozen=True)
class Backend:
    name: str
    description: str
    database_url: Callable[[Path, int], str]  # (folder, N): a fresh empty database


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL (scripts/pg.sh) in a temporary PGDIR; yields its URL."""
    pgdir = Path(tempfile.mkdtemp(prefix="coffre-bench-pg-"))
    env = os.environ | {"PGDIR": str(pgdir), "PYTHON": sys.executable}
    try:
        command = ["bash", str(PG_SCRIPT), "start"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"could not start PostgreSQL:\n{done.stderr[-2000:]}")
        yield (pgdir / "url").read_text().strip()
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
        yield Backend(name, description, lambda folder, _n: f"sqlite:///{folder / 'coffre.db'}")
        return
    if name != "postgresql":
        raise SystemExit(f"unknown backend {name!r}: sqlite or postgresql")
    with postgres() as url:
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
            "fsync=off, synchronous_commit=off)"
        )
        try:
            yield Backend(name, description, database)
        finally:
            admin.dispose()


def runtime(folder: Path, database_url: str) -> Runtime:
    settings = Settings(
        _env_file=None,
        data_dir=folder,
        database_url=database_url,
        keyring=(folder / "keyring.json").as_uri(),
    )
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


def results_table(rows: list[Row]) -> Table:
    table = Table(title="rotations, one run each", box=box.MARKDOWN, title_justify="left")
    for header in ("job", "backend"):
        table.add_column(header)
    for header in ("people", "batch", "units", "seconds", "units/s", "µs/unit"):
        table.add_column(header, justify="right")
    for row in rows:
        table.add_row(
            row.job,
            row.backend,
            f"{row.people:,}",
            f"{row.batch}",
            f"{row.units:,}",
            f"{row.seconds:.2f}",
            f"{row.units / row.seconds:,.0f}",
            f"{1e6 * row.seconds / row.units:.0f}",
        )
    return table


def summary(rows: list[Row]) -> list[str]:
    """How the per-unit cost moves from the smallest N to the largest, and the target."""
    lines = []
    people = sorted({row.people for row in rows})
    for job, unit in ((MASTER, "user key"), (USER, "data key")):
        for name in dict.fromkeys(row.backend for row in rows):
            for batch in sorted({row.batch for row in rows}):
                cost = {
                    row.people: 1e6 * row.seconds / row.units
                    for row in rows
                    if (row.job, row.backend, row.batch) == (job, name, batch)
                }
                if len(people) > 1 and people[0] in cost and people[-1] in cost:
                    first, last = cost[people[0]], cost[people[-1]]
                    lines.append(
                        f"scaling, {job.split(':')[0]}, {name}, batch {batch}: {first:.0f} µs "
                        f"per {unit} at {people[0]:,} people, {last:.0f} µs at {people[-1]:,} "
                        f"({last / first:.2f} times)"
                    )
    for row in rows:
        if (row.job, row.backend, row.people) == (MASTER, "postgresql", TARGET_PEOPLE):
            verdict = "met" if row.seconds < TARGET_SECONDS else "MISSED"
            lines.append(
                f"target {TARGET_PEOPLE:,} people in under {TARGET_SECONDS:.0f} s on PostgreSQL, "
                f"batch {row.batch}: {row.seconds:.1f} s, {verdict}"
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
        "local keyring file (AES-256-GCM master key); one process, one thread; load average "
        + " ".join(f"{load:.2f}" for load in os.getloadavg()),
    ]


def numbers(text: str) -> list[int]:
    return sorted({int(value) for value in text.split(",")})


def measure(
    console: Console, chosen: Backend, folder: Path, people: int, args: argparse.Namespace
) -> tuple[list[Row], Table | None]:
    """Every timed row of one backend at one N, on a database of its own; and the profile."""
    batches = numbers(args.batch)
    data_dir = folder / f"{chosen.name}-{people}"
    rt = runtime(data_dir, chosen.database_url(data_dir, people))
    try:
        start = time.perf_counter()
        owner = fill(rt, people)
        middle = time.perf_counter()
        add_papers(rt, owner, args.papers)
        end = time.perf_counter()
        console.print(
            f"  fill, {chosen.name}: {people:,} people in {middle - start:.1f} s "
            f"({people / (middle - start):,.0f}/s), {args.papers:,} papers in {end - middle:.1f} s"
        )
        rows = [master_row(rt, chosen.name, people, batch) for batch in batches]
        for batch in batches:
            rows.append(user_row(rt, chosen.name, people, batch, owner, args.papers))
        wanted = args.profile and people == numbers(args.people)[0]
        return rows, profile(rt, chosen.name, people, batches[0]) if wanted else None
    finally:
        rt.engine.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", default="10000,100000", help="N (default 10000,100000)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="(sqlite,postgresql)")
    parser.add_argument("--batch", default="500,2000", help="batch sizes (default 500,2000)")
    parser.add_argument("--papers", type=int, default=5000, help="one person's papers (5000)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one more master rotation at the first N"
    )
    args = parser.parse_args()
    # Wide, so that the Markdown tables never wrap and paste as they are into README.md.
    console = Console(width=180, highlight=False)
    console.print("\n".join(machine()))
    rows: list[Row] = []
    profiles: list[Table] = []
    folder = Path(tempfile.mkdtemp(prefix="coffre-bench-rotation-"))
    try:
        for name in args.backends.split(","):
            with backend(name) as chosen:
                console.print(chosen.description)
                for people in numbers(args.people):
                    more, table = measure(console, chosen, folder, people, args)
                    rows += more
                    profiles += [table] if table else []
        console.print(results_table(rows))
        console.print("\n".join(summary(rows)))
        for table in profiles:
            console.print(table)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
