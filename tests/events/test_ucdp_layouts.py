"""UCDP in every form UCDP and HDX publish it (issue 11): GED 23.1+ as GeoJSON and FlatGeobuf, the
monthly Candidate events as CSV with and without a header row, the file's country as the swap hint,
and every column kept. Files follow the published 49-column layout (GED codebook 23.1+, Candidate
codebook) and are written here in tmp_path; rows are synthetic fixtures, not real events."""
import csv
import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from events import sources as im
from tests.events.test_importers import by_id, reasons, write_csv

# UCDP GED 23.1+ and Candidate files: these 49 columns in this order (written out here, not imported
# from the importer, so the test checks the importer against the codebook).
GED_HEADER = [
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
    "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id",
    "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources", "source_article",
    "source_office", "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt", "priogrid_gid", "country",
    "country_id", "region", "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
    "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
]


def ged_row(n, **over):
    """One GED event near Kirkuk as UCDP types it (numbers as numbers; GeoJSON/FlatGeobuf keep the types)."""
    row = {
        "id": 460000 + n, "relid": f"IRQ-2017-1-524-{n}", "year": 2017, "active_year": 1, "code_status": "Clear",
        "type_of_violence": 1, "conflict_dset_id": 259, "conflict_new_id": 259, "conflict_name": "Iraq: Government",
        "dyad_dset_id": 524, "dyad_new_id": 524, "dyad_name": "Government of Iraq - IS", "side_a_dset_id": 116,
        "side_a_new_id": 116, "side_a": "Government of Iraq", "side_b_dset_id": 234, "side_b_new_id": 234,
        "side_b": "IS", "number_of_sources": 2,
        "source_article": '"Reuters News,2017-10-04,Iraqi forces retake Hawija"', "source_office": "Reuters News",
        "source_date": "2017-10-04", "source_headline": "Iraqi forces retake Hawija",
        "source_original": "Iraqi Security Forces", "where_prec": 1, "where_coordinates": "Al Ḩawījah town",
        "where_description": "Hawija, west of Kirkuk city", "adm_1": "Kirkuk province",
        "adm_2": "Qaḑā’ al Ḩawījah", "latitude": 35.3161, "longitude": 43.7661,
        "geom_wkt": "POINT (43.7661 35.3161)", "priogrid_gid": 179968, "country": "Iraq", "country_id": 645,
        "region": "Middle East", "event_clarity": 1, "date_prec": 1, "date_start": "2017-10-03 00:00:00.000",
        "date_end": "2017-10-04 00:00:00.000", "deaths_a": 2, "deaths_b": 9, "deaths_civilians": 0,
        "deaths_unknown": 0, "best": 11, "high": 14, "low": 11, "gwnoa": 645, "gwnob": None,
    }
    assert set(over) <= set(row)
    return {**row, **over}


def ged_rows():
    return [ged_row(1), ged_row(2, type_of_violence=3, side_b="Civilians", best=4, high=4, low=3, where_prec=2,
                                 deaths_civilians=4, deaths_b=0),
            ged_row(3, where_prec=6, where_coordinates="Iraq", latitude=33.0, longitude=44.0)]


