import io
import json
import subprocess
import sys

import pandas as pd

from events import model
from tests.conftest import ROOT


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "events", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_list_prints_the_curated_set_with_every_field_filled():
    out = run("list", "--format", "csv")
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(io.StringIO(out.stdout))
    assert list(frame.columns) == list(model.COLUMNS) and len(frame) >= 80
    for col in ("incident_id", "source_dataset", "date_start", "date_end", "date_precision", "place", "lat", "lon",
                "geo_precision", "event_type", "sources", "confidence"):
        assert frame[col].notna().all(), col


def test_list_filters_and_formats():
    out = run("list", "--from", "2014-06-01", "--to", "2017-10-31", "--place", "الحويجة", "--format", "json")
    rows = json.loads(out.stdout)
    assert rows and all("2014-06-01" <= r["date_end"] and r["date_start"] <= "2017-10-31" for r in rows)
    geo = json.loads(run("list", "--type", "Battles", "--format", "geojson").stdout)
    assert geo["type"] == "FeatureCollection" and {f["properties"]["event_type"] for f in geo["features"]} == {"Battles"}
    bad = run("list", "--type", "Fights")
    assert bad.returncode != 0 and "unknown event type" in bad.stderr


def test_import_real_ucdp_accounts_for_every_row(shared, tmp_path):
    out = run("import", str(shared / "real" / "ucdp_ged_iraq.csv"), "--store", str(tmp_path / "x.gpkg"), "--json",
              "--rejects", str(tmp_path / "rejects.csv"))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["source"] == "ucdp" and summary["rows_read"] == 7473
    assert summary["accepted"] + summary["rejected"] == 7473
    rejects = pd.read_csv(tmp_path / "rejects.csv")
    assert rejects["row"].nunique() == summary["rejected"] and rejects["reason"].notna().all()
    again = json.loads(run("import", str(shared / "real" / "ucdp_ged_iraq.csv"), "--store", str(tmp_path / "x.gpkg"),
                           "--json").stdout)
    assert again["new"] == 0 and again["updated"] == summary["accepted"]
    info = json.loads(run("info", "--store", str(tmp_path / "x.gpkg"), "--json").stdout)
    assert info["incidents"] == summary["accepted"] and info["imports"] == 2


def test_import_refuses_junk_with_one_line_and_keeps_the_store(tmp_path):
    store_path = tmp_path / "x.gpkg"
    good = tmp_path / "good.csv"
    good.write_text("id,date,lat,lon,place,event_type,source\n1,2016-10-21,35.47,44.39,Kirkuk,Battles,Rudaw\n",
                    encoding="utf-8")
    assert run("import", str(good), "--store", str(store_path)).returncode == 0
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\xff\x10binary" * 100)
    out = run("import", str(junk), "--store", str(store_path))
    assert out.returncode != 0 and out.stderr.count("\n") == 1 and "junk.csv" in out.stderr
    assert "Traceback" not in out.stderr
    assert json.loads(run("info", "--store", str(store_path), "--json").stdout)["incidents"] == 1


# ---------------------------------------------------------------- issue 9: hostile stores, never a traceback

from tests.events.test_store import _foreign_geopackage, make_read_only  # noqa: E402,F401  (a fixture)


