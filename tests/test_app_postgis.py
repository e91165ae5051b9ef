"""The page on a shared PostGIS store (team mode): the same page and the same counts as on a GeoPackage, and
an import by another analyst seen by the next rerun (AppTest; a real throw-away server, tests/postgis.py)."""
import pytest
from streamlit.testing.v1 import AppTest

from events import store
from tests.events.factory import rows
from tests.test_app import APP, incidents, no_errors


def _page(monkeypatch, tmp_path, where) -> AppTest:
    monkeypatch.setenv("ATLAS_STORE", str(where))
    monkeypatch.setattr(store, "DEFAULT_PATH", where)   # read when events.store was imported
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))   # a URL store's columnar cache goes there
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    no_errors(at)
    return at


def test_the_page_on_postgis_shows_what_it_shows_on_a_geopackage_and_sees_another_analysts_import(
        fresh_url, tmp_path, monkeypatch):
    on_file = incidents(_page(monkeypatch, tmp_path, tmp_path / "atlas.gpkg"))
    at = _page(monkeypatch, tmp_path, fresh_url)
    assert incidents(at) == on_file > 0
    assert list((tmp_path / "cache" / "kirkuk-atlas").iterdir())   # cached beside the user, not in the cwd
    assert "secret" not in str(list((tmp_path / "cache").rglob("*")))
    # another analyst imports into the shared store: the next rerun of this page counts it
    store.import_frame(fresh_url, rows([{"date_start": "2016-06-01", "date_end": "2016-06-01", "place": "Hawija"}],
                                      dataset="colleague.csv"), file="colleague.csv", source="table")
    at.run()
    no_errors(at)
    assert incidents(at) == on_file + 1
