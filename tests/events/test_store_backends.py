"""The store's behaviour on BOTH backends: a GeoPackage file and a PostGIS database (a real server,
tests/postgis.py). Each test runs once per backend on a fresh store; the cross-backend tests import the
same data into both and compare what they give back."""
import threading
import time

import pandas as pd
import psycopg
import pytest

from events import actors, annotations, model, postgis, store
from tests.events.factory import rows

NO_REJECTS = pd.DataFrame(columns=list(model.REJECT_COLUMNS))
HOSTILE = ("it's \"quoted\"; '; DROP TABLE incidents; -- nul:\x00: rtl:\u202eevil\u202c esc:\ue000 \\N \\. "
           "lines:\nsecond\r\n\\.\nlast,\"x\"")


@pytest.fixture(params=["gpkg", "postgis"])
def where(request, tmp_path):
    """A fresh store: a GeoPackage path or a postgresql:// URL."""
    if request.param == "gpkg":
        return tmp_path / "atlas.gpkg"
    return request.getfixturevalue("fresh_url")


def _three(**extra):
    return rows([{"date_start": "2015-01-30", "place": "كركوك", "killed_best": 6, **extra},
                 {"date_start": "2016-10-21", "place": "Dibis", "killed_low": 12, "killed_high": 16},
                 {"date_start": "2021-09-05", "place": "الرشاد", "notes": "ملاحظة <b>عربية</b>"}])


def test_a_url_is_kept_a_string_and_dispatched_to_postgis():
    url = "postgresql://analyst@db.example:5432/atlas"
    assert store.location(url) == url and store.is_url(url)
    assert str(store.location("data/atlas.gpkg")) == "data/atlas.gpkg" and not store.is_url("postgresql.gpkg")


def test_import_then_reimport_updates_in_place(where):
    first = store.import_frame(where, _three(), file="three.csv", source="table")
    assert (first.new, first.updated, first.import_id) == (3, 0, 1)
    again = store.import_frame(where, _three(notes="corrected"), file="three.csv", source="table")
    assert (again.new, again.updated, again.import_id) == (0, 3, 2)
    back = store.load(where)
    assert len(back) == 3 and back.loc[0, "notes"] == "corrected"
    pd.testing.assert_frame_equal(model.to_records(back), model.to_records(_three(notes="corrected")),
                                  check_dtype=False)
    log = store.import_log(where)
    assert log[["import_id", "file", "accepted", "new", "updated"]].values.tolist() == [
        [1, "three.csv", 3, 3, 0], [2, "three.csv", 3, 0, 3]]


def test_the_last_row_of_an_incident_id_in_one_batch_wins(where):
    twice = pd.concat([_three(), _three(notes="second")], ignore_index=True)
    summary = store.import_frame(where, twice, file="twice.csv", source="table")
    assert (summary.new, summary.updated) == (3, 3)
    assert store.load(where)["notes"].fillna("-").tolist() == ["second", "-", "ملاحظة <b>عربية</b>"]


def test_the_stamp_changes_when_an_import_lands(where):
    store.create(where)
    empty = store.stamp(where)
    assert store.stamp(where) == empty
    store.import_frame(where, _three(), file="three.csv", source="table")
    assert store.stamp(where) != empty


def test_replace_dataset_drops_rows_no_longer_in_the_batch(where):
    store.import_frame(where, _three(), file="three.csv", source="table")
    summary = store.import_frame(where, _three().iloc[:2], file="three.csv", source="table", replace_dataset=True)
    assert len(store.load(where)) == 2 and summary.new == 0


def test_a_chunk_that_raises_leaves_the_store_as_before(where):
    store.import_frame(where, _three(), file="three.csv", source="table")
    before = store.info(where)

    def chunks():
        yield rows([{"source_id": "100", "date_start": "2017-10-16"}]), NO_REJECTS
        raise OSError("disk full while reading chunk 2")

    with pytest.raises(OSError):
        store.import_chunks(where, chunks(), file="broken.csv", sha256="0" * 64, source="table")
    assert store.info(where) == before and len(store.load(where)) == 3 and len(store.import_log(where)) == 1


