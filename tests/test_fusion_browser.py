"""One event, many sources, in a real browser (Debian Chromium via Playwright, every non-loopback request
blocked): the fused count, both sources in the details, a split and a merge from the review buttons.

The store holds the curated set and two GED-layout files: the real 16 Jan 2013 Kirkuk bombing as GED has it
(tests.events.test_cli.write_ged_kirkuk_bombing, UCDP 51556, which the curated set holds as cur-2013-001) and
a SYNTHETIC next-day Tuz Khurmatu row (6 killed) that the matcher keeps apart from cur-2013-002 as a possible
duplicate."""
import re

import pytest

from events import store
from tests.browser import chromium_page, screenshot, streamlit_app, wait_rerun

DAYS = "/?window=2013-01-16&window=2013-01-17"
SYNTHETIC_TUZ = "ucdp:990017"


def write_ged_tuz_next_day(path):
    """A GED CSV with one SYNTHETIC row: Tuz Khurmatu, 17 Jan 2013, 6 killed (state-based), a near pair of the
    curated 16 Jan Tuz bombing (cur-2013-002) that the matcher only marks as a possible duplicate."""
    from tests.events.test_importers import write_csv
    from tests.events.test_ucdp_layouts import GED_HEADER, ged_row
    row = ged_row(0, id=990017, relid="IRQ-2013-1-524-990017", year=2013,
                  source_article='"Synthetic wire,2013-01-18,synthetic test row"', source_office="Synthetic wire",
                  source_date="2013-01-18", source_headline="synthetic test row", source_original="synthetic",
                  where_prec=2, where_coordinates="Ţūzkhūrmātū town", where_description="Tuz Khurmatu",
                  adm_1="Şalāḩ ad Dīn province", adm_2="Qaḑā’ Ţūzkhūrmātū", latitude=34.888083,
                  longitude=44.632564, geom_wkt="POINT (44.632564 34.888083)", date_start="2013-01-17",
                  date_end="2013-01-17", deaths_a=0, deaths_b=0, deaths_civilians=6, deaths_unknown=0, best=6,
                  high=6, low=6)
    return write_csv(path, GED_HEADER, [row])


@pytest.fixture(scope="module")
def fused_store(tmp_path_factory):
    from tests.events.test_cli import write_ged_kirkuk_bombing
    tmp = tmp_path_factory.mktemp("fusion")
    path = store.open_store(tmp / "atlas.gpkg")
    assert store.import_file(path, write_ged_kirkuk_bombing(tmp / "GEDEvent_v23_1.csv")).accepted == 1
    assert store.import_file(path, write_ged_tuz_next_day(tmp / "GEDEvent_tuz.csv")).accepted == 1
    return path


def _count(page, expected: int) -> None:
    """Wait until the "Incidents" metric shows `expected` (polled by the browser, no fixed sleep)."""
    page.wait_for_function(
        """(n) => { const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
                      .find(e => e.innerText.startsWith('Incidents'));
                    return m && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === String(n); }""",
        arg=expected, timeout=60_000)


def _details(page, *ids: str) -> str:
    """The details panel's text once the run has finished and the panel names every one of `ids` (a panel
    of the previous run stays on screen while the next one runs: wait for the run first)."""
    wait_rerun(page)
    page.wait_for_function("(ids) => { const p = document.querySelector('#details-panel');"
                           " return p && ids.every(i => p.innerText.includes(i)); }", arg=list(ids), timeout=60_000)
    return page.inner_text("#details-panel")


def test_a_fused_event_is_counted_once_split_and_merged_from_the_review_buttons(fused_store):
    with streamlit_app(store=fused_store) as url, chromium_page(width=1500, height=1400) as (page, blocked):
        page.goto(url + DAYS + "&sel=cur-2013-001")
        # Kirkuk (curated + UCDP 51556), Tuz (curated) and the synthetic next-day Tuz row: three incidents
        _count(page, 3)
        text = _details(page, "cur-2013-001", "ucdp:51556", "Reported by 2 sources")
        page.locator("[data-testid='stMetric']").first.scroll_into_view_if_needed()
        screenshot(page, "fusion_count_once")
        assert "Reported by 2 sources" in text and "Al Jazeera" in text and "Wave of Iraq attacks kills 42" in text
        assert page.locator("#details-members li", has_text="ucdp:51556").count() == 1
        page.locator("#details-panel").scroll_into_view_if_needed()
        screenshot(page, "fusion_kirkuk_two_sources")

        page.get_by_label("Your name (kept with the decision)").fill("A. Analyst")
        page.keyboard.press("Tab")
        wait_rerun(page)
        page.get_by_role("button", name="Not the same event (split): ucdp:51556").click()
        _count(page, 4)
        page.get_by_text(re.compile(r"Stored: cur-2013-001 and ucdp:51556: split")).wait_for(timeout=30_000)
        wait_rerun(page)
        assert "Reported by" not in _details(page, "cur-2013-001")
        page.locator("[data-testid='stMetric']").first.scroll_into_view_if_needed()
        screenshot(page, "fusion_after_split")
        decided = store.decisions(fused_store)
        assert decided[["left", "right", "decision", "by"]].values.tolist() == [
            ["cur-2013-001", "ucdp:51556", "split", "A. Analyst"]]

        page.goto(url + DAYS + "&sel=cur-2013-002")
        _count(page, 4)
        _details(page, "cur-2013-002")
        page.get_by_text(f"Possible duplicate: {SYNTHETIC_TUZ}").wait_for(timeout=30_000)
        page.get_by_role("button", name=f"Same event (merge): {SYNTHETIC_TUZ}").click()
        _count(page, 3)
        text = _details(page, "cur-2013-002", SYNTHETIC_TUZ, "Reported by 2 sources")
        assert "Reported by 2 sources" in text and "reviewed: merge" in text
        wait_rerun(page)
        page.locator("#details-panel").scroll_into_view_if_needed()
        screenshot(page, "fusion_after_merge")

        # The split pair re-merged by a later decision (as `python -m events match decide ... confirm` stores
        # it): the last decision on a pair wins, and the page shows the Kirkuk bombing once again.
        store.add_decision(fused_store, "cur-2013-001", "ucdp:51556", "confirm", by="A. Analyst")
        page.goto(url + DAYS + "&sel=cur-2013-001")
        _count(page, 2)
        assert "Reported by 2 sources" in _details(page, "cur-2013-001", "ucdp:51556", "Reported by 2 sources")
        wait_rerun(page)
        page.locator("#details-panel").scroll_into_view_if_needed()
        screenshot(page, "fusion_after_remerge")
    assert all(not u.startswith(("http://127", "http://localhost")) for u in blocked)
