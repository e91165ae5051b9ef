"""A user's table (events/sources/table.py): the file's country as the lat/lon swap hint, and `original`
keeping every column of the file. Files are written here in tmp_path; rows are synthetic fixtures."""
import json

import geopandas as gpd
import pytest
import shapely

from events import sources as im
from tests.events.test_importers import by_id, reasons, write_csv

HEADER = ["id", "date", "place", "country", "lat", "lon", "event_type", "sub_event_type", "killed", "my_note"]
ROWS = [["1", "2016-10-21", "Ankara", "Turkey", "39.9334", "32.8597", "Battles", "Armed clash", "1", "kept"],
        ["2", "2016-10-21", "Odesa", "UKR", "46.4825", "30.7233", "Battles", "Armed clash", "", ""],
        ["3", "2016-10-21", "Kirkuk", "Iraq", "44.3922", "35.4681", "Battles", "Armed clash", "", ""],  # swapped
        ["4", "2016-10-21", "Kirkuk", "", "44.3922", "35.4681", "Battles", "Armed clash", "", ""],      # not said
        ["5", "2016-10-21", "Kirkuk", "368", "35.4681", "44.3922", "Battles", "Armed clash", "", ""]]


def test_a_country_column_is_the_swap_hint(tmp_path):
    res = im.read_table(write_csv(tmp_path / "events.csv", HEADER, ROWS))
    assert reasons(res) == {(4, "lat"): "latitude and longitude look swapped"}
    assert sorted(res.accepted.source_id) == ["1", "2", "4", "5"]


def test_a_mapped_country_column_is_the_swap_hint(tmp_path):
    header = ["Ref", "When", "Y", "X", "Kind", "Land"]
    rows = [["a", "2016-10-21", "39.9334", "32.8597", "Battles", "Türkiye"],
            ["b", "2016-10-21", "44.3922", "35.4681", "Battles", "IRQ"]]
    mapping = {"source_id": "Ref", "date_start": "When", "lat": "Y", "lon": "X", "event_type": "Kind",
               "country": "Land"}
    res = im.read_table(write_csv(tmp_path / "mine.csv", header, rows), mapping=mapping)
    assert reasons(res) == {(3, "Y"): "latitude and longitude look swapped"}
    assert json.loads(by_id(res, "mine:a").original)["Land"] == "Türkiye"


def test_without_a_country_no_point_is_suspected_of_being_swapped(tmp_path):
    # A file that states no country: a real point in Ankara is accepted, not taken for an Iraqi point backwards.
    header = [h for h in HEADER if h != "country"]
    rows = [[v for h, v in zip(HEADER, row) if h != "country"] for row in ROWS[:1]]
    res = im.read_table(write_csv(tmp_path / "events.csv", header, rows))
    assert reasons(res) == {} and len(res.accepted) == 1


def test_original_keeps_every_column_of_the_file(tmp_path):
    res = im.read_table(write_csv(tmp_path / "events.csv", HEADER, ROWS[:1]))
    original = json.loads(res.accepted.iloc[0].original)
    assert original == dict(zip(HEADER, ROWS[0])) | {"_geo_precision_assumed": "2: no precision given with the "
                                                                               "coordinates"}


@pytest.mark.parametrize("suffix,driver", [(".geojson", "GeoJSON"), (".gpkg", "GPKG")])
def test_a_features_file_keeps_its_attributes_not_the_drawn_point(tmp_path, suffix, driver):
    frame = gpd.GeoDataFrame({"name": ["Kirkuk"], "date": ["2016-10-21"], "event_type": ["Battles"],
                              "country": ["Iraq"], "killed": [2]},
                             geometry=[shapely.Point(44.3922, 35.4681)], crs="EPSG:4326")
    frame.to_file(tmp_path / f"layer{suffix}", driver=driver)
    res = im.read_features(tmp_path / f"layer{suffix}")
    assert res.rejects.empty, res.rejects.to_string()
    original = json.loads(res.accepted.iloc[0].original)
    assert {k: original[k] for k in ("name", "date", "event_type", "country", "killed")} == {
        "name": "Kirkuk", "date": "2016-10-21", "event_type": "Battles", "country": "Iraq", "killed": "2"}
    assert not [k for k in original if k.startswith("__")]
