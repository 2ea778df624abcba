"""A TCP proxy on loopback in front of a real server, which a test slows, stalls, cuts or stops.

Every connection made to the proxy opens one to the server; two threads copy the bytes each
way. The test changes how they flow at any time:
    stop()          the server is gone: open connections are reset, new ones refused
    start()         back, on the same port
    blip()          open connections are reset; new ones work (a server restarted at once)
    stall()         connections are accepted and held, nothing flows (a server that hangs)
    flow()          what was held goes on
    slow(seconds)   each piece of data waits this long before it is passed on
    after(n, act)   once `n` more bytes have gone through (either way), do `act` (one of the
                    above): a fault in the middle of an upload or a download
    disarm()        forget an `after` that has not come yet
"""

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable

PIECE = 64 * 1024


def _cut(sock: socket.socket) -> None:
    """End a connection at once with a TCP reset, as a server that died leaves it; a thread
    blocked on it wakes up."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class _Link:
    """One connection through the proxy: the client's socket, the server's, and how many of
    the two copying threads still run."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.sockets = (client, server)
        self.running = 2


class FaultyProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._flowing = threading.Event()
        self._flowing.set()
        self._delay = 0.0
        self._budget = 0
        self._then: Callable[[], None] | None = None
        self._listener: socket.socket | None = None
        self.port = 0
        self.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self.blip()

    def blip(self) -> None:
        with self._lock:
            links, self._links = self._links, set()
        for link in links:
            for sock in link.sockets:
                _cut(sock)

    def after(self, passed: int, act: Callable[[], None]) -> None:
        with self._lock:
            self._budget, self._then = passed, act

    def disarm(self) -> None:
        with self._lock:
            self._then = None

    def stall(self) -> None:
        self._flowing.clear()

    def flow(self) -> None:
        self._flowing.set()

    def slow(self, seconds: float) -> None:
        self._delay = seconds

    def close(self) -> None:
        self.flow()
        self.stop()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(self._upstream, timeout=5)
            except OSError:
                _cut(client)
                continue
            server.settimeout(None)
            link = _Link(client, server)
            with self._lock:
                stopped = self._listener is not listener
                if not stopped:
                    self._links.add(link)
            if stopped:
                _cut(client)
                _cut(server)
                return
            for source, target in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(link, source, target), daemon=True
                ).start()

    def _pump(self, link: _Link, source: socket.socket, target: socket.socket) -> None:
        try:
            while piece := source.recv(PIECE):
                while not self._flowing.wait(0.1):
                    if link not in self._links:
                        return  # stopped while stalled
                if self._delay:
                    time.sleep(self._delay)
                target.sendall(piece)
                self._spend(len(piece))
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)
        except OSError:
            _cut(source)
            _cut(target)
        finally:
            self._done(link)

    def _done(self, link: _Link) -> None:
        with self._lock:
            link.running -= 1
            last = link.running == 0
            if last:
                self._links.discard(link)
        if last:
            for sock in link.sockets:
                sock.close()

    def _spend(self, passed: int) -> None:
        """Count bytes passed on; do what `after` asked once they are spent."""
        with self._lock:
            self._budget -= passed
            act = self._then if self._budget <= 0 else None
            if act is not None:
                self._then = None
        if act is not None:
            act()
