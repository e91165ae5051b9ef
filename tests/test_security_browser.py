"""Issue 9, "a real-browser security test": the OWASP XSS filter-evasion vectors, Markdown beacons and
template syntax in every text field of incidents and control areas, in file names and header names,
shown by the real app in Debian's Chromium and in the exported HTML, PNG and PDF.

The browser records every dialog, every `window.__xss` hook in every frame, every script error that
mentions a vector and every request to anything but loopback (all of them aborted). Each check adds
to a list of problems, so one run reports every vector that got through, and where."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlparse

import pandas as pd
import pytest

from events import store
from tests.browser import (ARTIFACTS, chromium_page, map_frame, screenshot, settle, streamlit_app, upload,
                           wait_rerun)
from tests.conftest import ROOT
from tests.xss_vectors import vectors

# The app's own online base layers (tried first, refused by the test browser, then the offline base):
# the only remote hosts a page of ours may ask for. Anything else is a leak.
APP_TILE_HOSTS = {"tile.openstreetmap.org", "server.arcgisonline.com"}
WINDOW = ("2016-01-01", "2016-12-31")
ALL_ID = "xss-all"  # the row whose every text field holds every vector (one details panel shows them all)

# File and header names (no "/" is possible in a file name: remote references use "http:\\host\",
# which browsers read as http://host/). Numbers continue the vectors' scheme: alert(n), 198.51.100.n.
NAMED_FILE = "<img src=x onerror=alert(90)>{{7*7}}<svg onload=alert(91)>![n](http:\\\\198.51.100.92\\n.png)"
NAMED_HEADERS = ("<script>alert(93)</script>", "![h](http:\\\\198.51.100.94\\h.png)")
UPLOAD_OK = "![u](http:\\\\198.51.100.95\\u.png) <img src=x onerror=alert(96)> {{ 7*7 }}.csv"
UPLOAD_BAD = "![r](http:\\\\198.51.100.97\\r.png)<img src=x onerror=alert(98)>{% raw %}.csv"
UPLOAD_BAD_HEADERS = ("<img src=x onerror=alert(99)>", "![hh](http:\\\\198.51.100.100\\h.png)", "lat", "lon")
CONTROL_FILE = "<svg onload=alert(101)>![c](http:\\\\198.51.100.102\\c.png){{7*7}}.geojson"
CONTROL_BAD_FILE = "<img src=x onerror=alert(103)>{#.geojson"


def _norm(text: str) -> str:
    """Whitespace removed: browsers, pdftotext and wrapping lay text out differently."""
    return re.sub(r"\s+", "", text)


# ----------------------------------------------------------------------------------------------
# The hostile store
# ----------------------------------------------------------------------------------------------
@dataclass
class Hostile:
    store: Path
    dir: Path
    marker: Path
    vectors: list[str]
    rows: pd.DataFrame
    rejects: list[str] = field(default_factory=list)
    control: Path | None = None


def _incident_rows(vs: list[str]) -> pd.DataFrame:
    rows = []
    for n, v in enumerate(vs, start=1):
        rows.append({"incident_id": v, "date": f"2016-03-{n % 28 + 1:02d}", "lat": 34.9 + (n // 10) * 0.12,
                     "lon": 43.6 + (n % 10) * 0.15, "place": v, "place_ar": v, "event_type": "Battles",
                     "sub_event_type": "Armed clash", "target": v, "actor1": v, "actor2": v, "fatalities": 1,
                     "source": v, "url": f"javascript:alert({1000 + n})", "notes": v})
    every = "\n\n".join(vs)
    cites = [{"title": v, "url": f"javascript:alert({2000 + n})"} for n, v in enumerate(vs, start=1)]
    cites.append({"title": "quoted link", "url": 'https://example.org/"><script>alert(2999)</script>'})
    rows.append({"incident_id": ALL_ID, "date": "2016-06-15", "lat": 35.3, "lon": 44.1, "place": every,
                 "place_ar": every, "event_type": "Battles", "sub_event_type": "Armed clash", "target": every,
                 "actor1": every, "actor2": every, "fatalities": 900, "source": json.dumps(cites), "url": "",
                 "notes": every})
    return pd.DataFrame(rows)


def _control_geojson(vs: list[str], *, control_type=None) -> dict:
    """One small square per vector, each period holding through 2016, every free-text field the vector."""
    features = []
    for n, v in enumerate(vs, start=1):
        lat, lon = 34.85 + (n // 10) * 0.12, 43.55 + (n % 10) * 0.15
        ring = [[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.1], [lon, lat + 0.1], [lon, lat]]
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": {
            "area_id": f"a{n} {v}", "controller": v, "control_type": control_type or "control",
            "valid_from": "2015-01-01", "valid_to": "", "confidence": "low", "notes": v, "label": v, "change": v,
            "end_change": v, "approximate": True,
            "sources": [{"title": v, "publisher": v, "url": f"javascript:alert({3000 + n})"}]}})
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Hostile:
    tmp = tmp_path_factory.mktemp("hostile")
    marker = tmp / "template_ran"
    vs = vectors(marker=str(marker))
    path = tmp / "atlas.gpkg"
    store.open_store(path)
    rows = _incident_rows(vs)
    csv = tmp / "xss_rows.csv"
    rows.to_csv(csv, index=False)
    found = Hostile(store=path, dir=tmp, marker=marker, vectors=vs, rows=rows)
    summary = store.import_file(path, csv, source="table")
    found.rejects += [f"xss_rows.csv row {r.row} {r.field}: {r.reason} ({str(r.value)[:60]!r})"
                      for r in summary.rejects.itertuples()]
    named = tmp / (NAMED_FILE + ".csv")
    pd.DataFrame([{"date": "2016-04-01", "lat": 35.2, "lon": 44.2, "place": "named file row", "event_type": "Battles",
                   NAMED_HEADERS[0]: vs[0], NAMED_HEADERS[1]: vs[20]}]).to_csv(named, index=False)
    summary = store.import_file(path, named, source="table")
    found.rejects += [f"{named.name} row {r.row} {r.field}: {r.reason}" for r in summary.rejects.itertuples()]
    found.control = tmp / "control.geojson"
    found.control.write_text(json.dumps(_control_geojson(vs)), encoding="utf-8")
    return found


@pytest.fixture(scope="module")
def app_url(hostile):
    with streamlit_app(store=hostile.store, extra_env={"STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}) as url:
        yield url


# ----------------------------------------------------------------------------------------------
# The recording browser
# ----------------------------------------------------------------------------------------------
@dataclass
class Record:
    page: object
    blocked: list[str]
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)  # every uncaught script error, for diagnosis

    def executions(self) -> list[str]:
        """Dialogs, `window.__xss` in any frame, and script errors that mention a vector."""
        hooks = []
        for frame in self.page.frames:
            try:
                value = frame.evaluate("window.__xss")
            except Exception:  # a frame detached while we looked: it holds nothing any more
                continue
            if value is not None:
                hooks.append(f"window.__xss={value!r} in frame {frame.url[:80]}")
        return [f"dialog {d}" for d in self.dialogs] + hooks + [f"script error {e}" for e in self.errors]

    def leaks(self) -> list[str]:
        return [u for u in self.blocked if (urlparse(u).hostname or "") not in APP_TILE_HOSTS]


@contextmanager
def recording(*, width: int = 1500, height: int = 1000):
    with chromium_page(width=width, height=height) as (page, blocked):
        rec = Record(page, blocked)

        def dialog(d):
            rec.dialogs.append(f"{d.type}({d.message!r}) in {d.page.url[:80] if d.page else '?'}")
            d.dismiss()

        def console(msg):
            if msg.type == "error" and re.search(r"xss|alert|198\.51\.100", msg.text, re.I):
                rec.errors.append(msg.text[:200])

        page.on("dialog", dialog)
        page.on("console", console)
        def pageerror(exc):
            rec.page_errors.append(str(exc)[:200])
            if re.search(r"xss|alert|198\.51\.100", str(exc), re.I):
                rec.errors.append(str(exc)[:200])

        page.on("pageerror", pageerror)
        yield rec


def _drawn_map(rec: Record, where: str, problems: list[str], *, timeout: float = 45_000):
    """The map's frame, or None (a problem) when the map does not draw: the other checks go on."""
    try:
        return map_frame(rec.page, timeout=timeout)[1]
    except Exception as exc:  # noqa: BLE001 - any failure to draw is the finding
        problems.append(f"{where}: the map did not draw ({str(exc).splitlines()[0][:120]}); "
                        f"script errors: {sorted(set(rec.page_errors))[:3]}")
        return None


