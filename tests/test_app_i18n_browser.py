"""The page in Arabic in a real browser (issue 14): laid out right to left, the Arabic font served locally
and loaded, screenshots at two sizes; switching the language keeps the view and updates the link."""
import re
import urllib.request

import pytest

from events import store
from tests.browser import chromium_page, map_frame, screenshot, streamlit_app, wait_rerun

FONT = "/app/static/vendor/fonts/NotoSansArabic.ttf"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("app_ar") / "atlas.gpkg"
    store.open_store(path)
    with streamlit_app(store=path) as url:
        yield url


def _direction(page, selector: str) -> str:
    return page.eval_on_selector(selector, "el => getComputedStyle(el).direction")


def test_the_arabic_font_is_served_as_a_font(app_url):
    with urllib.request.urlopen(app_url + FONT, timeout=10) as r:
        assert r.status == 200
        assert r.headers.get("Content-Type") in ("font/ttf", "font/sfnt", "application/font-sfnt"), r.headers
        body = r.read()
    assert body[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO")  # a TrueType / OpenType file, not an HTML page
    assert len(body) > 50_000


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 720)])
def test_arabic_page_is_right_to_left_with_the_arabic_font(app_url, size):
    width, height = size
    with chromium_page(width=width, height=height) as (page, _):
        page.goto(app_url + "/?lang=ar&window=2014-06-01&window=2017-10-31")
        map_frame(page)
        page.wait_for_selector("h1:has-text('أطلس حوادث كركوك')", timeout=30_000)
        wait_rerun(page)
        assert _direction(page, "[data-testid='stMain']") == "rtl"
        assert _direction(page, "[data-testid='stSidebar']") == "rtl"
        assert page.eval_on_selector("[data-testid='stMain'] [data-testid='stCaptionContainer'] p",
                                     "el => getComputedStyle(el).textAlign") in ("right", "start")
        # the font is fetched from this server and really used for Arabic text
        page.wait_for_function("document.fonts.check('16px \"Noto Sans Arabic\"', 'داعش')", timeout=20_000)
        loaded = page.evaluate("Promise.all([...document.fonts].filter(f => f.family.includes('Noto Sans Arabic'))"
                               ".map(f => f.load().then(() => f.status)))")
        assert loaded and all(status == "loaded" for status in loaded)
        # the window's dates read in Arabic month names, their order kept (the start first)
        heading = page.locator("h3").first.inner_text()
        assert re.search(r"1 حزيران 2014\s*–\s*31 تشرين\s*الأول 2017", heading), heading
        # the map and the chart are pictures: never mirrored
        assert page.eval_on_selector("iframe", "el => getComputedStyle(el).direction") == "ltr"
        shot = screenshot(page, f"app_ar_{width}")
        assert shot.stat().st_size > 20_000


def test_switching_the_language_keeps_the_view_and_updates_the_link(app_url):
    from playwright.sync_api import expect

    with chromium_page() as (page, _):
        page.goto(app_url + "/?window=2014-06-01&window=2017-10-31&types=Battles")
        map_frame(page)
        page.wait_for_selector("h1:has-text('Kirkuk incident atlas')", timeout=30_000)
        wait_rerun(page)
        count = page.locator("[data-testid='stMetricValue']").first.inner_text()
        switch = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first
        switch.click()
        page.get_by_role("option", name="العربية").click()
        page.wait_for_selector("h1:has-text('أطلس حوادث كركوك')", timeout=30_000)
        wait_rerun(page)
        page.wait_for_function("location.search.includes('lang=ar')", timeout=10_000)  # written by the rerun
        assert "types=Battles" in page.url and "window=2014-06-01" in page.url
        expect(page.locator("[data-testid='stMetricValue']").first).to_have_text(count, timeout=10_000)
        assert _direction(page, "[data-testid='stMain']") == "rtl"


def test_the_browser_language_chooses_the_page_language(app_url):
    with chromium_page(locale="ar-IQ") as (page, _):
        page.goto(app_url + "/?window=2014-06-01&window=2017-10-31")
        page.wait_for_selector("h1:has-text('أطلس حوادث كركوك')", timeout=60_000)
        wait_rerun(page)
        page.wait_for_function("location.search.includes('lang=ar')", timeout=10_000)
    with chromium_page(locale="ar-IQ") as (page, _):  # a link that names a language wins over the browser's
        page.goto(app_url + "/?lang=en")
        page.wait_for_selector("h1:has-text('Kirkuk incident atlas')", timeout=60_000)
