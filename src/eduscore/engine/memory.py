"""Giving freed memory back to the operating system between the phases of a run.

A national run frees large intermediates at each phase boundary (the text of a CSV file
once converted, the wide schools table once split into sections, the per-check columns
once counted). Both allocators keep freed pages for reuse: Arrow's pool (mimalloc or
jemalloc) and the C library's heap that numpy allocates from (whose free space,
fragmented by many 8 MB arrays, is not returned by itself). The process's peak resident
memory is then the sum of live data and those kept pages. :func:`give_back` asks both to
return what they keep; it changes no data, only the resident size.

It acts only for large inputs (:data:`LARGE_ROWS`). Pages given back must be asked for
again, and the first touch of each costs time: about 7 % of a run at national(1.0)
(200,000 sections, where the kept pages are a few hundred megabytes). Below the threshold
reusing them is the better trade; above it, the peak is what limits a run (a million
sections from CSV: 1.72 → 1.45 GiB; national(4.0): 1.48 → 1.21 GiB).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

import pyarrow as pa

#: Inputs with at least this many rows give memory back between phases.
LARGE_ROWS = 400_000


@functools.cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """glibc's ``malloc_trim`` (Linux); None elsewhere (musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def give_back(rows: int = LARGE_ROWS) -> None:
    """Return freed memory kept by Arrow's pool and the C heap, when ``rows`` is large."""
    if rows < LARGE_ROWS:
        return
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