@contextmanager
def _step(page, what: str, problems: list[str]):
    """One step of a browser test: when it cannot be done (a timeout, an error on the page), say so
    with the page's error message and go on with the next step."""
    from playwright.sync_api import Error as PlaywrightError
    try:
        yield
    except (PlaywrightError, AssertionError) as exc:
        shown = page.locator("[data-testid='stException']").all_inner_texts()
        problems.append(f"{what}: could not be checked ({str(exc).splitlines()[0][:150]})"
                        + (f"; the page shows an error: {shown[0][:300]!r}" if shown else ""))


def _verdict(rec: Record, where: str, problems: list[str]) -> None:
    problems += [f"{where}: script ran: {e}" for e in rec.executions()]
    problems += [f"{where}: request left the machine: {u}" for u in rec.leaks()]


def _missing(text: str, expected: dict[str, str]) -> list[str]:
    """The expected literal texts (label -> text) that `text` does not show."""
    shown = _norm(text)
    return [label for label, want in expected.items() if _norm(want) not in shown]


OPEN_POPUPS = """(kinds) => { const out = [];
  window.map.eachLayer(l => {
    const p = l.feature && l.feature.properties;
    if (!p || !kinds.includes(p.kind) || !l.getPopup || !l.getPopup()) return;
    l.openPopup();
    const el = l.getPopup().getElement();
    out.push({id: p.id || p.area_id || p.cell || '', text: el ? el.innerText : ''});
    l.closePopup();
    if (l.getTooltip && l.getTooltip()) { l.openTooltip(); const t = l.getTooltip().getElement();
      out.push({id: 'tooltip', text: t ? t.innerText : ''}); l.closeTooltip(); }
  });
  return out; }"""


