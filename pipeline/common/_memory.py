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
import os
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


# What a GeoParquet layer costs once read into a GeoDataFrame, from its
# metadata alone. Fitted by least squares on the benchmark's eight layers at a
# million assets (sparse and dense: 100k to 2.7M rows each, points, lines and
# 16-vertex polygons), each read alone in a fresh process with its one-tag text
# parsed into dictionaries once per distinct text (the benchmark's ``prepare``):
# within 6 % of the measured RSS for layers over 600k rows (small layers cost
# up to a third more, their fixed costs counted nowhere). Layers whose rows
# each hold a dictionary of their own cost about 200 bytes a row more.
#: bytes per row (the shapely object's wrapper and GEOS header, the index, the tags' dictionary)
BYTES_PER_ROW = 180.0
#: bytes per column and row beyond that (a pointer and its share of the repeated strings)
BYTES_PER_CELL = 15.0
#: bytes in memory per byte of the geometry column's WKB (GEOS holds a vertex in about 45 bytes, WKB in 16)
BYTES_PER_WKB_BYTE = 2.8
#: what the interpreter, numpy, shapely, pandas and pyarrow hold before a layer is read (MB, measured: 246)
PROCESS_BYTES = 250e6
#: what the features and the score of an asset hold beyond the layers (the criteria's columns, the
#: score's tables; measured against the sparse 1M run's peak: 2.09 GB, estimated 2.27)
OUTPUT_BYTES_PER_ASSET = 300.0


def geoparquet_bytes(path) -> float:
    """Bytes the GeoParquet file ``path`` is estimated to hold once read (a
    GeoDataFrame of shapely geometries, without its bbox covering column),
    from the file's metadata alone."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    names = {meta.schema.column(j).path.split(".")[0] for j in range(meta.num_columns)} - {"bbox", "__index_level_0__"}
    wkb = sum(meta.row_group(i).column(j).total_uncompressed_size
              for i in range(meta.num_row_groups) for j in range(meta.num_columns)
              if meta.row_group(i).column(j).path_in_schema == "geometry")
    return meta.num_rows * (BYTES_PER_ROW + BYTES_PER_CELL * max(len(names) - 1, 0)) + BYTES_PER_WKB_BYTE * wkb


def run_bytes(layer_bytes: float, assets: int, work_bytes: float) -> float:
    """Peak bytes of a run that holds ``layer_bytes`` of layers and computes
    the features and score of ``assets`` with ``work_bytes`` of working memory."""
    return PROCESS_BYTES + layer_bytes + work_bytes + assets * OUTPUT_BYTES_PER_ASSET


def machine_bytes() -> float | None:
    """The machine's physical memory in bytes (``None`` where it cannot be read)."""
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None
