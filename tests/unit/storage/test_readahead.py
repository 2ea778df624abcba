"""ReadAhead: the same pieces and the same end as the stream it runs, within its budget, and a
thread that never outlives its reader."""

import contextvars
import gc
import threading
import time
from collections.abc import Iterator

import pytest

from storage.readahead import ReadAhead

KiB = 1024


class Boom(Exception):
    pass


class Source:
    """A stream of `count` pieces of `size` bytes that records how far it was read and whether
    it was closed."""

    def __init__(self, count: int, size: int = KiB, fail_at: int | None = None) -> None:
        self.count, self.size, self.fail_at = count, size, fail_at
        self.produced = 0
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        try:
            for number in range(self.count):
                if number == self.fail_at:
                    raise Boom
                self.produced += 1
                yield bytes([number % 256]) * self.size
        finally:
            self.closed.set()


def wait_for(condition: threading.Event) -> None:
    assert condition.wait(timeout=10), "the read-ahead thread did not stop"


def test_same_pieces_in_the_same_order() -> None:
    source = Source(200)
    ahead = ReadAhead(source, budget=8 * KiB)
    assert list(ahead) == [bytes([n % 256]) * KiB for n in range(200)]
    wait_for(source.closed)


def test_never_more_than_the_budget_ahead() -> None:
    source = Source(100)
    ahead = ReadAhead(source, budget=4 * KiB)
    for taken in range(1, 50):
        next(ahead)
        time.sleep(0.002)  # room for the thread to run ahead as far as it may
        # What is held: up to the budget, plus the one piece that made it full.
        assert source.produced - taken <= 5
    ahead.close()
    wait_for(source.closed)


def test_a_failure_comes_after_the_pieces_before_it_and_stays() -> None:
    ahead = ReadAhead(Source(10, fail_at=3), budget=64 * KiB)
    assert [next(ahead) for _ in range(3)] == [bytes([n]) * KiB for n in range(3)]
    for _ in range(2):
        with pytest.raises(Boom):
            next(ahead)


def test_close_stops_the_thread_and_closes_the_source() -> None:
    source = Source(10_000)
    ahead = ReadAhead(source, budget=4 * KiB)
    next(ahead)
    ahead.close()
    assert source.closed.is_set()  # close() waited for the thread
    assert source.produced < 10_000


def test_a_dropped_stream_stops_its_thread() -> None:
    source = Source(10_000)
    ahead = ReadAhead(source, budget=4 * KiB)
    next(ahead)
    del ahead
    gc.collect()
    wait_for(source.closed)
    assert source.produced < 10_000


def test_the_thread_sees_the_callers_context() -> None:
    language = contextvars.ContextVar("language", default="fr")
    language.set("ar")

    def stream() -> Iterator[bytes]:
        yield language.get().encode()

    assert list(ReadAhead(stream(), budget=KiB)) == [b"ar"]


def test_a_piece_larger_than_the_budget_still_passes() -> None:
    assert list(ReadAhead([b"x" * 10 * KiB, b"y"], budget=KiB)) == [b"x" * 10 * KiB, b"y"]
