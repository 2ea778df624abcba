"""Sign-in cost over HTTP: latency, sustained sign-ins per second, server memory in a burst.

    .venv/bin/python -m bench.signin [--requests 200] [--concurrency 1,4,8,50]

Starts `coffre serve` on the embedded default (SQLite + local folder) in a temporary folder, in
a process of its own, creates ACCOUNTS accounts through the API and measures from this process
with httpx. Every --concurrency value is a sustained row; the largest is also the burst, run on
a fresh server with the default hash cap and again with the cap raised to the burst size. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import ipaddress
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich import box
from rich.console import Console
from rich.table import Table

from tests.ports import free_port
from vault.accounts.passwords import PROFILES
from vault.config import Settings

ACCOUNTS = 50
# Throwaway accounts in a temporary folder. Long enough, and not in common-passwords.txt.
PASSWORD = "bench password 123456"  # noqa: S105
WRONG_PASSWORD = "not the bench password"  # noqa: S105
# Only failed sign-ins count: 5 free per account, 20 free per source address, then delays.
# Each failing loopback address sends at most this many, so no failure is ever throttled.
FAILURES_PER_ADDRESS = 15
DEFAULT_CAP: int = Settings.model_fields["max_concurrent_hashes"].default
DEFAULT_PROFILE: str = Settings.model_fields["argon2_profile"].default
BURST_RUNS = 3
COFFRE = Path(sys.executable).with_name("coffre")
MIB = 1024

CORRECT = "correct password (201)"
WRONG = "wrong password, existing login (401)"
UNKNOWN = "unknown login (401)"


def login(i: int) -> str:
    return f"bench.user{i % ACCOUNTS:02d}"


def client(url: str, source: str = "127.0.0.1") -> httpx.Client:
    # All of 127.0.0.0/8 is loopback on Linux: binding another source address gives the
    # server's per-address throttle a fresh address, with nothing changed in the server.
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=url, transport=transport, timeout=120)


def sign_in(http: httpx.Client, name: str, password: str, expected: int) -> float:
    """One POST /api/v1/session: its wall time in seconds, once the status is checked."""
    start = time.perf_counter()
    answer = http.post("/api/v1/session", json={"login": name, "password": password})
    elapsed = time.perf_counter() - start
    if answer.status_code != expected:
        # A 429 here would mean the throttle kicked in and the figures measure the wrong thing.
        raise RuntimeError(f"{name}: {answer.status_code} {answer.text[:200]} (not {expected})")
    return elapsed


class FailingSources:
    """Clients from 127.0.0.2, 127.0.0.3, ..., each used for FAILURES_PER_ADDRESS failures."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._sent = 0
        self._client: httpx.Client | None = None

    def next(self) -> httpx.Client:
        if self._client is None or self._sent % FAILURES_PER_ADDRESS == 0:
            self.close()
            address = ipaddress.ip_address("127.0.0.2") + self._sent // FAILURES_PER_ADDRESS
            self._client = client(self._url, str(address))
        self._sent += 1
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = server.log.read_text(errors="replace")[-3000:]
            raise SystemExit(
                f"{server.url}: the server exited with {server.process.returncode}:\n{log}"
            )
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(server.url + "/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"{server.url} not ready after 60 s; see {server.log}")


@contextlib.contextmanager
def coffre_server(
    data_dir: Path, cap: int | None = None, settings: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """`coffre serve` on data_dir, in its own process (its RSS is then its own), stopped at exit.
    `settings`: COFFRE_* variables for this server."""
    # This run's settings only: none of the caller's COFFRE_* variables, and a working folder
    # without a .env file (Settings reads ./.env).
    env = {name: value for name, value in os.environ.items() if not name.startswith("COFFRE_")}
    env["COFFRE_DATA_DIR"] = str(data_dir)
    # The bench signs up its ACCOUNTS from one address.
    env["COFFRE_SIGNUPS_PER_ADDRESS_PER_HOUR"] = "0"
    if cap is not None:
        env["COFFRE_MAX_CONCURRENT_HASHES"] = str(cap)
    env |= settings or {}
    # A database server's schema is made by a step of its own, before `coffre serve`.
    upgrade = [str(COFFRE), "db", "upgrade"]
    subprocess.run(upgrade, cwd=data_dir.parent, env=env, stdout=subprocess.DEVNULL, check=True)
    port = free_port()
    with running([str(COFFRE), "serve", "--port", str(port)], port, env, data_dir.parent) as server:
        yield server


@contextlib.contextmanager
def running(command: list[str], port: int, env: dict[str, str], folder: Path) -> Iterator[Server]:
    """A server process listening on `port`, once /readyz answers; stopped at exit."""
    log = folder / f"serve-{port}.log"  # one access-log line per request: not ours
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def create_accounts(url: str) -> None:
    with client(url) as http:
        for i in range(ACCOUNTS):
            body = {"login": login(i), "display_name": f"Bench {i}", "password": PASSWORD}
            answer = http.post("/api/v1/beneficiaries", json=body)
            if answer.status_code != 201:
                raise RuntimeError(f"sign-up {login(i)}: {answer.status_code} {answer.text[:200]}")


def latencies(url: str, requests: int) -> dict[str, list[float]]:
    """One sign-in at a time, the three kinds round-robin so that drift falls on every row."""
    times: dict[str, list[float]] = {CORRECT: [], WRONG: [], UNKNOWN: []}
    failing = FailingSources(url)
    try:
        with client(url) as good:
            for i in range(-1, requests):  # round -1 is untimed: first hashes, connections
                # The correct sign-in clears the account's failures: the wrong one after it is
                # always the account's first. Each unknown login is used once.
                samples = {
                    CORRECT: sign_in(good, login(i), PASSWORD, 201),
                    WRONG: sign_in(failing.next(), login(i), WRONG_PASSWORD, 401),
                    UNKNOWN: sign_in(failing.next(), f"nobody.{i + 1:05d}", PASSWORD, 401),
                }
                if i >= 0:
                    for row, seconds in samples.items():
                        times[row].append(seconds)
    finally:
        failing.close()
    return times


@dataclass
class Run:
    wall: float
    latencies: list[float]
    server_cpu: float


def cpu_seconds(pid: int) -> float:
    # utime + stime, fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def concurrent_sign_ins(server: Server, count: int, concurrency: int) -> Run:
    """`count` correct sign-ins, `concurrency` in flight, each worker on its own connection."""
    indices = iter(range(count))
    lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1, timeout=60)

    def worker() -> list[float]:
        mine: list[float] = []
        with client(server.url) as http:
            http.get("/healthz")  # the connection is open before the clock starts
            ready.wait()
            while True:
                with lock:
                    i = next(indices, None)
                if i is None:
                    return mine
                mine.append(sign_in(http, login(i), PASSWORD, 201))

    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(worker) for _ in range(concurrency)]
        ready.wait()
        cpu, start = cpu_seconds(server.process.pid), time.perf_counter()
        done = [future.result() for future in futures]
        wall = time.perf_counter() - start
    cpu = cpu_seconds(server.process.pid) - cpu
    return Run(wall, [seconds for mine in done for seconds in mine], cpu)


