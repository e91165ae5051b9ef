"""The PDF briefing (geo/briefing.py) re-read: its text, its pages' sizes and images, its tables."""
import re
import subprocess
import sys
import unicodedata

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from events import annotations
from events.curated import load_curated
from geo import boundaries, briefing, control, snapshot
from tests.browser import ARTIFACTS, require_chromium
from tests.conftest import ROOT

HOSTILE = '<img src=x onerror=alert(1)>{{ 7*7 }}'
REPRS = re.compile(r"\bNone\b|\[\]|\{\}|\bnan\b|\bNaT\b")


@pytest.fixture(scope="module")
def incidents():
    frame = boundaries.assign_admin(load_curated())
    return frame.join(control.controller_of(frame))


def _pages(path) -> list[str]:
    """Each page's text, as pdftotext reads it (one call a page)."""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"], capture_output=True,
                           text=True, check=True).stdout for n in range(1, count + 1)]


def _size_pts(path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    w, h = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M).groups()
    return float(w), float(h)


def _map_share(ink: np.ndarray) -> float:
    """The share of a page image the map covers (`ink`: the pixels not white; the map is toned beyond its
    base, so it is ink from edge to edge): the longest run of rows more than 60% inked (a line of text is
    a few rows), times the span from the first to the last column more than half inked within it (the
    legend's white box sits inside that span)."""
    dense = ink.mean(axis=1) > 0.6
    best, start = (0, 0), None
    for i, on in enumerate(list(dense) + [False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            best, start = max(best, (i - start, start)), None
    height, top = best
    cols = np.flatnonzero(ink[top:top + height].mean(axis=0) > 0.5)
    return height * (cols[-1] - cols[0] + 1) / ink.size if len(cols) else 0.0


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text)
                   if not ch.isspace() and unicodedata.category(ch) != "Cf")


@pytest.fixture(scope="module")
def long_brief(incidents, tmp_path_factory):
    """An A4 landscape briefing on two dates with a year of incidents each and 40 listed: the tables
    must run onto further pages."""
    require_chromium()
    notes = annotations.combined(annotations._frame([
        {"id": 1, "date": "2017-10-16", "text": "federal forces enter Kirkuk " + HOSTILE, "author": "A. Analyst",
         "created": ""}]))
    pdf = briefing.briefing_pdf(incidents, ["2014-06-10", "2017-10-16"], data_version="test.1", trail_days=365,
                                author="Jane " + HOSTILE, notes=notes, top=40)
    path = tmp_path_factory.mktemp("brief") / "long.pdf"
    path.write_bytes(pdf)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "briefing_long.pdf").write_bytes(pdf)
    return path


def test_the_briefing_says_its_view_author_sources_dates_changes_and_notes(long_brief, incidents):
    pages = _pages(long_brief)
    text = " ".join(" ".join(pages).split())
    assert not REPRS.search(text), REPRS.search(text)
    assert "Jane " + HOSTILE in text   # the user's words as text, never markup
    assert "event types all · window: the 365 days to each date" in text and "Data version test.1" in text
    assert "Rudaw:" in text and "Sources" in text   # the publications the incidents cite
    assert "10 June 2014" in text and "16 October 2017" in text
    assert "Federal forces take Kirkuk city" in text   # what changed in control since the previous page
    assert "WHAT CHANGED IN CONTROL SINCE 10 JUN 2014" in text.upper()
    assert "federal forces enter Kirkuk " + HOSTILE + " (A. Analyst)" in text
    assert "Incidents" in text and "Killed" in text and "Wounded" in text


def test_no_page_ends_in_a_cut_table_row(long_brief, incidents):
    pages = [_letters(p) for p in _pages(long_brief)]
    # The header is repeated on every page the table runs onto: the table spans pages.
    assert sum("TOPINCIDENTS" in p.upper() for p in pages) > 2
    for day in ("2014-06-10", "2017-10-16"):
        view = snapshot.view_for(date=day, trail_days=365)
        rows = briefing.top_rows(snapshot.select(incidents, view), n=40)
        assert len(rows) >= 10
        for row in rows:
            # Every cell lies whole on one page, and the row's cells on the same page (the Latin cells are
            # compared: pdftotext orders mixed right-to-left lines by its own rules).
            cells = [_letters(c["text"]) for c in row if c["text"] and not re.search("[\u0600-\u06ff]", c["text"])]
            assert cells
            assert any(all(cell in p for cell in cells) for p in pages), (day, cells)


