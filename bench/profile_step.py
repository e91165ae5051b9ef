"""Profile one slider step of the real app with pyinstrument (Streamlit's AppTest, no browser).

    python bench/profile_step.py STORE.gpkg OUT_DIR [START END]

Runs app.py (through `bench/profiled_app.py`, which profiles the script's own thread) on STORE with
the window START..END (default the whole 2003–2024 range), then clicks "− month" and profiles that
rerun: the path a slider step takes in Python. Writes OUT_DIR/profile_step.html and .txt and prints one JSON line
with the rerun's seconds and the top costs.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 4):
        print(__doc__, file=sys.stderr)
        return 2
    store_path, out = Path(argv[0]), Path(argv[1])
    window = ((dt.date.fromisoformat(argv[2]), dt.date.fromisoformat(argv[3])) if len(argv) == 4
              else (dt.date(2003, 1, 1), dt.date(2024, 12, 31)))
    out.mkdir(parents=True, exist_ok=True)
    os.environ["ATLAS_STORE"] = str(store_path)
    os.environ["BENCH_PROFILE_OUT"] = str(out / "profile_step")
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "bench" / "profiled_app.py"), default_timeout=900)
    at.session_state["window"] = window
    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    if at.exception:
        print(json.dumps({"error": [e.value for e in at.exception]}))
        return 1
    at.session_state["_bench_profile"] = True
    t = time.perf_counter()
    at.button(key="step-1").click().run()
    step = time.perf_counter() - t
    if at.exception:
        print(json.dumps({"error": [e.value for e in at.exception]}))
        return 1
    shown = [m.value for m in at.metric if m.label == "Incidents"]
    top = json.loads((out / "profile_step.json").read_text())
    print(json.dumps({"first_run_s": first, "step_run_s": step, "shown": shown[0] if shown else None,
                      "window": [str(d) for d in at.session_state["window"]], **top}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
