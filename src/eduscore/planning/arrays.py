"""Arrow columns as the planning arithmetic needs them: numpy arrays and lookups.

Every helper works on a whole column at once (one ``index_in`` and ``take``, one
conversion), never row by row; :mod:`.plan` and :mod:`.margins` share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def lookup(keys: pa.Array | pa.ChunkedArray, mapping: Mapping[str, Any], type_: pa.DataType) -> pa.Array:
    """Map every key through ``mapping`` with one ``index_in`` and ``take`` (no row loop)."""
    names = sorted(mapping)
    idx = pc.index_in(keys, pa.array(names, pa.string()))
    values = pa.array([mapping[n] for n in names], type_)
    return values.take(idx.combine_chunks() if isinstance(idx, pa.ChunkedArray) else idx)


def decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A dictionary-encoded column as its plain values."""
    return pc.cast(column, column.type.value_type) if pa.types.is_dictionary(column.type) else column


def bools(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean column as a numpy bool array, missing as False."""
    return np.asarray(pc.fill_null(column, False).to_numpy(zero_copy_only=False), dtype=bool)


def floats(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A numeric column as a numpy float64 array, missing as NaN."""
    arr = pc.cast(column, pa.float64())
    return np.asarray(pc.fill_null(arr, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
