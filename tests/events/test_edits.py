"""Edits of incidents under an audit trail (events.edits), on BOTH backends: a GeoPackage file and a PostGIS
database on the session's real server (tests/postgis.py)."""
import json
import threading

import pandas as pd
import psycopg
import pytest

from events import edits, model, store
from events.__main__ import main
from tests.events.factory import rows

HOSTILE = ("it's \"quoted\"; '; DROP TABLE incident_edits; -- nul:\x00: rtl:\u202eevil\u202c esc:\ue000 \\N \\. "
           "lines:\nsecond\r\n\\.\nlast,\"x\"")
ID = "testfile.csv:1"


@pytest.fixture(params=["gpkg", "postgis"])
def where(request, tmp_path):
    """A store holding three incidents: a GeoPackage path or a postgresql:// URL."""
    place = tmp_path / "atlas.gpkg" if request.param == "gpkg" else request.getfixturevalue("fresh_url")
    store.import_frame(place, _three(), file="three.csv", source="table")
    return place


def _three():
    return rows([{"date_start": "2015-01-30", "place": "كركوك", "killed_best": 6},
                 {"date_start": "2016-10-21", "place": "Dibis", "killed_low": 12, "killed_high": 16},
                 {"date_start": "2021-09-05", "place": "الرشاد", "notes": "ملاحظة"}])


def _row(where, incident_id=ID):
    frame = store.load(where)
    return frame[frame["incident_id"] == incident_id].iloc[0]


def _editor(where, name):
    """The name the store records for an editor: the database's user on PostGIS, the given name otherwise."""
    if store.is_url(where):
        with psycopg.connect(where) as con:
            return con.execute("SELECT current_user").fetchone()[0]
    return name