def peak_rss_kib(pid: int, reset: bool = False) -> int:
    """The server's peak RSS (VmHWM), first brought down to its current RSS if `reset`."""
    if reset:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux >= 4.0: VmHWM := VmRSS
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status (Linux only)")


@dataclass
class Burst:
    run: Run
    before_kib: int
    peak_kib: int


def bursts(server: Server, size: int) -> list[Burst]:
    # Untimed: the server starts its worker threads and database connections, so that the
    # peak measured below is the sign-ins' own.
    concurrent_sign_ins(server, size, size)
    results = []
    for _ in range(BURST_RUNS):
        before = peak_rss_kib(server.process.pid, reset=True)
        run = concurrent_sign_ins(server, size, size)
        results.append(Burst(run, before, peak_rss_kib(server.process.pid)))
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def latency_table(times: dict[str, list[float]]) -> Table:
    title = f"sign-in latency, one at a time, {len(times[CORRECT])} of each, round-robin"
    table = Table(title=title, box=box.MARKDOWN, title_justify="left")
    table.add_column("request")
    for header in ("median ms", "p95 ms", "min ms", "÷ correct, median"):
        table.add_column(header, justify="right")
    reference = statistics.median(times[CORRECT])
    for row, values in times.items():
        median = statistics.median(values)
        cells = (ms(median), ms(p95(values)), ms(min(values)), f"{median / reference:.2f}")
        table.add_row(row, *cells)
    return table


