"""Exports in Arabic: the PNG, the PDF briefing and the standalone HTML re-read, right to left, with the
Arabic font inside the file; the control summaries and changes said in Arabic; English left as it was."""
import io
import os
import shutil
import subprocess
import unicodedata

import numpy as np
import pytest
from PIL import Image

from events.curated import load_curated
from geo import assets, boundaries, control, snapshot
from tests.browser import ARTIFACTS, require_chromium

HOSTILE = '<img src=x onerror=alert(1)>{{ 7*7 }}'


@pytest.fixture(scope="module")
def incidents():
    frame = boundaries.assign_admin(load_curated())
    return frame.join(control.controller_of(frame))


def _text(pdf: bytes) -> str:
    """What pdftotext reads from a PDF, normalised (Arabic presentation forms back to letters)."""
    if not shutil.which("pdftotext"):
        if os.environ.get("CI") == "true":
            pytest.fail("poppler's pdftotext is missing: CI must re-read the PDFs (bash .ci/setup --test installs it)")
        pytest.skip("poppler's pdftotext is not installed")
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60)
    return unicodedata.normalize("NFKC", out.stdout.decode("utf-8"))


def _letters(text: str) -> str:
    """Text without spaces and bidi marks: pdftotext splits Arabic words where Chromium placed the
    joined glyphs apart (ت ش رين) and wraps right-to-left runs in embedding marks."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def test_arabic_snapshot_page_is_right_to_left_with_the_font_inside(incidents):
    view = snapshot.view_for(date="2017-10-16", trail_days=365, lang="ar")
    page = snapshot.snapshot_page(incidents, view, data_version="test.1", size=(1600, 900))
    assert '<html lang="ar" dir="rtl">' in page
    face = page.split("@font-face", 1)[1][:300]   # the Arabic font inside the file: no server, no network
    assert assets.FONT_FAMILY in face and "url('data:" in face and "base64," in face
    for words in ("أطلس حوادث كركوك", "16 تشرين الأول 2017", "حوادث الأيام الـ365 حتى هذا التاريخ",
                  "الحوادث حسب النوع", "معارك", "مناطق السيطرة في", "إصدار البيانات"):
        assert words in page, words
    english = snapshot.snapshot_page(incidents, snapshot.view_for(date="2017-10-16", trail_days=365),
                                     data_version="test.1", size=(1600, 900))
    assert 'dir="rtl"' not in english and "16 October 2017" in english and "Incidents by type" in english
    assert "أطلس حوادث كركوك" not in english and "@font-face" not in english


def test_arabic_png_is_drawn_in_arabic_with_the_embedded_font(incidents):
    require_chromium()
    view = snapshot.view_for(date="2017-10-16", trail_days=365, lang="ar")
    page = snapshot.snapshot_page(incidents, view, data_version="test.1", size=(1600, 900), framing="study")
    with snapshot.Browser() as browser:
        tab = browser.page(1600, 900, allow_network=False)
        try:
            tab.set_content(page, wait_until="load")
            tab.wait_for_function(snapshot._DRAWN, timeout=60_000)
            tab.evaluate("() => document.fonts.ready.then(() => true)")
            drawn = tab.evaluate("""() => ({
                dir: getComputedStyle(document.body).direction,
                legend: document.getElementById('atlas-legend').dir,
                font: document.fonts.check("16px 'Noto Sans Arabic'", 'كركوك'),
                loaded: [...document.fonts].filter(f => f.family.includes('Noto Sans Arabic') && f.status === 'loaded').length,
                scale: getComputedStyle(document.querySelector('.leaflet-control-scale-line')).direction,
                titleRight: document.getElementById('atlas-title').getBoundingClientRect().right,
                whenLeft: document.getElementById('atlas-when').getBoundingClientRect().left,
                text: document.body.innerText})""")
        finally:
            tab.close()
    assert drawn["dir"] == "rtl" and drawn["legend"] == "rtl"
    assert drawn["scale"] == "ltr"   # "20 km", not "km 20"
    assert drawn["font"] and drawn["loaded"] >= 1   # the font inside the file, drawn with no network
    assert drawn["titleRight"] > drawn["whenLeft"]   # the title starts on the right, as Arabic reads
    assert "معارك" in drawn["text"] and "الحوادث حسب النوع" in drawn["text"]

    png = snapshot.snapshot_png(incidents, view, data_version="test.1", size=(1600, 900))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "snapshot_ar.png").write_bytes(png)
    arabic = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    assert arabic.shape == (900, 1600) and arabic.std() > 20
    english = snapshot.snapshot_png(incidents, snapshot.view_for(date="2017-10-16", trail_days=365),
                                    data_version="test.1", size=(1600, 900))
    latin = np.asarray(Image.open(io.BytesIO(english)).convert("L"), dtype=float)
    header = slice(0, snapshot.HEADER_PX)
    # The title is drawn at the right in Arabic, at the left in English: ink moves across the header.
    ink = lambda img, cols: (img[header, cols] < 128).mean()  # noqa: E731
    assert ink(arabic, slice(1250, 1600)) > ink(arabic, slice(0, 150))
    assert ink(latin, slice(0, 350)) > ink(latin, slice(1450, 1600))


def test_arabic_pdf_briefing_reads_back_in_arabic(incidents):
    require_chromium()
    pdf = snapshot.briefing_pdf(incidents, ["2017-10-16"], data_version="test.1", lang="ar",
                                filters={"admin2": ["Kirkuk", HOSTILE]})
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / "briefing_ar.pdf").write_bytes(pdf)
    text = _letters(_text(pdf))
    for words in ("إحاطة كركوك", "الحوادث حسب النوع", "معارك", "تفجيرات", "عنف ضد المدنيين", "تشرين الأول 2017",
                  "إصدار البيانات", "مناطق السيطرة", "الأقضية", "في الأيام الـ90 حتى هذا التاريخ", "الصفحة 1 من 1"):
        assert _letters(words) in text, (words, text[:800])
    assert not any(word in text for word in ("Incidentsbytype", "window:", "areasofcontrol", "Battles", "page1"))
    assert _letters(HOSTILE) in text   # the user's words shown as text (escaped in the HTML, read back as written)
    english = _text(snapshot.briefing_pdf(incidents, ["2017-10-16"], data_version="test.1"))
    assert "Kirkuk briefing" in english and "Incidents by type" in english and "Battles" in english
    assert "معارك" not in english


def test_standalone_html_in_arabic_opens_offline_right_to_left(incidents):
    view = snapshot.view_for(start="2017-09-01", end="2017-10-31", lang="ar",
                             filters={"admin2": ["Kirkuk", "Hawija", "Dibis", "Daquq", HOSTILE]})
    page = snapshot.interactive_html(incidents, view, data_version="test.1")
    assert '<html lang="ar" dir="rtl">' in page and "أطلس حوادث كركوك" in page and "أيلول 2017" in page
    assert "▶ تشغيل" in page and "الحوادث حسب النوع" in page and "مناطق السيطرة في {day}" in page
    assert HOSTILE not in page and "onerror=alert(1)>" not in page


def test_control_summaries_and_changes_are_said_in_arabic():
    areas = control.control_at("2015-06-01")
    english, arabic = control.summarise(areas), control.summarise(areas, lang="ar")
    assert len(arabic) == len(english) and any(line.startswith("داعش: ") for line in arabic)
    assert any("مسيطَر" in line for line in arabic) and not any("held" in line for line in arabic)
    assert any(line.startswith("ISIS: ") and "held" in line for line in english)
    changes_en = control.control_changes()
    changes_ar = control.control_changes(lang="ar")
    assert list(changes_ar["date"]) == list(changes_en["date"])
    assert changes_ar["description"].str.contains("[\u0600-\u06ff]").all()
    assert not changes_ar["description"].str.contains("End of").any()
