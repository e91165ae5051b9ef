"""ACLED exports as ACLED, Excel, R and pandas write them: date forms, headers, missing values, older types.

Every file is small, generated here in ACLED's published column layouts (issue 11)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from events import sources

# The current export layout (2019 revision onwards), as acleddata.com's export tool writes it.
CURRENT = ("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
           "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,"
           "admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,"
           "tags,timestamp").split(",")
# The layout before the 2019 revision (no sub_event_type; "Riots/Protests" a single type).
OLDER = ("data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,actor1,"
         "ally_actor_1,inter1,actor2,ally_actor_2,inter2,interaction,region,country,admin1,admin2,admin3,location,"
         "latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,iso3").split(",")


def row(i, **values) -> dict:
    base = {"data_id": str(7000 + i), "event_id_cnty": f"IRQ{i}", "event_id_no_cnty": str(i),
            "event_date": "10 June 2014", "year": "2014", "time_precision": "1",
            "disorder_type": "Political violence", "event_type": "Battles", "sub_event_type": "Armed clash",
            "actor1": "Test actor A", "assoc_actor_1": "", "inter1": "2", "actor2": "Test actor B", "inter2": "1",
            "interaction": "12", "civilian_targeting": "", "iso": "368", "region": "Middle East", "country": "Iraq",
            "admin1": "Kirkuk", "admin2": "Hawija", "admin3": "Hawija", "location": "Hawija",
            "latitude": "35.3228", "longitude": "43.7744", "geo_precision": "1", "source": "Test source",
            "source_scale": "National", "notes": "Synthetic test fixture, not a real event.", "fatalities": "3",
            "tags": "", "timestamp": "1700000000", "iso3": "IRQ"}
    base.update(values)
    return base


def write(path: Path, header, rows, *, names=None) -> Path:
    """A CSV with `header` (or `names` shown instead, e.g. upper case) and the rows' values in its order."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(names or header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def by_id(res, sid):
    found = res.accepted[res.accepted.source_id == sid]
    assert len(found) == 1, res.rejects.to_string()
    return found.iloc[0]


@pytest.mark.parametrize("text, year, expected", [
    ("9-May-20", "2020", "2020-05-09"),            # Excel d-mmm-yy
    ("5-Aug-24", "2024", "2024-08-05"),
    ("31-12-19", "2019", "2019-12-31"),            # dd-mm-yy (31 settles the order)
    ("20201226", "2020", "2020-12-26"),            # YYYYMMDD
    ("01-January-2015", "2015", "2015-01-01"),
    ("2020-03-21", "2020", "2020-03-21"),
    ("21 March 2020", "2020", "2020-03-21"),
    ("43831", "2020", "2020-01-01"),               # an Excel serial day number
    ("15-Mar-99", "1999", "1999-03-15"),           # the century comes from the year column
])
def test_every_unambiguous_date_form_imports(tmp_path, text, year, expected):
    res = sources.read_acled(write(tmp_path / "acled.csv", CURRENT, [row(1, event_date=text, year=year)]))
    assert by_id(res, "IRQ1").date_start == pd.Timestamp(expected)


def test_two_digit_year_against_the_year_column_is_rejected_with_reason(tmp_path):
    res = sources.read_acled(write(tmp_path / "acled.csv", CURRENT, [row(1, event_date="9-May-20", year="2014")]))
    assert len(res.accepted) == 0
    rej = res.rejects.iloc[0]
    assert (rej.row, rej.field, rej.value) == (2, "event_date", "9-May-20")
    assert "year column" in rej.reason


def test_day_month_order_is_settled_once_per_file_and_kept_across_chunks(tmp_path):
    rows = [row(1, event_date="13/05/2020", year="2020"), row(2, event_date="01/02/2020", year="2020"),
            row(3, event_date="05/09/2020", year="2020"), row(4, event_date="7/3/2020", year="2020")]
    path = write(tmp_path / "acled.csv", CURRENT, rows)
    res = sources.read_file(path, chunksize=1)
    assert len(res.rejects) == 0
    assert by_id(res, "IRQ3").date_start == pd.Timestamp("2020-09-05")
    assert by_id(res, "IRQ4").date_start == pd.Timestamp("2020-03-07")
    assert json.loads(by_id(res, "IRQ4").original)["_date_order"].startswith("day first")


