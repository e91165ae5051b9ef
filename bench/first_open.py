"""The app's first page open on a store, and its memory while stepping, without a browser (AppTest).

    python bench/first_open.py STORE.gpkg [--search TEXT] [--app FILE]

Runs app.py in a fresh interpreter as a new server would (empty Streamlit caches) on STORE with the
whole 2003–2024 window, then clicks "− month", "− year" and "+ year" (steps with ~everything in
view), then optionally searches TEXT, then shows the raw rows (every source row, whose count a SQL
count can check; peak_steps_bytes is the peak before this and the search). Prints one JSON line: seconds of the first run (what the first page open
waits for in Python: loading or reading the columnar cache, matching, admin areas, control), of each
step, the window and the 'Incidents' count shown after each, this process's resident memory after each phase and
its peak (VmHWM), and whether the columnar cache was there when it started. Run it twice on the same
store: the first run builds the cache (a new data version), the second opens from it. `--app` runs
another version of the page (e.g. `git show HEAD:app.py > bench/out/app_head.py`) for a before/after.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.worker import _status, current_rss_bytes, peak_rss_bytes  # noqa: E402


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", help="a GeoPackage path or a postgresql:// URL")
    ap.add_argument("--search", default=None)
    ap.add_argument("--app", type=Path, default=ROOT / "app.py")
    args = ap.parse_args(argv)
    store_path = args.store   # kept a string: a URL must not become a Path
    os.environ["ATLAS_STORE"] = store_path
    os.chdir(ROOT)
    from events import cache
    from streamlit.testing.v1 import AppTest

    had_cache = any(cache.folder(store_path).glob("*.arrow")) if cache.folder(store_path).exists() else False
    out = {"cache_at_start": had_cache, "rss_start_bytes": current_rss_bytes()}
    at = AppTest.from_file(str(args.app.resolve()), default_timeout=1800)
    at.session_state["window"] = (dt.date(2003, 1, 1), dt.date(2024, 12, 30))
    t = time.perf_counter()
    at.run()
    out["first_run_s"] = time.perf_counter() - t
    if at.exception:
        print(json.dumps({"error": [e.value for e in at.exception]}))
        return 1
    shown = lambda: next((m.value for m in at.metric if m.label == "Incidents"), None)  # noqa: E731
    window = lambda: [str(d) for d in at.session_state["window"]]  # noqa: E731
    out["shown"], out["windows"] = [shown()], [window()]
    out["rss_first_bytes"], out["peak_first_bytes"] = current_rss_bytes(), peak_rss_bytes()
    steps = []
    for key in ("step-1", "step-12", "step12"):
        t = time.perf_counter()
        at.button(key=key).click().run()
        steps.append(round(time.perf_counter() - t, 3))
        if at.exception:
            print(json.dumps({"error": [e.value for e in at.exception]}))
            return 1
        out["shown"].append(shown())
        out["windows"].append(window())
    out["steps_s"] = steps
    out["rss_steps_bytes"], out["peak_steps_bytes"] = current_rss_bytes(), peak_rss_bytes()
    if args.search:
        t = time.perf_counter()
        at.text_input(key="q").input(args.search).run()
        out["search_s"] = time.perf_counter() - t
        out["shown"].append(shown())
        out["rss_search_bytes"], out["peak_search_bytes"] = current_rss_bytes(), peak_rss_bytes()
    if args.search:
        at.text_input(key="q").input("").run()
    t = time.perf_counter()
    at.toggle(key="raw").set_value(True).run()  # every source row: its count is a SQL count of the window
    out["raw_s"], out["shown_raw"] = time.perf_counter() - t, shown()
    out["rss_raw_bytes"], out["peak_rss_bytes"] = current_rss_bytes(), peak_rss_bytes()
    # Resident memory now, split: anonymous (the heap) and file-backed (mapped cache pages: shared by every
    # process and session, and given back by the kernel under pressure).
    out["rss_anon_bytes"], out["rss_file_bytes"] = _status("RssAnon"), _status("RssFile")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