def test_hostile_stores_get_one_line_and_exit_2(tmp_path, make_read_only):
    good = tmp_path / "good.csv"
    good.write_text("id,date,lat,lon,place,event_type,source\n1,2016-10-21,35.47,44.39,Kirkuk,Battles,Rudaw\n",
                    encoding="utf-8")
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"\x00\x01 not sqlite at all" * 50)
    mine = _foreign_geopackage(tmp_path / "mine.gpkg")
    (tmp_path / "afile").write_text("x")
    shared = tmp_path / "shared"
    shared.mkdir()
    assert run("import", str(good), "--store", str(shared / "locked.gpkg")).returncode == 0
    make_read_only(shared / "locked.gpkg")
    before = {p: p.read_bytes() for p in (junk, mine, shared / "locked.gpkg")}
    cases = {
        "junk.gpkg: not a GeoPackage store": [("import", str(good)), ("info",), ("list",)],
        "mine.gpkg: a GeoPackage but not an incident store": [("import", str(good)), ("info",), ("list",)],
        "atlas.gpkg: cannot create the store here": [("import", str(good))],
        "a" * 60 + "…": [("import", str(good))],
        "locked.gpkg: the store is read-only": [("import", str(good))],
    }
    stores = {"junk.gpkg": junk, "mine.gpkg": mine, "atlas.gpkg": tmp_path / "afile" / "atlas.gpkg",
              "a" * 60 + "…": tmp_path / ("a" * 300 + ".gpkg"), "locked.gpkg": shared / "locked.gpkg"}
    procs = []
    for message, commands in cases.items():
        for command in commands:
            target = stores[message.split(":")[0]]
            procs.append((message, command, subprocess.Popen(
                [sys.executable, "-m", "events", *command, "--store", str(target)], cwd=ROOT, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
    for message, command, proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 2 and out == "", (command, err)
        assert err.startswith(f"error: {message}") and err.count("\n") == 1, (command, err)
        assert "Traceback" not in err and str(tmp_path) not in err and "good.csv" not in err
    assert {p: p.read_bytes() for p in before} == before


def test_a_rejects_report_that_cannot_be_written_is_one_line(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("id,date,lat,lon,place,event_type,source\n1,2016-10-21,95,44.39,Kirkuk,Battles,Rudaw\n",
                    encoding="utf-8")
    out = run("import", str(good), "--store", str(tmp_path / "x.gpkg"), "--rejects",
              str(tmp_path / "no" / "such" / "r.csv"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.splitlines()[-1].startswith("error: r.csv: the rejects report cannot be written")


# ---------------------------------------------------------------- issue 10: events never imports geo

PLACES = ("id,date,place,event_type,source\n1,2016-10-21,Hawija,Battles,Rudaw\n"
          "2,2016-10-22,Qaryat Xyzzy,Battles,Rudaw\n3,2016-10-23,,Battles,Rudaw\n")


def test_place_only_rows_are_imported_by_the_geo_command_line(tmp_path):
    """`events import` has no geocoder: it rejects rows without coordinates and names `geo import`,
    which runs the same import with the gazetteer."""
    table = tmp_path / "places.csv"
    table.write_text(PLACES, encoding="utf-8")
    plain = run("import", str(table), "--store", str(tmp_path / "x.gpkg"), "--json")
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["rejected"] == 3
    note = [line for line in plain.stderr.splitlines() if line.startswith("note:")]
    assert note == ["note: 3 row(s) of places.csv have no coordinates; `python -m events import` does not look "
                    "place names up: to geocode them, run `python -m geo import places.csv ...` with the same "
                    "options"]
    geo = subprocess.run([sys.executable, "-m", "geo", "import", str(table), "--store", str(tmp_path / "x.gpkg"),
                          "--json", "--rejects", str(tmp_path / "r.csv")], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert geo.returncode == 0, geo.stderr
    summary = json.loads(geo.stdout)
    assert (summary["accepted"], summary["new"], summary["rejected"]) == (1, 1, 2)
    rejects = pd.read_csv(tmp_path / "r.csv").drop_duplicates("row").set_index("row")["reason"]
    assert rejects[3].startswith("place not found by the geocoder") and rejects[4].startswith("no coordinates")
    assert "note:" not in geo.stderr


def test_main_takes_the_geocoder_from_its_caller(tmp_path, capsys):
    from events.__main__ import main

    table = tmp_path / "places.csv"
    table.write_text(PLACES, encoding="utf-8")
    asked = []

    def geocoder(place):
        asked.append(place)
        return {"lat": 35.3275, "lon": 43.7747, "geo_precision": 2, "found": place == "Hawija"}

    assert main(["import", str(table), "--store", str(tmp_path / "x.gpkg"), "--json"], geocoder=geocoder) == 0
    out = capsys.readouterr()
    assert sorted(asked) == ["Hawija", "Qaryat Xyzzy"] and "note:" not in out.err
    assert json.loads(out.out)["accepted"] == 1


# ---------------------------------------------------------------------------------------------
# Issue 18: `list` fused by default (--raw for the rows as imported), `match decide|list`, and the
# licence checks seeing every member of a fused row
# ---------------------------------------------------------------------------------------------
def write_ged_kirkuk_bombing(path):
    """A UCDP GED CSV (the 49-column layout) holding the 16 Jan 2013 KDP HQ bombing in Kirkuk as GED has
    it (id 51556, 27 killed), which the curated set holds as cur-2013-001 (10-28 killed)."""
    from tests.events.test_importers import write_csv
    from tests.events.test_ucdp_layouts import GED_HEADER, ged_row
    row = ged_row(0, id=51556, relid="IRQ-2013-1-524-51556", year=2013,
                  source_article='"Agence France Presse,2013-01-16,Wave of Iraq attacks kills 42"',
                  source_office="Agence France Presse", source_date="2013-01-16",
                  source_headline="Wave of Iraq attacks kills 42", source_original="Provincial health chief",
                  where_coordinates="Kirkūk town", where_description="Kirkuk", adm_1="Kirkūk province",
                  adm_2="Qaḑā’ Kirkūk", latitude=35.468056, longitude=44.392222,
                  geom_wkt="POINT (44.392222 35.468056)", date_start="2013-01-16", date_end="2013-01-16",
                  deaths_a=6, deaths_b=1, deaths_civilians=0, deaths_unknown=20, best=27, high=27, low=27)
    return write_csv(path, GED_HEADER, [row])


def write_acled_kirkuk_bombing(path):
    """An ACLED export row reporting the same 16 Jan 2013 Kirkuk bombing (a synthetic fixture)."""
    from tests.events.test_importers import acled_row, write_csv
    row = acled_row(1, event_id_cnty="IRQ9001", event_date="16 January 2013", year="2013",
                    event_type="Explosions/Remote violence", sub_event_type="Suicide bomb",
                    actor1="Unidentified Armed Group (Iraq)", actor2="Civilians (Iraq)", admin2="Kirkuk",
                    location="Kirkuk", latitude="35.4681", longitude="44.3922", fatalities="25")
    return write_csv(path, list(row), [row])


DAY = ("--from", "2013-01-16", "--to", "2013-01-16")


def cli(capsys, *args):
    from events.__main__ import main
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_is_fused_by_default_and_raw_lists_the_rows_as_imported(tmp_path, capsys):
    from events import store
    path = store.open_store(tmp_path / "s.gpkg")
    store.import_file(path, write_ged_kirkuk_bombing(tmp_path / "GEDEvent_v23_1.csv"))
    code, out, err = cli(capsys, "list", "--store", str(path), *DAY, "--format", "json")
    assert code == 0, err
    fused = {r["incident_id"]: r for r in json.loads(out)}
    assert set(fused) == {"cur-2013-001", "cur-2013-002"}
    kirkuk = fused["cur-2013-001"]
    assert (kirkuk["killed_low"], kirkuk["killed_high"]) == (10, 28)  # the range over both sources, no sum
    assert json.loads(kirkuk["original"])["members"] == ["cur-2013-001", "ucdp:51556"]
    assert "Wave of Iraq attacks kills 42" in kirkuk["sources"]
    code, out, err = cli(capsys, "list", "--store", str(path), *DAY, "--format", "json", "--raw")
    assert code == 0, err
    assert sorted(r["incident_id"] for r in json.loads(out)) == ["cur-2013-001", "cur-2013-002", "ucdp:51556"]


def test_match_decide_and_list(tmp_path, capsys):
    from events import store
    path = store.open_store(tmp_path / "s.gpkg")
    store.import_file(path, write_ged_kirkuk_bombing(tmp_path / "GEDEvent_v23_1.csv"))
    code, out, err = cli(capsys, "match", "list", "--store", str(path), "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [[m["incident_id"] for m in c["members"]] for c in listed["clusters"]] == [["cur-2013-001", "ucdp:51556"]]
    assert listed["decisions"] == []
    code, out, err = cli(capsys, "match", "decide", "cur-2013-001", "ucdp:51556", "split", "--store", str(path),
                         "--by", "A. Analyst")
    assert code == 0 and "split" in out and "A. Analyst" in out, err
    code, out, err = cli(capsys, "match", "list", "--store", str(path))
    assert out.startswith("0 events reported by several sources") and "decision\tcur-2013-001\tucdp:51556\tsplit" in out
    code, out, err = cli(capsys, "list", "--store", str(path), *DAY, "--format", "json")
    assert len(json.loads(out)) == 3  # split: two incidents
    code, out, err = cli(capsys, "match", "decide", "cur-2013-001", "ucdp:999", "merge", "--store", str(path))
    assert code == 2 and err.count("\n") == 1 and "no incident 'ucdp:999'" in err and "Traceback" not in err
    assert len(store.decisions(path)) == 1


def test_a_fused_row_holding_acled_data_is_restricted_even_under_a_curated_primary(tmp_path, capsys):
    from events import store
    path = store.open_store(tmp_path / "s.gpkg")
    store.import_file(path, write_acled_kirkuk_bombing(tmp_path / "acled.csv"))
    code, out, err = cli(capsys, "list", "--store", str(path), *DAY, "--format", "json")
    assert code == 2 and "1 ACLED row" in err and "--restricted" in err and out == ""
    code, out, err = cli(capsys, "list", "--store", str(path), *DAY, "--format", "json", "--restricted", "omit")
    assert code == 0, err
    assert [r["incident_id"] for r in json.loads(out)] == ["cur-2013-002"]  # the fused Kirkuk row is left out
    code, out, err = cli(capsys, "list", "--store", str(path), *DAY, "--format", "geojson", "--restricted", "include")
    assert code == 0 and any(line.startswith("Data: ACLED") for line in json.loads(out)["attribution"])
