"""The limited worker processes, made ready before they are needed. A new interpreter that
loads the image and PDF libraries costs ~130 ms of CPU (more than all the rest of a small
paper's upload), for the check and again for the thumbnail.

For each kind of job a template (preview_worker) has limited its memory, loaded its libraries
and done its job once on samples of its own; it never reads a file. Each file gets a child
forked from it: the child takes that one file only and exits, so nothing of one file is ever
left for the next, and a fork costs about a millisecond. The server follows each child through
a pidfd (the child is the template's, not ours) and reads its answer from its stdout. If the
server goes, the templates' sockets close and they stop.

One pool per process, like the hash queue: the templates are the process's, whatever the
runtime."""

import atexit
import fcntl
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from vault.documents.preview_worker import ANSWER, CHILD
from vault.documents.worker_process import ENVIRONMENT

Command = tuple[str, ...]
PIPE_BYTES = 1024 * 1024
READ_BYTES = 1024 * 1024
# A killed process is gone in microseconds; the wait only makes "gone" true when close() returns.
KILLED_WITHIN = 1.0


@dataclass(frozen=True)
class Answer:
    status: int
    cpu_seconds: float
    result: bytes


class Worker:
    """One child for one file: write the file to `stdin`, then ask for its `answer`."""

    def __init__(self, pidfd: int | None, pid: int, stdin: int, stdout: int) -> None:
        self._pidfd = pidfd  # None: the template could not fork (it is gone)
        self.pid = pid
        self.stdin = open(stdin, "wb")
        self._stdout = stdout
        # A file goes through in 1 MiB pieces: with the default 64 KiB pipe the server's
        # thread waited for the worker 16 times a piece. Linux allows 1 MiB to anyone
        # (pipe-max-size); where it does not, the default pipe still works, only slower.
        with suppress(OSError):
            fcntl.fcntl(stdin, fcntl.F_SETPIPE_SZ, PIPE_BYTES)

    def end_of_file(self) -> None:
        with suppress(BrokenPipeError):
            self.stdin.close()

    def answer(self, timeout: float) -> Answer | None:
        """What the child answered once its input ended; None when it gave no whole answer in
        `timeout` seconds (it ran out of memory or time, or failed)."""
        self.end_of_file()
        if self._pidfd is None:
            return None
        deadline = time.monotonic() + timeout
        received = bytearray()
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self._stdout], [], [], left)
            if not readable:
                break
            piece = os.read(self._stdout, READ_BYTES)
            if not piece:
                return _parsed(bytes(received))
            received += piece
        return None

    def exited(self, timeout: float) -> bool:
        """Whether the child has ended within `timeout` seconds, woken by the exit itself."""
        if self._pidfd is None:
            return True
        exited, _, _ = select.select([self._pidfd], [], [], timeout)
        return bool(exited)

    def close(self) -> None:
        """The child is killed if it still runs, and every pipe closed."""
        if self._pidfd is not None:
            with suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            select.select([self._pidfd], [], [], KILLED_WITHIN)
            os.close(self._pidfd)
            self._pidfd = None
        self.end_of_file()
        if self._stdout >= 0:
            os.close(self._stdout)
            self._stdout = -1


def _parsed(received: bytes) -> Answer | None:
    if len(received) < ANSWER.size:
        return None
    status, cpu_us, length = ANSWER.unpack_from(received)
    result = received[ANSWER.size :]
    if len(result) != length:
        return None
    return Answer(status, cpu_us / 1_000_000, result)


class Template:
    """A preview_worker template, and the socket it forks its children on."""

    def __init__(self, command: Command) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with theirs:
            self.process: subprocess.Popen[bytes] = subprocess.Popen(  # noqa: S603 (ours)
                command,
                stdin=theirs.fileno(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=ENVIRONMENT,
            )
        self._socket = ours
        self._lock = threading.Lock()

    def fork(self) -> Worker:
        """A child for one file. When the template is gone, a worker that answers nothing."""
        child_stdin, stdin = os.pipe()
        stdout, child_stdout = os.pipe()
        try:
            with self._lock:
                socket.send_fds(self._socket, [b"f"], [child_stdin, child_stdout])
                said, pidfds, _flags, _address = socket.recv_fds(self._socket, CHILD.size, 1)
        except OSError:
            said, pidfds = b"", []
        finally:
            os.close(child_stdin)
            os.close(child_stdout)
        if len(said) != CHILD.size or not pidfds:
            for pidfd in pidfds:
                os.close(pidfd)
            return Worker(None, 0, stdin, stdout)
        return Worker(pidfds[0], CHILD.unpack(said)[0], stdin, stdout)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self._socket.close()  # the template's loop ends on it
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WarmWorkers:
    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._templates: dict[Command, Template] = {}
        self._lock = threading.Lock()

    def keep(self, count: int) -> None:
        """At most `count` templates kept (one per kind of job); 0 starts one for each file."""
        with self._lock:
            self._keep = count
            while len(self._templates) > count:
                self._templates.pop(next(iter(self._templates))).stop()

    @contextmanager
    def taken(self, command: list[str]) -> Iterator[Worker]:
        """A worker for one file; gone when the block ends, whatever happened."""
        key = tuple(command)
        template, kept = self._template(key)
        worker = template.fork()
        try:
            yield worker
        finally:
            worker.close()
            if not kept:
                template.stop()

    def close(self) -> None:
        self.keep(0)

    def _template(self, key: Command) -> tuple[Template, bool]:
        """The kept template for this command (started again if it died), or a new one for a
        single file when none may be kept."""
        with self._lock:
            if self._keep == 0:
                return Template(key), False
            template = self._templates.get(key)
            if template is not None and not template.alive():
                template.stop()  # its limits stopped it: a new one says why
                template = None
            if template is None:
                if len(self._templates) >= self._keep:
                    # Settings changed (tests, another runtime): the oldest kind makes room.
                    self._templates.pop(next(iter(self._templates))).stop()
                template = self._templates[key] = Template(key)
            return template, True


WORKERS = WarmWorkers(keep=0)
atexit.register(WORKERS.close)
