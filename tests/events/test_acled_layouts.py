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


# ---------------------------------------------------------------- monadic exports (one row per actor)

# The monadic layout as ACLED's API and export tool write it (2024+): one row per actor, `inter1` and
# `interaction` as text, no actor2/assoc_actor_2/inter2 columns. Column order as acledR's
# acled_transform_wider(type = "api_monadic") joins them.
MONADIC = ("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
           "assoc_actor_1,inter1,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,"
           "latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp").split(",")


def actor_row(i, actor, inter, **values) -> dict:
    return row(i, **{"event_date": "10 June 2024", "year": "2024", "actor1": actor, "inter1": inter,
                     "interaction": "State forces-Rebel group", **values})


MONADIC_ROWS = [
    actor_row(1, "Military Forces of Iraq (2014-)", "State forces"),
    actor_row(1, "Islamic State (Iraq)", "Rebel group", assoc_actor_1="Test associate"),
    actor_row(1, "Civilians (Iraq)", "Civilians"),
    actor_row(2, "Protesters (Iraq)", "Protesters", event_type="Protests", sub_event_type="Peaceful protest",
              interaction="Protesters only", fatalities="0"),
    actor_row(3, "Military Forces of Iraq (2014-)", "State forces"),
    actor_row(3, "Military Forces of Iraq (2014-)", "State forces", assoc_actor_1="Police Forces of Iraq (2014-)"),
    actor_row(3, "Islamic State (Iraq)", "Rebel group"),
]


@pytest.mark.parametrize("chunksize", [1, 2, 3, 100_000])
def test_monadic_rows_of_one_event_are_one_incident_whatever_the_chunk_size(tmp_path, chunksize):
    res = sources.read_file(write(tmp_path / "acled.csv", MONADIC, MONADIC_ROWS), chunksize=chunksize)
    assert res.source == "acled" and len(res.rejects) == 0, res.rejects.to_string()
    assert sorted(res.accepted.source_id) == ["IRQ1", "IRQ2", "IRQ3"]
    one = by_id(res, "IRQ1")
    assert (one.actor1, one.actor2) == ("Military Forces of Iraq (2014-)", "Islamic State (Iraq)")
    assert one.killed_best == 3  # the event's toll, repeated on each actor's row: never summed (9)
    original = json.loads(one.original)
    assert original["inter1"] == "State forces" and original["inter1#2"] == "Rebel group"
    assert original["assoc_actor_1#2"] == "Test associate"
    assert (original["actor1#3"], original["inter1#3"]) == ("Civilians (Iraq)", "Civilians")
    assert original["_rows"] == "2,3,4"
    assert pd.isna(by_id(res, "IRQ2").actor2) and "_rows" not in json.loads(by_id(res, "IRQ2").original)
    three = by_id(res, "IRQ3")  # actor 2 is the second DISTINCT actor
    assert (three.actor1, three.actor2) == ("Military Forces of Iraq (2014-)", "Islamic State (Iraq)")
    assert json.loads(three.original)["assoc_actor_1#2"] == "Police Forces of Iraq (2014-)"


def test_a_monadic_row_disagreeing_on_its_event_is_rejected_not_merged(tmp_path):
    rows = [actor_row(1, "Military Forces of Iraq (2014-)", "State forces"),
            actor_row(1, "Islamic State (Iraq)", "Rebel group", fatalities="5")]
    res = sources.read_file(write(tmp_path / "acled.csv", MONADIC, rows))
    assert by_id(res, "IRQ1").killed_best == 3 and pd.isna(by_id(res, "IRQ1").actor2)
    rej = res.rejects.iloc[0]
    assert len(res.rejects) == 1 and (rej.row, rej.field, rej.value) == (3, "fatalities", "5")
    assert "row 2" in rej.reason and "different fatalities" in rej.reason


