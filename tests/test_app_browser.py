"""The app in a real browser (Debian Chromium via Playwright), with the network unplugged."""
import pandas as pd
import pytest

from events import store
from tests.browser import chromium_page, map_frame, map_state, screenshot, streamlit_app, wait_rerun

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
    with chromium_page() as (page, _):
        page.goto(app_url + "/?mode=as+of&asof=2014-06-15")
        handle, frame = map_frame(page)
        frame.wait_for_function("document.querySelector('#map_div').dataset.control !== undefined")
        frame.evaluate("window.map.setZoom(9, {animate: false})")
        handle.evaluate("el => { el.dataset.probe = 'same-element'; }")
        before = map_state(frame)
        drawn = int(before["drawn"])
        # Move the slider with the keyboard: PageUp/End jump the "as of" thumb.
        page.get_by_role("slider").first.focus()
        page.keyboard.press("End")
        frame.wait_for_function(f"Number(document.querySelector('#map_div').dataset.drawn) > {drawn}", timeout=30_000)
        wait_rerun(page)
        after = map_state(frame)
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
