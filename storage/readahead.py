"""A stream of byte pieces produced in a thread of its own, a bounded number of bytes ahead of
its reader: a download is read from the store and decrypted while the previous pieces go to the
client; an upload is received and encrypted while the previous parts go to the store.

The reader gets the same pieces in the same order, then the same end: the exception that ended
the stream is raised to it, after the pieces that came before. Memory stays within `budget`
plus one piece. A reader on an event loop iterates it with `async for`: a piece already made is
taken at once, and the loop is woken when the next one is, with no worker thread in between.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator


class _Pipe:
    """What the producing thread and the reader share (the thread holds this, never the
    ReadAhead itself, so that a reader who drops the stream lets it be collected)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.pieces: deque[bytes] = deque()
        self.held = 0
        self.ended = False
        self.failure: BaseException | None = None
        self.stopped = False  # the reader is gone: stop producing
        self.changed = threading.Condition()
        # An event loop's reader waiting for the next piece or the end.
        self.waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None

    def wake(self) -> None:
        """Wake the loop's reader, if one waits; called with `changed` held."""
        self.changed.notify_all()
        if self.waiter is not None:
            loop, future = self.waiter
            self.waiter = None
            try:
                loop.call_soon_threadsafe(_resolve, future)
            except RuntimeError:  # its loop is closed: nobody is left to wake
                pass

    def fill(self, chunks: Iterable[bytes]) -> None:
        source = iter(chunks)
        try:
            for piece in source:
                with self.changed:
                    # Room is awaited before a piece is added, so one piece larger than the
                    # whole budget still passes.
                    while self.held >= self.budget and not self.stopped:
                        self.changed.wait()
                    if self.stopped:
                        return
                    self.pieces.append(piece)
                    self.held += len(piece)
                    self.wake()
        except BaseException as exc:  # handed to the reader, who raises it
            with self.changed:
                self.failure = exc
        finally:
            # Closed in this thread, the one that runs it: a generator cannot be closed from
            # another thread while it runs. Its cleanup (an HTTP body, a file) happens now.
            close = getattr(source, "close", None)
            try:
                if close is not None:
                    close()
            finally:
                with self.changed:
                    self.ended = True
                    self.wake()

    def take(self) -> bytes:
        with self.changed:
            while not self.pieces and not self.ended:
                self.changed.wait()
            return self._next_or_end(StopIteration)

    async def take_on_loop(self) -> bytes:
        loop = asyncio.get_running_loop()
        while True:
            with self.changed:
                if self.pieces or self.ended:
                    return self._next_or_end(StopAsyncIteration)
                future = loop.create_future()
                self.waiter = (loop, future)
            await future

    def _next_or_end(self, end: type[Exception]) -> bytes:
        """The next piece, or the stream's end (its failure, if it failed); `changed` held."""
        if self.pieces:
            piece = self.pieces.popleft()
            self.held -= len(piece)
            self.changed.notify_all()
            return piece
        if self.failure is not None:
            raise self.failure
        raise end

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.pieces.clear()
            self.held = 0
            self.changed.notify_all()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # a reader that gave up has cancelled it
        future.set_result(None)


class ReadAhead(Iterator[bytes], AsyncIterator[bytes]):
    """Iterates `chunks` in a new thread, at most about `budget` bytes ahead of the reader.

    The thread runs in a copy of the caller's context (its language, for instance). Call
    close() when done, or on failure: it stops the thread and waits for it, so nothing reads
    the source afterwards. A stream dropped without close() is stopped when collected."""

    def __init__(self, chunks: Iterable[bytes], budget: int) -> None:
        if budget < 1:
            raise ValueError("budget must be at least one byte")
        self._pipe = _Pipe(budget)
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._pipe.fill, chunks), name="read-ahead", daemon=True
        )
        self._thread.start()

    def __next__(self) -> bytes:
        return self._pipe.take()

    async def __anext__(self) -> bytes:
        return await self._pipe.take_on_loop()

    def close(self) -> None:
        """Stop producing and wait until the thread has let go of the source."""
        self._pipe.stop()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def __del__(self) -> None:
        # No join here: collection may happen on a thread the source itself needs.
        self._pipe.stop()
