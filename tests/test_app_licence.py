"""Licence-aware exports on the page (issue 11): ACLED and GTD rows are credited with the access date
and the filters in words, and no file of their raw rows is made before the user chose what to do."""
import datetime as dt
import io
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from events import exports, store
from tests.conftest import ROOT
from tests.events.factory import rows

APP = str(ROOT / "app.py")


@pytest.fixture()
def app(tmp_path, monkeypatch):
    """The page over a store holding the curated set, two ACLED rows and one GTD row (Kirkuk, 2016)."""
    path = tmp_path / "atlas.gpkg"
    monkeypatch.setenv("ATLAS_STORE", str(path))
    monkeypatch.setattr(store, "DEFAULT_PATH", path)
    store.open_store(path)
    store.import_frame(path, rows([{"source_id": "IRQ1", "date_start": "2016-10-03", "killed_best": 2},
                                   {"source_id": "IRQ2", "date_start": "2016-10-09"}], dataset="acled"),
                       file="acled_iraq.csv", source="acled")
    store.import_frame(path, rows([{"source_id": "201610050001", "date_start": "2016-10-05"}], dataset="gtd"),
                       file="gtd.xlsx", source="gtd")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.slider(key="window").set_value((dt.date(2016, 10, 1), dt.date(2016, 10, 31))).run()
    return at


def text_of(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def no_errors(at):
    assert not at.exception, [e.message for e in at.exception]


def test_the_map_credits_acled_and_gtd_with_the_access_date_and_the_filters(app):
    no_errors(app)
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    captions = [text_of(c.value) for c in app.caption]
    assert (f"Data: ACLED (acleddata.com), accessed {today}; filters: event types all · 2016-10-01 – 2016-10-31."
            in " ".join(captions))
    assert any("GTD end-user agreement" in c and f"accessed {today}" in c for c in captions)
    app.multiselect(key="types").set_value(["Battles"]).run()
    assert any("filters: event type Battles · 2016-10-01 – 2016-10-31" in text_of(c.value) for c in app.caption)


def test_a_file_of_rows_waits_for_the_users_choice(app):
    warning = " ".join(text_of(w.value) for w in app.warning)
    assert "2 ACLED rows and 1 GTD row" in warning and "before a file of incidents is made" in warning.lower()
    assert app.radio(key="restricted").value is None
    assert app.button(key="prep_data").disabled and app.button(key="prep_html").disabled
    assert not app.button(key="prep_png").disabled if app.button(key="prep_png") else True
    app.selectbox(key="export_fmt").set_value("counts").run()
    assert not app.button(key="prep_data").disabled  # counts pass no row on: no choice needed


def test_leave_out_counts_or_include(app):
    app.selectbox(key="export_fmt").set_value("csv").run()
    app.radio(key="restricted").set_value("omit").run()
    app.button(key="prep_data").click().run()
    no_errors(app)
    _, (content, ext, _), _ = app.session_state["export_data"]
    kept = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    assert ext == ".csv" and len(kept) and not kept["source_dataset"].isin(["acled", "gtd"]).any()
    app.button(key="prep_html").click().run()
    page = app.session_state["export_html"][1].decode("utf-8")
    assert "acled:IRQ1" not in page and "acleddata.com" not in page

    app.radio(key="restricted").set_value("counts").run()
    assert app.button(key="prep_html").disabled  # the HTML holds rows: leave out or include only
    app.button(key="prep_data").click().run()
    _, (content, ext, _), _ = app.session_state["export_data"]
    counts = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    assert list(counts.columns) == list(exports.COUNT_COLUMNS) and counts["incidents"].sum() == len(kept) + 3
    assert app.download_button(key="dl_data") is not None

    app.radio(key="restricted").set_value("include").run()
    assert "own responsibility" in exports.RESTRICTED_CHOICES["include"]
    app.button(key="prep_data").click().run()
    _, (content, _, _), _ = app.session_state["export_data"]
    every = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    assert (every["source_dataset"] == "acled").sum() == 2 and (every["source_dataset"] == "gtd").sum() == 1
    app.button(key="prep_html").click().run()
    no_errors(app)
    assert b"acleddata.com" in app.session_state["export_html"][1]
