"""events.cache: frames saved beside the store as Arrow IPC, read back memory-mapped, for one key only."""
import os
import time

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pytest
import shapely

from events import cache, matching
from tests.events.factory import rows


def _frame() -> gpd.GeoDataFrame:
    """A fused canonical frame (object, Int64, dates, Arabic text, missing values) like the app caches."""
    base = rows([
        {"date_start": "2014-06-10", "place": "Bashir", "place_ar": "البشير", "killed_low": 3, "killed_high": 9,
         "notes": "عبوات ناسفة قرب الطريق", "actor1": "Islamic State (Iraq)"},
        {"date_start": "2014-06-10", "place": "Bashir", "killed_low": 4, "notes": None, "lat": 35.40, "lon": 44.35},
        {"date_start": "2017-10-16", "date_precision": "month", "place": "Kirkuk", "geo_precision": 3,
         "wounded": 12, "notes": "x" * 5_000},
    ])
    other = rows([{"date_start": "2014-06-11", "place": "Bashir", "killed_low": 5}], dataset="acled")
    fused, _ = matching.fuse(matching.match(pd.concat([base, other], ignore_index=True)))
    return fused


def _store(tmp_path):
    path = tmp_path / "atlas.gpkg"
    path.write_bytes(b"")  # the cache only needs the store's name and folder
    return path


def test_a_frame_reads_back_equal_with_its_geometry_dtypes_and_index(tmp_path):
    store = _store(tmp_path)
    frame = _frame()
    assert cache.write(store, "fused", frame, key="v1")
    back = cache.read(store, "fused", key="v1")
    assert isinstance(back, gpd.GeoDataFrame) and back.crs == frame.crs
    assert list(back.columns) == list(frame.columns)
    assert back.index.equals(frame.index)
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                                  pd.DataFrame(frame.drop(columns="geometry")), check_dtype=False)
    for col in ("date_start", "killed_low", "wounded", "lat"):
        assert back[col].dtype == frame[col].dtype, col
    assert back.geometry.equals(frame.geometry)
    assert cache.folder(store) == tmp_path / ".atlas.gpkg.cache"


def test_a_plain_frame_reads_back_as_a_plain_frame(tmp_path):
    store = _store(tmp_path)
    possible = pd.DataFrame({"left": ["a:1", "b:2"], "right": ["c:3", "d:4"], "score": [0.61, 0.7]})
    assert cache.write(store, "possible", possible, key="k")
    back = cache.read(store, "possible", key="k")
    assert type(back) is pd.DataFrame
    pd.testing.assert_frame_equal(back, possible, check_dtype=False)


def test_another_key_a_missing_or_a_damaged_file_reads_as_none(tmp_path):
    store = _store(tmp_path)
    assert cache.read(store, "fused", key="v1") is None  # nothing saved yet
    assert cache.write(store, "fused", _frame(), key="v1")
    assert cache.read(store, "fused", key="v2") is None  # a new data version: stale
    target = cache.folder(store) / "fused.arrow"
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    assert cache.read(store, "fused", key="v1") is None
    target.write_bytes(b"not arrow at all")
    assert cache.read(store, "fused", key="v1") is None


def test_text_is_read_in_place_from_the_mapped_file_not_copied(tmp_path):
    store = _store(tmp_path)
    notes = pd.DataFrame({"notes": [f"note {i} " + "ن" * 200 for i in range(20_000)]})  # ~8 MB of text
    assert cache.write(store, "notes", notes, key="k")
    before = pa.total_allocated_bytes()
    back = cache.read(store, "notes", key="k")
    assert pa.total_allocated_bytes() - before < 1_000_000
    assert back["notes"].iloc[19_999] == notes["notes"].iloc[19_999]


def test_writing_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path):
    store = _store(tmp_path)
    assert cache.write(store, "fused", _frame(), key="v1")
    old = cache.folder(store) / ".fused.arrow.0123456789ab.tmp"
    old.write_bytes(b"left by a killed writer")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    held = cache.read(store, "fused", key="v1")  # a reader keeps its mapping while the file is replaced
    assert cache.write(store, "fused", _frame().iloc[:1], key="v2")
    assert len(cache.read(store, "fused", key="v2")) == 1
    assert len(held) == len(_frame()) and held["notes"].notna().any()
    assert sorted(p.name for p in cache.folder(store).iterdir()) == ["fused.arrow"]


def test_a_folder_that_cannot_be_written_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    assert cache.write(blocker / "atlas.gpkg", "fused", _frame(), key="v1") is False
    assert cache.read(blocker / "atlas.gpkg", "fused", key="v1") is None


@pytest.mark.parametrize("name", ["../escape", "a/b", "", "Fused", "x" * 65])
def test_a_name_that_is_not_ours_is_refused(tmp_path, name):
    with pytest.raises(ValueError):
        cache.write(_store(tmp_path), name, _frame(), key="v1")


def test_other_geometries_are_kept_as_they_were(tmp_path):
    store = _store(tmp_path)
    areas = gpd.GeoDataFrame({"name": ["a", "b"], "lon": [44.0, 44.5], "lat": [35.0, 35.5]},
                             geometry=[shapely.box(44, 35, 45, 36), shapely.Point(44.5, 35.5)], crs="EPSG:4326")
    assert cache.write(store, "areas", areas, key="k")
    back = cache.read(store, "areas", key="k")
    assert back.geometry.geom_equals(areas.geometry).all() and back.crs == areas.crs


def test_compact_shares_one_string_per_value_and_keeps_every_value():
    frame = pd.DataFrame({"event_type": pd.Series(["Battles", "Riots", None, "Battles"] * 50, dtype="str"),
                          "incident_id": pd.Series([f"acled:{i}" for i in range(200)], dtype="str"),
                          "killed_low": pd.array([1, None] * 100, dtype="Int64")}).set_axis(range(5, 205))
    held = cache.compact(frame)
    assert held["event_type"].dtype == object and held["incident_id"].dtype == frame["incident_id"].dtype
    assert held["event_type"].iloc[0] is held["event_type"].iloc[3]  # one object per distinct value
    assert held["event_type"].isna().tolist() == frame["event_type"].isna().tolist()
    assert held["event_type"].dropna().tolist() == frame["event_type"].dropna().tolist()
    assert held.index.equals(frame.index) and held["killed_low"].equals(frame["killed_low"])
    assert frame["event_type"].dtype == "str"  # the frame given is left as it was


def test_a_frame_of_points_can_be_read_without_building_its_geometry(tmp_path):
    store = _store(tmp_path)
    frame = _frame()
    assert cache.write(store, "fused", frame, key="v1")
    back = cache.read(store, "fused", key="v1", geometry=False)
    assert type(back) is pd.DataFrame and "geometry" not in back.columns
    assert back[["lon", "lat"]].equals(pd.DataFrame(frame[["lon", "lat"]]))


def test_a_column_arrow_cannot_type_is_reported_not_raised(tmp_path):
    mixed = pd.DataFrame({"value": pd.Series([1, "two", 3.5], dtype=object)})
    assert cache.write(_store(tmp_path), "mixed", mixed, key="k") is False
    assert not list(cache.folder(_store(tmp_path)).glob(".*.tmp"))
