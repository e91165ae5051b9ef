"""The page's widgets and state through Streamlit's AppTest (no browser)."""
import datetime as dt
import re
import subprocess

import pytest
from streamlit.testing.v1 import AppTest

from events import store
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture()
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_STORE", str(tmp_path / "atlas.gpkg"))
    monkeypatch.setattr(store, "DEFAULT_PATH", tmp_path / "atlas.gpkg")  # read when events.store was imported
    at = AppTest.from_file(APP, default_timeout=120)
    return at


def incidents(at) -> int:
    return int(at.metric[0].value.replace(",", ""))


def text_of(markdown: str) -> str:
    """What a user reads from a message whose Markdown characters the app escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def no_errors(at):
    assert not at.exception, [e.message for e in at.exception]


def test_opens_on_the_curated_set(app):
    at = app.run()
    no_errors(at)
    assert incidents(at) > 10
    assert any("2013" in m.value for m in at.markdown)


def test_filters_change_the_counts(app):
    at = app.run()
    everything = incidents(at)
    at.multiselect(key="types").set_value(["Battles"]).run()
    no_errors(at)
    battles = incidents(at)
    assert 0 < battles < everything
    at.number_input(key="mink").set_value(20).run()
    assert incidents(at) < battles
    at.multiselect(key="types").set_value([]).run()
    at.number_input(key="mink").set_value(0).run()
    at.text_input(key="q").set_value("الحويجة").run()
    assert 0 < incidents(at) < everything


def test_slider_and_steps_change_the_selection(app):
    at = app.run()
    at.slider(key="window").set_value((dt.date(2021, 9, 1), dt.date(2021, 9, 30))).run()
    no_errors(at)
    september = incidents(at)
    assert september >= 2
    at.button(key="step12").click().run()  # + year: September 2022
    assert at.slider(key="window").value == (dt.date(2022, 9, 1), dt.date(2022, 9, 30))
    assert any("01 Sep 2022 – 30 Sep 2022" in m.value for m in at.markdown)


def test_as_of_mode_with_trailing_window(app):
    at = app.run()
    at.radio(key="mode").set_value("as of").run()
    at.slider(key="asof").set_value(dt.date(2021, 9, 30)).run()
    at.selectbox(key="trail").set_value("last 30 days").run()
    no_errors(at)
    assert any("As of 30 Sep 2021" in m.value for m in at.markdown)
    assert incidents(at) >= 2


def test_url_parameters_restore_a_view(app):
    app.query_params.update({"mode": "window", "window": ["2014-06-01", "2017-10-31"], "types": "Battles",
                             "q": "Hawija"})
    at = app.run()
    no_errors(at)
    assert at.slider(key="window").value == (dt.date(2014, 6, 1), dt.date(2017, 10, 31))
    assert at.multiselect(key="types").value == ["Battles"]
    assert at.text_input(key="q").value == "Hawija"


def test_jump_to_a_control_change(app):
    at = app.run()
    at.radio(key="mode").set_value("as of").run()
    options = at.selectbox(key="jump_to").options
    target = next(o for o in options if o.startswith("2017-10-16"))
    at.selectbox(key="jump_to").set_value(target).run()
    no_errors(at)
    assert at.slider(key="asof").value == dt.date(2017, 10, 16)


def test_bad_upload_shows_an_error_and_keeps_the_data(app, tmp_path):
    at = app.run()
    before = store.info(tmp_path / "atlas.gpkg")
    at.file_uploader(key="upload").set_value(("junk.csv", b"\x00\x01\x02 binary junk \xff" * 40, "text/csv")).run()
    at.button(key="do_import").click().run()
    no_errors(at)
    assert any("Nothing was imported" in text_of(e.value) and "junk.csv" in text_of(e.value) for e in at.error)
    after = store.info(tmp_path / "atlas.gpkg")
    assert after["incidents"] == before["incidents"] and after["data_version"] == before["data_version"]


def test_good_upload_is_imported_with_a_rejects_report(app, tmp_path):
    at = app.run()
    csv = ("id,date,lat,lon,place,event_type,fatalities,source\n"
           "a1,2016-10-21,35.47,44.39,Kirkuk,Battles,3,Rudaw\n"
           "a2,2016-13-40,35.47,44.39,Kirkuk,Battles,1,Rudaw\n").encode()
    at.file_uploader(key="upload").set_value(("mine.csv", csv, "text/csv")).run()
    at.button(key="do_import").click().run()
    no_errors(at)
    assert any("1 rows imported" in text_of(s.value) and "1 rejected" in text_of(s.value) for s in at.success)
    assert "mine" in at.multiselect(key="ds").options


def test_empty_selection_says_so(app):
    at = app.run()
    at.text_input(key="q").set_value("no such thing anywhere zzzz").run()
    no_errors(at)
    assert incidents(at) == 0
    assert any("No incident matches" in i.value for i in at.info)


@pytest.mark.parametrize("text", ["Lakja", "لاكجة", "Rashad", "الرشاد"])
def test_the_seed_incidents_can_be_found(app, text):
    at = app.run()
    at.slider(key="window").set_value((dt.date(2003, 1, 1), dt.date(2024, 12, 31))).run()
    at.text_input(key="q").set_value(text).run()
    no_errors(at)
    assert incidents(at) >= 1


def test_exports_from_the_app(app):
    at = app.run()
    at.slider(key="window").set_value((dt.date(2014, 6, 1), dt.date(2017, 10, 31))).run()
    at.selectbox(key="export_fmt").set_value("kml").run()
    at.button(key="prep_data").click().run()
    no_errors(at)
    _, (content, ext, mime), stem = at.session_state["export_data"]
    assert ext == ".kml" and content.startswith(b"<?xml") and b"<TimeSpan>" in content
    assert stem == "kirkuk_20140601_20171031" and at.download_button(key="dl_data") is not None
    at.button(key="prep_html").click().run()
    assert b"atlas-time-slider" in at.session_state["export_html"][1]
    at.button(key="prep_control").click().run()
    assert b"FeatureCollection" in at.session_state["export_control"][1]


def test_a_file_prepared_for_an_earlier_view_is_never_offered_for_this_one(app):
    """Issue 10: after the view changed, the download buttons offered the previous view's file under
    the new view's name."""
    at = app.run()
    at.slider(key="window").set_value((dt.date(2014, 6, 1), dt.date(2017, 10, 31))).run()
    at.button(key="prep_data").click().run()
    assert "export_data" in at.session_state
    at.slider(key="window").set_value((dt.date(2013, 1, 1), dt.date(2018, 12, 31))).run()
    no_errors(at)
    assert "export_data" not in at.session_state
    assert not [b for b in at.get("download_button") if b.key == "dl_data"]
    assert any("prepare it again" in c.value for c in at.caption)
    at.button(key="prep_data").click().run()
    _, (content, _, _), stem = at.session_state["export_data"]
    assert stem == "kirkuk_20130101_20181231"


