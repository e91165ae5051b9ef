"""Exports for briefings: PNG, standalone HTML and PDF, re-read and checked."""
import io
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from events.curated import load_curated
from geo import boundaries, control, snapshot
from tests.browser import ARTIFACTS, chromium_page, require_chromium
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def incidents():
    frame = boundaries.assign_admin(load_curated())
    return frame.join(control.controller_of(frame))


def _save(name: str, data: bytes):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)


def test_png_of_kirkuk_on_16_october_2017(incidents):
    require_chromium()
    view = snapshot.view_for(date="2017-10-16", trail_days=365)
    png = snapshot.snapshot_png(incidents, view, data_version="test.1", size=(1920, 1080))
    _save("snapshot_2017-10-16.png", png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (1920, 1080)
    pixels = np.asarray(image, dtype=float)
    map_area = pixels[snapshot.HEADER_PX + 20:1080 - snapshot.FOOTER_PX - 20, 200:1500]
    assert map_area.std() > 20  # real drawing, not a blank or single-colour page
    # The control overlay is drawn: federal blue (#1f4e9c, translucent) appears in the map area.
    blue = (map_area[..., 2] > map_area[..., 0] + 25) & (map_area[..., 2] > 150)
    assert blue.mean() > 0.02


def test_png_page_has_title_date_legend_and_attribution_before_capture(incidents):
    view = snapshot.view_for(date="2017-10-16")
    page = snapshot.snapshot_page(incidents, view, data_version="test.1", size=(1754, 1240))
    assert "16 October 2017" in page and "Data version test.1" in page and "Kirkuk incident atlas" in page
    assert "https://cdn" not in page and 'src="/atlas-vendor' not in page  # every asset inlined
    acled = incidents.iloc[:1].assign(source_dataset="acled", date_start=view.end, date_end=view.end)
    page = snapshot.snapshot_page(acled, view, data_version="test.1", size=(1754, 1240))
    assert "Armed Conflict Location &amp; Event Data" in page


def test_a4_size_and_bad_requests(incidents):
    assert snapshot.parse_size("a4") == (1754, 1240)
    for bad in ("5x5", "wide", "100000x10"):
        with pytest.raises(snapshot.SnapshotError):
            snapshot.parse_size(bad)
    with pytest.raises(snapshot.SnapshotError, match="outside the atlas's period"):
        snapshot.view_for(date="2031-01-01")
    with pytest.raises(snapshot.SnapshotError, match="no incidents"):
        snapshot.snapshot_page(incidents, snapshot.view_for(start="2010-01-01", end="2010-01-31"),
                               data_version="x", size=(800, 600))


def test_cli_refuses_bad_requests_without_writing_a_file(tmp_path):
    for args in (["--date", "2031-01-01"], ["--date", "2017-10-16", "--size", "0x0"],
                 ["--from", "2010-01-01", "--to", "2010-01-31"]):
        out = tmp_path / "x.png"
        run = subprocess.run([sys.executable, "-m", "geo", "snapshot", "--out", str(out), *args], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode != 0 and run.stderr.startswith("error:") and "Traceback" not in run.stderr
        assert not out.exists()


def test_standalone_html_replays_offline(incidents, tmp_path):
    view = snapshot.view_for(start="2014-01-01", end="2017-12-31")
    page = snapshot.interactive_html(incidents, view, data_version="test.1", trail_days=90)
    path = tmp_path / "replay.html"
    path.write_text(page, encoding="utf-8")
    (ARTIFACTS / "replay_2014-2017.html").parent.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "replay_2014-2017.html").write_text(page, encoding="utf-8")
    requests = []
    with chromium_page(width=1400, height=900) as (browser_page, blocked):
        browser_page.on("request", lambda r: requests.append(r.url))
        browser_page.goto(path.as_uri())
        browser_page.wait_for_function("document.querySelector('.folium-map').dataset.day !== undefined")
        state = lambda: browser_page.evaluate("Object.assign({}, document.querySelector('.folium-map').dataset)")
        first = state()
        slider = browser_page.locator("#atlas-time-slider")
        slider.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
                        str(int(slider.get_attribute("min")) + 530))  # mid-June 2015: the pocket is held
        second = state()
        assert second["day"] != first["day"]
        assert (second["incidents"], second["control"]) != (first["incidents"], first["control"])
        held = browser_page.evaluate("""() => { const out = []; window.map = Object.values(window).find(
            v => v && v._container && v.eachLayer); window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
            if (p && p.kind === 'control') out.push(p.area_id + '|' + p.controller); }); return out; }""")
        assert "hawija-centre|ISIS" in held
        browser_page.screenshot(path=str(ARTIFACTS / "replay_2015.png"))
        browser_page.click("#atlas-play")
        browser_page.wait_for_function(f"document.querySelector('.folium-map').dataset.day > '{second['day']}'")
    outside = [u for u in requests if not u.startswith(("file:", "data:", "about:", "blob:"))]
    # Only base-map tiles are tried (an online recipient gets them); offline they are refused and the
    # file's own offline base is drawn: no script, style or font is fetched from anywhere.
    tiles = ("https://tile.openstreetmap.org/", "https://server.arcgisonline.com/")
    assert all(u.startswith(tiles) for u in outside), [u for u in outside if not u.startswith(tiles)]
    assert set(outside) <= set(blocked)


def test_pdf_briefing_has_one_page_per_date_and_none_blank(incidents, tmp_path):
    require_chromium()
    dates = ["2014-06-15", "2014-08-08", "2017-10-16", "2021-06-01"]
    pages_done = []
    pdf = snapshot.briefing_pdf(incidents, dates, data_version="test.1", progress=lambda i, n: pages_done.append(i))
    assert pages_done == [1, 2, 3, 4]
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf)
    _save("briefing.pdf", pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+4$", info, re.M)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 4
    for png in pngs:
        pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
        assert pixels.std() > 15, f"{png.name} looks blank"
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for day in ("15 June 2014", "08 August 2014", "16 October 2017", "01 June 2021"):
        assert day in text
    assert text.count("data version test.1") == 4


def test_the_page_draws_the_boundaries_it_is_given_and_the_default_otherwise(incidents):
    """Issue 10: exports drew the boundaries "in force" (a module global), not the caller's."""
    import geopandas as gpd
    import shapely
    mine = boundaries.approximate_boundaries()
    mine = gpd.GeoDataFrame(mine.head(1).assign(approximate=False, geometry=[shapely.box(43.98765, 35.1, 44.2, 35.3)]),
                            crs=boundaries.CRS)
    view = snapshot.view_for(date="2017-10-16", trail_days=365)
    page = snapshot.snapshot_page(incidents, view, data_version="t", boundaries=mine)
    assert "43.98765" in page and "(official)" in page
    default = snapshot.snapshot_page(incidents, view, data_version="t")
    assert "43.98765" not in default and "(approximate)" in default
