import sqlite3
from contextlib import closing

import pandas as pd
import pyogrio
import pytest

from events import model, store
from tests.events.factory import rows


def _three(**extra):
    return rows([{"date_start": "2015-01-30", "place": "كركوك", "killed_best": 6, **extra},
                 {"date_start": "2016-10-21", "place": "Dibis", "killed_low": 12, "killed_high": 16},
                 {"date_start": "2021-09-05", "place": "الرشاد", "notes": "ملاحظة <b>عربية</b>"}])


def test_store_is_a_geopackage_that_gdal_reads(tmp_path):
    path = tmp_path / "atlas.gpkg"
    store.import_frame(path, _three(), file="three.csv", source="table")
    layers = dict(pyogrio.list_layers(path))
    assert layers["incidents"] == "Point" and "import_log" in layers and "rejects" in layers
    gdf = pyogrio.read_dataframe(path, layer="incidents")
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == 3
    assert gdf.geometry.x.round(4).tolist() == [44.3922] * 3
    with closing(sqlite3.connect(path)) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_round_trip_keeps_every_canonical_value(tmp_path):
    path = tmp_path / "atlas.gpkg"
    original = _three()
    store.import_frame(path, original, file="three.csv", source="table")
    back = store.load(path)
    pd.testing.assert_frame_equal(model.to_records(back), model.to_records(original), check_dtype=False)
    assert back.loc[2, "notes"] == "ملاحظة <b>عربية</b>"


def test_reimport_updates_instead_of_duplicating(tmp_path):
    path = tmp_path / "atlas.gpkg"
    first = store.import_frame(path, _three(), file="three.csv", source="table")
    assert (first.new, first.updated) == (3, 0)
    again = store.import_frame(path, _three(notes="corrected"), file="three.csv", source="table")
    assert (again.new, again.updated) == (0, 3)
    back = store.load(path)
    assert len(back) == 3 and back.loc[0, "notes"] == "corrected"
    assert len(store.import_log(path)) == 2


def test_failed_batch_leaves_store_exactly_as_before(tmp_path):
    path = tmp_path / "atlas.gpkg"
    store.import_frame(path, _three(), file="three.csv", source="table")
    version = store.info(path)["data_version"]

    def chunks():
        yield rows([{"source_id": "100", "date_start": "2017-10-16"}]), pd.DataFrame(columns=model.REJECT_COLUMNS)
        raise OSError("disk full while reading chunk 2")

    with pytest.raises(OSError):
        store.import_chunks(path, chunks(), file="broken.csv", sha256="0" * 64, source="table")
    assert len(store.load(path)) == 3
    assert store.info(path)["data_version"] == version
    assert len(store.import_log(path)) == 1


def test_rejects_and_log_are_kept(tmp_path):
    path = tmp_path / "atlas.gpkg"
    bad = pd.DataFrame([{"file": "x.csv", "row": 4, "field": "lat", "value": "95", "reason": "outside -90..90"}])
    summary = store.import_frame(path, _three(), file="x.csv", source="table", rejects=bad)
    assert summary.to_dict()["rejected"] == 1 and summary.rows_read == 4
    rep = store.rejects(path, import_id=summary.import_id)
    assert rep[["row", "field", "reason"]].values.tolist() == [[4, "lat", "outside -90..90"]]
    log = store.import_log(path)
    assert log.loc[0, ["file", "accepted", "rejected"]].tolist() == ["x.csv", 3, 1]


def test_data_version_is_derived_from_the_log(tmp_path):
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    for p in (a, b):
        store.import_frame(p, _three(), file="three.csv", source="table")
    assert store.info(a)["data_version"] == store.info(b)["data_version"]
    store.import_frame(b, rows([{"source_id": "9", "date_start": "2019-01-01"}]), file="more.csv", source="table")
    assert store.info(a)["data_version"] != store.info(b)["data_version"]
    assert store.info(b)["data_version"].startswith("2.")


def test_replace_dataset_drops_rows_no_longer_in_the_batch(tmp_path):
    path = tmp_path / "atlas.gpkg"
    store.import_frame(path, _three(), file="three.csv", source="table")
    summary = store.import_frame(path, _three().iloc[:2], file="three.csv", source="table", replace_dataset=True)
    assert len(store.load(path)) == 2 and summary.new == 0


def test_a_foreign_file_is_refused_clearly(tmp_path):
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"\x00\x01 not sqlite at all" * 50)
    with pytest.raises(store.StoreError, match="junk.gpkg: not a GeoPackage store"):
        store.load(junk)