def test_exports_hold_what_the_screen_holds_for_exact_actor_names(app):
    """Issue 10: the actor filter matched exactly on screen but by substring in the exports."""
    import io

    import pandas as pd

    at = app.run()
    at.slider(key="window").set_value((dt.date(2003, 1, 1), dt.date(2024, 12, 31))).run()
    at.toggle(key="actor_orig").set_value(True).run()  # the names each source used
    options = at.multiselect(key="actors").options
    # a name that is part of another actor's name ("Peshmerga" in "Kurdish Peshmerga"): substring matching
    # would take both
    names = [o for o in options if any(o != other and o in other for other in options)]
    assert names
    at.multiselect(key="actors").set_value(names[:1]).run()
    shown = incidents(at)
    at.button(key="prep_data").click().run()
    _, (content, _, _), _ = at.session_state["export_data"]
    rows = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    assert len(rows) == shown
    assert ((rows["actor1"] == names[0]) | (rows["actor2"] == names[0])).all()
    at.button(key="prep_html").click().run()  # the HTML export selects through snapshot.select
    page = at.session_state["export_html"][1].decode("utf-8")
    assert page.count('"kind":"incident"') == shown


def test_one_canonical_actor_gathers_its_names_on_screen_and_in_the_exports(app):
    """Issue 14: ISIS, IS, ISIL, Islamic State and 'Suspected Islamic State' are one actor in the filter;
    the export holds exactly the rows on screen, each naming that actor on one side."""
    import io

    import pandas as pd

    from events import actors

    at = app.run()
    at.slider(key="window").set_value((dt.date(2003, 1, 1), dt.date(2024, 12, 31))).run()
    assert any(o.startswith("Islamic State (ISIS) (") for o in at.multiselect(key="actor_id").options)
    at.multiselect(key="actor_id").set_value(["isis"]).run()
    shown = incidents(at)
    assert shown > 50
    assert at.query_params.get("actor_id") in (["isis"], "isis")
    at.button(key="prep_data").click().run()
    _, (content, _, _), _ = at.session_state["export_data"]
    rows = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    assert len(rows) == shown
    names = set(rows["actor1"]) | set(rows["actor2"].dropna())
    assert {"Islamic State", "ISIL"} <= names  # several source names, one actor
    assert all("isis" in (actors.canonical_id(a), actors.canonical_id(b)) for a, b in zip(rows["actor1"], rows["actor2"]))


