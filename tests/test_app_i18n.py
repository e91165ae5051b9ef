"""The page in its reader's language (issue 14): AppTest runs it in Arabic and reads every element;
English stays English; Kurdish runs."""
import html
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

import i18n
from events import store
from geo import control
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*[A-Za-z0-9]")
# Names, formats and programs a sentence in any language writes as they are (the narrow allowance).
PROPER = {"ACLED", "UCDP", "GTD", "CSV", "GeoJSON", "KML", "GeoPackage", "PNG", "PDF", "HTML", "MP4", "GIF", "H",
          "GeoNames", "IQ", "txt", "OCHA", "COD", "AB", "IOM", "DTM", "geoBoundaries", "GADM", "Shapefile", "Excel",
          "YYYY", "MM", "DD", "Chromium", "chromium", "Debian", "bash", "ci", "setup", "test", "dpi", "curated",
          "Rashad", "Federal", "Police", "Kirkuk", "UTF", "BOM", "QGIS",
          *i18n.languages().values()}  # the language switch names each language in itself
@pytest.fixture()
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_STORE", str(tmp_path / "atlas.gpkg"))
    monkeypatch.setattr(store, "DEFAULT_PATH", tmp_path / "atlas.gpkg")
    return AppTest.from_file(APP, default_timeout=120)


def _nodes(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def texts(at) -> list[tuple[str, str]]:
    """(where, text) of everything a user reads on the page: labels, options as shown, help, placeholders,
    Markdown, captions, messages, metrics, expanders, buttons, table headers, chart titles and tooltips."""
    out = []
    for node in _nodes(at._tree):
        kind = type(node).__name__
        for attr in ("label", "help", "placeholder", "body"):
            value = getattr(node, attr, None)
            if isinstance(value, str) and value:
                out.append((f"{kind}.{attr}", value))
        if kind in ("Markdown", "Caption", "Info", "Warning", "Error", "Success", "Metric", "Title", "Header",
                    "Subheader", "Text"):
            value = getattr(node, "value", None)
            if isinstance(value, str):
                out.append((f"{kind}.value", value))
        proto = getattr(node, "proto", None)
        if kind in ("Selectbox", "Multiselect", "Radio"):
            out += [(f"{kind}.option", o) for o in node.options]
        if kind == "Dataframe":
            columns = json.loads(proto.columns or "{}").values()
            out += [("Dataframe.column", c["label"]) for c in columns if "label" in c]
        if proto is not None and hasattr(proto, "spec") and proto.spec:  # an Altair chart
            spec = json.loads(proto.spec)
            for layer in spec.get("layer", [spec]):
                for channel in (layer.get("encoding") or {}).values():
                    for item in channel if isinstance(channel, list) else [channel]:
                        if isinstance(item, dict) and isinstance(item.get("title"), str):
                            out.append(("chart.title", item["title"]))
    return out


def data_words(at) -> set[str]:
    """Latin words that come from the incidents and the areas of control (place, actor, source and data set
    names, notes, targets, citations, ids): data, shown as written."""
    from events import store as st_

    frame = st_.load(str(st_.DEFAULT_PATH))
    words = set()
    for column in ("place", "actor1", "actor2", "admin2", "admin3", "source_dataset", "incident_id", "notes",
                   "target", "sources"):  # sources: the citations' titles and publishers
        if column in frame:
            words |= {w for v in frame[column].dropna().astype(str) for w in LATIN_WORD.findall(v)}
    layers = control.default_layers()  # who held an area and the area's own name
    for column in ("controller", "label"):
        words |= {w for v in layers[column].dropna().astype(str) for w in LATIN_WORD.findall(v)}
    return words


def untranslated(at) -> list[tuple[str, str]]:
    allowed = PROPER | data_words(at)
    found = []
    for where, text in texts(at):
        plain = i18n.strip_isolates(re.sub(r"\\(.)", r"\1", text))
        if where == "Html.body":  # what the reader sees of HTML: its text, never a <style>'s rules or a tag
            plain = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<style>.*?</style>", " ", plain)))
        if re.fullmatch(r"[\W\d_]*", plain):
            continue
        words = {w for w in LATIN_WORD.findall(plain) if not re.search(r"\d", w)} - allowed  # ids, A4, MP4
        if words:
            found.append((where, text))
    return found


def test_arabic_page_has_no_untranslated_text(app):
    app.query_params["lang"] = "ar"
    at = app.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "أطلس حوادث كركوك"
    assert untranslated(at) == []
    assert all(m.placeholder for m in at.multiselect), "Streamlit's own English placeholder shows"
    # the dates read with the month names of Iraq, isolated inside the Arabic heading
    heading = i18n.strip_isolates(next(m.value for m in at.markdown if m.value.startswith("###")))
    assert "كانون الثاني 2013" in heading and "كانون الأول 2018" in heading
    assert at.sidebar.selectbox(key="lang").value == "ar"
    assert at.query_params.get("lang") == "ar"


def test_arabic_details_and_as_of_mode_have_no_untranslated_text(app):
    app.query_params.update({"lang": "ar", "mode": "as of", "asof": "2013-01-16", "trail": "last 30 days",
                             "sel": "cur-2013-001"})
    at = app.run()
    assert not at.exception, [e.message for e in at.exception]
    panel = next(h.proto.body for h in at.get("html") if 'id="details-panel"' in h.proto.body)
    assert 'dir="rtl"' in panel and "المكان" in panel and "كانون الثاني 2013" in panel
    assert untranslated(at) == []
    heading = i18n.strip_isolates(next(m.value for m in at.markdown if m.value.startswith("###")))
    assert heading == "### حتى 16 كانون الثاني 2013 (آخر 30 يوماً)"


def test_a_change_in_the_language_keeps_the_view_and_updates_the_link(app):
    app.query_params.update({"types": "Battles", "window": ["2014-06-01", "2017-10-31"]})
    at = app.run()
    english = at.metric[0].value
    at.sidebar.selectbox(key="lang").set_value("ar").run()
    assert not at.exception
    assert at.query_params.get("lang") == "ar"
    assert at.multiselect(key="types").value == ["Battles"]
    assert at.query_params.get("types") == "Battles"  # the link keeps the English value in any language
    assert at.metric[0].value == english
    assert at.metric[0].label == "الحوادث"
    at.sidebar.selectbox(key="lang").set_value("en").run()
    assert "lang" not in at.query_params
    assert at.metric[0].label == "Incidents"


def test_english_stays_english(app):
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Kirkuk incident atlas"
    assert at.sidebar.selectbox(key="lang").value == "en"
    assert not any(re.search(r"[\u0600-\u06ff]", text) for where, text in texts(at)
                   if where not in ("Selectbox.option", "TextInput.placeholder")), "Arabic text on the English page"
    assert not any("\u2068" in text for _, text in texts(at)), "bidi isolates on the English page"


def test_unknown_link_language_falls_back_to_english(app):
    app.query_params["lang"] = "xx"
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Kirkuk incident atlas"


def test_kurdish_page_runs(app):
    app.query_params["lang"] = "ckb"
    at = app.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "ئەتڵەسی ڕووداوەکانی کەرکووک"
    assert at.metric[0].label == "ڕووداوەکان"