def test_an_edit_changes_what_load_shows_and_the_trail_says_who_when_what_and_why(where):
    seen = _row(where)
    done = edits.edit(where, ID, {"killed_low": 7, "killed_best": "7", "killed_high": "9", "notes": HOSTILE,
                                  "date_start": "2015-01-29", "place": " Kirkuk citadel "},
                      reason="Reuters: 7 dead; '; DROP TABLE incidents; -- «قتلى»", by="alice", seen=seen.to_dict())
    assert [e["field"] for e in done["edits"]] == ["killed_low", "killed_best", "killed_high", "notes",
                                                   "date_start", "place"]
    row = _row(where)
    assert (row["killed_low"], row["killed_best"], row["killed_high"]) == (7, 7, 9)
    assert row["notes"] == HOSTILE and row["place"] == "Kirkuk citadel"
    assert row["date_start"] == pd.Timestamp("2015-01-29") and row["date_end"] == pd.Timestamp("2015-01-30")
    assert len(store.load(where)) == 3
    trail = edits.history(where, ID)
    assert list(trail.columns) == list(edits.HISTORY_COLUMNS)
    assert trail[["field", "old", "new"]].values.tolist() == [
        ["killed_low", "6", "7"], ["killed_best", "6", "7"], ["killed_high", "6", "9"], ["notes", None, HOSTILE],
        ["date_start", "2015-01-30", "2015-01-29"], ["place", "كركوك", "Kirkuk citadel"]]
    assert set(trail["by"]) == {_editor(where, "alice")}
    assert set(trail["reason"]) == {"Reuters: 7 dead; '; DROP TABLE incidents; -- «قتلى»"}
    assert trail["at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all() and trail["reverts"].isna().all()
    assert edits.history(where, "testfile.csv:2").empty


def test_a_reimport_of_the_same_file_never_undoes_a_correction(where):
    edits.edit(where, ID, {"notes": "corrected by hand", "confidence": "high"}, reason="checked the report",
               by="alice", seen=_row(where).to_dict())
    again = store.import_frame(where, _three(), file="three.csv", source="table")
    assert again.updated == 3
    row = _row(where)
    assert (row["notes"], row["confidence"]) == ("corrected by hand", "high")
    assert _row(where, "testfile.csv:3")["notes"] == "ملاحظة"


def test_the_data_version_and_the_stamp_change_with_every_edit(where):
    versions, stamps = [store.info(where)["data_version"]], [store.stamp(where)]
    for n in (1, 2):
        edits.edit(where, ID, {"notes": f"note {n}"}, reason="why", by="alice", seen=_row(where).to_dict())
        versions.append(store.info(where)["data_version"])
        stamps.append(store.stamp(where))
    assert len(set(versions)) == 3 and len(set(stamps)) == 3
    assert {v.split(".")[0] for v in versions} == {"1"}  # still one import


def test_the_same_imports_and_edits_give_the_same_data_version_on_both_backends(tmp_path, fresh_url):
    out = []
    for place in (tmp_path / "atlas.gpkg", fresh_url):
        store.import_frame(place, _three(), file="three.csv", source="table")
        edits.edit(place, ID, {"notes": HOSTILE}, reason="why", by="alice", seen=_row(place).to_dict())
        out.append((store.info(place)["data_version"], model.to_records(store.load(place))))
    assert out[0][0] == out[1][0]
    pd.testing.assert_frame_equal(out[0][1], out[1][1], check_dtype=False)


def test_the_second_editor_is_told_not_silently_overwritten(where):
    seen = _row(where).to_dict()  # both analysts opened the incident at once
    edits.edit(where, ID, {"place": "Kirkuk"}, reason="spelling", by="alice", seen=seen)
    before = edits.history(where, ID)
    with pytest.raises(edits.EditConflict) as told:
        edits.edit(where, ID, {"place": "Karkuk", "notes": "x"}, reason="mine", by="bob", seen=seen)
    first = _editor(where, "alice")
    assert (told.value.field, told.value.stored, told.value.by) == ("place", "Kirkuk", first)
    assert told.value.at == before["at"].iloc[-1]
    message = str(told.value)
    assert "place" in message and "'Kirkuk'" in message and first in message and before["at"].iloc[-1] in message
    pd.testing.assert_frame_equal(edits.history(where, ID), before)
    assert _row(where)["place"] == "Kirkuk" and pd.isna(_row(where)["notes"])
    # a field the first did not touch can still be edited from what the second saw
    edits.edit(where, ID, {"notes": "x"}, reason="mine", by="bob", seen=seen)
    assert _row(where)["notes"] == "x"


def test_two_editors_at_once_one_is_stored_and_the_other_told(where):
    seen = _row(where).to_dict()
    results, barrier = {}, threading.Barrier(2)

    def run(name):
        barrier.wait()
        try:
            results[name] = edits.edit(where, ID, {"killed_low": 5, "killed_best": 5, "killed_high": 5},
                                       reason=f"{name}'s count", by=name, seen=seen)
        except edits.EditConflict as exc:
            results[name] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    told = [r for r in results.values() if isinstance(r, edits.EditConflict)]
    assert len(told) == 1 and told[0].field == "killed_low"
    assert len(edits.history(where, ID)) == 3


def test_an_import_that_changed_the_field_since_is_named(where):
    seen = _row(where).to_dict()
    store.import_frame(where, _three().assign(notes="from the new file"), file="three-v2.csv", source="table")
    with pytest.raises(edits.EditConflict, match=r"notes is now 'from the new file' \(set by import 2 \(three-v2.csv\)"):
        edits.edit(where, ID, {"notes": "mine"}, reason="why", by="alice", seen=seen)


@pytest.mark.parametrize("changes, field", [
    ({"killed_best": -3}, "killed_best"),
    ({"killed_best": "7"}, "killed_high"),       # best above the stored high: give low, best, high together
    ({"lat": 200}, "lat"),
    ({"date_start": "30th of Febtember"}, "date_start"),
    ({"date_end": "2015-01-01"}, "date_end"),
    ({"date_precision": "fortnight"}, "date_precision"),
    ({"confidence": None}, "confidence"),
    ({"sources": "[]"}, "sources"),
])
def test_an_invalid_value_is_one_error_naming_the_field_and_nothing_is_stored(where, changes, field):
    with pytest.raises(edits.EditError, match=rf"^incident {ID}: {field} .*; nothing was changed$"):
        edits.edit(where, ID, changes, reason="why", by="alice", seen=_row(where).to_dict())
    assert edits.history(where, ID).empty


def test_edits_are_refused_without_reason_field_incident_or_what_was_seen(where):
    seen = _row(where).to_dict()
    with pytest.raises(edits.EditError, match="reason"):
        edits.edit(where, ID, {"notes": "x"}, reason=" \n\u202e ", by="alice", seen=seen)
    with pytest.raises(edits.EditError, match="'incident_id' cannot be edited"):
        edits.edit(where, ID, {"incident_id": "x"}, reason="why", by="alice", seen=seen)
    with pytest.raises(edits.EditError, match="no incident 'nope:1'"):
        edits.edit(where, "nope:1", {"notes": "x"}, reason="why", by="alice", seen=seen)
    with pytest.raises(edits.EditError, match="which value of notes you saw"):
        edits.edit(where, ID, {"notes": "x"}, reason="why", by="alice", seen={})
    assert edits.history(where, ID).empty
    assert edits.edit(where, ID, {"place": "كركوك"}, reason="same", by="alice", seen=seen)["edits"] == []


def test_a_reason_is_cleaned_like_a_note(where):
    edits.edit(where, ID, {"notes": "x"}, reason="  two\nlines \u202eevil\u202c\x00 ", by="alice",
               seen=_row(where).to_dict())
    assert edits.history(where, ID)["reason"].tolist() == ["two lines evil"]


def test_revert_restores_the_old_value_and_keeps_both_in_the_trail(where):
    edits.edit(where, ID, {"notes": "wrong", "place": "Kirkuk"}, reason="first", by="alice", seen=_row(where).to_dict())
    notes_edit = int(edits.history(where, ID).set_index("field").loc["notes", "id"])
    done = edits.revert(where, notes_edit, by="bob", reason="the note was wrong")
    assert [(e["field"], e["old"], e["new"], e["reverts"]) for e in done["edits"]] == [
        ("notes", "wrong", None, notes_edit)]
    row = _row(where)
    assert pd.isna(row["notes"]) and row["place"] == "Kirkuk"
    trail = edits.history(where, ID)
    assert len(trail) == 3 and trail["reverts"].iloc[-1] == notes_edit
    place_edit = int(trail.set_index("field").loc["place", "id"])
    edits.edit(where, ID, {"place": "Karkuk"}, reason="second", by="carol", seen=_row(where).to_dict())
    with pytest.raises(edits.EditConflict, match="place is now 'Karkuk'"):
        edits.revert(where, place_edit, by="bob", reason="undo")
    with pytest.raises(edits.EditError, match="no edit 999"):
        edits.revert(where, 999, by="bob", reason="undo")
    with pytest.raises(edits.EditError, match="not an edit's id"):
        edits.revert(where, "1; DROP TABLE incident_edits", by="bob", reason="undo")


def test_the_command_line_edits_shows_the_history_and_reverts(where, capsys):
    target = str(where)
    assert main(["edit", ID, "--set", "notes=it's; DROP TABLE x", "--set", "killed_low=6", "--reason", "checked",
                 "--by", "alice", "--store", target]) == 0
    assert "1 field changed" in capsys.readouterr().out
    assert _row(where)["notes"] == "it's; DROP TABLE x"
    assert main(["edit", "history", ID, "--store", target]) == 0
    out = capsys.readouterr().out
    assert "notes" in out and "it's; DROP TABLE x" in out and "checked" in out
    assert main(["edit", "history", ID, "--store", target, "--json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert (record["field"], record["new"], record["reason"]) == ("notes", "it's; DROP TABLE x", "checked")
    assert main(["edit", "revert", str(record["id"]), "--reason", "undo", "--by", "bob", "--store", target]) == 0
    assert pd.isna(_row(where)["notes"])
    capsys.readouterr()
    assert main(["edit", ID, "--set", "killed_best=-1", "--reason", "x", "--by", "a", "--store", target]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: incident testfile.csv:1: killed_best '-1': negative")
    assert main(["edit", ID, "--set", "notes", "--reason", "x", "--by", "a", "--store", target]) == 2
    assert "FIELD=VALUE" in capsys.readouterr().err