def test_export_of_an_empty_view_says_why(app):
    at = app.run()
    at.text_input(key="q").set_value("no such thing anywhere zzzz").run()
    at.button(key="prep_data").click().run()
    no_errors(at)
    assert any("no incidents in the selection" in e.value for e in at.error)
    assert "export_data" not in at.session_state


def test_png_and_briefing_from_the_app(app, tmp_path):
    from tests.browser import require_chromium
    require_chromium()
    at = app.run()
    at.radio(key="mode").set_value("as of").run()
    at.slider(key="asof").set_value(dt.date(2017, 10, 16)).run()
    at.button(key="prep_png").click().run()
    no_errors(at)
    png = at.session_state["export_png"][1]
    assert png.startswith(b"\x89PNG") and len(png) > 50_000
    at.text_input(key="brief_dates").set_value("2014-06-15, 2014-08-08, 2017-10-16, 2021-06-01").run()
    at.button(key="prep_pdf").click().run()
    no_errors(at)
    pdf = at.session_state["export_pdf"][1]
    (tmp_path / "brief.pdf").write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(tmp_path / "brief.pdf")], capture_output=True, text=True, check=True)
    assert int(re.search(r"^Pages:\s+(\d+)$", info.stdout, re.M).group(1)) >= 5  # a cover, then each date


