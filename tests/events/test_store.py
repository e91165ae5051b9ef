import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

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


# ---------------------------------------------------------------- issue 9: capped rejects, hostile store paths

def _table_csv(path, n, *, lat=35.47, prefix="r"):
    """A CSV of the `table` layout with `n` rows and distinct ids."""
    pd.DataFrame({"id": [f"{prefix}{i}" for i in range(n)], "date": "2016-10-21", "lat": lat, "lon": 44.39,
                  "place": "Kirkuk", "event_type": "Battles", "source": "Rudaw"}).to_csv(path, index=False)
    return path


def test_rejects_are_capped_per_import_with_a_note_counting_the_rest(tmp_path):
    path = tmp_path / "atlas.gpkg"
    bad = _table_csv(tmp_path / "bad.csv", 12_500, lat=999)
    summary = store.import_file(path, bad, source="table")
    assert (summary.rows_read, summary.accepted, summary.rejected) == (12_500, 0, 12_500)
    listed = summary.rejects[summary.rejects["field"] != store.NOT_LISTED]
    note = summary.rejects[summary.rejects["field"] == store.NOT_LISTED]
    assert len(listed) == store.MAX_REJECT_LINES and listed["row"].tolist()[:2] == [2, 3]
    assert len(note) == 1 and note["value"].iloc[0] == "2500" and summary.rejected_unlisted == 2_500
    assert note["reason"].iloc[0].startswith("… and 2,500 more rejected rows not listed, from row 10002 on")
    assert note["row"].iloc[0] == 10_002  # data rows start on line 2
    assert summary.to_dict()["rejected_unlisted"] == 2_500
    stored = store.rejects(path, import_id=summary.import_id)
    assert len(stored) == store.MAX_REJECT_LINES + 1 and stored["reason"].iloc[-1] == note["reason"].iloc[0]
    assert store.import_log(path).loc[0, "rejected"] == 12_500
    assert len(pyogrio.read_dataframe(path, layer="rejects")) == store.MAX_REJECT_LINES + 1  # GDAL still reads it


def _foreign_geopackage(path):
    """A user's own GeoPackage whose layers happen to be named like ours."""
    import geopandas as gpd
    from shapely.geometry import Point
    pyogrio.write_dataframe(gpd.GeoDataFrame({"name": ["well 1"]}, geometry=[Point(44.4, 35.5)], crs=4326), path,
                            layer="incidents", driver="GPKG")
    pyogrio.write_dataframe(pd.DataFrame({"note": ["mine"]}), path, layer="import_log", driver="GPKG")
    pyogrio.write_dataframe(pd.DataFrame({"why": ["mine"]}), path, layer="rejects", driver="GPKG")
    return path


def _every_use(csv):
    return {"create": store.create, "load": store.load, "info": store.info, "import_log": store.import_log,
            "rejects": store.rejects, "open_store": store.open_store,
            "import_file": lambda p: store.import_file(p, csv, source="table")}


@pytest.mark.parametrize("make, message", [
    (_foreign_geopackage, "mine.gpkg: a GeoPackage but not an incident store"),
    (lambda p: p.write_bytes(b"\x00\x01 not sqlite at all" * 50), "mine.gpkg: not a GeoPackage store"),
])
def test_a_file_that_is_not_our_store_is_refused_and_left_byte_for_byte(tmp_path, make, message):
    path = tmp_path / "mine.gpkg"
    make(path)
    csv = _table_csv(tmp_path / "good.csv", 2)
    before, files = path.read_bytes(), sorted(p.name for p in tmp_path.iterdir())
    for name, use in _every_use(csv).items():
        with pytest.raises(store.StoreError) as caught:
            use(path)
        assert str(caught.value).startswith(message), name
        assert str(tmp_path) not in str(caught.value) and "good.csv" not in str(caught.value)
    assert path.read_bytes() == before  # header not switched to WAL, nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == files


