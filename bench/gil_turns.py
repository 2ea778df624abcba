"""How long coffre's encryption and decryption of a paper take beside a thread busy with Python
code, for several switch intervals (sys.setswitchinterval: how long a thread that wants the
interpreter lock waits before the one holding it is made to let go).

    .venv/bin/python -m bench.gil_turns [--mib 20] [--intervals 5,1,0.5,0.1]

Cobblestone lets go of the lock for each chunk it encrypts and takes it back after: beside a
busy thread (in `coffre serve`, the event loop running Python code), each taking back may wait
a whole switch interval. SHA-256 (hashlib) is shown beside it: it lets go once per call. Each
figure is the median of --repeat runs, alone and beside a thread that counts in a loop. See
bench/README.md, « Threads take turns sooner ».
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.table import Table

from keys.format import BlobContext, decrypt_blob, encrypt_blob

MIB = 1024 * 1024


def busy_beside() -> Iterator[None]:
    """A thread that runs Python code until told to stop."""
    stop = threading.Event()

    def spin() -> None:
        count = 0
        while not stop.is_set():
            count += 1

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    time.sleep(0.02)
    try:
        yield
    finally:
        stop.set()
        thread.join()


def timed(work: Callable[[], None], repeat: int, busy: bool) -> float:
    runs = []
    for _ in range(repeat):
        context = busy_beside() if busy else iter([None])
        next(context)
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
        for _ in context:
            pass
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=20)
    parser.add_argument("--intervals", default="5,1,0.5,0.1", help="milliseconds")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    key = os.urandom(32)
    context = BlobContext(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), "original")
    plain = [os.urandom(MIB) for _ in range(args.mib)]
    blob = list(encrypt_blob(key, 1, context, plain))

    def encrypting() -> None:
        deque(encrypt_blob(key, 1, context, plain), maxlen=0)

    def decrypting() -> None:
        deque(decrypt_blob(key, context, blob), maxlen=0)

    def hashing() -> None:
        digest = hashlib.sha256()
        for piece in plain:
            digest.update(piece)

    works = {
        "encrypt (Cobblestone)": encrypting,
        "decrypt (Cobblestone)": decrypting,
        "SHA-256 (hashlib)": hashing,
    }
    table = Table(title=f"{args.mib} MiB in pieces of 1 MiB, median of {args.repeat}, ms")
    table.add_column("switch interval")
    for name in works:
        table.add_column(f"{name} alone")
        table.add_column("beside a busy thread")
    before = sys.getswitchinterval()
    try:
        for interval in (float(text) for text in args.intervals.split(",")):
            sys.setswitchinterval(interval / 1000)
            row = [f"{interval:g} ms"]
            for work in works.values():
                for busy in (False, True):
                    row.append(f"{timed(work, args.repeat, busy) * 1000:.1f}")
            table.add_row(*row)
    finally:
        sys.setswitchinterval(before)
    console = Console(width=200)
    console.print(f"Python {sys.version.split()[0]}, nproc {os.cpu_count()}")
    console.print(table)


if __name__ == "__main__":
    main()