def test_a_note_on_a_date_reaches_the_store_the_screen_and_the_briefing(app, tmp_path):
    """Issue 15: a user's note ("16 Oct 2017: federal forces enter Kirkuk") is stored, shows under the
    heading when the date is on screen, and is printed on the briefing page of its date; the default
    dates are the control changes in the window."""
    import subprocess

    from events import annotations
    from tests.browser import require_chromium

    at = app.run()
    at.date_input(key="note_date").set_value(dt.date(2017, 10, 16))
    at.text_input(key="note_text").set_value("<b>federal forces</b> enter Kirkuk")
    at.text_input(key="note_author").set_value("Analyst A")
    at.button[[b.label for b in at.button].index("Add note")].click().run()
    no_errors(at)
    stored = annotations.read(store.DEFAULT_PATH)
    assert stored["text"].tolist() == ["<b>federal forces</b> enter Kirkuk"] and stored["author"].tolist() == ["Analyst A"]
    at.radio(key="mode").set_value("as of").run()
    at.slider(key="asof").set_value(dt.date(2017, 10, 20)).run()
    captions = [text_of(c.value) for c in at.caption]
    assert any("<b>federal forces</b> enter Kirkuk" in c for c in captions), captions   # as text, not markup
    assert "2017-10-16" in at.text_input(key="brief_dates").value   # a control change in the window
    require_chromium()
    at.text_input(key="brief_dates").set_value("2017-10-16").run()
    at.text_input(key="brief_author").set_value("Analyst A").run()
    at.button(key="prep_pdf").click().run()
    no_errors(at)
    (tmp_path / "brief.pdf").write_bytes(at.session_state["export_pdf"][1])
    text = subprocess.run(["pdftotext", str(tmp_path / "brief.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "<b>federal forces</b> enter Kirkuk" in text and "Analyst A" in text
    at.button(key=f"note_rm_{int(stored['id'].iloc[0])}").click().run()   # removed from the page
    no_errors(at)
    assert annotations.read(store.DEFAULT_PATH).empty


def test_two_dates_side_by_side_from_the_app(app):
    from PIL import Image

    from tests.browser import require_chromium
    require_chromium()
    at = app.run()
    at.date_input(key="cmp_a").set_value(dt.date(2015, 1, 1))
    at.date_input(key="cmp_b").set_value(dt.date(2018, 1, 1))
    at.button(key="prep_cmp").click().run()
    no_errors(at)
    png = at.session_state["export_compare"][1]
    assert Image.open(__import__("io").BytesIO(png)).size == (1920, 1080)


@pytest.mark.parametrize("params", [
    {"lat": "abc"}, {"z": "1e9"}, {"lat": "nan", "lon": "inf"}, {"z": "2.5"}, {"lon": "-1e308"},
    {"mink": "abc"}, {"mink": "-5"}, {"window": ["zzz", "2014-01-01"]}, {"asof": "9999-99-99", "mode": "as of"},
    {"mode": "<script>"}, {"types": "Nope"}, {"heat": "maybe"}, {"trail": "forever", "mode": "as of"},
    {"sel": "<img src=x onerror=alert(1)>"}, {"q": "{{ 7*7 }}" * 200}, {"ds": ["x"] * 50},
])
def test_crafted_share_links_never_break_the_page(app, params):
    """Issue 9: `?lat=abc`, `?z=1e9`, `?lat=nan&lon=inf` crashed the page; every link parameter is
    checked and a bad one dropped (with a note where the page can say which)."""
    app.query_params.update(params)
    at = app.run()
    no_errors(at)
    assert incidents(at) >= 0
    if set(params) & {"lat", "lon", "z"}:
        assert any("ignored" in c.value for c in at.caption)


def test_an_upload_with_a_300_character_name_is_imported(app, tmp_path):
    at = app.run()
    csv = ("id,date,lat,lon,place,event_type,fatalities,source\n"
           "a1,2016-10-21,35.47,44.39,Kirkuk,Battles,3,Rudaw\n").encode()
    at.file_uploader(key="upload").set_value(("n" * 300 + ".csv", csv, "text/csv")).run()
    at.button(key="do_import").click().run()
    no_errors(at)
    assert any("1 rows imported" in text_of(s.value) for s in at.success), [e.value for e in at.error]


def test_names_from_a_file_never_become_markdown_in_messages(app, tmp_path):
    """A file name or header holding a Markdown image would make every viewer's browser fetch it."""
    at = app.run()
    name = "![b](beacon.png) [x](javascript:alert(1)) :red[x].csv"
    at.file_uploader(key="upload").set_value((name, b"\x00\x01 junk \xff" * 40, "text/csv")).run()
    at.button(key="do_import").click().run()
    no_errors(at)
    shown = [e.value for e in at.error]
    assert shown and all("](" not in v and ":red[" not in v and "\\!\\[b\\]" in v for v in shown), shown
    assert any(name in text_of(v) for v in shown)


@pytest.mark.parametrize("params, key, value", [
    ({"mode": "window", "window": ["2003-01-01", "2024-12-31"]}, "window", (dt.date(2003, 1, 1), dt.date(2024, 12, 31))),
    ({"mode": "as of", "asof": "2003-01-01"}, "asof", dt.date(2003, 1, 1)),
    ({"mode": "as of", "asof": "2024-12-31"}, "asof", dt.date(2024, 12, 31)),
])
def test_a_link_to_the_ends_of_the_period_opens_that_view(app, params, key, value):
    """Issue 10: a shared link whose window is the whole period, or as of its first day, opened the
    default view instead."""
    app.query_params.update(params)
    at = app.run()
    no_errors(at)
    assert at.slider(key=key).value == value


def test_the_chart_follows_every_filter_but_the_window_and_says_so(app):
    """Issue 10: the chart said "same filters" but ignored actor, controller and minimum killed, and
    still drew bars with 0 matches."""
    at = app.run()
    assert any("except the time window" in c.value for c in at.caption)
    at.text_input(key="q").set_value("no such thing anywhere zzzz").run()
    no_errors(at)
    assert not at.get("arrow_vega_lite_chart")
    assert any("no monthly chart" in c.value for c in at.caption)
    at.text_input(key="q").set_value("").run()
    at.number_input(key="mink").set_value(10_000).run()
    assert not at.get("arrow_vega_lite_chart")


def test_the_jump_list_follows_the_control_areas_a_user_loaded(app):
    """Issue 10: the "jump to a control change" list ignored the control areas the user loaded."""
    import json

    at = app.run()
    assert not any(o.startswith("2012-03-04") for o in at.selectbox(key="jump_to").options)
    mine = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "area_id": "mine", "controller": "ISIS", "control_type": "control", "valid_from": "2012-03-04",
        "valid_to": "2012-09-01", "confidence": "low", "approximate": True,
        "sources": [{"title": "An analyst's sketch"}]},
        "geometry": {"type": "Polygon", "coordinates": [[[43.7, 35.2], [43.9, 35.2], [43.9, 35.4], [43.7, 35.2]]]}}]}
    at.file_uploader(key="control_upload").set_value(("mine.geojson", json.dumps(mine).encode(),
                                                      "application/geo+json")).run()
    at.button(key="load_control").click().run()
    no_errors(at)
    assert any(o.startswith("2012-03-04") for o in at.selectbox(key="jump_to").options)


