"""Annotations (events/annotations.py): stored in the user's store, validated, read back, placed on pages."""
import json
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from events import annotations, store
from tests.conftest import ROOT

HOSTILE = "x'); DROP TABLE annotations; --<script>alert(1)</script>"


def test_add_read_remove_in_a_store_made_before_notes_existed(tmp_path):
    path = store.create(tmp_path / "atlas.gpkg")
    assert annotations.read(path).empty   # no table yet: an empty frame, not an error
    first = annotations.add(path, date="2017-10-16", text="federal forces enter Kirkuk", author="A. Analyst")
    annotations.add(path, date="2014-06-10", text=HOSTILE)
    notes = annotations.read(path)
    assert list(notes.columns) == list(annotations.COLUMNS)
    assert list(notes["date"]) == [pd.Timestamp("2014-06-10"), pd.Timestamp("2017-10-16")]
    assert notes["text"].iloc[0] == HOSTILE   # stored as a value, never run
    assert list(annotations.read(path, start="2015-01-01", end="2017-12-31")["id"]) == [first["id"]]
    assert annotations.remove(path, first["id"]) == 1 and annotations.remove(path, first["id"]) == 0
    assert list(annotations.read(path)["text"]) == [HOSTILE]
    with sqlite3.connect(path) as con:   # the table is registered in the GeoPackage's contents
        assert con.execute("SELECT 1 FROM gpkg_contents WHERE table_name='annotations'").fetchone()


def test_text_is_cleaned_and_capped(tmp_path):
    path = tmp_path / "atlas.gpkg"
    note = annotations.add(path, date="2017-10-16", text="a\x00b\x07\tc\u202edone\nnext\u2029", author="B\x1b[31m")
    assert note["text"] == "a b cdone next" and note["author"] == "B [31m"
    with pytest.raises(annotations.AnnotationError, match="keep it to"):
        annotations.add(path, date="2017-10-16", text="x" * (annotations.MAX_TEXT + 1))
    with pytest.raises(annotations.AnnotationError, match="empty"):
        annotations.add(path, date="2017-10-16", text=" \x00 ")
    with pytest.raises(annotations.AnnotationError, match="not a date"):
        annotations.add(path, date="2017-13-40", text="x")
    with pytest.raises(annotations.AnnotationError, match="not a note's id"):
        annotations.remove(path, "1 OR 1=1")
    assert len(annotations.read(path)) == 1


def test_notes_are_placed_on_the_page_of_their_date_or_the_next():
    notes = annotations.combined(
        annotations._frame([{"id": 1, "date": "2017-10-16", "text": "a", "author": "", "created": ""},
                            {"id": 2, "date": "2015-03-01", "text": "b", "author": "", "created": ""},
                            {"id": 3, "date": "2019-01-01", "text": "late", "author": "", "created": ""}]),
        annotations.defaults(pd.DataFrame({"date": [pd.Timestamp("2017-10-16")], "description": ["a"]})))
    assert len(notes) == 3   # the same text on the same date once
    pages = annotations.placed(notes, ["2014-06-10", "2017-10-16", "2018-01-01"], since="2014-03-13")
    assert [list(p["text"]) for p in pages] == [[], ["b", "a"], []]


def test_annotate_from_the_command_line(tmp_path):
    path = str(tmp_path / "atlas.gpkg")

    def events(*args):
        return subprocess.run([sys.executable, "-m", "events", "annotate", *args, "--store", path], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    added = events("add", "--date", "2017-10-16", "--text", "federal forces enter Kirkuk", "--author", "A")
    assert added.returncode == 0 and "note 1 stored on 2017-10-16" in added.stdout
    listed = json.loads(events("list", "--json").stdout)
    assert listed[0]["text"] == "federal forces enter Kirkuk" and listed[0]["date"] == "2017-10-16"
    for bad in (("add", "--date", "someday", "--text", "x"), ("remove", "7")):
        run = events(*bad)
        assert run.returncode == 2 and run.stderr.startswith("error:") and "Traceback" not in run.stderr
    assert events("remove", "1").returncode == 0 and json.loads(events("list", "--json").stdout) == []
