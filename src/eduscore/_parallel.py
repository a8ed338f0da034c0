"""Independent whole-column work spread over the machine's cores.

Arrow's compute kernels release the GIL, so the conversion of each input column (or any
other list of independent column jobs) can run side by side in threads. The results come
back in the order of the items: the output is exactly a plain loop's.

The number of threads follows Arrow's own setting (``pyarrow.cpu_count()``, changed with
``pyarrow.set_cpu_count``; 1 turns this off). Small tables run as a plain loop: below
:data:`MIN_ROWS` rows a thread costs more than it saves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pyarrow as pa

T = TypeVar("T")
R = TypeVar("R")

#: Tables with fewer rows are converted in a plain loop.
MIN_ROWS = 50_000
_MAX_THREADS = 4


def parallel_map(function: Callable[[T], R], items: Iterable[T], rows: int) -> list[R]:
    """``[function(item) for item in items]``, in threads when ``rows`` is large.

    The first exception raised (in the items' order) is raised here, as a loop would."""
    todo = list(items)
    threads = min(_MAX_THREADS, pa.cpu_count(), len(todo))
    if rows < MIN_ROWS or threads < 2:
        return [function(item) for item in todo]
    with ThreadPoolExecutor(threads, thread_name_prefix="eduscore") as pool:
        return list(pool.map(function, todo))
