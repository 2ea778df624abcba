"""Password hashing with argon2id (OWASP's profile, or RFC 9106's by a setting) and the rules
for a new password: at least 8 characters, no composition rules, not one of the most common ones."""

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vault.errors import BusyError, InvalidInputError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1000

# COFFRE_ARGON2_PROFILE picks one. A hash made under another profile is still verified (its
# parameters are in the hash) and is replaced at the next successful sign-in.
PROFILES: dict[str, PasswordHasher] = {
    # OWASP Password Storage Cheat Sheet's first profile: 46 MiB, 1 pass, 1 lane; ~50 ms of one
    # core here, so two cores verify two at once. Its 19 MiB equivalent is faster still, but
    # asks an attacker's hardware for less memory per guess (and its areas, under glibc's mmap
    # threshold then, stayed in each thread's arena: the server grew by 360-740 MiB).
    "owasp": PasswordHasher(time_cost=1, memory_cost=46 * 1024, parallelism=1),
    # RFC 9106's second recommended profile (argon2-cffi's default): 64 MiB, 3 passes, 4 lanes,
    # ~130 ms of both cores here.
    "rfc9106": PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4),
}
_hasher = PROFILES["owasp"]


class HashQueue:
    """Each hash takes its profile's memory and a core: at most `slots` run at once. The others
    wait in arrival order (a freed slot goes to the oldest waiter, never to a newcomer), at most
    `waiting` of them; past that, BusyError at once rather than a wait that ends in a timeout."""

    def __init__(self, slots: int, waiting: int) -> None:
        self._slots = max(1, slots)
        self._max_waiting = max(0, waiting)
        self._lock = threading.Lock()
        self._running = 0
        self._waiters: deque[threading.Event] = deque()
        self._seconds_per_hash = 0.1

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._lock:
            if self._running < self._slots and not self._waiters:
                self._running += 1
                ticket = None
            elif len(self._waiters) >= self._max_waiting:
                raise BusyError(self._expected_wait())
            else:
                ticket = threading.Event()
                self._waiters.append(ticket)
        if ticket is not None:
            ticket.wait()
        start = time.perf_counter()
        try:
            yield
        finally:
            self._hand_over(time.perf_counter() - start)

    def _hand_over(self, seconds: float) -> None:
        with self._lock:
            self._seconds_per_hash = 0.8 * self._seconds_per_hash + 0.2 * seconds
            if self._waiters:
                # The slot passes straight to the oldest waiter: `_running` stays as it is.
                self._waiters.popleft().set()
            else:
                self._running -= 1

    def _expected_wait(self) -> int:
        return max(1, math.ceil(len(self._waiters) / self._slots * self._seconds_per_hash))


_queue = HashQueue(slots=4, waiting=64)


def limit_concurrent_hashes(slots: int, waiting: int) -> None:
    global _queue
    _queue = HashQueue(slots, waiting)


def use_hash_profile(name: str) -> None:
    global _hasher
    _hasher = PROFILES[name]
    _dummy_hash.cache_clear()


def hash_password(password: str) -> str:
    with _queue.turn():
        return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("coffre-unknown-login")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown login), spend the same time and say no."""
    with _queue.turn():
        try:
            if password_hash is None:
                _hasher.verify(_dummy_hash(), password)
                return False
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = (files("vault") / "data" / "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def check_new_password(password: str, *personal: str) -> None:
    """Refuse a password that is too short, too common, or just the person's login or name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            "Le mot de passe doit avoir au moins %(minimum)s caractères.",
            field="password",
            minimum=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError("Le mot de passe est trop long.", field="password")
    lowered = password.strip().lower()
    if lowered in _common_passwords() or lowered in {p.strip().lower() for p in personal if p}:
        raise InvalidInputError(
            "Ce mot de passe est trop facile à deviner. Choisissez-en un autre, "
            "par exemple une petite phrase.",
            field="password",
        )