# ----------------------------------------------------------------------------------------------
# The app
# ----------------------------------------------------------------------------------------------
def test_every_hostile_row_is_imported(hostile):
    """Hostile text is data like any other: every row is stored, none rejected for its text."""
    assert hostile.rejects == []


def test_incidents_are_shown_as_text_in_the_app(hostile, app_url):
    problems: list[str] = []
    vs = hostile.vectors
    with recording() as rec:
        page = rec.page
        page.goto(f"{app_url}/?mode=window&window={WINDOW[0]}&window={WINDOW[1]}&sel={quote(ALL_ID)}")
        frame = _drawn_map(rec, "app", problems)
        with _step(page, "details panel", problems):  # every field of the row holding every vector
            wait_rerun(page)
            page.wait_for_selector("#details-panel", timeout=30_000)
            panel = page.inner_text("#details-panel")
            lost = _missing(panel, {f"vector {n}": v for n, v in enumerate(vs, start=1)})
            problems += [f"details panel: {label} is not shown as literal text" for label in lost]
            for tag in ("img", "script", "iframe", "svg", "object", "embed", "style", "link", "base", "video",
                        "audio", "math", "details", "marquee", "input", "meta", "table table"):
                n = page.locator(f"#details-panel {tag}").count()
                if n:
                    problems.append(f"details panel: {n} <{tag}> element(s) made from data")
            page.query_selector("#details-panel").scroll_into_view_if_needed()
            screenshot(page, "security_details_all_vectors")
        if frame is not None:
            with _step(page, "map popups", problems):  # popups and tooltips of every incident drawn
                page.evaluate("window.scrollTo(0, 0)")
                shown = frame.evaluate(OPEN_POPUPS, ["incident", "cluster"])
                popups = " ".join(s["text"] for s in shown)
                drawn = {s["id"] for s in shown}
                if not any(v in drawn for v in vs[:5]):
                    problems.append(f"map: the hostile incidents are not drawn ({sorted(drawn)[:5]})")
                lost = _missing(popups, {f"vector {n}": v for n, v in enumerate(vs, start=1) if v in drawn})
                problems += [f"map popup: {label} is not shown as literal text" for label in lost]
                bad_tags = frame.evaluate("document.querySelectorAll('.leaflet-popup-pane img, .leaflet-popup-pane"
                                          " script, .leaflet-tooltip-pane img, .leaflet-tooltip-pane script').length")
                if bad_tags:
                    problems.append(f"map: {bad_tags} img/script elements in popups or tooltips")
                frame.evaluate("""() => { let hit = null; window.map.eachLayer(l => {
                    const p = l.feature && l.feature.properties;
                    if (p && p.kind === 'incident' && p.id && p.id.startsWith('<script>alert(1)')) hit = l; });
                    if (hit) hit.openPopup(); }""")
                page.query_selector('iframe[title="streamlit_folium.st_folium"]').scroll_into_view_if_needed()
                screenshot(page, "security_map_popup")
        # Sidebar lists built from data: actors and data sets (the file named with a vector).
        for label, expect, typed in (("Actor", vs[0], "alert(1)<"), ("Data set", NAMED_FILE, "alert(90)")):
            with _step(page, f"sidebar {label} list", problems):
                if label == "Actor":  # the sources' own names: a hostile one is never on the canonical list
                    page.get_by_text("Show original actor names").click()
                    page.wait_for_function("location.search.includes('actor_orig=true')", timeout=30_000)
                    wait_rerun(page)
                box = page.locator("[data-testid='stMultiSelect']").filter(has_text=label).first
                box.click()
                page.keyboard.type(typed)
                options = page.locator("[role='option']")
                options.first.wait_for(timeout=10_000)
                listed = " ".join(options.all_inner_texts())
                if _norm(expect) not in _norm(listed):
                    problems.append(f"sidebar {label} list: {expect!r} is not shown as literal text")
                screenshot(page, f"security_sidebar_{label.replace(' ', '_').lower()}")
                page.keyboard.press("Escape")
        with _step(page, "table", problems):  # a canvas grid: nothing in it can run; look at it
            page.get_by_text("Incidents in view").first.scroll_into_view_if_needed()
            screenshot(page, "security_table")
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            settle(page)
        _verdict(rec, "app (incidents)", problems)
    assert not problems, "\n".join(problems)