@pytest.mark.parametrize("where, message", [
    (lambda t: (t / "afile").write_text("x") and t / "afile" / "atlas.gpkg",
     "atlas.gpkg: cannot create the store here (part of its folder path is a file)"),
    (lambda t: t / ("a" * 300 + ".gpkg"), "a" * 60 + "…"),
    (lambda t: (t / "dir.gpkg").mkdir() or t / "dir.gpkg", "dir.gpkg: is a folder, not a store file"),
])
def test_a_store_path_that_cannot_be_used_is_one_store_error(tmp_path, where, message):
    path = where(tmp_path)
    csv = _table_csv(tmp_path / "good.csv", 2)
    for name, use in _every_use(csv).items():
        with pytest.raises(store.StoreError) as caught:
            use(path)
        text = str(caught.value)
        assert str(tmp_path) not in text and len(text) < 300, name
        if name in ("create", "open_store", "import_file"):
            assert text.startswith(message), (name, text)


def test_loading_a_missing_store_does_not_create_it(tmp_path):
    with pytest.raises(store.StoreError, match="^nowhere.gpkg: no such store$"):
        store.load(tmp_path / "nowhere.gpkg")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_file_at_the_store_path_becomes_the_store(tmp_path):
    path = tmp_path / "atlas.gpkg"
    path.touch()
    summary = store.import_file(path, _table_csv(tmp_path / "good.csv", 3), source="table")
    assert summary.new == 3 and store.info(path)["incidents"] == 3
    with closing(sqlite3.connect(path)) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# Read-only files and folders. Root may write any file whatever its mode, so when the tests run as root the
# files are also made immutable (chattr +i), which binds root too.

@pytest.fixture
def make_read_only():
    """make_read_only(path): take write permission away from a file or folder, for root as well."""
    locked = []

    def lock(path: Path) -> None:
        path.chmod(0o555 if path.is_dir() else 0o444)
        if os.geteuid() == 0:
            subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
        locked.append(path)

    yield lock
    for path in reversed(locked):
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_store_is_read_and_refuses_imports_clearly(tmp_path, make_read_only, what):
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "atlas.gpkg"
    store.import_file(path, _table_csv(tmp_path / "first.csv", 3), source="table")
    before = path.read_bytes()
    make_read_only(path)
    if what == "folder":
        for p in folder.iterdir():
            if p != path:
                make_read_only(p)
        make_read_only(folder)
    with pytest.raises(store.StoreError, match=r"^atlas.gpkg: the store is read-only .*; nothing was imported$"):
        store.import_file(path, _table_csv(tmp_path / "more.csv", 2, prefix="m"), source="table")
    assert store.info(path)["incidents"] == 3 and len(store.load(path)) == 3
    with pytest.raises(store.StoreError, match="^atlas.gpkg: the store is read-only"):
        store.open_store(path)  # its curated rows are missing and cannot be added
    assert path.read_bytes() == before


def test_a_store_in_a_read_only_folder_cannot_be_created_and_says_so(tmp_path, make_read_only):
    folder = tmp_path / "shared"
    folder.mkdir()
    make_read_only(folder)
    csv = _table_csv(tmp_path / "first.csv", 3)
    with pytest.raises(store.StoreError, match=r"^atlas.gpkg: cannot create the store \((Permission denied|"
                                               r"Operation not permitted)\)$"):
        store.import_file(folder / "atlas.gpkg", csv, source="table")
    with pytest.raises(store.StoreError, match="^atlas.gpkg: no such store$"):
        store.load(folder / "atlas.gpkg")
    with pytest.raises(store.StoreError, match=r"^atlas.gpkg: cannot create the store \("):
        store.info(folder / "atlas.gpkg")
    assert list(folder.iterdir()) == []


def test_a_store_name_with_uri_characters_is_just_a_name(tmp_path):
    path = tmp_path / "a?mode=memory&immutable=1#x.gpkg"
    store.import_file(path, _table_csv(tmp_path / "good.csv", 2), source="table")
    assert path.is_file() and store.info(path)["incidents"] == 2 and len(store.load(path)) == 2


