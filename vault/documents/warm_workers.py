"""Worker processes started before they are needed. Without them every upload waits for a new
interpreter to load the image and PDF libraries (about 100 ms here: more than all the rest of a
small paper's upload), then its thumbnail waits again.

A warm process has set its limits and loaded its libraries, and waits on its stdin. It still
takes one file only and exits after it, so nothing of one file is ever left for the next. Once
a warm process is taken, another one is started for the next file (when the one taken is done,
so that loading it never competes with the file in progress). If the server goes, the warm
processes' stdin ends and they stop.

One pool per process, like the hash queue: the workers are the process's, whatever the
runtime."""

import atexit
import fcntl
import os
import select
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from vault.documents.worker_process import ENVIRONMENT

Command = tuple[str, ...]
PIPE_BYTES = 1024 * 1024


class WarmWorkers:
    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._ready: dict[Command, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    def keep(self, count: int) -> None:
        """At most `count` processes kept waiting (one per kind of job); 0 starts each on
        demand."""
        with self._lock:
            self._keep = count
            while len(self._ready) > count:
                stop(self._ready.pop(next(iter(self._ready))))

    @contextmanager
    def taken(self, command: list[str]) -> Iterator[subprocess.Popen[bytes]]:
        """A worker for one file, warm when one is ready; gone when the block ends, whatever
        happened, and the next one then started."""
        key = tuple(command)
        process = self._take(key) or start(command)
        try:
            yield process
        finally:
            stop(process)
            self._ready_another(key)

    def close(self) -> None:
        self.keep(0)

    def _take(self, key: Command) -> subprocess.Popen[bytes] | None:
        with self._lock:
            process = self._ready.pop(key, None)
        if process is not None and process.poll() is not None:
            stop(process)  # it could not start (its limits): a new one says why
            return None
        return process

    def _ready_another(self, key: Command) -> None:
        with self._lock:
            if self._keep == 0 or key in self._ready:
                return
            if len(self._ready) >= self._keep:
                # Settings changed (tests, another runtime): the oldest kind makes room.
                stop(self._ready.pop(next(iter(self._ready))))
            self._ready[key] = start(list(key))


def start(command: list[str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module, fixed arguments)
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=ENVIRONMENT,
    )
    assert process.stdin is not None  # noqa: S101 (opened with PIPE)
    # A file goes through in 1 MiB pieces: with the default 64 KiB pipe the server's thread
    # waited for the worker 16 times a piece. Linux allows 1 MiB to anyone (pipe-max-size);
    # where it does not, the default pipe still works, only slower.
    with suppress(OSError):
        fcntl.fcntl(process.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return process


def exit_status(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The process's exit status, None if it is still running after `timeout` seconds. Woken by
    the exit itself (a pidfd): `Popen.wait(timeout)` polls with growing sleeps and answered up
    to a few ms late, on every upload's check."""
    if process.returncode is not None:  # already waited for
        return process.returncode
    pidfd = os.pidfd_open(process.pid)
    try:
        exited, _, _ = select.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)
    return process.wait() if exited else None


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None and not pipe.closed:
            try:
                pipe.close()
            except BrokenPipeError:
                pass


WORKERS = WarmWorkers(keep=0)
atexit.register(WORKERS.close)
