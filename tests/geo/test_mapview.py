"""The map in the reader's language: legend, popups, labels, layer names and attribution in Arabic,
laid out right to left, words reaching the templates only as data; English as it was."""
import json
import re

import pytest

from events import labels, model
from geo import boundaries, control, gazetteer, mapview
from geo.elements import js_json
from tests.events.factory import rows

HOSTILE = "<script>alert(1)</script>{{ 7*7 }}{% raw %}"


@pytest.fixture(scope="module")
def base():
    return boundaries.approximate_boundaries(), mapview.label_places(gazetteer.load_gazetteer())


@pytest.fixture(scope="module")
def incidents():
    return rows([{"date_start": "2016-10-20", "date_end": "2016-10-20", "place": "Hawija", "place_ar": "الحويجة",
                  "killed_low": 10, "killed_best": 12, "killed_high": 14},
                 {"date_start": "2016-10-21", "date_end": "2016-10-21", "place": HOSTILE, "place_ar": HOSTILE,
                  "killed_high": 1, "event_type": "Riots", "sub_event_type": "Mob violence",
                  "lat": 35.4682, "lon": 44.3923}])


def _page(base, incidents, lang):
    bounds, places = base
    m = mapview.build_map(boundaries=bounds, places=places, lang=lang,
                          overlays=[mapview.incident_layer(incidents, zoom=14, lang=lang),
                                    mapview.incident_layer(incidents, zoom=2, lang=lang),
                                    mapview.control_layer(control.control_at("2016-10-20"), lang=lang)])
    return m.get_root().render()


def test_english_legend_and_popups_read_as_before():
    legend = mapview.legend_data()
    assert [name for name, _ in legend["types"]] == list(model.EVENT_TYPES)
    assert [name for name, *_ in legend["precision"]] == ["exact place", "near a named place (~25 km)",
                                                          "district / governorate only"]
    assert [name for name, _ in legend["controllers"]] == list(mapview.CONTROLLER_COLOURS)
    assert legend["note"].startswith("Areas are approximate (dashed outlines: uncertain)")
    assert legend["titles"] == {"legend": "Legend", "types": "Incidents by type", "precision": "Location precision",
                                "controllers": "Areas of control (date on the slider)", "control_types": "Control type"}
    assert legend["dir"] == "ltr"
    words = mapview.popup_words()
    assert (words["date"], words["killed"], words["not_held"]) == ("Date", "Killed",
                                                                   "insurgent activity / influence (not control)")


def test_arabic_legend_is_right_to_left_with_arabic_names():
    legend = mapview.legend_data(lang="ar")
    assert legend["dir"] == "rtl" and legend["titles"]["types"] == "الحوادث حسب النوع"
    names = [name for name, _ in legend["types"]]
    assert names[0] == "معارك" and all(re.search("[\u0600-\u06ff]", n) for n in names)
    assert all(re.search("[\u0600-\u06ff]", n) for n, _ in legend["controllers"])
    assert all(re.search("[\u0600-\u06ff]", n) for n, *_ in legend["control_types"])
    assert [colour for _, colour in legend["types"]] == list(labels.EVENT_COLOURS.values())


def test_arabic_incident_features_name_places_in_arabic_and_keep_the_type_key(incidents):
    one = mapview.incident_features(incidents.iloc[:1], lang="ar")["features"][0]["properties"]
    assert one["t"] == "Battles" and one["ty"] == "معارك"   # the colour key stays, the shown name is Arabic
    assert one["n"] == "الحويجة" and one["d"] == "20 تشرين\u00a0الأول 2016"
    assert one["k"] == "\u206810–14\u2069 (الأرجح 12)"   # the range isolated: never reads 14–10
    cluster = mapview.incident_features(incidents, zoom=2, lang="ar")["features"][0]["properties"]
    assert cluster["title"] == "حادثتان هنا" and cluster["tip"] == "حادثتان"
    english = mapview.incident_features(incidents, zoom=2)["features"][0]["properties"]
    assert english["d"] == "20 Oct 2016 – 21 Oct 2016" and english["title"] == "2 incidents here"
    assert mapview.incident_features(incidents.iloc[:1])["features"][0]["properties"]["n"] == "Hawija"


def test_arabic_map_page_carries_arabic_words_as_data_and_escapes_hostile_names(base, incidents):
    page = _page(base, incidents, "ar")
    assert '"dir":"rtl"' in page and "الحوادث حسب النوع" in page and "معارك" in page
    assert '"arabic_first":true' in page and '"rtl":true' in page and "NotoSansArabic.ttf" in page
    for layer in ("الحوادث", "مناطق السيطرة", "الحدود الإدارية (تقريبية)", "خريطة أساسية دون اتصال (حدود الأطلس وأماكنه)"):
        assert json.dumps(layer)[1:-1] in page or layer in page, layer
    assert "<script>alert(1)" not in page and "{{ 7*7 }}" not in page and "{% raw %}" not in page
    assert js_json(HOSTILE)[1:-1] in page   # the name reaches the page as inert JSON, shown with textContent
    english = _page(base, incidents, "en")
    assert '"dir":"ltr"' in english and "معارك" not in english and '"arabic_first":false' in english
    assert "Incidents by type" in english and "NotoSansArabic.ttf" not in english
    assert "<script>alert(1)" not in english