def test_rejects_are_kept_capped_with_a_note_and_logged(where):
    bad = pd.DataFrame([{"file": "x.csv", "row": r, "field": "lat", "value": "95", "reason": "outside -90..90"}
                        for r in range(2, 14)])
    summary = store.import_chunks(where, iter([(_three(), bad)]), file="x.csv", sha256="1" * 64, source="table",
                                  max_reject_lines=5)
    assert (summary.accepted, summary.rejected, summary.rejected_unlisted) == (3, 12, 7)
    stored = store.rejects(where, import_id=summary.import_id)
    assert stored["row"].tolist() == [2, 3, 4, 5, 6, 7] and stored["field"].iloc[-1] == store.NOT_LISTED
    assert stored["reason"].iloc[-1].startswith("… and 7 more rejected rows not listed, from row 7 on")
    assert store.import_log(where).loc[0, ["file", "accepted", "rejected"]].tolist() == ["x.csv", 3, 12]
    assert store.info(where)["reject_lines"] == 6


def test_user_gazetteers_are_stored_listed_replaced_and_removed(where):
    assert store.gazetteers(where).empty and store.gazetteer_entries(where).empty
    entries = pd.DataFrame([{"name": "Tall Ward", "name_ar": "تل ورد", "alternates": "Tal Ward", "lat": 35.25,
                             "lon": 44.05, "kind": "village", "admin1": "Kirkuk", "admin2": None, "admin3": "",
                             "source_id": "x1"}])
    before = store.gazetteer_version(where)
    assert store.add_gazetteer(where, entries, file="v.csv", sha256="a" * 64, format="table",
                               licence="mine")["replaced"] == 0
    assert store.gazetteer_version(where) != before
    again = store.add_gazetteer(where, pd.concat([entries, entries]), file="v.csv", sha256="b" * 64,
                                format="table", licence="mine")
    assert again["replaced"] == 1
    listed = store.gazetteers(where)
    assert listed[["file", "entries", "licence"]].values.tolist() == [["v.csv", 2, "mine"]]
    assert store.gazetteer_entries(where)[["file", "name", "name_ar", "lat"]].values.tolist() == [
        ["v.csv", "Tall Ward", "تل ورد", 35.25]] * 2
    with pytest.raises(store.StoreError, match="no gazetteer 'w.csv'"):
        store.remove_gazetteer(where, "w.csv")
    assert store.remove_gazetteer(where, int(listed["id"].iloc[0])) == 2
    assert store.gazetteers(where).empty and store.gazetteer_entries(where).empty


def test_exact_places_become_evidence_once(where):
    day = "2016-10-21"
    frame = rows([{"place": "Zanqar village", "lat": 35.301, "lon": 44.152, "date_start": day},
                  {"place": "Zanqar village", "lat": 35.301, "lon": 44.152, "date_start": day},
                  {"place": "Daquq", "place_ar": "داقوق", "lat": 35.14, "lon": 44.45, "date_start": day},
                  {"place": "near Daquq", "lat": 35.2, "lon": 44.4, "geo_precision": 2, "date_start": day},
                  {"place": "", "lat": 35.3, "lon": 44.3, "date_start": day},
                  {"place": "Hawija", "lat": 35.33, "lon": 43.77, "date_start": day,
                   "original": '{"_geocoded_from": "Hawija"}'}], dataset="ucdp")
    for _ in range(2):   # rows with a place and a point at precision 1 the source gave; a re-import counts once
        store.import_frame(where, frame, file="ucdp.csv", source="ucdp")
        learnt = store.place_evidence(where).sort_values("name", ignore_index=True)
        assert learnt.to_dict("records") == [
            {"name": "Daquq", "name_ar": "داقوق", "lat": 35.14, "lon": 44.45, "source": "ucdp", "count": 1},
            {"name": "Zanqar village", "name_ar": "", "lat": 35.301, "lon": 44.152, "source": "ucdp", "count": 2}]
    store.import_frame(where, frame.iloc[:1], file="ucdp.csv", source="ucdp", replace_dataset=True)
    assert store.place_evidence(where)["count"].tolist() == [1]


