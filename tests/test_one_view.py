"""One view of the truth: for random views (actors, controllers, districts, text in both scripts,
minimum killed, as-of mode with each trailing window), the count on screen, the selection, the PNG's
caption, the CSV of `python -m geo list --view`, the CLI of events and the PDF agree."""
import datetime as dt
import random
import re
import subprocess
import sys

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from events import store, view
from geo import boundaries, control, snapshot
from tests.conftest import ROOT

N_VIEWS = 50


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    path = tmp_path_factory.mktemp("oneview") / "atlas.gpkg"
    store.open_store(path)
    frame = boundaries.assign_admin(store.load(path))
    return path, frame.join(control.controller_of(frame))


def _views(frame: pd.DataFrame) -> list[view.View]:
    """Seeded random views whose filter values are drawn from the incidents of their own window (so
    most views hold something, and the filters really cut)."""
    rng = random.Random(20261207)
    out = []
    for i in range(N_VIEWS):
        changes: dict = {}
        if i % 2:  # as of the date of a random incident, with each trailing window in turn
            day = frame["date_end"].iloc[rng.randrange(len(frame))].date()
            changes.update(mode="as of", asof=min(view.LAST, day + dt.timedelta(days=rng.randrange(20))),
                           trail_days=(30, 90, 365)[i // 2 % 3])
        else:
            a = dt.date(2003, 1, 1) + dt.timedelta(days=rng.randrange(7000))
            changes["window"] = (a, min(view.LAST, a + dt.timedelta(days=rng.randrange(180, 3000))))
        inside = view.select(frame, view.with_changes(view.View(), **changes))
        inside = inside if len(inside) else frame
        actors = sorted(set(inside["actor1"].dropna()) | set(inside["actor2"].dropna())) or ["ISIS"]
        controllers = sorted(inside["controller"].dropna().unique()) or ["ISIS"]
        districts = sorted(inside["admin2"].dropna().unique()) or ["Hawija"]
        words = sorted({w for p in inside["place"].dropna() for w in re.findall(r"[A-Za-z]{5,}", p)}
                       | {w for p in inside["place_ar"].dropna() for w in re.findall(r"[\u0621-\u064a]{4,}", p)})
        kind = i % 5
        if kind == 0:
            changes["actors"] = rng.sample(actors, 1)
        elif kind == 1:
            changes["controllers"] = rng.sample(controllers, 1)
        elif kind == 2:
            changes["districts"] = rng.sample(districts, rng.randint(1, min(2, len(districts))))
        elif kind == 3:
            changes["text"] = rng.choice(words or ["Kirkuk"])
        if rng.random() < 0.3:
            changes["min_killed"] = rng.choice([1, 5, 10])
        out.append(view.with_changes(view.View(), **changes))
    return out


def _screen_count(path, shown: view.View, monkeypatch) -> int:
    monkeypatch.setenv("ATLAS_STORE", str(path))
    monkeypatch.setattr(store, "DEFAULT_PATH", path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in pd.Series(dict(_pairs(view.to_query(shown)))).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return int(at.metric[0].value.replace(",", ""))


def _pairs(query: str) -> dict:
    from urllib.parse import parse_qs
    return {k: (v if len(v) > 1 else v[0]) for k, v in parse_qs(query).items()}


def _caption_count(frame, shown: view.View) -> int:
    page = snapshot.snapshot_page(frame, snapshot.view_from(shown), data_version="t", allow_empty=True)
    return int(re.search(r"([\d,]+) incidents", page).group(1).replace(",", ""))


def test_random_views_agree_on_screen_in_the_selection_and_in_the_png_caption(atlas, monkeypatch):
    path, frame = atlas
    views = _views(frame)
    counts = []
    for shown in views:
        selected = len(view.select(frame, shown))
        screen = _screen_count(path, shown, monkeypatch)
        caption = _caption_count(frame, shown)
        counts.append(selected)
        assert screen == selected == caption, (view.to_query(shown), screen, selected, caption)
    assert sum(1 for n in counts if n) >= N_VIEWS // 2, counts  # the views really select something


def test_the_command_lines_give_exactly_the_view_of_a_link(atlas):
    path, frame = atlas
    for shown in _views(frame)[::10]:
        link = "http://127.0.0.1:8501/?" + view.to_query(shown)
        out = subprocess.run([sys.executable, "-m", "geo", "list", "--store", str(path), "--view", link],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        ids = [line.split(",")[0] for line in out.stdout.lstrip("\ufeff").splitlines()[1:] if line]
        assert sorted(ids) == sorted(view.select(frame, shown)["incident_id"]), link
        if not shown.needs_geo():
            out = subprocess.run([sys.executable, "-m", "events", "list", "--store", str(path), "--view", link,
                                  "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert out.returncode == 0, out.stderr
            if not shown.text:  # events' own frame has the admin areas as stored, not as the boundaries give them
                assert len(pd.read_json(__import__("io").StringIO(out.stdout))) == len(view.select(frame, shown))


def test_the_briefing_page_of_an_as_of_view_counts_what_the_screen_counts(atlas, tmp_path):
    from tests.browser import require_chromium
    require_chromium()
    path, frame = atlas
    shown = next(v for v in _views(frame) if v.mode == "as of" and len(view.select(frame, v)) > 0)
    pdf = tmp_path / "brief.pdf"
    out = subprocess.run([sys.executable, "-m", "geo", "briefing", "--store", str(path), "--out", str(pdf),
                          "--view", view.to_query(shown), "--dates", f"{shown.asof:%Y-%m-%d}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert f"{len(view.select(frame, shown)):,} incidents" in text, text[:800]
