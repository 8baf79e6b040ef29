"""Keeping the process's memory to what it uses.

Two allocators hold on to memory a large run has freed: glibc's, which keeps a
separate arena per thread (the criteria run on a thread pool), and Arrow's
mimalloc pool, which GeoParquet reads and pandas' ``str`` columns go through.
At 1M assets each kept about 130 MB that the next step could not reuse.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return None


def release_freed_memory() -> None:
    """Give the heap that threads freed back to the operating system (a
    few ms); a no-op where malloc is not glibc's."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def use_system_allocator() -> None:
    """Make Arrow allocate with the system's malloc, so that what it frees is
    returned like the rest of the heap (measured on the sparse 1M workload:
    1.49 GiB after reading against 1.63 with mimalloc, reading no slower).
    Called once, at an entry point, before anything is read."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