def sustained_table(runs: dict[int, Run]) -> Table:
    count = len(next(iter(runs.values())).latencies)
    title = f"sustained sign-ins, {count} correct ones per row, cap {DEFAULT_CAP} hashes"
    table = Table(title=title, box=box.MARKDOWN, title_justify="left")
    table.add_column("in flight", justify="right")
    headers = ("sign-ins/s", "median ms", "p95 ms", "max ms", "server CPU ms each")
    for header in (*headers, "server cores busy"):
        table.add_column(header, justify="right")
    for concurrency, run in runs.items():
        times = run.latencies
        table.add_row(
            str(concurrency),
            f"{len(times) / run.wall:.1f}",
            ms(statistics.median(times)),
            ms(p95(times)),
            ms(max(times)),
            ms(run.server_cpu / len(times)),
            f"{run.server_cpu / run.wall:.2f}",  # above 1: more than one core at work
        )
    return table


def burst_table(size: int, results: dict[int, list[Burst]]) -> Table:
    title = f"burst of {size} sign-ins at once, a fresh server per cap, {BURST_RUNS} runs each"
    table = Table(title=title, box=box.MARKDOWN, title_justify="left")
    table.add_column("hash cap", justify="right")
    headers = ("total s", "median ms", "max ms", "RSS before MiB", "peak MiB", "peak - before MiB")
    for header in headers:
        table.add_column(header, justify="right")
    for cap, runs in results.items():
        for burst in runs:
            times = burst.run.latencies
            table.add_row(
                str(cap),
                f"{burst.run.wall:.2f}",
                ms(statistics.median(times)),
                ms(max(times)),
                f"{burst.before_kib / MIB:.1f}",
                f"{burst.peak_kib / MIB:.1f}",
                f"{(burst.peak_kib - burst.before_kib) / MIB:.1f}",
            )
    return table


def one_hash_seconds(profile: str) -> float:
    """One verify with the server's argon2 profile (vault.accounts.passwords.PROFILES) in this
    process, median of 20: the floor of a sign-in."""
    hasher = PROFILES[profile]
    digest = hasher.hash(PASSWORD)
    verify = []
    for _ in range(20):
        start = time.perf_counter()
        hasher.verify(digest, PASSWORD)
        verify.append(time.perf_counter() - start)
    return statistics.median(verify)


def hashes_per_second(profile: str, threads: int, count: int = 24) -> float:
    """Verifies per second with `threads` side by side in this process: what the machine can
    do at most, whatever the server (argon2 can be memory-bound: cores need not add up)."""
    hasher = PROFILES[profile]
    digest = hasher.hash(PASSWORD)
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: hasher.verify(digest, PASSWORD), range(count)))
    return count / (time.perf_counter() - start)


def machine(profile: str, hash_seconds: float, database: str) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    hasher = PROFILES[profile]
    version = importlib.metadata.version
    return [
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        f"{platform.system()} {platform.machine()}, {cpu}, nproc {len(os.sched_getaffinity(0))}",
        f"Python {platform.python_version()}, argon2-cffi {version('argon2-cffi')}, "
        f"uvicorn {version('uvicorn')}, httpx {httpx.__version__}",
        f"argon2id profile {profile}: time_cost {hasher.time_cost}, memory_cost "
        f"{hasher.memory_cost} KiB, parallelism {hasher.parallelism}; one verify in this "
        f"process, server idle: {ms(hash_seconds)} ms (median of 20)",
        f"coffre serve (one uvicorn process) on {database} + a local folder in a temporary "
        f"folder, {ACCOUNTS} accounts",
    ]


# The goals of issue 11, checked on every run.
GOAL_IN_FLIGHT = 4
GOAL_P95 = 0.300
GOAL_BURST = 50
GOAL_PEAK_MIB = 300