def test_month_first_file_is_read_month_first(tmp_path):
    rows = [row(1, event_date="5/9/2020", year="2020"), row(2, event_date="12/25/2020", year="2020")]
    res = sources.read_acled(write(tmp_path / "acled.csv", CURRENT, rows))
    assert by_id(res, "IRQ1").date_start == pd.Timestamp("2020-05-09")
    assert json.loads(by_id(res, "IRQ1").original)["_date_order"].startswith("month first")


def test_a_file_that_never_settles_the_order_stops_with_one_message(tmp_path):
    rows = [row(1, event_date="5/9/2020", year="2020"), row(2, event_date="1/2/2020", year="2020")]
    path = write(tmp_path / "acled.csv", CURRENT, rows)
    with pytest.raises(sources.ImportFailure) as err:
        sources.read_acled(path)
    message = str(err.value)
    assert message.startswith("acled.csv: ") and "--dayfirst" in message and "--monthfirst" in message
    assert str(tmp_path) not in message


def test_upper_case_headers_a_pandas_index_and_extra_columns_match_by_name(tmp_path):
    header = ["", *CURRENT, "my_extra"]
    names = ["", *(h.upper() for h in CURRENT), "my_extra"]
    path = write(tmp_path / "acled.csv", header, [row(1, **{"": "0", "my_extra": "kept"})], names=names)
    res = sources.read_file(path)
    assert res.source == "acled"
    got = by_id(res, "IRQ1")
    assert got.date_start == pd.Timestamp("2014-06-10") and got.killed_best == 3
    assert json.loads(got.original)["my_extra"] == "kept"

    header = ["Unnamed: 0", *CURRENT]
    res = sources.read_file(write(tmp_path / "again.csv", header, [row(1, **{"Unnamed: 0": "0"})]))
    assert res.source == "acled" and len(res.accepted) == 1


@pytest.mark.parametrize("marker", ["NA", "N/A", "NULL", "nan", "#N/A", ""])
def test_missing_value_markers_are_missing_never_text(tmp_path, marker):
    r = row(1, actor2=marker, admin3=marker, assoc_actor_1=marker, tags=marker)
    got = by_id(sources.read_acled(write(tmp_path / "acled.csv", CURRENT, [r])), "IRQ1")
    assert pd.isna(got.actor2) and pd.isna(got.admin3)
    original = json.loads(got.original)
    assert "assoc_actor_1" not in original and "tags" not in original


@pytest.mark.parametrize("inter1, expected", [("5", "Riots"), ("6", "Protests")])
def test_older_riots_protests_maps_by_the_actor_inter_code(tmp_path, inter1, expected):
    r = row(1, event_type="Riots/Protests", inter1=inter1, interaction=inter1 + "0", event_date="2015-04-02",
            year="2015")
    got = by_id(sources.read_acled(write(tmp_path / "acled.csv", OLDER, [r])), "IRQ1")
    assert got.event_type == expected
    assert json.loads(got.original)["event_type"] == "Riots/Protests"


def test_older_layout_types_map_onto_the_current_taxonomy(tmp_path):
    rows = [row(1, event_type="Remote violence"), row(2, event_type="Battle-No change of territory"),
            row(3, event_type="Battle-Government regains territory"),
            row(4, event_type="Violence against civilians", inter1="2")]
    res = sources.read_acled(write(tmp_path / "acled.csv", OLDER, rows))
    assert len(res.rejects) == 0, res.rejects.to_string()
    assert by_id(res, "IRQ1").event_type == "Explosions/Remote violence"
    assert by_id(res, "IRQ2").sub_event_type == "Armed clash"
    assert by_id(res, "IRQ4").event_type == "Violence against civilians"


@pytest.mark.parametrize("flag, day", [("--dayfirst", 5), ("--monthfirst", 9)])
def test_the_command_line_settles_an_open_day_month_order(tmp_path, flag, day):
    """The one message names --dayfirst / --monthfirst: both exist and decide the order."""
    import json
    import subprocess
    import sys

    rows = [row(1, event_date="5/9/2020", year="2020"), row(2, event_date="1/2/2020", year="2020")]
    path = write(tmp_path / "acled.csv", CURRENT, rows)
    gpkg = tmp_path / "s.gpkg"
    run = [sys.executable, "-m", "events", "import", str(path), "--store", str(gpkg), "--json"]
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(run, cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "--dayfirst" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([*run, flag], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["accepted"] == 2
    from events import store
    stored = store.load(gpkg).set_index("source_id")
    assert stored.loc["IRQ1", "date_start"] == pd.Timestamp(2020, 9 if day == 5 else 5, day)