def test_an_import_sweeps_only_what_killed_imports_left(tmp_path):
    path = tmp_path / "atlas.gpkg"
    store.import_file(path, _table_csv(tmp_path / "first.csv", 2), source="table")
    dead = tmp_path / ".atlas.gpkg.0123456789ab.import"  # as a SIGKILLed import leaves it: nobody holds its lock
    dead.mkdir()
    (dead / "lock").touch()
    (dead / "rows.sqlite").write_bytes(b"x" * 1000)
    theirs = [tmp_path / ".atlas.gpkg.notes.new", tmp_path / ".atlas.gpkg.0123456789ab.import.bak"]
    for p in theirs:
        p.write_text("the user's own")
    store.import_file(path, _table_csv(tmp_path / "more.csv", 2, prefix="m"), source="table")
    assert not dead.exists() and all(p.read_text() == "the user's own" for p in theirs)


def test_gazetteer_tables_are_geopackage_attribute_tables(tmp_path):
    """(Storing, listing, replacing and removing gazetteers: tests/events/test_store_backends.py, both backends.)"""
    path = tmp_path / "s.gpkg"
    entries = pd.DataFrame([{"name": "Tall Ward", "lat": 35.25, "lon": 44.05}])
    store.add_gazetteer(path, entries.reindex(columns=list(store.GAZETTEER_COLUMNS)), file="v.csv", sha256="a" * 64,
                        format="table", licence="mine")
    with closing(sqlite3.connect(path)) as con:  # they open in QGIS as tables
        kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
    assert kinds["gazetteers"] == kinds["gazetteer_entries"] == kinds["place_evidence"] == "attributes"


# ---------------------------------------------------------------------------------------------
# Issue 18: review decisions on matched incidents
# ---------------------------------------------------------------------------------------------
def test_review_decisions_are_stored_in_order_with_who_and_when_and_survive_a_reimport(tmp_path):
    path = tmp_path / "atlas.gpkg"
    three = _three()
    store.import_frame(path, three, file="three.csv", source="table")
    a, b, c = three["incident_id"]
    assert store.decisions(path).empty and store.decisions_version(path) == "0"
    store.add_decision(path, a, b, "split", by="  A.   Analyst ")
    first = store.decisions_version(path)
    store.add_decision(path, a, b, "merge")
    assert store.decisions_version(path) != first
    decided = store.decisions(path)
    assert decided[["left", "right", "decision", "by"]].values.tolist() == [[a, b, "split", "A. Analyst"],
                                                                             [a, b, "merge", ""]]
    assert decided["at"].str.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    store.import_frame(path, three, file="three.csv", source="table")  # the same rows again
    assert store.decision_records(path) == [{"left": a, "right": b, "decision": "split"},
                                            {"left": a, "right": b, "decision": "merge"}]
    assert "match_decisions" in dict(pyogrio.list_layers(path))  # an attribute table QGIS lists


@pytest.mark.parametrize("left, right, decision, message", [
    ("{a}", "no-such-id", "split", "no incident 'no-such-id' in the store"),
    ("{a}", "{a}", "split", "cannot be matched with itself"),
    ("{a}", "{b}", "maybe", "is not one of confirm, split, merge"),
    ("", "{b}", "merge", "must be incident ids"),
])
def test_a_decision_the_store_cannot_apply_is_refused_with_one_line(tmp_path, left, right, decision, message):
    path = tmp_path / "atlas.gpkg"
    three = _three()
    store.import_frame(path, three, file="three.csv", source="table")
    ids = dict(zip("ab", three["incident_id"]))
    with pytest.raises(store.StoreError) as info:
        store.add_decision(path, left.format(**ids), right.format(**ids), decision)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert store.decisions(path).empty


def test_a_batch_whose_text_columns_are_all_missing_or_mixed_imports_and_keeps_a_nul(tmp_path):
    """The NUL check reads each text column's Arrow buffer; a column with no value at all, or an object column of
    mixed values (as a copied store gives them), takes the plain way (it failed the copy of the real UCDP file)."""
    frame = rows([{"date_start": "2016-10-21", "place": "Dibis"}, {"date_start": "2016-10-22", "place": "Daquq"}])
    frame["target"] = None
    frame["actor2"] = pd.Series(["a\x00b", 7], dtype=object)
    summary = store.import_frame(tmp_path / "s.gpkg", frame, file="t.csv", source="table")
    back = store.load(tmp_path / "s.gpkg").set_index("source_id")
    assert summary.accepted == 2 and back["target"].isna().all() and back.loc["1", "actor2"] == "a\x00b"
