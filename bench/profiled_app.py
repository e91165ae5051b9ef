"""app.py run unchanged, under pyinstrument when the session asks for it (bench/profile_step.py).

pyinstrument samples the thread that started it; AppTest runs the script in its own thread, so the
profiler has to be started from inside the script: this file is the script, app.py runs within it.
"""
from __future__ import annotations

import json
import os
import runpy
from collections import defaultdict
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"


def _label(frame) -> str:
    path = Path(frame.file_path or "?")
    try:
        where = path.relative_to(ROOT)
    except ValueError:
        where = Path(*path.parts[-2:]) if len(path.parts) > 1 else path
    return f"{frame.function} ({where}:{frame.line_no})"


def _find_app(frame):
    if frame.function == "<module>" and (frame.file_path or "").endswith(str(APP)):
        return frame
    for child in frame.children:
        hit = _find_app(child)
        if hit is not None:
            return hit
    return None


def _self_times(frame, acc):
    """Time spent in each function itself (pyinstrument keeps it in synthetic "[self]" children)."""
    if not frame.is_synthetic:
        acc[_label(frame)] += sum(c.time for c in frame.children if c.is_synthetic)
    for child in frame.children:
        _self_times(child, acc)


def summary(session) -> dict:
    """The calls app.py makes, by time, and the functions with the most time of their own."""
    root = session.root_frame()
    app = _find_app(root) if root is not None else None
    calls = defaultdict(float)
    for child in (app.children if app is not None else []):
        calls[_label(child)] += child.time
    own = defaultdict(float)
    if root is not None:
        _self_times(root, own)
    total = session.duration
    return {"profile_s": total,
            "app_calls": sorted(([k, round(v, 4)] for k, v in calls.items()), key=lambda x: -x[1])[:15],
            "self_time": sorted(([k, round(v, 4)] for k, v in own.items() if v > 0), key=lambda x: -x[1])[:15]}


if st.session_state.get("_bench_profile"):
    from pyinstrument import Profiler

    out = Path(os.environ.get("BENCH_PROFILE_OUT", ROOT / "bench" / "out" / "profile_step"))
    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        runpy.run_path(str(APP), run_name="__main__")
    finally:
        session = profiler.stop()
        out.with_suffix(".html").write_text(profiler.output_html(), encoding="utf-8")
        out.with_suffix(".txt").write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
        out.with_suffix(".json").write_text(json.dumps(summary(session)), encoding="utf-8")
else:
    runpy.run_path(str(APP), run_name="__main__")
