"""Several real `coffre serve` processes on one database, one blob store and one keyring, each
with a data folder of its own (which must stay empty: an instance keeps nothing there)."""

import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from tests.integration.faults.live import COFFRE, free_port

READY_SECONDS = 60


@contextmanager
def instances(envs: list[dict[str, str]], logs: Path) -> Iterator[list[str]]:
    """A `coffre serve` for each environment, ready; their base URLs. Every step of starting
    an instance is here, so a step before `serve` (the schema brought up to date once) is
    added in one place. Today `serve` brings the schema up to date itself: the first instance
    does it alone, the others start once it answers, so that no two migrate at once."""
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        first = stack.enter_context(serving(envs[0], logs / "instance-0.log"))
        others = [
            stack.enter_context(serving(env, logs / f"instance-{n}.log"))
            for n, env in enumerate(envs[1:], start=1)
        ]
        yield [first, *others]


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