def test_a_monadic_row_far_from_its_event_is_merged_in_its_chunk_else_rejected_saying_why(tmp_path):
    rows = [actor_row(1, "Military Forces of Iraq (2014-)", "State forces"), actor_row(2, "Rioters (Iraq)", "Rioters"),
            actor_row(1, "Islamic State (Iraq)", "Rebel group")]
    path = write(tmp_path / "acled.csv", MONADIC, rows)
    res = sources.read_file(path)
    assert len(res.rejects) == 0 and by_id(res, "IRQ1").actor2 == "Islamic State (Iraq)"
    res = sources.read_file(path, chunksize=1)
    assert by_id(res, "IRQ1").actor1 == "Military Forces of Iraq (2014-)" and len(res.accepted) == 2
    rej = res.rejects.iloc[0]
    assert (rej.row, rej.field) == (4, "event_id_cnty")
    assert rej.reason.startswith("row 2 has the same event_id_cnty and was imported already") \
        and "next to each other" in rej.reason


def test_a_dyadic_file_keeps_rejecting_a_repeated_id(tmp_path):
    res = sources.read_file(write(tmp_path / "acled.csv", CURRENT, [row(1), row(1, actor1="Other actor")]))
    assert len(res.accepted) == 1
    assert res.rejects.iloc[0].reason == "duplicate incident_id: row 2 of this file has the same id"


def test_riots_protests_with_the_inter_code_written_as_text(tmp_path):
    r = row(1, event_type="Riots/Protests", inter1="Rioters", event_date="2015-04-02", year="2015")
    assert by_id(sources.read_acled(write(tmp_path / "acled.csv", OLDER, [r])), "IRQ1").event_type == "Riots"


# ---------------------------------------------------------------- older types

@pytest.mark.parametrize("given, sub, expected", [
    ("Remote violence", "", ("Explosions/Remote violence", None)),
    ("Battle-No change of territory", "", ("Battles", "Armed clash")),
    ("Battle-Government regains territory", "", ("Battles", "Government regains territory")),
    ("Battle-Non-state actor overtakes territory", "", ("Battles", "Non-state actor overtakes territory")),
    ("Violence against civilians", "", ("Violence against civilians", None)),
    ("Violence against civilians", "Attack", ("Violence against civilians", "Attack")),
    ("Violence against civilians", "Abduction/Forced disappearance",
     ("Violence against civilians", "Abduction/forced disappearance")),
    ("Violence against civilians", "Sexual Violence", ("Violence against civilians", "Sexual violence")),
])
def test_each_older_type_maps_onto_the_current_taxonomy_keeping_the_original(tmp_path, given, sub, expected):
    header = OLDER if not sub else [*OLDER[:8], "sub_event_type", *OLDER[8:]]
    got = by_id(sources.read_acled(write(tmp_path / "acled.csv", header,
                                         [row(1, event_type=given, sub_event_type=sub)])), "IRQ1")
    assert (got.event_type, None if pd.isna(got.sub_event_type) else got.sub_event_type) == expected
    original = json.loads(got.original)
    assert original["event_type"] == given and original.get("sub_event_type", "") == sub


# ---------------------------------------------------------------- the file's country as the swap hint

@pytest.mark.parametrize("country, iso, lat, lon", [
    ("Turkey", "792", "39.93", "32.86"),     # Ankara
    ("Turkey", "792", "41.01", "28.98"),     # Istanbul
    ("Ukraine", "804", "46.48", "30.72"),    # Odesa
    ("", "792", "39.93", "32.86"),           # the numeric iso alone says it
])
def test_real_points_outside_iraq_import(tmp_path, country, iso, lat, lon):
    r = row(1, country=country, iso=iso, latitude=lat, longitude=lon, admin1="", admin2="", admin3="")
    res = sources.read_acled(write(tmp_path / "acled.csv", CURRENT, [r]))
    assert len(res.rejects) == 0, res.rejects.to_string()
    assert by_id(res, "IRQ1").lat == float(lat)


@pytest.mark.parametrize("country, iso", [("Iraq", "368"), ("", "368")])
def test_an_iraq_row_with_swapped_coordinates_is_still_caught(tmp_path, country, iso):
    r = row(1, country=country, iso=iso, latitude="44.39", longitude="35.47")
    res = sources.read_acled(write(tmp_path / "acled.csv", CURRENT, [r]))
    assert len(res.accepted) == 0
    rej = res.rejects.iloc[0]
    assert (rej.row, rej.field, rej.reason) == (2, "latitude", "latitude and longitude look swapped")