def test_the_map_covers_at_least_half_of_each_date_page(long_brief, tmp_path):
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(long_brief), str(tmp_path / "page")], check=True)
    texts = _pages(long_brief)
    dated = [i for i, t in enumerate(texts) if re.search(r"page \d of 2", t)]
    assert len(dated) == 2
    images = sorted(tmp_path.glob("page-*.png"))
    for n, i in enumerate(dated, start=1):
        image = Image.open(images[i]).convert("RGB")
        image.save(ARTIFACTS / f"briefing_page{n}.png")
        share = _map_share(np.asarray(image.convert("L")) < 250)
        assert share >= 0.5, (i, share)
    Image.open(images[0]).convert("RGB").save(ARTIFACTS / "briefing_page0_cover.png")


@pytest.mark.parametrize("paper, orientation, size", [("letter", "portrait", (612, 792)),
                                                      ("a4", "landscape", (842, 595))])
def test_paper_and_orientation(incidents, tmp_path, paper, orientation, size):
    require_chromium()
    pdf = briefing.briefing_pdf(incidents, ["2017-10-16"], data_version="t", paper=paper, orientation=orientation,
                                top=3)
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    w, h = _size_pts(path)
    assert abs(w - size[0]) < 2 and abs(h - size[1]) < 2
    mw, mh = briefing.map_size(paper, orientation)
    pw, ph = briefing.check_paper(paper, orientation)
    assert mw * mh >= 0.5 * pw * ph


def test_default_dates_are_the_control_changes_of_the_window():
    days = briefing.default_dates(start="2014-01-01", end="2017-12-31")
    assert pd.Timestamp("2014-06-10") in days and pd.Timestamp("2017-10-16") in days
    assert all(pd.Timestamp("2014-01-01") <= d <= pd.Timestamp("2017-12-31") for d in days)
    assert briefing.default_dates(start="2020-01-01", end="2020-03-01") == [pd.Timestamp("2020-03-01")]


def test_bad_requests_are_one_line_errors(incidents):
    for options in ({"paper": "a3"}, {"orientation": "sideways"}, {"top": 0}, {"title": "x" * 500}):
        with pytest.raises(snapshot.SnapshotError):
            briefing.briefing_pdf(incidents, ["2017-10-16"], data_version="t", **options)
    with pytest.raises(snapshot.SnapshotError, match="no dates"):
        briefing.briefing_pdf(incidents, [], data_version="t")


def test_briefing_from_the_command_line_with_the_stores_notes(tmp_path):
    require_chromium()
    from events import store as events_store
    path = events_store.open_store(tmp_path / "atlas.gpkg")
    annotations.add(path, date="2017-10-16", text="note from the store", author="B")
    out = tmp_path / "cli.pdf"
    run = subprocess.run([sys.executable, "-m", "geo", "briefing", "--out", str(out), "--store", str(path),
                          "--from", "2017-10-10", "--to", "2017-10-16", "--paper", "letter",
                          "--orientation", "portrait", "--author", "C. Editor"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    w, h = _size_pts(out)
    assert abs(w - 612) < 2 and abs(h - 792) < 2
    text = " ".join(" ".join(_pages(out)).split())
    assert "C. Editor" in text and "note from the store (B)" in text
    assert "10 October 2017" in text and "16 October 2017" in text   # the window's control-change dates
    bad = subprocess.run([sys.executable, "-m", "geo", "briefing", "--out", str(tmp_path / "x.pdf"),
                          "--paper", "a3", "--dates", "2017-10-16"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and not (tmp_path / "x.pdf").exists()


def test_a_long_window_keeps_the_changes_that_moved_most_areas():
    """Issue 15: the old default (the first dates of the window) gave five days of June 2014 and missed
    16 Oct 2017; with a limit, the changes that moved the most areas are kept, in date order."""
    every = briefing.default_dates(start="2013-01-01", end="2018-12-31")
    kept = briefing.default_dates(start="2013-01-01", end="2018-12-31", limit=8)
    assert len(every) > 8 and len(kept) == 8 and kept == sorted(kept) and set(kept) <= set(every)
    assert pd.Timestamp("2017-10-16") in kept and pd.Timestamp("2014-06-10") in kept
