"""Several real `coffre serve` processes on one database, one blob store and one keyring, each
with a data folder of its own (which must stay empty: an instance keeps nothing there)."""

import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from tests.integration.faults.live import COFFRE
from tests.ports import free_port

READY_SECONDS = 60


@contextmanager
def instances(envs: list[dict[str, str]], logs: Path) -> Iterator[list[str]]:
    """A `coffre serve` for each environment, ready; their base URLs. As in production, the
    schema is brought up to date once (`coffre db upgrade`) before any instance starts: on
    PostgreSQL `serve` refuses a schema older than its code."""
    logs.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [COFFRE, "db", "upgrade"], env=envs[0], check=True, capture_output=True, timeout=120
    )
    with ExitStack() as stack:
        yield [
            stack.enter_context(serving(env, logs / f"instance-{n}.log"))
            for n, env in enumerate(envs)
        ]


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    """One `coffre serve` on a free port, stopped (SIGTERM, then SIGKILL) after use."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [COFFRE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until /readyz answers 200 (database, blob store and keyring reachable)."""
    deadline = time.monotonic() + READY_SECONDS
    while True:
        if process.poll() is not None:
            raise AssertionError(f"coffre serve exited {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise AssertionError(f"coffre serve never became ready:\n{log.read_text()}")
        time.sleep(0.1)