def _name_parts(label: str, name: str) -> dict[str, str]:
    """The parts of a file name between path separators (which the app may replace): each must be
    shown as it is."""
    parts = [p for p in re.split(r"[\\/]", name) if p]
    return {f"{label} part {p!r}": p for p in parts}


def _alerts_text(page) -> str:
    return " ".join(page.locator("[data-testid='stAlert']").all_inner_texts())


def test_uploaded_file_and_header_names_and_control_areas_are_shown_as_text(hostile, app_url):
    problems: list[str] = []
    vs = hostile.vectors
    with recording() as rec:
        page = rec.page
        page.goto(f"{app_url}/?mode=window&window={WINDOW[0]}&window={WINDOW[1]}")
        _drawn_map(rec, "app", problems)
        with _step(page, "sidebar uploaders", problems):
            wait_rerun(page)
            page.get_by_text("Import incidents").first.click()
            page.get_by_text("Official boundaries and your own control areas").first.click()
            # Inputs in sidebar order: incidents (0), boundaries (1), control areas (2).
            page.locator("input[type='file']").nth(2).wait_for(state="attached", timeout=10_000)

        with _step(page, "import message", problems):  # an import that works: the message names the file
            good = pd.DataFrame([{"date": "2016-05-01", "lat": 35.1, "lon": 44.0, "place": "uploaded row",
                                  "event_type": "Battles", NAMED_HEADERS[0]: vs[0], NAMED_HEADERS[1]: vs[20]}])
            upload(page, "File", UPLOAD_OK, good.to_csv(index=False).encode(), "text/csv")
            page.get_by_role("button", name="Import", exact=True).click()
            page.wait_for_selector("[data-testid='stAlert']", timeout=60_000)
            wait_rerun(page)
            lost = _missing(_alerts_text(page), _name_parts("uploaded file name", UPLOAD_OK))
            problems += [f"import message: {label} is not shown as literal text" for label in lost]
            screenshot(page, "security_upload_ok")

        with _step(page, "import error message", problems):  # it echoes the file name and header names
            bad = (",".join(f'"{h}"' for h in UPLOAD_BAD_HEADERS) + "\nx,y,35.1,44.0\n").encode()
            upload(page, "File", UPLOAD_BAD, bad, "text/csv")
            page.get_by_role("button", name="Import", exact=True).click()
            page.wait_for_function("[...document.querySelectorAll('[data-testid=\"stAlert\"]')]"
                                   ".some(e => e.innerText.includes('Nothing was imported'))", timeout=60_000)
            wait_rerun(page)
            lost = _missing(_alerts_text(page), {**_name_parts("rejected file name", UPLOAD_BAD),
                                                 **{f"header {h}": h for h in UPLOAD_BAD_HEADERS[:2]}})
            problems += [f"import error message: {label} is not shown as literal text" for label in lost]
            screenshot(page, "security_upload_rejected")

        with _step(page, "control error message", problems):  # it echoes the file's name and values
            broken = json.dumps(_control_geojson(vs[:5], control_type=vs[2])).encode()
            upload(page, "Control areas (GeoJSON", CONTROL_BAD_FILE, broken, "application/geo+json")
            page.get_by_role("button", name="Load control areas").click()
            page.wait_for_function("[...document.querySelectorAll('[data-testid=\"stAlert\"]')]"
                                   ".some(e => e.innerText.includes('problem'))", timeout=60_000)
            lost = _missing(_alerts_text(page), {**_name_parts("control file name", CONTROL_BAD_FILE),
                                                 "control_type value": vs[2]})
            problems += [f"control error message: {label} is not shown as literal text" for label in lost]
            screenshot(page, "security_control_rejected")

        frame = None
        with _step(page, "loading control areas", problems):  # replacing the defaults
            upload(page, "Control areas (GeoJSON", CONTROL_FILE, hostile.control.read_bytes(), "application/geo+json")
            page.get_by_text("replace the defaults").click()
            page.get_by_role("button", name="Load control areas").click()
            # The captions list the controllers once the rerun after loading is done.
            page.wait_for_function("[...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
                                   ".some(e => e.innerText.includes('alert(66)'))", timeout=60_000)
            frame = _drawn_map(rec, "app after loading control areas", problems)
            wait_rerun(page)
        with _step(page, "control captions", problems):
            # A rerun triggered by the map (its new bounds) may redraw the captions: poll until they
            # hold every controller, or until the deadline, then report what is missing.
            expected = {f"controller {n}": v for n, v in enumerate(vs, start=1)}
            deadline = time.monotonic() + 60
            while True:
                wait_rerun(page)
                captions = " ".join(page.locator("[data-testid='stCaptionContainer']").all_inner_texts())
                lost = _missing(captions, expected)
                if not lost or time.monotonic() > deadline:
                    break
                page.wait_for_timeout(250)  # poll interval
            problems += [f"control captions: {label} is not shown as literal text" for label in lost]
        if frame is not None:
            with _step(page, "control popups", problems):
                frame.wait_for_function(f"Number(document.querySelector('#map_div').dataset.control) >= {len(vs)}",
                                        timeout=60_000)
                shown = frame.evaluate(OPEN_POPUPS, ["control"])
                popups = " ".join(s["text"] for s in shown)
                lost = _missing(popups, {f"controller {n}": v for n, v in enumerate(vs, start=1)})
                problems += [f"control popup: {label} is not shown as literal text" for label in lost]
        with _step(page, "page after loading control areas", problems):
            screenshot(page, "security_control_loaded")
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            settle(page)
        _verdict(rec, "app (uploads, control areas)", problems)
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------------------------
# Exports
# ----------------------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=240)