def test_the_offline_html_of_a_window_plays_with_a_trailing_period(app):
    """Issue 10: the offline HTML made in window mode used the whole window as its trailing period,
    so playback showed almost everything at every date."""
    at = app.run()
    at.button(key="prep_html").click().run()
    page = at.session_state["export_html"][1].decode("utf-8")
    assert '"trail_days":90' in page


# ---------------------------------------------------------------- issue 11: a file reaching far beyond the study area

IRAQ_WIDE = ("id,date,lat,lon,place,event_type,fatalities,source\n"
             "w1,2016-10-21,35.4681,44.3922,Kirkuk,Battles,3,Rudaw\n"
             "w2,2016-10-22,30.5085,47.7804,Basra,Battles,1,Rudaw\n"
             "w3,2016-10-23,33.3406,44.4009,Baghdad,Battles,1,Rudaw\n").encode()


def _ask(app, tmp_path):
    at = app.run()
    before = store.info(tmp_path / "atlas.gpkg")
    at.file_uploader(key="upload").set_value(("iraq.csv", IRAQ_WIDE, "text/csv")).run()
    at.button(key="do_import").click().run()
    no_errors(at)
    assert any("2 of its 3 rows" in text_of(w.value) and "outside the study area" in text_of(w.value)
               for w in at.warning), [w.value for w in at.warning]
    assert store.info(tmp_path / "atlas.gpkg")["incidents"] == before["incidents"]   # nothing stored yet
    assert at.radio(key="import_keep").value == "keep only the study area"           # the default
    return at, before


def test_a_country_wide_upload_asks_and_keeps_only_the_study_area(app, tmp_path):
    at, before = _ask(app, tmp_path)
    at.button(key="do_import_asked").click().run()
    no_errors(at)
    assert any("1 rows imported" in text_of(s.value) and "2 outside the area left out" in text_of(s.value)
               for s in at.success), [s.value for s in at.success]
    assert store.info(tmp_path / "atlas.gpkg")["incidents"] == before["incidents"] + 1
    stored = store.load(tmp_path / "atlas.gpkg")
    assert set(stored.loc[stored["source_dataset"] == "iraq", "place"]) == {"Kirkuk"}


def test_a_country_wide_upload_can_keep_everything(app, tmp_path):
    at, before = _ask(app, tmp_path)
    at.radio(key="import_keep").set_value("keep everything").run()
    at.button(key="do_import_asked").click().run()
    no_errors(at)
    assert any("3 rows imported" in text_of(s.value) and "2 of them outside the study area" in text_of(s.value)
               for s in at.success), [s.value for s in at.success]
    assert store.info(tmp_path / "atlas.gpkg")["incidents"] == before["incidents"] + 3
    # Basra and Baghdad fall in no drawn polygon: no district of theirs joins the filters.
    assert set(at.multiselect(key="d2").options) <= {"Kirkuk", "Hawija", "Daquq", "Dibis", "Makhmour",
                                                     "Tuz Khurmatu", "Shirqat", "Baiji", "Mosul"}


