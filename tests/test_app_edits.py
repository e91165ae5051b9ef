"""Correcting an incident from the page (team mode): the form in the details panel stores a correction with
who and why, the page shows the corrected data, the history lists it and a change is undone; a second
analyst whose form is stale is told, not overwritten; on PostGIS a viewer gets no form (the database would
refuse anyway) and an analyst's correction is recorded under their database user. AppTest, real stores."""
import secrets
from urllib.parse import urlsplit, urlunsplit

import pytest
from streamlit.testing.v1 import AppTest

from events import edits, roles, store
from tests.test_app import APP, no_errors, text_of

ID = "cur-2013-001"   # the 16 Jan 2013 KDP headquarters bombing in Kirkuk


def _page(monkeypatch, where) -> AppTest:
    monkeypatch.setenv("ATLAS_STORE", str(where))
    monkeypatch.setattr(store, "DEFAULT_PATH", where)   # read when events.store was imported
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"window": ["2013-01-16", "2013-01-16"], "sel": ID})
    at.run()
    no_errors(at)
    return at


def _correct(at, fields: dict, *, reason: str, editor: str | None = "A. Analyst") -> AppTest:
    for field, value in fields.items():
        at.text_input(key=f"edit|{ID}|{field}").input(value)
    at.text_input(key=f"edit_reason|{ID}").input(reason)
    if editor is not None:
        at.text_input(key="editor").input(editor)
    next(b for b in at.button if b.label == "Save the correction").click().run()
    return at


def _texts(at) -> str:
    return text_of(" ".join(str(e.value) for kind in ("error", "success", "caption", "markdown") for e in at.get(kind)))


@pytest.fixture
def on_file(tmp_path, monkeypatch):
    path = store.open_store(tmp_path / "atlas.gpkg")
    return path, _page(monkeypatch, path)


def test_a_correction_from_the_page_is_stored_shown_listed_and_undone(on_file):
    path, at = on_file
    low_before = edits.current(path, ID)["killed_low"]
    _correct(at, {"killed_low": "12"}, reason="the later official count")
    no_errors(at)
    assert "1 field corrected." in _texts(at)
    assert edits.current(path, ID)["killed_low"] == "12"
    assert store.load(path).set_index("incident_id").loc[ID, "killed_low"] == 12
    past = edits.history(path, ID)
    assert past[["field", "old", "new", "reason", "by"]].values.tolist() == [
        ["killed_low", low_before, "12", "the later official count", "A. Analyst"]]
    assert any("the later official count" in df.value.to_csv() for df in at.dataframe)   # the history on screen
    at.text_input(key=f"revert_reason|{ID}").input("misread the report")
    at.button(key=f"revert|{ID}").click().run()
    no_errors(at)
    assert edits.current(path, ID)["killed_low"] == low_before
    assert edits.history(path, ID)["reverts"].tolist()[-1] == past["id"].iloc[0]


def test_an_empty_reason_or_a_bad_value_is_refused_in_one_line_and_nothing_is_stored(on_file):
    path, at = on_file
    _correct(at, {"killed_low": "12"}, reason="")
    assert "Not saved" in _texts(at) and edits.history(path, ID).empty
    _correct(at, {"date_start": "2013-02-30"}, reason="typo")
    assert "Not saved" in _texts(at) and "date_start" in _texts(at) and edits.history(path, ID).empty
    no_errors(at)


def test_a_second_analyst_with_a_stale_form_is_told_who_changed_the_field(on_file, monkeypatch):
    path, first = on_file
    second = _page(monkeypatch, path)          # both forms show the same stored values
    _correct(first, {"killed_high": "30"}, reason="AFP's later figure", editor="Amira")
    assert edits.current(path, ID)["killed_high"] == "30"
    _correct(second, {"killed_high": "35"}, reason="another report", editor="Bilal")
    said = _texts(second)
    assert "Not saved" in said and "killed_high" in said and "Amira" in said
    assert edits.current(path, ID)["killed_high"] == "30"    # not silently overwritten
    _correct(second, {"killed_high": "35"}, reason="another report, seen Amira's", editor="Bilal")
    assert edits.current(path, ID)["killed_high"] == "35"    # the form now shows the stored value: saved


def _as(url: str, user: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.hostname}:{parts.port}"))


def test_on_postgis_a_viewer_gets_no_form_and_an_analyst_edits_under_their_database_name(fresh_url, monkeypatch,
                                                                                           tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    store.open_store(fresh_url)              # the owner loads the curated set, then sets up the team
    roles.setup(fresh_url)
    names = {role: f"{role}_{secrets.token_hex(3)}" for role in ("viewer", "analyst")}
    for role, name in names.items():
        roles.add_user(fresh_url, name, role)
    viewer = _page(monkeypatch, _as(fresh_url, names["viewer"]))
    assert f"Signed in as {names['viewer']} (viewer): you can read, not correct, incidents." in _texts(viewer)
    assert not [b for b in viewer.button if b.label == "Save the correction"]
    analyst = _page(monkeypatch, _as(fresh_url, names["analyst"]))
    assert any(f"Signed in as {names['analyst']} (analyst)" in text_of(c.value) for c in analyst.sidebar.caption)
    _correct(analyst, {"killed_low": "12"}, reason="the later official count", editor=None)
    no_errors(analyst)
    assert edits.history(fresh_url, ID)["by"].tolist() == [names["analyst"]]