def _open_export(path: Path, where: str, problems: list[str], expected: dict[str, str]) -> None:
    """Open an exported HTML file in the recording browser (its slider starts at the window's end and
    shows the whole window); read every popup."""
    with recording() as rec:
        page = rec.page
        page.goto(path.as_uri())
        try:
            page.wait_for_function("document.querySelector('.folium-map').dataset.day !== undefined", timeout=30_000)
        except Exception:  # noqa: BLE001 - a page that does not draw is the finding
            problems.append(f"{where}: the map did not draw")
            _verdict(rec, where, problems)
            return
        page.evaluate("() => { window.map = Object.values(window).find(v => v && v._container && v.eachLayer); }")
        settle(page)
        shown = page.evaluate(OPEN_POPUPS, ["incident", "cluster", "control"])
        text = page.inner_text("body") + " " + " ".join(s["text"] for s in shown)
        problems += [f"{where}: {label} is not shown as literal text" for label in _missing(text, expected)]
        screenshot(page, f"security_{path.stem}")
        _verdict(rec, where, problems)


def test_exports_keep_hostile_text_as_text(hostile):
    from geo import boundaries, control, snapshot

    problems: list[str] = []
    out = hostile.dir
    vs = hostile.vectors
    runs = {
        # the page opens on the window's last day: a trailing period covering the window shows every row
        "snapshot HTML": ("snapshot", "--out", str(out / "xss.html"), "--trail", "366"),
        "snapshot PNG": ("snapshot", "--out", str(out / "xss.png"), "--date", "2016-06-20", "--trail", "365"),
        "briefing PDF": ("briefing", "--out", str(out / "xss.pdf"), "--dates", "2016-06-20", "--trail", "365"),
        "animation GIF": ("animate", "--out", str(out / "xss.gif"), "--from", "2016-06-20", "--to", "2016-06-20",
                          "--trail", "365"),
    }
    for what, args in runs.items():
        done = _cli(*args, "--store", str(hostile.store), *(("--from", WINDOW[0], "--to", WINDOW[1])
                                                              if what == "snapshot HTML" else ()))
        if done.returncode != 0 or "Traceback" in done.stderr:
            problems.append(f"{what}: exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]!r}")
    if hostile.marker.exists():
        problems.append(f"CLI exports: the template payload ran on the server (vector 25 created {hostile.marker})")

    # The same exports through the Python API the app's buttons use, with the hostile control areas.
    mine = control.read_control(hostile.control)
    frame = boundaries.assign_admin(store.load(hostile.store))
    frame = frame.join(control.controller_of(frame))
    view = snapshot.view_for(start=WINDOW[0], end=WINDOW[1])
    try:
        (out / "xss_api.html").write_text(snapshot.interactive_html(frame, view, layers=mine, data_version="t"),
                                          encoding="utf-8")
    except Exception as exc:  # the failure itself is the finding: report it with the others
        problems.append(f"interactive_html with hostile control areas: {type(exc).__name__}: {str(exc)[:200]}")
    try:
        (out / "xss_api.pdf").write_bytes(snapshot.briefing_pdf(frame, ["2016-06-20"], layers=mine,
                                                                data_version="t", trail_days=365,
                                                                title=vs[0] + vs[22]))
    except Exception as exc:
        problems.append(f"briefing_pdf with hostile control areas: {type(exc).__name__}: {str(exc)[:200]}")
    if hostile.marker.exists():
        problems.append(f"API exports: the template payload ran on the server (vector 25 created {hostile.marker})")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    everyone = {f"vector {n}": v for n, v in enumerate(vs, start=1)}
    for name, where in (("xss.html", "exported HTML (CLI)"), ("xss_api.html", "exported HTML (API, control)")):
        if (out / name).exists():
            _open_export(out / name, where, problems, everyone)
            shutil.copy(out / name, ARTIFACTS / f"security_{name}")
    png = out / "xss.png"
    if png.exists():
        if png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n" or png.stat().st_size < 20_000:
            problems.append(f"snapshot PNG: not a PNG or nearly empty ({png.stat().st_size} bytes)")
        shutil.copy(png, ARTIFACTS / "security_snapshot.png")
    for name, title in (("xss.pdf", False), ("xss_api.pdf", True)):
        pdf = out / name
        if not pdf.exists():
            continue
        if pdf.read_bytes()[:5] != b"%PDF-":
            problems.append(f"{name}: not a PDF")
            continue
        shutil.copy(pdf, ARTIFACTS / f"security_{name}")
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              timeout=60).stdout
        # The top incident of the page is the row holding every vector: its place is printed.
        expected = {"vector 1 (place of the top incident)": vs[0], "vector 23 (place)": vs[22],
                    "vector 21 (place)": vs[20]}
        if title:
            expected["title"] = vs[0] + vs[22]
        problems += [f"{name}: {label} is not in its text" for label in _missing(text, expected)]
    assert not problems, "\n".join(problems)
