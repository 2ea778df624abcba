"""ReadAhead: the same pieces and the same end as the stream it runs, within its budget, and a
thread that never outlives its reader."""

import asyncio
import contextvars
import gc
import threading
import time
from collections.abc import Iterator

import pytest

from storage.readahead import ReadAhead
from tests.event_loops import on_a_loop

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


def test_on_an_event_loop_the_same_pieces_and_the_same_end() -> None:
    async def read(ahead: ReadAhead) -> list[bytes]:
        return [piece async for piece in ahead]

    source = Source(200)
    assert on_a_loop(lambda: read(ReadAhead(source, budget=8 * KiB))) == [
        bytes([n % 256]) * KiB for n in range(200)
    ]
    wait_for(source.closed)
    assert on_a_loop(lambda: read(ReadAhead([], budget=KiB))) == []


def test_on_an_event_loop_a_failure_comes_after_the_pieces_before_it_and_stays() -> None:
    async def read() -> None:
        ahead = ReadAhead(Source(10, fail_at=3), budget=64 * KiB)
        assert [await anext(ahead) for _ in range(3)] == [bytes([n]) * KiB for n in range(3)]
        for _ in range(2):
            with pytest.raises(Boom):
                await anext(ahead)

    on_a_loop(read)


def test_a_loop_waiting_for_a_slow_source_is_woken_and_keeps_serving() -> None:
    def slow() -> Iterator[bytes]:
        for number in range(5):
            time.sleep(0.02)
            yield bytes([number])

    async def read() -> tuple[list[bytes], int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.001)
                ticks += 1

        ticking = asyncio.create_task(tick())
        pieces = [piece async for piece in ReadAhead(slow(), budget=KiB)]
        ticking.cancel()
        return pieces, ticks

    pieces, ticks = on_a_loop(read)
    assert pieces == [bytes([n]) for n in range(5)]
    assert ticks > 10  # the loop ran other work while it waited, no thread blocked it


def test_a_loop_reader_that_stops_early_stops_the_thread() -> None:
    source = Source(10_000)

    async def read() -> None:
        ahead = ReadAhead(source, budget=4 * KiB)
        await anext(ahead)
        ahead.close()

    on_a_loop(read)
    assert source.closed.is_set()
    assert source.produced < 10_000


def test_a_reader_cancelled_while_waiting_leaves_the_stream_usable() -> None:
    gate = threading.Event()

    def gated() -> Iterator[bytes]:
        gate.wait(timeout=10)
        yield b"late"

    async def read() -> bytes:
        ahead = ReadAhead(gated(), budget=KiB)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.02):
                await anext(ahead)
        gate.set()
        return await anext(ahead)

    assert on_a_loop(read) == b"late"
