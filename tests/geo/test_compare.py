"""Two dates side by side: the comparison's numbers, its PNG and PDF page, and `python -m geo compare`."""
import datetime as dt
import io
import subprocess
import sys

import numpy as np
import pytest
import shapely
from PIL import Image

from events import view as events_view
from events.curated import load_curated
from geo import boundaries, compare, control
from geo.gazetteer import geocode
from geo.snapshot import SnapshotError
from tests.browser import ARTIFACTS, require_chromium
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def incidents():
    frame = boundaries.assign_admin(load_curated())
    return frame.join(control.controller_of(frame))


@pytest.fixture(scope="module")
def may_2014_to_dec_2017(incidents):
    return compare.compare(incidents, view=events_view.View(), dates=("2014-05-01", "2017-12-01"))


def _point(name: str) -> shapely.Point:
    hit = geocode(name)
    assert hit.found, name
    return shapely.Point(hit.lon, hit.lat)


def _row(frame, **match):
    rows = frame
    for key, value in match.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, (match, frame)
    return rows.iloc[0]


def test_incidents_of_each_date_are_those_of_the_view_on_it(incidents, may_2014_to_dec_2017):
    for side, day in zip(may_2014_to_dec_2017.sides, ("2014-05-01", "2017-12-01")):
        on_day = events_view.with_changes(events_view.View(), mode="as of", asof=dt.date.fromisoformat(day))
        assert side.shown.index.equals(events_view.select(incidents, on_day).index)
        assert side.totals["incidents"] == len(events_view.select(incidents, on_day))
    # A filtered view, a year's trail, and two explicit windows: still exactly the view's selection.
    battles = events_view.View(event_types=("Battles",), trail_days=365)
    dated = compare.compare(incidents, view=battles, dates=("2014-12-31", "2017-12-31"))
    assert [len(s.shown) for s in dated.sides] == [
        len(events_view.select(incidents, events_view.from_query(f"mode=as+of&asof={d}&trail=last+365+days"
                                                                 "&types=Battles")))
        for d in ("2014-12-31", "2017-12-31")]
    assert dated.before.shown["event_type"].eq("Battles").all() and len(dated.before.shown) > 0
    windows = compare.compare(incidents, view=battles, windows=(("2014-06-01", "2014-12-31"),
                                                                ("2017-10-01", "2017-12-31")))
    for side, link in zip(windows.sides, ("window=2014-06-01&window=2014-12-31&types=Battles",
                                          "window=2017-10-01&window=2017-12-31&types=Battles")):
        assert side.shown.index.equals(events_view.select(incidents, events_view.from_query(link)).index)
    assert str(windows.after.day.date()) == "2017-12-31"   # areas of control on each window's end


def test_hawija_pocket_held_by_isis_in_2015_is_lost_by_2018(incidents):
    result = compare.compare(incidents, view=events_view.View(), dates=("2015-01-01", "2018-01-01"))
    isis = _row(result.holdings, controller="ISIS")
    assert 3000 < isis.km2_before < 6000 and isis.km2_after == 0   # Hawija, Zab, Riyadh, Abbasi, Rashad
    assert isis.lost_km2 == pytest.approx(isis.km2_before) and isis.gained_km2 == 0 and isis.approximate
    lost = _row(result.shifts, controller="ISIS", change="lost")
    assert lost.geometry.contains(_point("Hawija")) and lost.approximate
    federal = _row(result.shifts, controller="Iraqi federal government", change="gained")
    assert federal.geometry.contains(_point("Hawija"))
    assert not any(result.shifts["controller"].eq("ISIS") & result.shifts["change"].eq("gained"))
    # ISIS's 2018 zones of insurgent activity are not ground held.
    assert "insurgent activity" in set(result.after.areas.query("controller == 'ISIS'")["control_type"])


def test_areas_are_measured_in_square_kilometres_on_an_equal_area_projection(may_2014_to_dec_2017):
    # Kirkuk city on 1 May 2014: the joint period drawn as a 10 km circle, so about pi * 10² km².
    joint = _row(may_2014_to_dec_2017.holdings, controller="Iraqi government with Kurdish security forces (joint)")
    assert joint.km2_before == pytest.approx(np.pi * 100, rel=0.02) and joint.km2_after == 0
    # The smaller period holds where two overlap: the city is not also counted as the governorate's.
    federal = _row(may_2014_to_dec_2017.holdings, controller="Iraqi federal government")
    governorate = control.control_at("2014-05-01").query("area_id == 'kirkuk-governorate'").to_crs(compare.EQUAL_AREA)
    assert federal.km2_before == pytest.approx(governorate.area.iloc[0] / 1e6 - joint.km2_before, rel=0.01)