def test_an_upload_kept_to_the_users_own_area(app, tmp_path):
    at = app.run()
    area = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"south"},"geometry":'
            '{"type":"Polygon","coordinates":[[[43,29],[49,29],[49,34],[43,34],[43,29]]]}}]}').encode()
    at.file_uploader(key="upload").set_value(("iraq.csv", IRAQ_WIDE, "text/csv")).run()
    at.selectbox(key="upload_keep").set_value("only inside my own area (a polygon file)").run()
    at.file_uploader(key="area_upload").set_value(("south.geojson", area, "application/geo+json")).run()
    at.button(key="do_import").click().run()
    no_errors(at)
    assert any("2 rows imported" in text_of(s.value) and "1 outside the area left out" in text_of(s.value)
               for s in at.success), [s.value for s in at.success]


def test_the_gazetteer_panel_adds_lists_and_removes_a_users_gazetteer(app, tmp_path):
    """Issue 12, part 3: the app's gazetteer panel; its places serve every later geocode with the store."""
    from geo import gazetteer

    at = app.run()
    villages = "name,name_ar,lat,lon\nQaryat al Maftul,قرية المفتول,35.2,44.1\n<b>Bad</b>,,north,44\n".encode()
    at.file_uploader(key="gaz_upload").set_value(("my villages.csv", villages, "text/csv")).run()
    at.button(key="gaz_import").click().run()
    no_errors(at)
    assert any("1 places stored" in text_of(s.value) and "1 rows refused" in text_of(s.value) for s in at.success), \
        [s.value for s in at.success]
    assert any("row 3, field 'lat'" in text_of(c.value) and "<b>" not in c.value for c in at.caption)
    assert list(store.gazetteers(tmp_path / "atlas.gpkg")["file"]) == ["my villages.csv"]
    assert gazetteer.gazetteer_for(tmp_path / "atlas.gpkg")("Maftul").found
    at.button(key="gaz_remove").click().run()
    no_errors(at)
    assert any("removed with its 1 places" in text_of(i.value) for i in at.info)
    assert store.gazetteers(tmp_path / "atlas.gpkg").empty


def test_a_gazetteer_file_that_cannot_be_read_says_why(app):
    at = app.run()
    at.file_uploader(key="gaz_upload").set_value(("x.csv", b"a,b\n1,2\n", "text/csv")).run()
    at.button(key="gaz_import").click().run()
    no_errors(at)
    assert any("x.csv: no name column found" in text_of(e.value) for e in at.error), [e.value for e in at.error]


# ---------------------------------------------------------------------------------------------
# Issue 18: one event, many sources: the fused view, the raw switch and review decisions
# ---------------------------------------------------------------------------------------------
@pytest.fixture()
def fused_app(app, tmp_path):
    """The app on a store holding the curated set and a UCDP file reporting one of its events."""
    from tests.events.test_cli import write_ged_kirkuk_bombing  # GED's 16 Jan 2013 Kirkuk bombing
    path = store.open_store(tmp_path / "atlas.gpkg")
    ged = write_ged_kirkuk_bombing(tmp_path / "GEDEvent_v23_1.csv")
    assert store.import_file(path, ged).accepted == 1
    app.query_params.update({"window": ["2013-01-16", "2013-01-16"], "sel": "cur-2013-001"})
    return app, path, ged


def details_html(at) -> str:
    return "".join(h.proto.body for h in at.get("html"))


def test_an_event_two_sources_report_is_counted_once_and_lists_both(fused_app):
    at, path, _ = fused_app
    at.run()
    no_errors(at)
    assert incidents(at) == 2  # the Kirkuk and the Tuz Khurmatu bombings, each once
    assert at.metric[1].value == "12 – 33"  # Kirkuk 10-28 and 27: 10-28, never 37-55; Tuz 2-5
    panel = details_html(at)
    assert "cur-2013-001" in panel and "ucdp:51556" in panel and "Reported by 2 sources" in panel
    assert 'href="http://www.aljazeera.com/' in panel  # each source row's citations, linked
    at.multiselect(key="ds").set_value(["ucdp"]).run()  # a fused event is in each of its data sets
    assert incidents(at) == 1
    at.multiselect(key="ds").set_value([]).run()
    at.toggle(key="raw").set_value(True).run()
    no_errors(at)
    assert incidents(at) == 3 and at.metric[1].value == "39 – 60"
    linked = AppTest.from_file(APP, default_timeout=120)  # the switch is kept in the link
    linked.query_params.update({"window": ["2013-01-16", "2013-01-16"], "raw": "true"})
    linked.run()
    no_errors(linked)
    assert linked.toggle(key="raw").value and incidents(linked) == 3