def goal_lines(
    runs: dict[int, Run], bursts_run: list[Burst], hash_seconds: float, rate: float
) -> list[str]:
    """Each goal with the figure that meets or misses it."""

    def verdict(met: bool) -> str:
        return "met" if met else "MISSED"

    lines = []
    if GOAL_IN_FLIGHT in runs:
        tail = p95(runs[GOAL_IN_FLIGHT].latencies)
        lines.append(
            f"goal: {GOAL_IN_FLIGHT} in flight, p95 < {ms(GOAL_P95)} ms: p95 {ms(tail)} ms, "
            f"{verdict(tail < GOAL_P95)}"
        )
    if bursts_run and len(bursts_run[0].run.latencies) == GOAL_BURST:
        cores = len(os.sched_getaffinity(0))
        # In arrival order, the last of the burst waits for every hash before its own.
        bound = GOAL_BURST * hash_seconds / cores
        longest = max(max(b.run.latencies) for b in bursts_run)
        peak = max(b.peak_kib - b.before_kib for b in bursts_run) / MIB
        lines.append(
            f"goal: burst of {GOAL_BURST}, none fails, longest <= {GOAL_BURST} x one hash / "
            f"{cores} cores = {ms(bound)} ms: all 201, longest {ms(longest)} ms, "
            f"{verdict(longest <= bound * 1.5)} (within 1.5x)"
        )
        floor = GOAL_BURST / rate
        lines.append(
            f"  the machine's own floor: {rate:.1f} verifies/s with {cores} threads in this "
            f"process, so the last of {GOAL_BURST} in arrival order waits {ms(floor)} ms: "
            f"longest / floor = {longest / floor:.2f}"
        )
        lines.append(
            f"goal: burst peak memory < +{GOAL_PEAK_MIB} MiB: +{peak:.0f} MiB, "
            f"{verdict(peak < GOAL_PEAK_MIB)}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="sign-ins per row (200)")
    parser.add_argument(
        "--concurrency",
        default="1,4,8,50",
        help="sign-ins in flight per row; the largest is also the burst size (default 1,4,8,50)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="run coffre serve on this (empty) database, e.g. a PostgreSQL; default SQLite",
    )
    parser.add_argument(
        "--hash",
        default=DEFAULT_PROFILE,
        choices=sorted(PROFILES),
        help=f"COFFRE_ARGON2_PROFILE of the server (default {DEFAULT_PROFILE})",
    )
    args = parser.parse_args()
    levels = sorted({int(level) for level in args.concurrency.split(",")})
    # Wide, so that the Markdown tables never wrap and paste as they are into README.md.
    console = Console(width=180, highlight=False)
    hash_seconds = one_hash_seconds(args.hash)
    database = {"COFFRE_DATABASE_URL": args.database_url} if args.database_url else {}
    kind = "PostgreSQL" if database else "SQLite"
    console.print("\n".join(machine(args.hash, hash_seconds, kind)))
    database["COFFRE_ARGON2_PROFILE"] = args.hash
    folder = Path(tempfile.mkdtemp(prefix="coffre-bench-signin-"))
    data_dir = folder / "data"
    try:
        with coffre_server(data_dir, settings=database) as server:
            create_accounts(server.url)
            console.print(latency_table(latencies(server.url, args.requests)))
            runs = {level: concurrent_sign_ins(server, args.requests, level) for level in levels}
            console.print(sustained_table(runs))
        # Each cap on a server with the same history (same data, fresh process), so that the
        # two peaks start from the same place.
        size = levels[-1]
        results: dict[int, list[Burst]] = {}
        for cap in (None, size):  # None: no COFFRE_MAX_CONCURRENT_HASHES, the default cap
            with coffre_server(data_dir, cap, database) as server:
                results[cap or DEFAULT_CAP] = bursts(server, size)
        console.print(burst_table(size, results))
        rate = hashes_per_second(args.hash, len(os.sched_getaffinity(0)))
        console.print("\n".join(goal_lines(runs, results[DEFAULT_CAP], hash_seconds, rate)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
