"""Memory given back between reruns: a server holding a million incidents must not grow with each step.

Each rerun selects and draws hundreds of MB (a whole-range view copies the selected rows), and pandas
leaves some of it in reference cycles that Python's collector reaches late, while glibc keeps freed
pages in its arenas (one per server thread, so one per session stepping). After the data is loaded
the long-lived objects are frozen out of the collector's way, so the collection at the end of every
rerun scans only that rerun's garbage (~0.1 s at 1M, after the page was sent), and the freed pages
go back to the system. Measured in bench/RESULTS.md."""
from __future__ import annotations

import ctypes
import ctypes.util
import gc


def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):   # not glibc: nothing to trim
        return None


_TRIM = _malloc_trim()


def settle() -> None:
    """After a large load: move what is alive now out of the collector's scans (it is kept for good)."""
    gc.collect()
    gc.freeze()


def release() -> None:
    """At the end of a rerun: collect its garbage now and give the freed pages back to the system."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
