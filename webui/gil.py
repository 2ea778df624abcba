"""How soon a thread of the serving process gets the interpreter lock back.

Cobblestone (keys/format.py) lets go of the lock for each 64 KiB chunk it encrypts or decrypts,
then takes it back; while another thread runs Python code (the event loop, a request's database
work), taking it back waits until that thread is made to let go: one switch interval, 5 ms by
default. Beside a busy thread, 20 MiB took about 2 s to encrypt instead of 3 ms. With 0.5 ms,
uploads and downloads of 100 MiB through `coffre serve` came out a few milliseconds faster;
with 0.1 ms, slower: switching costs too (bench/gil_turns.py, bench/README.md)."""

import sys

SWITCH_INTERVAL_S = 0.0005


def take_turns_sooner() -> None:
    sys.setswitchinterval(SWITCH_INTERVAL_S)
