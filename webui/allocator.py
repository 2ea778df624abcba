"""How the serving process's allocator hands memory back.

glibc serves a block larger than its mmap threshold with a mapping of its own, unmapped when
freed; but the threshold rises by itself, up to 32 MiB, to the largest such block freed. After
the first upload's 8 MiB parts are freed it stands above them, so the next parts come from the
per-thread arenas, which keep their size: a 1 GiB upload grew the server by 71 MiB. With the
threshold fixed at 4 MiB, 54 MiB (bench/README.md, http_path, 2026-12-01), for ~15% more CPU on
large uploads (each part's pages are fresh). Pieces of 1 MiB and less are not concerned."""

import ctypes

# mallopt's parameter number for M_MMAP_THRESHOLD (glibc's malloc.h).
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024


def give_big_blocks_back() -> None:
    """Fix glibc's mmap threshold for this process; with another C library, nothing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
