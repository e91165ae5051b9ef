"""`python -m events migrate`: a whole store copied GeoPackage -> PostGIS -> GeoPackage, counts checked,
the same `load` frames and tables on every side (a real PostGIS server, tests/postgis.py)."""
import json

import pandas as pd
import pytest

from events import annotations, edits, migrate, store
from events.__main__ import main
from tests.events.test_importers import write_csv
from tests.events.test_ucdp_layouts import GED_HEADER, ged_rows


def _rich_store(path, tmp_path):
    """The curated set, a UCDP GED file in its published layout (with a reject), and one of everything else."""
    store.open_store(path)
    ged = write_csv(tmp_path / "GEDEvent_v23_1.csv", GED_HEADER, ged_rows())
    summary = store.import_file(path, ged)
    assert (summary.accepted, summary.rejected) == (2, 1), summary.rejects.to_string()
    store.add_decision(path, "ucdp:460001", "ucdp:460002", "split", by="A. Analyst")
    store.add_gazetteer(path, pd.DataFrame([{"name": "Tall Ward", "name_ar": "تل ورد", "lat": 35.25, "lon": 44.05}]),
                        file="v.csv", sha256="a" * 64, format="table", licence="mine")
    store.map_actor(path, "Daash fighters", "isis")
    annotations.add(path, date="2017-10-16", text="federal forces enter Kirkuk", author="A. Analyst")
    edits.edit(path, "ucdp:460001", {"notes": "corrected by hand"}, reason="checked the report", by="A. Analyst",
               seen=edits.current(path, "ucdp:460001"))
    return path


def _tables(where) -> dict[str, pd.DataFrame]:
    return {t: store.dump_table(where, t).astype(object).pipe(lambda f: f.where(f.notna(), None))
            for t in store.TABLES}


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(["migrate", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_store_round_trips_geopackage_postgis_geopackage(tmp_path, fresh_url, capsys):
    first = _rich_store(tmp_path / "first.gpkg", tmp_path)
    back = tmp_path / "back.gpkg"
    code, out, err = _run(capsys, "--from", first, "--to", fresh_url)
    assert code == 0, err
    counts = store.table_counts(first)
    assert counts["incidents"] > 100 and all(counts[t] for t in store.TABLES if t != "place_evidence")
    for table, n in counts.items():
        assert f"  {table}: {n:,} rows, {n:,} in the target" in out
    assert store.table_counts(fresh_url) == counts
    code, out, err = _run(capsys, "--from", fresh_url, "--to", back, "--json")
    assert code == 0, err
    assert json.loads(out) == {t: {"source": n, "target": n} for t, n in counts.items()}
    frame = store.load(first)
    pd.testing.assert_frame_equal(store.load(fresh_url), frame)
    pd.testing.assert_frame_equal(store.load(back), frame)
    original, returned = _tables(first), _tables(back)
    for table in store.TABLES:  # ids kept: every import_id and gazetteer_id still points at its row
        pd.testing.assert_frame_equal(returned[table], original[table], check_dtype=False, obj=table)
    assert store.info(back)["data_version"] == store.info(fresh_url)["data_version"] == store.info(first)["data_version"]
    assert store.decision_records(fresh_url) == store.decision_records(first)
    assert annotations.read(fresh_url)["text"].tolist() == ["federal forces enter Kirkuk"]
    # the copy goes on as a store: the next import gets the next id, the curated set is up to date
    again = store.import_frame(fresh_url, store.load(first).iloc[:1], file="again.csv", source="table")
    assert again.import_id == counts["import_log"] + 1 and again.new == 0
    store.open_store(fresh_url)
    assert store.table_counts(fresh_url)["import_log"] == counts["import_log"] + 1


def test_a_target_holding_data_is_refused_unless_replace(tmp_path, fresh_url, capsys):
    first = _rich_store(tmp_path / "first.gpkg", tmp_path)
    store.import_frame(fresh_url, store.load(first).iloc[:3], file="other.csv", source="table")
    before = store.table_counts(fresh_url)
    code, out, err = _run(capsys, "--from", first, "--to", fresh_url)
    assert code == 2 and out == "" and err.count("error:") == 1 and "Traceback" not in err
    assert err.splitlines()[-1].endswith("already holds data (import_log: 1, incidents: 3, place_evidence: 1); "
                                         "nothing was copied: give --replace to replace it, or name an empty store")
    assert store.table_counts(fresh_url) == before
    code, out, err = _run(capsys, "--from", first, "--to", fresh_url, "--replace")
    assert code == 0, err
    assert store.table_counts(fresh_url) == store.table_counts(first)
    pd.testing.assert_frame_equal(store.load(fresh_url), store.load(first))


def test_migrate_errors_are_one_line_without_a_password(tmp_path, fresh_url, capsys):
    code, _, err = _run(capsys, "--from", tmp_path / "nowhere.gpkg", "--to", fresh_url)
    assert code == 2 and err == "error: nowhere.gpkg: no such store\n"
    first = store.open_store(tmp_path / "first.gpkg")
    secret = "pw-Zq81!x"
    target = fresh_url.replace("postgres@", f"postgres:{secret}@").rsplit("/", 1)[0] + "/no_such_db"
    code, _, err = _run(capsys, "--from", first, "--to", target)
    assert code == 2 and err.count("error:") == 1 and secret not in err and "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith("error: postgresql://postgres@127.0.0.1:") and "/no_such_db: cannot connect" in last
    with pytest.raises(migrate.MigrateError, match="the source and the target are the same store"):
        migrate.migrate(first, first)


def test_the_real_ucdp_file_round_trips(tmp_path, fresh_url, shared):
    first = tmp_path / "first.gpkg"
    summary = store.import_file(first, shared / "real" / "ucdp_ged_iraq.csv")
    assert summary.accepted > 5_000
    back = tmp_path / "back.gpkg"
    migrate.migrate(first, fresh_url)
    counts = migrate.migrate(fresh_url, back)
    assert counts["incidents"] == {"source": summary.accepted, "target": summary.accepted}
    assert store.table_counts(back) == store.table_counts(first)
    frame = store.load(first)
    pd.testing.assert_frame_equal(store.load(fresh_url), frame)
    pd.testing.assert_frame_equal(store.load(back), frame)