# ---------------------------------------------------------------- headers as tools write them

def test_upper_case_headers(tmp_path):
    path = write(tmp_path / "acled.csv", CURRENT, [row(1), row(2)], names=[h.upper() for h in CURRENT])
    res = sources.read_file(path)
    assert res.source == "acled" and sorted(res.accepted.source_id) == ["IRQ1", "IRQ2"]


@pytest.mark.parametrize("index_name", ["", "Unnamed: 0"])
def test_an_unnamed_pandas_index_column_first(tmp_path, index_name):
    rows = [row(i, **{index_name: str(i - 1)}) for i in (1, 2, 3)]  # index values 0, 1, 2
    res = sources.read_file(write(tmp_path / "acled.csv", [index_name, *CURRENT], rows))
    assert res.source == "acled" and len(res.rejects) == 0
    assert sorted(res.accepted.source_id) == ["IRQ1", "IRQ2", "IRQ3"]
    assert by_id(res, "IRQ3").killed_best == 3 and by_id(res, "IRQ3").place == "Hawija"


def test_extra_columns_are_kept_in_original(tmp_path):
    rows = [row(1, analyst_flag="checked", **{"Kirkuk note": "x"})]
    res = sources.read_file(write(tmp_path / "acled.csv", [*CURRENT, "analyst_flag", "Kirkuk note"], rows))
    original = json.loads(by_id(res, "IRQ1").original)
    assert (original["analyst_flag"], original["Kirkuk note"]) == ("checked", "x")


def test_original_keeps_every_column_of_the_file(tmp_path):
    got = by_id(sources.read_acled(write(tmp_path / "acled.csv", CURRENT, [row(1, tags="crowd size=no report")])),
                "IRQ1")
    original = json.loads(got.original)
    given = {k: v for k, v in row(1, tags="crowd size=no report").items() if k in CURRENT and v}
    # every non-empty cell, except the notes (carried verbatim in `notes`, never rewritten)
    assert original == {k: v for k, v in given.items() if k != "notes"}
    assert got.notes == given["notes"]


def test_an_event_given_on_too_many_rows_merges_the_first_twenty(tmp_path):
    rows = [actor_row(1, f"Actor {n}", "Rebel group") for n in range(23)]
    res = sources.read_file(write(tmp_path / "acled.csv", MONADIC, rows))
    original = json.loads(by_id(res, "IRQ1").original)
    assert original["actor1#20"] == "Actor 19" and "actor1#21" not in original
    assert list(res.rejects.row) == [22, 23, 24]
    assert res.rejects.reason.str.startswith("more than 20 rows share this event_id_cnty (first: row 2)").all()


# ---------------------------------------------------------------- what the summary says

@pytest.mark.parametrize("chunksize", [1, 100_000])
def test_a_monadic_file_counts_its_rows_read_not_its_events(tmp_path, chunksize):
    res = sources.read_file(write(tmp_path / "acled.csv", MONADIC, MONADIC_ROWS), chunksize=chunksize)
    assert (res.rows_read, len(res.accepted)) == (7, 3)


def test_the_summary_says_how_numeric_dates_were_read(tmp_path):
    from events import store
    settled = write(tmp_path / "settled.csv", CURRENT, [row(1, event_date="13/05/2020", year="2020"),
                                                         row(2, event_date="05/09/2020", year="2020")])
    res = sources.read_file(settled)
    assert res.notes == ["numeric dates (such as 5/9/2020) read day first: the file's own dates settle it "
                         "(one has a part above 12)"]
    chosen = write(tmp_path / "chosen.csv", CURRENT, [row(1, event_date="5/9/2020", year="2020")])
    summary = store.import_file(tmp_path / "s.gpkg", chosen, dayfirst=False)
    assert summary.notes == ["numeric dates (such as 5/9/2020) read month first, as chosen"]
    assert summary.to_dict()["notes"] == summary.notes and summary.rows_read == 1
    iso = write(tmp_path / "iso.csv", CURRENT, [row(1, event_date="2020-09-05", year="2020")])
    assert sources.read_file(iso, dayfirst=True).notes == []   # nothing numeric to read either way