def test_templates_hold_no_words():
    """Every word a user reads reaches the templates as data: no English left in their source."""
    from geo.elements import TEMPLATES
    for name in ("atlas.js", "legend.js", "time_slider.js", "place_labels.js"):
        source = (TEMPLATES / name).read_text()
        scripts = re.sub(r"<style>.*?</style>", "", source, flags=re.S)
        for word in ("'Legend", "Incidents by type", "'Date'", "'Killed'", "incidents here", "'Sources:'",
                     "Play'", "areas of control on", "not stated", "claimed by"):
            assert word not in scripts, (name, word)


def test_time_slider_words_follow_the_language(incidents):
    areas = control.default_layers()
    slider = mapview.time_slider(incidents, areas.iloc[:3], start="2016-10-20", first="2016-10-01",
                                 last="2016-10-31", lang="ar")
    words = slider.options["words"]
    assert words["play"] == "▶ تشغيل" and words["dir"] == "rtl" and words["isolate"] == ["\u2068", "\u2069"]
    assert "{start}" in words["caption"] and "{day}" in words["caption"]
    assert slider.options["style"]["words"]["types"]["Battles"] == "معارك"
    english = mapview.time_slider(incidents, areas.iloc[:3], start="2016-10-20", first="2016-10-01",
                                  last="2016-10-31").options["words"]
    assert english["caption"] == "Incidents {start} – {end} ({days} days); areas of control on {day}"
    assert english["isolate"] == ["", ""]


def test_control_popups_say_the_period_in_arabic():
    areas = control.default_layers()
    feature = mapview.control_features(areas.iloc[:1], lang="ar")["features"][0]["properties"]
    assert re.search("[\u0600-\u06ff]", feature["period"]) and re.search("[\u0600-\u06ff]", feature["basis_text"])
    assert feature["controller"] == areas.iloc[0]["controller"]   # the stored key, for colours
    assert re.search("[\u0600-\u06ff]", feature["names"]["controller"])
    english = mapview.control_features(areas.iloc[:1])["features"][0]["properties"]
    assert english["names"]["controller"] == english["controller"]
    assert re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4} – (\d\d [A-Z][a-z]{2} \d{4}|ongoing)( \(.*\))?", english["period"])


def test_a_cell_of_many_incidents_sums_tolls_ranks_types_and_places_and_lists_its_ids():
    """The cluster feature computed on integer codes says what a direct reading of its rows says."""
    specs = ([{"place": "Hawija", "killed_low": 1, "killed_high": 3, "date_start": "2016-01-05",
               "date_end": "2016-01-06"}] * 3
             + [{"place": "Zab", "event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike",
                 "killed_high": 2, "date_start": "2015-12-30", "date_end": "2015-12-30"}] * 2
             + [{"place": "Abbasi", "event_type": "Riots", "sub_event_type": "Mob violence",
                 "date_start": "2016-02-01", "date_end": "2016-03-01", "date_precision": "month"},
                {"place": "Rashad", "date_start": "2016-01-10", "date_end": "2016-01-10"}])
    frame = rows(specs)
    frame["incident_id"] = [f"t:{i}" for i in range(len(frame))]
    features = mapview.incident_features(frame, zoom=3)["features"]
    assert len(features) == 1
    p = features[0]["properties"]
    assert p["kind"] == "cluster" and p["n"] == 7 and sorted(p["ids"]) == sorted(frame["incident_id"])
    assert p["types"] == [["Battles", 4], ["Explosions/Remote violence", 2], ["Riots", 1]] and p["t"] == "Battles"
    assert p["places"] == "Hawija; Zab; Abbasi"          # most frequent first, ties by name, three at most
    assert p["k"] == "3–13 (2 unknown)"                   # lows 3x1 (+ the highs of 2 for the others), highs 3x3+2x2
    assert p["d"] == "30 Dec 2015 – 01 Mar 2016"
    assert features[0]["geometry"]["coordinates"] == [44.3922, 35.4681]
    assert "ids" not in mapview.incident_features(frame, zoom=3, max_ids=5)["features"][0]["properties"]


def test_a_view_holding_every_incident_is_no_copy_of_the_rows_and_never_alters_them(incidents):
    everything = mapview.in_view(incidents, {"_southWest": {"lat": 30, "lng": 40}, "_northEast": {"lat": 40, "lng": 50}})
    assert everything is not incidents and everything["lat"].to_numpy() is not None
    everything.loc[everything.index[0], "place"] = "changed"
    assert incidents["place"].iloc[0] == "Hawija"        # copy on write: the shared frame is untouched