def write_geojson(path, rows):
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["longitude"], r["latitude"]]},
                 "properties": r} for r in rows]
    path.write_text(json.dumps({"type": "FeatureCollection", "name": "GEDEvent_v23_1", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def write_fgb(path, rows, *, index=False):
    """A FlatGeobuf of GED events; with a spatial `index` GDAL stores them in its own (Hilbert) order."""
    frame = gpd.GeoDataFrame(rows, columns=GED_HEADER,
                             geometry=[shapely.Point(r["longitude"], r["latitude"]) for r in rows], crs="EPSG:4326")
    frame.to_file(path, driver="FlatGeobuf", engine="pyogrio", SPATIAL_INDEX="YES" if index else "NO")
    return path


def text_rows(rows):
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]


def assert_ged_imported(res, file):
    assert res.source == "ucdp" and res.rows_read == 3 and len(res.accepted) == 2, res.rejects.to_string()
    assert reasons(res) == {(3, "where_prec"): "UCDP where_prec 6/7: placed only at a country centroid or over "
                                                "water/airspace; too coarse to map"}
    battle, attack = by_id(res, "ucdp:460001"), by_id(res, "ucdp:460002")
    assert (battle.event_type, battle.actor1, battle.actor2) == ("Battles", "Government of Iraq", "IS")
    assert (battle.killed_low, battle.killed_best, battle.killed_high) == (11, 11, 14)
    assert str(battle.date_start.date()) == "2017-10-03" and str(battle.date_end.date()) == "2017-10-04"
    assert (battle.lat, battle.lon, battle.geo_precision) == (35.3161, 43.7661, 1)
    assert battle.place == "Al Ḩawījah town"  # where_coordinates, not where_description
    assert (attack.event_type, attack.target, attack.geo_precision) == ("Violence against civilians", "civilians", 2)
    original = json.loads(battle.original)
    assert set(GED_HEADER) - {"gwnob"} <= set(original)  # every column the file gave (gwnob is null)
    assert original["relid"] == "IRQ-2017-1-524-1" and original["where_description"] == "Hawija, west of Kirkuk city"
    assert original["id"] == "460001" and original["best"] == "11"  # as the CSV gives them: whole numbers as text


def test_ged_geojson_is_read_as_ucdp(tmp_path):
    path = write_geojson(tmp_path / "GEDEvent_v23_1.geojson", ged_rows())
    assert im.detect_source(path) == "ucdp"
    assert_ged_imported(im.read_file(path), path.name)
    assert_ged_imported(im.read_ucdp(path), path.name)


def test_ged_flatgeobuf_is_read_as_ucdp(tmp_path):
    path = write_fgb(tmp_path / "GEDEvent_v23_1.fgb", ged_rows())
    assert path.read_bytes()[:4] == b"fgb\x03"
    assert im.detect_source(path) == "ucdp"
    assert_ged_imported(im.read_file(path, chunksize=2), path.name)
    indexed = im.read_file(write_fgb(tmp_path / "indexed.fgb", ged_rows(), index=True))
    assert sorted(indexed.accepted.incident_id) == ["ucdp:460001", "ucdp:460002"] and len(indexed.rejects) == 1


def test_a_flatgeobuf_that_is_not_ged_or_not_flatgeobuf_is_refused_in_one_line(tmp_path):
    other = gpd.GeoDataFrame({"name": ["Kirkuk"]}, geometry=[shapely.Point(44.39, 35.47)], crs="EPSG:4326")
    other.to_file(tmp_path / "places.fgb", driver="FlatGeobuf", engine="pyogrio")
    fake = tmp_path / "fake.fgb"
    fake.write_bytes(b"fgb\x02fgb\x00" + b"type_of_violence where_prec" + b"\x00" * 64)
    garbage = tmp_path / "garbage.fgb"
    garbage.write_bytes(b"fgb\x03fgb\x00" + b"type_of_violence where_prec" + b"\xff" * 64)
    for path, words in ((tmp_path / "places.fgb", "FlatGeobuf"), (fake, "FlatGeobuf"), (garbage, "layer")):
        with pytest.raises(im.ImportFailure) as info:
            im.read_file(path)
        message = str(info.value)
        assert message.startswith(f"{path.name}: ") and words in message and "\n" not in message
        assert str(tmp_path) not in message


def test_ged_geojson_without_the_required_properties_names_them(tmp_path):
    rows = [{k: v for k, v in ged_row(1).items() if k != "best"}]
    path = write_geojson(tmp_path / "ged.geojson", rows)
    with pytest.raises(im.ImportFailure, match=r"^ged\.geojson: not a UCDP GED export: .*best"):
        im.read_file(path)


def test_where_description_never_shadows_where_coordinates(tmp_path):
    both = write_csv(tmp_path / "ged.csv", GED_HEADER, text_rows([ged_row(1)]))
    assert by_id(im.read_ucdp(both), "ucdp:460001").place == "Al Ḩawījah town"
    header = [h for h in GED_HEADER if h != "where_coordinates"]
    only = write_csv(tmp_path / "ged_description.csv", header, text_rows([ged_row(1)]))
    assert by_id(im.read_ucdp(only), "ucdp:460001").place == "Hawija, west of Kirkuk city"


def test_the_csv_keeps_every_column_in_original(tmp_path):
    res = im.read_ucdp(write_csv(tmp_path / "GEDEvent_v23_1.csv", GED_HEADER, text_rows([ged_row(1)])))
    original = json.loads(by_id(res, "ucdp:460001").original)
    assert set(original) == set(GED_HEADER) - {"gwnob"}
    assert original["side_a"] == "Government of Iraq" and original["latitude"] == "35.3161"


def candidate_rows():
    """Candidate events (monthly file, e.g. GEDEvent_v24_0_9.csv): same columns, ISO day dates, and
    code_status flagging events UCDP has still to check."""
    return [ged_row(11, relid="IRQ-2024-1-524-11", year=2024, date_start="2024-09-03", date_end="2024-09-03",
                    source_date="2024-09-04"),
            ged_row(12, relid="IRQ-2024-1-524-12", year=2024, code_status="Check dyad", date_start="2024-09-05",
                    date_end="2024-09-05", source_date="2024-09-06")]


def test_candidate_events_csv(tmp_path):
    res = im.read_file(write_csv(tmp_path / "GEDEvent_v24_0_9.csv", GED_HEADER, text_rows(candidate_rows())))
    assert res.source == "ucdp" and len(res.accepted) == 2 and len(res.rejects) == 0
    clear, flagged = by_id(res, "ucdp:460011"), by_id(res, "ucdp:460012")
    assert clear.confidence == "medium" and pd.isna(clear.notes)
    assert flagged.confidence == "low" and "code_status 'Check dyad'" in flagged.notes
    assert json.loads(flagged.original)["code_status"] == "Check dyad"


def write_headerless(path, rows, *, tail="", encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        for row in text_rows(rows):
            w.writerow([row[h] for h in GED_HEADER])
        fh.write(tail)
    return path


def test_a_candidate_file_without_a_header_row_is_read_with_the_published_names(tmp_path):
    rows = candidate_rows() + [ged_row(13, source_headline="Two lines\nof headline", year=2024,
                                       date_start="2024-09-07", date_end="2024-09-07")]
    path = write_headerless(tmp_path / "GEDEvent_v24_0_1.csv", rows, tail="460014,IRQ-2024-1-524-14,2024,1\r\n")
    assert im.detect_source(path) == "ucdp"
    res = im.read_file(path)
    assert res.source == "ucdp" and len(res.accepted) == 3 and res.rows_read == 4
    assert res.notes == ["GEDEvent_v24_0_1.csv has no header row: recognised as a UCDP Candidate/GED file by its "
                         "49 fields and their content, and read with UCDP's published column names"]
    first = by_id(res, "ucdp:460011")  # the first line is an event, not a header
    assert first.place == "Al Ḩawījah town" and first.killed_best == 11
    original = json.loads(first.original)
    assert original["_header"].startswith("none in the file") and original["relid"] == "IRQ-2024-1-524-11"
    (bad,) = res.rejects.itertuples()
    assert bad.row == 5 and "has 4 fields" in bad.reason  # rows are the lines of the user's file
    assert by_id(im.read_file(path, chunksize=1), "ucdp:460013").killed_best == 11
    bom = write_headerless(tmp_path / "GEDEvent_v24_0_2.csv", rows, encoding="utf-8-sig")
    assert sorted(im.read_file(bom).accepted.source_id) == ["460011", "460012", "460013"]


@pytest.mark.parametrize("first", [
    ["abc"] + ["x"] * 48,                                 # 49 fields, but no event in them
    [str(v) for v in ged_row(1).values()][:40],          # an event row of the wrong width
    ["460001", "IRQ-1", "2017", "1", "Clear", "7"] + ["1"] * 43,  # type_of_violence 7
], ids=["words", "narrow", "type-7"])
def test_a_headerless_file_that_is_not_the_candidate_layout_is_refused_in_one_line(tmp_path, first):
    path = tmp_path / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([first, first])
    assert im.detect_source(path) != "ucdp"
    with pytest.raises(im.ImportFailure) as info:
        im.read_file(path)
    assert str(info.value).startswith("events.csv: ") and "\n" not in str(info.value)


def test_the_files_country_decides_whether_lat_lon_look_swapped(tmp_path):
    rows = [ged_row(1),
            ged_row(2, latitude=44.3922, longitude=35.4681),  # Kirkuk swapped, in a file saying Iraq
            ged_row(3, country="Turkey", country_id=640, latitude=39.9334, longitude=32.8597,  # Ankara
                    adm_1="Ankara province", where_coordinates="Ankara city")]
    res = im.read_ucdp(write_csv(tmp_path / "ged.csv", GED_HEADER, text_rows(rows)))
    assert reasons(res) == {(3, "latitude"): "latitude and longitude look swapped"}
    assert by_id(res, "ucdp:460003").place == "Ankara city"
