"""Exports for briefings: PNG, standalone HTML and PDF, re-read and checked."""
import html
import io
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from events import exports
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


def test_pdf_briefing_has_a_cover_and_a_page_per_date_and_none_blank(incidents, tmp_path):
    require_chromium()
    dates = ["2014-06-15", "2014-08-08", "2017-10-16", "2021-06-01"]
    pages_done = []
    pdf = snapshot.briefing_pdf(incidents, dates, data_version="test.1", progress=lambda i, n: pages_done.append(i))
    assert pages_done == [1, 2, 3, 4]
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf)
    _save("briefing.pdf", pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
    assert pages >= 5  # a cover, then each date (a long table may run onto a page of its own)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == pages
    for png in pngs:
        pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
        assert pixels.std() > 10, f"{png.name} looks blank"  # a table running on holds a few rows only
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for day in ("15 June 2014", "08 August 2014", "16 October 2017", "01 June 2021"):
        assert day in text
    assert text.count("data version test.1") == 4
    # The cover says the view in words, never the filters' Python repr (event_types = [] ... = None).
    assert "event types all" in text and "window: the 90 days to each date" in text
    assert not re.search(r"= \[\]|= None|min_killed|event_types", text)


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


# -- licences: the credits ACLED and GTD ask for, with the access date and the filters in words ------
HOSTILE = '<img src=x onerror="document.title=1">{{ 7*7 }}'


def _acled_view(incidents):
    """One ACLED and one GTD row in a district with a hostile name, and a view filtered to it."""
    day = pd.Timestamp("2016-10-16")
    rows = incidents.iloc[:2].assign(source_dataset=["acled", "gtd"], incident_id=["acled:1", "gtd:1"],
                                     admin2=HOSTILE, date_start=day, date_end=day)
    view = snapshot.view_for(start="2016-10-01", end="2016-10-31", filters={"admin2": [HOSTILE]})
    return rows, view


def test_png_page_credits_acled_and_gtd_with_access_date_and_filters(incidents):
    rows, view = _acled_view(incidents)
    accessed = {"acled": "2026-12-07"}
    page = snapshot.snapshot_page(rows, view, data_version="t", size=(1754, 1240), accessed=accessed)
    words = f"event types all · district {HOSTILE} · 2016-10-01 – 2016-10-31"
    assert html.escape(f"Data: ACLED (acleddata.com), accessed 2026-12-07; filters: {words}.") in page
    assert html.escape(f"accessed {exports.NOT_RECORDED}; filters: {words}.") in page  # GTD: no import logged
    assert HOSTILE not in page and "{{ 7*7 }}" not in page.replace(html.escape(HOSTILE), "")
    footer = re.search(r"#atlas-footer \{ height: (\d+)px", page)
    assert int(footer.group(1)) > snapshot.FOOTER_PX  # grown to show the longer credits, not cut off
    ours = snapshot.snapshot_page(incidents, snapshot.view_for(date="2017-10-16"), data_version="t",
                                  size=(1754, 1240), accessed=accessed)
    assert "acleddata.com" not in ours and "#atlas-footer { height: 54px" in ours


def test_standalone_html_shows_the_credits_in_the_map_and_the_footer(incidents, tmp_path):
    require_chromium()
    rows, view = _acled_view(incidents)
    page = snapshot.interactive_html(rows, view, data_version="t", accessed={"acled": "2026-12-07", "gtd": "2026-12-01"})
    path = tmp_path / "credits.html"
    path.write_text(page, encoding="utf-8")
    with chromium_page(width=1400, height=900) as (browser_page, _):
        browser_page.goto(path.as_uri())
        browser_page.wait_for_function("document.querySelector('.leaflet-control-attribution') && "
                                       "document.querySelector('.leaflet-control-attribution').textContent"
                                       ".includes('acleddata.com')")
        box = browser_page.inner_text(".leaflet-control-attribution")
        body = browser_page.inner_text("body")
        injected = browser_page.evaluate("document.querySelectorAll('img[src=x]').length")
        title = browser_page.title()
    assert "Data: ACLED (acleddata.com), accessed 2026-12-07; filters: event types all · district " + HOSTILE in box
    assert "START), University of Maryland (start.umd.edu/gtd), accessed 2026-12-01" in box
    assert "Data: ACLED (acleddata.com), accessed 2026-12-07" in body and injected == 0 and title != "1"


def test_pdf_briefing_credits_acled_on_its_pages(incidents, tmp_path):
    require_chromium()
    rows, _ = _acled_view(incidents)
    pdf = snapshot.briefing_pdf(rows, ["2016-10-20"], filters={"admin2": [HOSTILE]}, data_version="t",
                                trail_days=30, accessed={"acled": "2026-12-07"})
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "Data: ACLED (acleddata.com), accessed 2026-12-07; filters: event types all · district" in text
    assert "2016-09-21 – 2016-10-20" in text and "GTD end-user agreement" in text


# -- issue 15: a PNG worth handing over -----------------------------------------------------------------
_MAP = "() => window[document.querySelector('.folium-map').id]"


@pytest.fixture
def rendered():
    """Open snapshot pages in one browser for the test, wait for each one's drawn signal, hand it back.
    (One browser a test: Playwright's sync API allows one at a time, and snapshot_png starts its own.)"""
    require_chromium()
    with snapshot.Browser() as browser:
        def render(page_html: str, size=(1920, 1080)):
            page = browser.page(*size, allow_network=False)
            page.set_content(page_html, wait_until="load")
            page.wait_for_function(snapshot._DRAWN, timeout=60_000)
            return page
        yield render


def _box_of(page, bounds) -> dict:
    """Where (south, west, north, east) falls in the map, in container pixels, and the map's size."""
    return page.evaluate(f"""([s, w, n, e]) => {{ const map = ({_MAP})();
        const a = map.latLngToContainerPoint([n, w]), b = map.latLngToContainerPoint([s, e]), size = map.getSize();
        return {{left: a.x, top: a.y, right: b.x, bottom: b.y, width: size.x, height: size.y, zoom: map.getZoom()}}; }}""",
                         list(bounds))


def test_png_frames_the_study_area_so_it_fills_the_map_by_default(incidents, rendered):
    # As the app hands it over: the on-screen centre and a zoom at which the study area is small.
    view = snapshot.view_for(date="2017-10-16", trail_days=365, center=(35.4, 44.2), zoom=7, bounds=None)
    assert snapshot.snapshot_png.__kwdefaults__["framing"] == "study"
    page = rendered(snapshot.snapshot_page(incidents, view, data_version="t", framing="study"))
    box = _box_of(page, snapshot.STUDY_BOUNDS)
    inside = box["left"] >= -1 and box["top"] >= -1 and box["right"] <= box["width"] + 1 and box["bottom"] <= box["height"] + 1
    fills = max((box["right"] - box["left"]) / box["width"], (box["bottom"] - box["top"]) / box["height"])
    assert inside and fills > 0.95, box   # whole zoom 9 left it at 0.76 of the height, zoom 7 at a fifth
    on_screen = rendered(snapshot.snapshot_page(incidents, view, data_version="t", framing="view"))
    assert _box_of(on_screen, snapshot.STUDY_BOUNDS)["zoom"] == 7   # "this view": the zoom as on screen


def test_png_framed_on_the_incidents_shows_every_one_and_fills_the_map(incidents, rendered):
    view = snapshot.view_for(start="2014-06-01", end="2014-06-30")
    shown = snapshot.select(incidents, view)
    page = rendered(snapshot.snapshot_page(incidents, view, data_version="t", framing="incidents"))
    s, n, w, e = shown["lat"].min(), shown["lat"].max(), shown["lon"].min(), shown["lon"].max()
    box = _box_of(page, (s, w, n, e))
    legend = page.evaluate("document.getElementById('atlas-legend').getBoundingClientRect().left")
    assert box["left"] >= 10 and box["top"] >= 10 and box["bottom"] <= box["height"] - 10
    assert box["right"] <= legend - 10   # none hidden under the legend
    assert max((box["right"] - box["left"]) / box["width"], (box["bottom"] - box["top"]) / box["height"]) > 0.8, box
    with pytest.raises(snapshot.SnapshotError, match="framing 'world'"):
        snapshot.snapshot_page(incidents, view, data_version="t", framing="world")


def test_png_page_has_no_interface_chrome_but_a_scale_bar_and_north_arrow(incidents, rendered):
    page = rendered(snapshot.snapshot_page(incidents, snapshot.view_for(date="2017-10-16"), data_version="t"))
    shown = page.evaluate("""(sel) => sel.map(s => { const e = document.querySelector(s);
        if (!e) return null; const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })""",
                          [".leaflet-control-zoom", ".leaflet-control-layers", ".atlas-legend-head", ".atlas-notice",
                           "#atlas-legend", ".leaflet-control-scale", "#atlas-north"])
    assert shown == [False, False, False, False, True, True, True]
    assert page.inner_text("#atlas-north") == "N"
    # The live map keeps its controls: the hiding is the snapshot page's own CSS.
    from geo import gazetteer, mapview
    live = mapview.build_map(boundaries=boundaries.resolve(None),
                             places=mapview.label_places(gazetteer.load_gazetteer())).get_root().render()
    assert ".atlas-legend-head," not in live and "atlas-north" not in live and "label_layout" not in live


def _labels(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('.atlas-label')].map(e => {
        const r = e.getBoundingClientRect(); return {name: e.querySelector('span').textContent, shown: r.width > 0,
        left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })""")


@pytest.mark.parametrize("framing, zoom", [("study", 8), ("view", 7)])
def test_place_labels_never_overlap_and_kirkuk_is_always_labelled(incidents, rendered, framing, zoom):
    view = snapshot.view_for(date="2017-10-16", trail_days=365, center=(35.4, 44.2), zoom=zoom, bounds=None)
    page = rendered(snapshot.snapshot_page(incidents, view, data_version="t", framing=framing))
    labels = _labels(page)
    shown = [b for b in labels if b["shown"]]
    clashes = [(a["name"], b["name"]) for i, a in enumerate(shown) for b in shown[i + 1:]
               if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]]
    assert clashes == []
    assert "Kirkuk" in {b["name"] for b in shown} and {"Rashad", "Daquq", "Hawija"} <= {b["name"] for b in labels}
    assert page.evaluate(f"({_MAP})().getContainer().dataset.labels").startswith("placed")
    if framing == "view":   # zoomed out, not every label fits: lower-ranked ones give way, seats stay
        assert len(shown) < len(labels) and {"Kirkuk", "Erbil", "Tikrit"} <= {b["name"] for b in shown}


def test_title_and_subtitle_are_the_users_and_shown_as_text(incidents, rendered):
    title, subtitle = "<img src=x onerror=\"document.title='owned'\"> Kirkuk {{ 7*7 }}", "for  the\n<b>editor</b>"
    html_page = snapshot.snapshot_page(incidents, snapshot.view_for(date="2017-10-16"), data_version="t",
                                       title=title, subtitle=subtitle)
    assert title not in html_page and "<b>editor</b>" not in html_page
    page = rendered(html_page)
    assert page.inner_text("#atlas-title") == title and page.inner_text("#atlas-subtitle") == "for the <b>editor</b>"
    assert page.evaluate("document.querySelectorAll('img[src=x], #atlas-header b').length") == 0
    assert page.title() != "owned"
    with pytest.raises(snapshot.SnapshotError, match="title has 161 characters"):
        snapshot.snapshot_page(incidents, snapshot.view_for(date="2017-10-16"), data_version="t", title="x" * 161)


def test_png_at_300_dpi_is_the_same_layout_at_print_resolution(incidents):
    require_chromium()
    view = snapshot.view_for(date="2017-10-16", trail_days=365)
    png = snapshot.snapshot_png(incidents, view, data_version="t", size=snapshot.parse_size("a4"), dpi=300,
                                title="Kirkuk, 16 October 2017", subtitle="federal forces enter the city")
    _save("snapshot_a4_300dpi.png", png)
    image = Image.open(io.BytesIO(png))
    assert image.size == (3508, 2480) and [round(v) for v in image.info["dpi"]] == [300, 300]
    small = Image.open(io.BytesIO(snapshot.snapshot_png(incidents, view, data_version="t", size=(1754, 1240))))
    assert small.size == (1754, 1240) and [round(v) for v in small.info["dpi"]] == [150, 150]
    # The same layout: the large image scaled down is the small one, bar anti-aliasing.
    big = np.asarray(image.convert("L").resize(small.size, Image.Resampling.BOX), dtype=float)
    assert np.abs(big - np.asarray(small.convert("L"), dtype=float)).mean() < 8
    for bad in (200, "300dpi", None):
        with pytest.raises(snapshot.SnapshotError, match="dpi"):
            snapshot.snapshot_png(incidents, view, data_version="t", dpi=bad)