def test_review_decisions_are_kept_in_order_and_checked(where):
    three = _three()
    store.import_frame(where, three, file="three.csv", source="table")
    a, b, _ = three["incident_id"]
    assert store.decisions(where).empty and store.decisions_version(where) == "0"
    store.add_decision(where, a, b, "split", by="  A.   Analyst ")
    store.add_decision(where, a, b, "merge")
    assert store.decisions(where)[["left", "right", "decision", "by"]].values.tolist() == [
        [a, b, "split", "A. Analyst"], [a, b, "merge", ""]]
    assert store.decisions_version(where) == "2.2"
    with pytest.raises(store.StoreError, match="no incident 'nope' in the store"):
        store.add_decision(where, a, "nope", "split")


def test_an_actor_mapping_applies_to_earlier_imports(where):
    store.import_frame(where, rows([{"actor1": "Daash fighters", "date_start": "2016-10-21"}]), file="a.csv", source="table")
    assert store.load(where)["actor1_id"].isna().all()
    assert store.map_actor(where, "Daash fighters", "isis")["replaced"] == 0
    assert store.map_actor(where, "DAASH  fighters", "isis")["replaced"] == 1
    assert store.actor_aliases(where) == {"DAASH fighters": "isis"}
    assert store.load(where)["actor1_id"].tolist() == ["isis"]
    assert store.unmap_actor(where, "daash fighters") == 1 and store.actor_aliases(where) == {}


def test_annotations_are_added_read_and_removed(where):
    first = annotations.add(where, date="2017-10-16", text="Federal forces enter Kirkuk", author="A. Analyst")
    annotations.add(where, date="2014-06-12", text="Peshmerga take the city")
    got = annotations.read(where)
    assert got["text"].tolist() == ["Peshmerga take the city", "Federal forces enter Kirkuk"]
    assert annotations.read(where, start="2015-01-01")["id"].tolist() == [first["id"]]
    assert annotations.remove(where, first["id"]) == 1 and annotations.remove(where, first["id"]) == 0
    assert len(annotations.read(where)) == 1


def test_a_hostile_value_is_stored_and_read_back_verbatim(where):
    frame = rows([{"source_id": "x'1", "notes": HOSTILE, "actor1": HOSTILE, "place": "Dibis",
                   "date_start": "2016-10-21"}])
    assert frame["notes"].iloc[0] == HOSTILE  # the model keeps it: the store must too
    summary = store.import_frame(where, frame, file=HOSTILE + ".csv", source="table")
    back = store.load(where)
    assert back["notes"].tolist() == [HOSTILE] and back["actor1"].tolist() == [HOSTILE]
    assert back["incident_id"].tolist() == ["testfile.csv:x'1"]
    assert store.import_log(where)["file"].tolist() == [HOSTILE + ".csv"] and summary.new == 1
    store.map_actor(where, "x" + HOSTILE, "isis")
    assert list(store.actor_aliases(where)) == [actors.clean_name("x" + HOSTILE)]
    assert len(store.load(where)) == 1  # the incidents table is still there


# ---------------------------------------------------------------- the same imports give the same data on both

def test_both_backends_give_equal_frames_and_data_versions(tmp_path, fresh_url):
    gpkg = tmp_path / "atlas.gpkg"
    batches = [(_three(), "three.csv"), (_three(notes="again"), "three.csv"),
               (rows([{"source_id": "9", "date_start": "2019-01-01", "actor1": "ISIL", "wounded": 3,
                       "notes": HOSTILE}], dataset="other.csv"), "other.csv")]
    for where in (gpkg, fresh_url):
        for frame, name in batches:
            store.import_frame(where, frame, file=name, source="table")
        store.map_actor(where, "Dibis", "isis")
    assert store.info(gpkg)["data_version"] == store.info(fresh_url)["data_version"]
    pd.testing.assert_frame_equal(store.load(gpkg), store.load(fresh_url))
    clock = ["imported_at"]
    pd.testing.assert_frame_equal(store.import_log(gpkg).drop(columns=clock),
                                  store.import_log(fresh_url).drop(columns=clock))
    pd.testing.assert_frame_equal(store.place_evidence(gpkg), store.place_evidence(fresh_url))
    assert {k: v for k, v in store.info(gpkg).items() if k != "store"} == \
        {k: v for k, v in store.info(fresh_url).items() if k != "store"}


# ---------------------------------------------------------------- PostGIS only: its geometry, lock, errors

