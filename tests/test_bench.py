"""The benchmark harness (bench/): its generator and a smoke run of `python bench/run.py --quick --json`.

No timing is asserted: the numbers are reported in bench/RESULTS.md, not tested."""
import json
import os
import subprocess
import sys

import pandas as pd

from bench import generate
from events import model, sources
from tests.conftest import ROOT

KEYS = {"n", "step", "ours_s", "naive_s", "ratio_vs_naive", "payload_bytes"}


def test_generator_is_deterministic_and_covers_every_type(tmp_path):
    a, b = generate.incidents(3_000, seed=7), generate.incidents(3_000, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(generate.incidents(3_000, seed=8))
    assert list(a.columns) == list(generate.ACLED_HEADER)
    assert set(a["event_type"]) == set(model.EVENT_TYPES)
    for etype, subs in model.EVENT_TYPES.items():
        assert set(a.loc[a["event_type"] == etype, "sub_event_type"]) <= set(subs)
    assert set(a["time_precision"]) == {1, 2, 3} and set(a["geo_precision"]) == {1, 2, 3}
    assert (a["fatalities"] == 0).mean() > 0.5 and a["fatalities"].max() >= 20  # skewed
    assert a["notes"].str.startswith("SYNTHETIC").all() and a["event_id_cnty"].is_unique
    years = pd.to_datetime(a["event_date"], format="%d %B %Y").dt.year
    assert years.min() == 2003 and years.max() == 2024


def test_generated_csv_imports_without_rejects(tmp_path):
    path = generate.write_csv(2_000, seed=3, out=tmp_path)
    assert generate.write_csv(2_000, seed=3, out=tmp_path) == path  # reused, not regenerated
    result = sources.read_file(path, source="acled")
    assert len(result.accepted) == 2_000 and result.rejects.empty, result.rejects.head().to_string()
    assert set(result.accepted["geo_precision"]) == {1, 2, 3}
    assert set(result.accepted["date_precision"]) == {"day", "week", "month"}


def test_header_is_acleds_current_layout(shared):
    real = pd.read_csv(shared / "real" / "acled_sample_2024_layout.csv", nrows=0)
    assert list(real.columns) == list(generate.ACLED_HEADER)


def test_quick_run_prints_the_table_as_json(tmp_path):
    proc = subprocess.run([sys.executable, "bench/run.py", "--quick", "--json", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout)
    assert isinstance(rows, list) and rows
    for r in rows:
        assert KEYS <= r.keys(), r
        assert isinstance(r["n"], int) and isinstance(r["step"], str)
        for k in ("ours_s", "naive_s", "ratio_vs_naive"):
            assert r[k] is None or (isinstance(r[k], (int, float)) and r[k] >= 0), (k, r)
        assert r["payload_bytes"] is None or isinstance(r["payload_bytes"], int)
    steps = {(r["n"], r["step"]) for r in rows}
    for n in (1_000, 10_000):
        assert {(n, s) for s in ("import", "load", "filter_1y", "filter_all", "map_1y", "map_all")} <= steps
    imports = [r for r in rows if r["step"] == "import"]
    assert all(r["accepted"] == r["n"] and r["peak_rss_bytes"] > 0 for r in imports)
    assert all(r["correct"] for r in rows if r["step"].startswith(("filter_", "app_step_")))
    maps = [r for r in rows if r["step"].startswith("map_")]
    assert all(r["payload_bytes"] > 0 and r["naive_s"] is not None for r in maps)
    if os.path.exists("/usr/bin/chromium") or os.environ.get("CI") == "true":
        assert {(1_000, "app_step_1y"), (1_000, "draw_all")} <= steps
        assert any(r["step"] == "startup_curated" for r in rows)
    assert (tmp_path / "RESULTS.quick.md").read_text().count("| 1,000 |") >= 6


def test_a_new_server_opens_from_the_columnar_cache_and_shows_the_same(tmp_path):
    csv = generate.write_csv(1_000, seed=5, out=tmp_path)
    store = tmp_path / "app" / "atlas.gpkg"
    store.parent.mkdir()
    from events import store as atlas_store
    atlas_store.import_file(store, csv, source="acled")
    runs = []
    for _ in range(2):  # two fresh interpreters: two server starts on the same data
        proc = subprocess.run([sys.executable, "bench/first_open.py", str(store), "--search", "kirkuk"], cwd=ROOT,
                              capture_output=True, text=True, timeout=600, env=dict(os.environ))
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    cold, warm = runs
    assert not cold["cache_at_start"] and warm["cache_at_start"]
    assert sorted(p.stem.split("-")[0] for p in (tmp_path / "app" / ".atlas.gpkg.cache").glob("*.arrow")) == \
        ["fused", "members", "possible", "raw", "search", "view", "view"]  # events, and every source row
    assert cold["shown"] == warm["shown"] and cold["windows"] == warm["windows"]
    assert cold["shown_raw"] == warm["shown_raw"]
    assert int(warm["shown"][0].replace(",", "")) >= 1_000 and len(warm["steps_s"]) == 3
