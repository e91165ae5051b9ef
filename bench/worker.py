"""Measurements that must run in a fresh process, so their peak memory is theirs alone.

    python bench/worker.py import FILE.csv STORE.gpkg   # events.store.import_file, as the app's import does
    python bench/worker.py load STORE.gpkg              # what the app holds: load + admin + control,
                                                        # then the search index (built on the first search)

Each prints one JSON object on its last stdout line, with `peak_rss_bytes` (this process's maximum
resident set, VmHWM) and the timings.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _status(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def peak_rss_bytes() -> int:
    """This process's peak resident set size: VmHWM of /proc/self/status.

    Not getrusage's ru_maxrss: Linux carries the parent's high-water mark over fork + exec, so a
    worker started by a big parent would report the parent's peak."""
    hwm = _status("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def app_data(store_path, *, search: bool = True):
    """The frame the app holds (app.py `load_view_data`): incidents with admin areas and the controller
    of each place on its date; with `search`, also the folded search text the app builds on the first
    text search (`search_index`). Returns (frame, search text or None, timings)."""
    from events import query, store
    from geo import boundaries, control

    times = {}
    t = time.perf_counter()
    frame = store.load(store_path)
    times["load_s"] = time.perf_counter() - t
    times["rss_load_bytes"], times["peak_load_bytes"] = current_rss_bytes(), peak_rss_bytes()
    t = time.perf_counter()
    frame = boundaries.assign_admin(frame)
    times["admin_s"] = time.perf_counter() - t
    times["rss_admin_bytes"], times["peak_admin_bytes"] = current_rss_bytes(), peak_rss_bytes()
    t = time.perf_counter()
    frame = frame.join(control.controller_of(frame))
    times["control_s"] = time.perf_counter() - t
    times["rss_control_bytes"], times["peak_control_bytes"] = current_rss_bytes(), peak_rss_bytes()
    if not search:
        return frame, None, times
    t = time.perf_counter()
    text = query.search_text(frame)
    times["search_s"] = time.perf_counter() - t
    times["rss_search_bytes"], times["peak_search_bytes"] = current_rss_bytes(), peak_rss_bytes()
    return frame, text, times


def do_import(csv: str, store_path: str) -> dict:
    from events import store

    t0 = time.perf_counter()
    summary = store.import_file(store_path, csv, source="acled")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "accepted": summary.accepted, "rejected": summary.rejected,
            "rows_read": summary.rows_read, "peak_rss_bytes": peak_rss_bytes()}


def do_load(store_path: str) -> dict:
    t0 = time.perf_counter()
    frame, search, times = app_data(store_path)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds - times["search_s"], "rows": len(frame), **times,
            "frame_bytes": int(frame.memory_usage(deep=True).sum()),
            "search_bytes": int(search.memory_usage(deep=True)),
            "peak_rss_bytes": peak_rss_bytes()}


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "import":
        out = do_import(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "load":
        out = do_load(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    out["end_rss_bytes"] = current_rss_bytes()
    print(json.dumps(out))
    return 0


def current_rss_bytes() -> int:
    """Resident memory now (at the end: what is still held once the work is done)."""
    return _status("VmRSS") or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