def test_a_split_decision_makes_two_incidents_and_survives_a_reimport(fused_app):
    at, path, ged = fused_app
    at.run()
    assert incidents(at) == 2
    at.text_input(key="reviewer").set_value("A. Analyst").run()
    at.button(key="split|cur-2013-001|ucdp:51556").click().run()
    no_errors(at)
    assert incidents(at) == 3
    decided = store.decisions(path)
    assert decided[["left", "right", "decision", "by"]].values.tolist() == [
        ["cur-2013-001", "ucdp:51556", "split", "A. Analyst"]]
    assert store.import_file(path, ged).updated == 1  # the same file again: same incident_ids
    again = AppTest.from_file(APP, default_timeout=120)
    again.query_params.update({"window": ["2013-01-16", "2013-01-16"]})
    again.run()
    no_errors(again)
    assert incidents(again) == 3


def as_of_16_october_2017(app):
    """The page as of 16 Oct 2017 (90 days up to it), for the picture exports; they need Chromium."""
    from tests.browser import require_chromium
    require_chromium()
    at = app.run()
    at.radio(key="mode").set_value("as of").run()
    at.slider(key="asof").set_value(dt.date(2017, 10, 16)).run()
    return at


def test_playback_from_the_app_is_a_gif_of_the_views_window(app):
    """Issue 15: the export panel renders the view stepped month by month through its 90-day window."""
    import io

    from PIL import Image

    at = as_of_16_october_2017(app)
    at.radio(key="anim_fmt").set_value("gif").run()
    at.button(key="prep_anim").click().run()
    no_errors(at)
    gif = Image.open(io.BytesIO(at.session_state["export_animation"][1]))
    assert gif.format == "GIF" and gif.size == (1280, 720) and gif.n_frames == 3   # 19 Jul, 19 Aug, 19 Sep


def test_a_split_can_be_undone_from_the_page(fused_app):
    """Issue 18: a stored split involving the shown incident is listed with "Same event (merge)"."""
    at, path, _ = fused_app
    store.add_decision(path, "cur-2013-001", "ucdp:51556", "split", by="A. Analyst")
    at.run()
    no_errors(at)
    assert incidents(at) == 3  # the split holds: the Kirkuk bombing twice
    button = at.button(key="unsplit|cur-2013-001|ucdp:51556")
    assert text_of(button.label) == "Same event (merge): ucdp:51556"
    at.text_input(key="reviewer").set_value("B. Reviewer").run()
    at.button(key="unsplit|cur-2013-001|ucdp:51556").click().run()
    no_errors(at)
    assert incidents(at) == 2  # merged again: counted once, both sources in the details
    assert "ucdp:51556" in details_html(at) and "Reported by 2 sources" in details_html(at)
    assert store.decisions(path)[["left", "right", "decision", "by"]].values.tolist()[-1] == [
        "cur-2013-001", "ucdp:51556", "merge", "B. Reviewer"]
    assert not [b for b in at.button if b.key and b.key.startswith("unsplit|")]  # nothing left to undo


def test_png_framing_resolution_and_title_chosen_in_the_app(app):
    """Issue 15: the PNG panel's choices reach the image; a PNG made with other choices is not offered."""
    import io

    from PIL import Image

    at = as_of_16_october_2017(app)
    at.radio(key="png_framing").set_value("incidents").run()
    at.radio(key="png_dpi").set_value(300).run()
    at.text_input(key="png_title").set_value("Kirkuk <b>after</b> 16 October").run()
    at.button(key="prep_png").click().run()
    no_errors(at)
    with Image.open(io.BytesIO(at.session_state["export_png"][1])) as image:
        assert image.size == (3840, 2160) and round(image.info["dpi"][0]) == 300
    assert at.get("download_button")   # offered for these choices
    at.text_input(key="png_title").set_value("Another title").run()
    assert not any(b.proto.label == "Download PNG" for b in at.get("download_button"))