def test_kirkuk_city_changes_hands_on_16_october_2017(incidents):
    result = compare.compare(incidents, view=events_view.View(), dates=("2017-10-15", "2017-10-17"))
    city = _row(result.handovers, area_id="kirkuk-city")
    assert city.before == "Kurdistan Regional Government / Peshmerga (control)"
    assert city.after == "Iraqi federal government (control)"
    kirkuk = _point("Kirkuk")
    assert _row(result.shifts, controller="Kurdistan Regional Government / Peshmerga",
                change="lost").geometry.contains(kirkuk)
    assert _row(result.shifts, controller="Iraqi federal government", change="gained").geometry.contains(kirkuk)
    assert [f"{d:%Y-%m-%d}" for d in result.changes["date"]] == ["2017-10-16", "2017-10-17"]
    assert "Federal forces take Kirkuk city" in result.changes["description"].iloc[0]


@pytest.mark.parametrize("dates, windows, message", [
    (("2017-12-01", "2014-05-01"), None, r"second date \(2014-05-01\) must come after the first \(2017-12-01\)"),
    (("2014-05-01", "2014-05-01"), None, "must come after the first"),
    (("2002-12-31", "2014-05-01"), None, "first date 2002-12-31 is outside the atlas's period"),
    (("2014-05-01", "2031-01-01"), None, "second date 2031-01-01 is outside"),
    (("2014-05-01", "soon"), None, "second date 'soon' is not a date"),
    (("2014-05-01",), None, "give two dates to compare, not 1"),
    (None, None, "give two dates, or two windows"),
    (("2014-05-01", "2017-12-01"), (("2014-01-01", "2014-02-01"), ("2015-01-01", "2015-02-01")), "not both"),
    (None, (("2014-03-01", "2014-02-01"), ("2015-01-01", "2015-02-01")), "first window ends .2014-02-01. before"),
    (None, (("2015-01-01", "2015-02-01"), ("2014-01-01", "2014-02-01")), "second window must end after the first"),
])
def test_dates_outside_the_period_or_reversed_are_one_clear_error(incidents, dates, windows, message):
    with pytest.raises(SnapshotError, match=message):
        compare.compare(incidents, view=events_view.View(), dates=dates, windows=windows)


def test_png_shows_two_different_maps_at_the_expected_size(may_2014_to_dec_2017):
    require_chromium()
    png = compare.compare_png(may_2014_to_dec_2017, data_version="test.1", size=(1920, 1080))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "compare.png").write_bytes(png)
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    assert image.shape == (1080, 1920, 3)
    left, right = image[160:600, 30:930], image[160:600, 990:1890]   # the two maps, below their dates
    assert left.std() > 20 and right.std() > 20                      # drawn, not blank
    assert np.abs(left - right).mean() > 5                           # and not the same map twice
    # Federal blue holds more of the map on 1 Dec 2017 than on 1 May 2014 (the joint city period is gone,
    # the 2017 offensive's ground is held); both are drawn.
    blue = lambda part: ((part[..., 2] > part[..., 0] + 25) & (part[..., 2] > 150)).mean()
    assert blue(left) > 0.02 and blue(right) > 0.02


def test_pdf_page_holds_both_dates_and_what_changed_without_python_reprs(may_2014_to_dec_2017, tmp_path):
    require_chromium()
    title = "<img src=x onerror=alert(1)> Kirkuk {{ 7*7 }}"
    pdf = compare.compare_pdf(may_2014_to_dec_2017, data_version="test.1", title=title, framing="incidents")
    path = tmp_path / "compare.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info and "842" in info and "595" in info   # one A4 landscape page
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert title in text                                   # the user's title, as text
    for said in ("01 May 2014", "01 December 2017", "What changed: ground held", "Iraqi federal government",
                 "Iraqi government with Kurdish security forces (joint)", "Incidents in the window",
                 "Control changes between the dates (23)", "16 Oct 2017", "Federal forces take Kirkuk city",
                 "Data version test.1", "EPSG:6933"):
        assert said in text, said
    for held in may_2014_to_dec_2017.holdings.itertuples():
        assert f"{held.km2_before:,.0f} km²" in text or held.km2_before < compare.SLIVER_KM2
    assert not any(f" {repr_} " in f" {text} " for repr_ in ("None", "[]", "{}", "nan", "NaT", "<NA>"))


def test_cli_writes_a_png_and_refuses_bad_requests_without_writing(tmp_path):
    require_chromium()
    out = tmp_path / "hawija.png"
    run = subprocess.run([sys.executable, "-m", "geo", "compare", "--view", "d2=Hawija", "--dates",
                          "2014-05-01,2017-12-01", "--framing", "incidents", "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert Image.open(out).size == (1920, 1080)
    for args, said in ((["--dates", "2017-12-01,2014-05-01"], "must come after the first"),
                       (["--dates", "2014-05-01,2031-01-01"], "outside the atlas's period"),
                       (["--windows", "2014-01-01,2015-01-01"], "expected START:END"),
                       (["--dates", "2014-05-01,2017-12-01", "--restricted", "counts"], "omit or include")):
        bad = tmp_path / "bad.png"
        run = subprocess.run([sys.executable, "-m", "geo", "compare", *args, "--out", str(bad)], cwd=ROOT,
                             capture_output=True, text=True, timeout=180)
        assert run.returncode != 0 and run.stderr.startswith("error:") and said in run.stderr, run.stderr
        assert "Traceback" not in run.stderr and not bad.exists()