def test_the_postgis_store_holds_points_in_wgs84(fresh_url):
    store.import_frame(fresh_url, _three(), file="three.csv", source="table")
    with psycopg.connect(fresh_url) as con:
        srid, x, kind = con.execute("SELECT ST_SRID(geom), ST_X(geom), GeometryType(geom) FROM incidents "
                                    "LIMIT 1").fetchone()
        version = con.execute("SELECT version FROM atlas_schema").fetchone()[0]
    assert (srid, round(x, 4), kind, version) == (4326, 44.3922, "POINT", postgis.SCHEMA_VERSION)


def test_an_import_waits_for_another_and_says_so(fresh_url):
    store.create(fresh_url)
    lines: list[str] = []
    done: dict = {}
    holder = psycopg.connect(fresh_url)
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (postgis._WRITE_LOCK,))  # an import holding the store

    def run():
        done["summary"] = store.import_frame(fresh_url, _three(), file="three.csv", source="table",
                                             notify=lines.append)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 30
    while not lines and time.monotonic() < deadline:
        time.sleep(0.02)  # polling for the worker's first line
    assert lines == ["waiting for another import to finish…"]
    assert store.info(fresh_url)["incidents"] == 0  # readers are not blocked by the lock
    holder.commit()
    worker.join(timeout=60)
    holder.close()
    assert done["summary"].new == 3 and lines[-1].startswith("storing 3 rows in postgresql://postgres@127.0.0.1")


def test_a_waiting_import_gives_up_after_its_timeout_with_one_line(fresh_url):
    store.create(fresh_url)
    with psycopg.connect(fresh_url) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (postgis._WRITE_LOCK,))
        with pytest.raises(store.StoreError, match="another import has held the store for over 1 s; "
                                                   "nothing was imported"):
            store.import_chunks(fresh_url, iter([(_three(), NO_REJECTS)]), file="t.csv", sha256="2" * 64,
                                source="table", lock_timeout=1)
    assert store.info(fresh_url)["incidents"] == 0


def _with_password(url: str, password: str, database: str | None = None) -> str:
    rest = url.split("://", 1)[1]
    user, host_db = rest.split("@", 1)
    host, db = host_db.split("/", 1)
    return f"postgresql://{user}:{password}@{host}/{database or db}"


@pytest.mark.parametrize("case", ["no database", "closed port", "foreign tables", "bad url"])
def test_a_store_error_names_the_store_but_never_its_password(fresh_url, case):
    secret = "s3cr3t-Pa55"
    url = _with_password(fresh_url, secret)
    if case == "no database":
        url = _with_password(fresh_url, secret, "no_such_db")
    elif case == "closed port":
        url = f"postgresql://analyst:{secret}@127.0.0.1:1/atlas?password={secret}"
    elif case == "foreign tables":
        with psycopg.connect(fresh_url) as con:
            con.execute("CREATE TABLE incidents (id integer)")
    else:
        url = f"postgresql://analyst:{secret}@127.0.0.1:notaport/atlas"
    with pytest.raises(store.StoreError) as info:
        store.load(url)
    message = str(info.value)
    assert secret not in message and "\n" not in message, message
    assert message.startswith("postgresql://"), message
    if case == "foreign tables":
        assert "not an incident store's; it was left unchanged" in message
        with psycopg.connect(fresh_url) as con:
            assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0


def test_open_store_brings_in_the_curated_set_once(where):
    opened = store.open_store(where)
    assert str(opened) == str(where)
    log = store.import_log(where)
    assert log["source"].tolist() == ["curated"] and len(store.load(where)) == log["accepted"].iloc[0] > 100
    store.open_store(where)
    assert len(store.import_log(where)) == 1


def test_eight_writers_of_a_thousand_incidents_at_once_lose_nothing(fresh_url):
    store.create(fresh_url)
    errors: list[BaseException] = []

    def write(k: int):
        try:
            frame = rows([{"source_id": f"{k}-{i}", "date_start": "2016-10-21"} for i in range(1000)],
                         dataset=f"writer{k}.csv")
            store.import_frame(fresh_url, frame, file=f"writer{k}.csv", source="table")
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert errors == []
    facts = store.info(fresh_url)
    assert facts["incidents"] == 8 * 1000 and facts["imports"] == 8
    assert sorted(store.import_log(fresh_url)["new"].tolist()) == [1000] * 8
