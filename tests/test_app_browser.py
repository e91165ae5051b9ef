"""The app in a real browser (Debian Chromium via Playwright), with the network unplugged."""
import pandas as pd
import pytest

from events import store
from tests.browser import LOCAL, chromium_page, map_frame, map_state, screenshot, streamlit_app, upload, wait_rerun

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app on the curated set plus one imported row whose note and place carry an XSS payload."""
    tmp = tmp_path_factory.mktemp("app")
    path = tmp / "atlas.gpkg"
    store.open_store(path)
    csv = tmp / "my_notes.csv"
    pd.DataFrame([{"id": "x1", "date": "2015-03-10", "lat": 35.47, "lon": 44.39, "place": "Kirkuk " + XSS,
                   "event_type": "Battles", "sub_event_type": "Armed clash", "notes": XSS,
                   "actor1": "Test actor <b>bold</b>", "fatalities": 2, "source": "Test source"}]).to_csv(csv, index=False)
    summary = store.import_file(path, csv, source="table")
    assert summary.accepted == 1, summary.rejects.to_string()
    with streamlit_app(store=path) as url:
        yield url


def test_map_draws_offline_and_nothing_leaves_the_machine(app_url):
    with chromium_page() as (page, blocked):
        page.goto(app_url)
        _, frame = map_frame(page)
        frame.wait_for_function("document.querySelector('#map_div').dataset.base === 'offline'", timeout=20_000)
        state = map_state(frame)
        assert int(state["incidents"]) > 20 and int(state["control"]) > 5
        assert frame.evaluate("document.querySelectorAll('.atlas-label').length") > 10
        assert "Offline base" in frame.inner_text(".leaflet-control-attribution")
        shot = screenshot(page, "app_offline_start")
        assert shot.stat().st_size > 20_000
    assert blocked, "the page should have tried the online tiles (and been refused)"
    assert all(not u.startswith(("http://127", "http://localhost")) for u in blocked)


def test_slider_step_changes_layers_without_reloading_the_map(app_url):
    from playwright.sync_api import expect

    with chromium_page() as (page, _):
        page.goto(app_url + "/?mode=as+of&asof=2014-06-15")
        handle, frame = map_frame(page)
        frame.wait_for_function("document.querySelector('#map_div').dataset.control !== undefined")
        frame.evaluate("window.map.setZoom(9, {animate: false})")
        handle.evaluate("el => { el.dataset.probe = 'same-element'; }")
        wait_rerun(page)  # the zoom change may itself run the page again: let it finish first
        before = map_state(frame)
        slider = page.get_by_role("slider").first
        start = slider.get_attribute("aria-valuenow")
        # Move the slider with the keyboard: PageUp/End jump the "as of" thumb.
        slider.focus()
        page.keyboard.press("End")
        expect(slider).not_to_have_attribute("aria-valuenow", start, timeout=10_000)
        # A zoom rerun can redraw the same layers first: wait for the step's own redraw, not any redraw.
        frame.wait_for_function(
            "([i, c]) => { const d = document.querySelector('#map_div').dataset;"
            " return d.incidents !== i || d.control !== c; }",
            arg=[before["incidents"], before["control"]], timeout=30_000)
        wait_rerun(page)
        after = map_state(frame)
        assert int(after["drawn"]) > int(before["drawn"])
        same = page.query_selector('iframe[title="streamlit_folium.st_folium"]')
        assert same.evaluate("el => el.dataset.probe") == "same-element"  # the iframe was not re-created
        assert after["zoom"] == before["zoom"] == 9
        assert (after["incidents"], after["control"]) != (before["incidents"], before["control"])
        screenshot(page, "app_after_slider")


def test_the_hawija_pocket_appears_and_kirkuk_changes_hands(app_url):
    with chromium_page() as (page, _):
        def controllers(day):
            page.goto(f"{app_url}/?mode=as+of&asof={day}")
            _, frame = map_frame(page)
            frame.wait_for_function("document.querySelector('#map_div').dataset.control !== undefined")
            return frame.evaluate("""() => { const out = [];
                window.map.eachLayer(l => { if (l.feature && l.feature.properties.kind === 'control')
                  out.push(l.feature.properties.area_id + '|' + l.feature.properties.controller); });
                return out; }""")
        may, june = controllers("2014-05-20"), controllers("2014-06-20")
        assert "hawija-centre|ISIS" not in may and "hawija-centre|ISIS" in june
        assert "kirkuk-city|Kurdistan Regional Government / Peshmerga" in controllers("2017-10-15")
        after = controllers("2017-10-16")
        assert "kirkuk-city|Iraqi federal government" in after
        assert not any(c.endswith("|ISIS") and c.split("|")[0] in {"hawija-centre", "riyadh"}
                       for c in controllers("2017-10-20"))
        screenshot(page, "app_2017-10-20")


def _click_incident(page, frame, incident_id):
    """Click the incident on the map; when it shares its spot with others (a counted circle),
    click that circle and pick the incident in the list beside the map, as a user would."""
    find = """(id) => { let hit = null;
        window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
          if (p && (p.id === id || (p.ids && p.ids.includes(id)))) hit = l; });
        return hit; }"""
    moved = frame.evaluate(f"""(id) => {{ const l = ({find})(id); if (!l) return false;
        window.map.setView(l.getLatLng(), window.map.getZoom(), {{animate: false}}); return true; }}""", incident_id)
    assert moved, f"{incident_id} is not drawn"
    wait_rerun(page)  # the pan reruns the script (centre and bounds go to the URL): let it finish first
    point = frame.evaluate(f"""(id) => {{ const l = ({find})(id); if (!l) return null;
        if (l.bringToFront) l.bringToFront();
        const xy = window.map.latLngToContainerPoint(l.getLatLng());
        return {{x: xy.x, y: xy.y, cluster: l.feature.properties.kind === 'cluster'}}; }}""", incident_id)
    assert point, f"{incident_id} is not drawn after the pan"
    box = page.query_selector('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    if point["cluster"]:
        chooser = page.wait_for_selector("div[data-testid='stSelectbox']:has-text('incidents at the clicked spot')",
                                         timeout=30_000)
        chooser.click()
        page.get_by_role("option", name=incident_id).click()


def test_clicking_an_incident_fills_the_details_panel(app_url):
    with chromium_page() as (page, _):
        page.goto(app_url + "/?mode=window&window=2021-09-01&window=2021-09-30&q=Rashad")
        _, frame = map_frame(page)
        ids = frame.evaluate("""() => { const ids = []; window.map.eachLayer(l => {
            const p = l.feature && l.feature.properties;
            if (p && p.kind === 'incident') ids.push(p.id);
            if (p && p.kind === 'cluster') ids.push(...(p.ids || [])); }); return ids; }""")
        assert "cur-2021-001" in ids
        _click_incident(page, frame, "cur-2021-001")
        panel = page.wait_for_selector("#details-panel", timeout=30_000)
        page.wait_for_function("document.querySelector('#details-panel').innerText.includes('cur-2021-001')",
                               timeout=30_000)
        text = page.inner_text("#details-panel")
        assert "Rashad" in text and "الرشاد" in text and "5 Sep 2021" in text and "Federal Police" in text
        assert "Islamic State" in text and "Controlled by then" in text
        assert page.query_selector("#details-panel a[href^='http']") is not None
        page.query_selector("#details-panel").scroll_into_view_if_needed()
        screenshot(page, "app_details_rashad")


def test_xss_in_data_is_shown_as_text(app_url):
    with chromium_page() as (page, _):
        page.goto(app_url + "/?mode=window&window=2015-03-01&window=2015-03-31&ds=my_notes")
        _, frame = map_frame(page)
        _click_incident(page, frame, "my_notes:x1")
        panel = page.wait_for_selector("#details-panel", timeout=30_000)
        assert "<script>" in panel.inner_text() and "onerror" in panel.inner_text()
        assert "<b>bold</b>" in panel.inner_text()
        frame.wait_for_selector(".leaflet-popup-content", timeout=10_000)
        assert "<img" in frame.inner_text(".leaflet-popup-content")
        assert page.evaluate("window.__xss") is None and frame.evaluate("window.__xss") is None
        assert page.query_selector("#details-panel img") is None and page.query_selector("#details-panel script") is None
        screenshot(page, "app_xss_popup")
        panel.scroll_into_view_if_needed()
        screenshot(page, "app_xss_details")


def test_playback_steps_the_date_and_keeps_the_map(app_url):
    with chromium_page() as (page, _):
        page.goto(app_url + "/?mode=as+of&asof=2014-04-15")
        handle, frame = map_frame(page)
        frame.evaluate("window.map.setZoom(9, {animate: false})")
        handle.evaluate("el => { el.dataset.probe = 'same-element'; }")
        hawija = """() => { let on = false; window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
            if (p && p.kind === 'control' && p.area_id === 'hawija-centre' && p.controller === 'ISIS') on = true; });
            return on; }"""
        assert not frame.evaluate(hawija)
        page.get_by_text("▶ Play").click()
        # Month by month at 1 s a step: June 2014 arrives within a few ticks and the pocket appears.
        frame.wait_for_function(hawija, timeout=60_000)
        page.get_by_text("▶ Play").click()  # pause
        wait_rerun(page)
        assert page.query_selector('iframe[title="streamlit_folium.st_folium"]').evaluate("el => el.dataset.probe") == "same-element"
        assert map_state(frame)["zoom"] == 9
        screenshot(page, "app_playback_june_2014")
        heading = page.get_by_role("heading", name="As of").inner_text()
        assert "2014" in heading and "Apr" not in heading and "May" not in heading
        link = page.url  # the shared link reopens the same view
        page.goto(link)
        _, again = map_frame(page)
        again.wait_for_function(hawija, timeout=30_000)
        assert page.get_by_role("heading", name="As of").inner_text() == heading


def test_heat_map_turned_on_after_the_page_loaded_draws(app_url):
    """Issue 10: turning the heat map on after the page had loaded emptied the map
    (`L.heatLayer is not a function`): the base map now brings the heat library itself."""
    with chromium_page() as (page, _):
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(app_url + "/?mode=window&window=2014-01-01&window=2017-12-31")
        _, frame = map_frame(page)
        frame.wait_for_function("document.querySelector('#map_div').dataset.incidents !== undefined")
        page.get_by_text("Heat map instead of points").click()
        frame.wait_for_function("document.querySelector('canvas.leaflet-heatmap-layer') !== null", timeout=30_000)
        wait_rerun(page)
        assert frame.evaluate("typeof L.heatLayer") == "function"
        assert not [e for e in errors if "heatLayer" in e], errors
        screenshot(page, "app_heat_after_load")


def test_the_selected_incident_is_highlighted_on_the_map_beside_its_details(app_url):
    """Issue 10: picking an incident did not highlight it on the map, and its details sat far below."""
    with chromium_page(width=1600, height=1000) as (page, _):
        page.goto(app_url + "/?mode=window&window=2021-09-01&window=2021-09-30&sel=cur-2021-001&z=11"
                            "&lat=35.0&lon=43.97")
        _, frame = map_frame(page)
        frame.wait_for_function("""() => { let hit = false; window.map.eachLayer(l => {
            const p = l.feature && l.feature.properties;
            if (p && (p.id === 'cur-2021-001' || (p.ids || []).includes('cur-2021-001'))
                && ((l.options && l.options.color === '#00e5ff') || (l._icon && l._icon.querySelector('.atlas-selected'))))
              hit = true; }); return hit; }""", timeout=30_000)
        panel = page.wait_for_selector("#details-panel", timeout=30_000)
        iframe = page.query_selector('iframe[title="streamlit_folium.st_folium"]').bounding_box()
        box = panel.bounding_box()
        assert box["x"] > iframe["x"] + iframe["width"] - 5 and box["y"] < iframe["y"] + iframe["height"], (box, iframe)
        screenshot(page, "app_selected_beside_map")


CONTROLS = """() => { const out = []; window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
    if (p && p.kind === 'control') out.push(p.area_id + '|' + p.controller); }); return out.sort(); }"""


def _controls_when_settled(page, expected: str, *, timeout: float = 90) -> list[str]:
    """The control areas drawn once the map shows `expected` (the map's frame is re-created when the
    base map changes, e.g. with new boundaries: poll a fresh frame each time)."""
    import time

    from playwright.sync_api import Error

    deadline, drawn = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        try:
            wait_rerun(page)
            _, frame = map_frame(page, timeout=30_000)
            frame.wait_for_function(f"({CONTROLS})().join() === {expected!r}", timeout=5_000)
            return frame.evaluate(CONTROLS)
        except Error:
            continue
    return drawn


def test_one_users_boundaries_and_control_areas_leave_the_others_map_alone(app_url, shared):
    """Issue 10: an official boundary file of one level (COD-AB adm2) broke the page for every user,
    and what one user loaded changed every other user's map."""
    import json

    link = app_url + "/?mode=as+of&asof=2015-06-01"
    mine = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "area_id": "my-area", "controller": "ISIS", "control_type": "control", "valid_from": "2014-06-10",
        "valid_to": "2016-01-01", "confidence": "low", "approximate": True,
        "sources": [{"title": "An analyst's sketch", "url": "https://example.org/r"}]},
        "geometry": {"type": "Polygon", "coordinates": [[[43.7, 35.2], [43.9, 35.2], [43.9, 35.4], [43.7, 35.2]]]}}]}
    with chromium_page() as (other, _):
        page = other.context.browser.new_context(viewport={"width": 1500, "height": 1000}).new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL) else r.abort())
        other.goto(link)
        _, other_frame = map_frame(other)
        other_frame.wait_for_function("document.querySelector('#map_div').dataset.control !== undefined")
        before = other_frame.evaluate(CONTROLS)
        assert len(before) > 5
        page.goto(link)
        map_frame(page)
        page.get_by_text("Official boundaries and your own control areas").click()
        upload(page, "Boundaries (COD-AB", "irq_admbnda_adm2_cso_20190603.geojson",
                (shared / "real" / "irq_admbnda_adm2_cso_20190603.geojson").read_bytes(), "application/geo+json")
        page.get_by_role("button", name="Use these boundaries").click()
        page.get_by_role("button", name="Back to the built-in approximate boundaries").wait_for(timeout=120_000)
        upload(page, "Control areas (GeoJSON", "mine.geojson", json.dumps(mine).encode(), "application/geo+json")
        page.get_by_text("replace the defaults").click()
        page.get_by_role("button", name="Load control areas").click()
        assert _controls_when_settled(page, "my-area|ISIS") == ["my-area|ISIS"]
        assert not page.locator("[data-testid='stException']").count()
        screenshot(page, "app_user_boundaries_and_areas")
        other.reload()
        _, other_frame = map_frame(other)
        other_frame.wait_for_function("document.querySelector('#map_div').dataset.control !== undefined")
        assert other_frame.evaluate(CONTROLS) == before
        assert not other.get_by_role("button", name="Back to the built-in approximate boundaries").count()
