"""Roles enforced by PostgreSQL (events.roles), against the session's real server (tests/postgis.py): what a
role may not do fails through the atlas's functions AND through plain SQL."""
import secrets
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import psycopg
import pytest

from events import edits, roles, store
from events.__main__ import main
from events.store import StoreError
from tests import postgis as server
from tests.events.factory import rows

ID = "testfile.csv:1"


@pytest.fixture
def team(request):
    """A store made by the server's superuser, with the roles set up and one user per role: role -> URL."""
    url = server.fresh_database(request.getfixturevalue("postgis_url"))
    store.import_frame(url, _rows(3), file="three.csv", source="table")
    store.add_gazetteer(url, pd.DataFrame([{"name": "Dibis", "lat": 35.65, "lon": 44.07}]), file="places.csv",
                        sha256="0" * 64, format="csv", licence="test")
    roles.setup(url)
    urls = {"owner": url}
    for role in roles.GROUPS:
        name = f"{role}_{secrets.token_hex(4)}"
        roles.add_user(url, name, role)
        urls[role] = _as(url, name)
    yield urls
    server.drop_database(url)


def _as(url, user):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.hostname}:{parts.port}"))


def _rows(n, *, start=1, dataset="testfile.csv"):
    return rows([{"date_start": "2016-10-21", "source_id": str(i), "place": "Dibis"} for i in range(start, start + n)],
                dataset=dataset)


def _sql(url, statement, params=()):
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(statement, params)


def _seen(url):
    return edits.current(url, ID)


def test_a_viewer_reads_but_cannot_change_anything_even_through_sql(team):
    viewer = team["viewer"]
    assert len(store.load(viewer)) == 3 and store.info(viewer)["incidents"] == 3
    for statement in ("INSERT INTO incidents (incident_id, import_id) VALUES ('x:1', 1)",
                      "UPDATE incidents SET notes = 'changed'", "DELETE FROM incidents",
                      "INSERT INTO incident_edits (incident_id, field, reason, at) VALUES ('x', 'notes', 'r', 'now')",
                      "DELETE FROM gazetteers", "TRUNCATE incidents"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _sql(viewer, statement)
    with pytest.raises(StoreError, match=r"^postgresql://viewer_\w+@127.0.0.1:\d+/atlas_\w+: cannot write to the "
                                         r"store \(permission denied for table \w+\); nothing was imported$"):
        store.import_frame(viewer, _rows(2, start=10), file="more.csv", source="table")
    with pytest.raises(StoreError, match="permission denied"):
        edits.edit(viewer, ID, {"notes": "x"}, reason="why", by="me", seen=_seen(viewer))
    assert store.info(team["owner"])["incidents"] == 3 and len(store.import_log(team["owner"])) == 1
    assert edits.history(team["owner"], ID).empty


def test_an_analyst_imports_and_edits_but_cannot_delete_nor_manage_gazetteers(team):
    analyst = team["analyst"]
    name = urlsplit(analyst).username
    summary = store.import_frame(analyst, _rows(2, start=3), file="more.csv", source="table")
    assert (summary.new, summary.updated) == (1, 1)
    done = edits.edit(analyst, ID, {"notes": "checked"}, reason="why", by="someone else", seen=_seen(analyst))
    assert done["edits"][0]["by"] == name and edits.history(analyst, ID)["by"].tolist() == [name]
    for statement in ("DELETE FROM incidents", "DELETE FROM gazetteer_entries", "DELETE FROM incident_edits",
                      "UPDATE incident_edits SET new = 'forged'", "INSERT INTO gazetteers (file, sha256, format, "
                      "licence, entries, skipped, imported_at) VALUES ('f', 's', 'csv', 'l', 0, 0, 'now')"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _sql(analyst, statement)
    with pytest.raises(StoreError, match="permission denied"):
        store.remove_gazetteer(analyst, "places.csv")
    with pytest.raises(StoreError, match="permission denied"):
        roles.add_user(analyst, f"x_{secrets.token_hex(3)}", "admin")
    assert len(store.gazetteers(team["owner"])) == 1 and store.info(team["owner"])["incidents"] == 4


def test_an_analyst_cannot_write_an_edit_under_another_users_name(team):
    analyst = team["analyst"]
    name = urlsplit(analyst).username
    insert = ('INSERT INTO incident_edits (incident_id, field, old, new, reason, "by", at) '
              "VALUES (%s, 'notes', NULL, 'forged', 'r', %s, '2024-01-01T00:00:00Z')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        _sql(analyst, insert, (ID, urlsplit(team["admin"]).username))
    _sql(analyst, insert, (ID, name))  # naming themselves is allowed
    assert edits.history(team["owner"], ID)["by"].tolist() == [name]


def test_an_admin_deletes_manages_gazetteers_and_users(team):
    admin = team["admin"]
    assert store.remove_gazetteer(admin, "places.csv") == 1
    _sql(admin, "DELETE FROM incidents WHERE incident_id = %s", ("testfile.csv:3",))
    assert store.info(admin)["incidents"] == 2
    edits.edit(admin, ID, {"notes": "by the admin"}, reason="why", by="", seen=_seen(admin))
    newcomer = f"new_{secrets.token_hex(4)}"
    assert roles.add_user(admin, newcomer, "viewer") == {"user": newcomer, "role": "viewer", "created": True}
    assert len(store.load(_as(admin, newcomer))) == 2
    assert roles.whoami(_as(admin, newcomer)) == {"user": newcomer, "role": "viewer"}


def test_setup_is_idempotent_and_users_are_listed_and_moved_between_roles(team):
    owner = team["owner"]
    roles.setup(owner)
    roles.setup(owner)
    listed = roles.users(owner)
    mine = {urlsplit(team[r]).username: r for r in roles.GROUPS}
    assert {u: r for u, r in listed[["user", "role"]].values if u in mine} == mine
    analyst = urlsplit(team["analyst"]).username
    assert roles.add_user(owner, analyst, "viewer")["created"] is False
    assert roles.whoami(team["analyst"]) == {"user": analyst, "role": "viewer"}
    with pytest.raises(StoreError, match="permission denied"):
        store.import_frame(team["analyst"], _rows(1, start=20), file="x.csv", source="table")
    assert roles.whoami(owner)["role"] == "admin"
    assert roles.whoami("atlas.gpkg") == {"user": None, "role": "admin"}


@pytest.mark.parametrize("name, role, message", [
    ('x"; DROP ROLE postgres; --', "viewer", "cannot be a user's name"),
    ("Alice", "viewer", "cannot be a user's name"),
    ("atlas_admin", "viewer", "cannot be a user's name"),
    ("pg_monitor", "viewer", "cannot be a user's name"),
    ("bob", "superuser", "is not a role"),
    ("postgres", "admin", "cannot be a user's name"),
])
def test_bad_user_names_and_roles_are_refused(team, name, role, message):
    with pytest.raises(StoreError, match=message):
        roles.add_user(team["owner"], name, role)


def test_a_user_with_a_password_signs_in_with_it(team):
    owner = team["owner"]
    name = f"pw_{secrets.token_hex(4)}"
    roles.add_user(owner, name, "viewer", password="it's a \"secret\"; --")
    with psycopg.connect(owner, autocommit=True) as con:
        stored = con.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (name,)).fetchone()[0]
    assert stored.startswith("SCRAM-SHA-256$")


def test_roles_need_a_postgis_store(tmp_path):
    with pytest.raises(StoreError, match="roles are a PostGIS store's"):
        roles.setup(tmp_path / "atlas.gpkg")


def test_the_command_line_sets_up_adds_and_lists(team, capsys):
    owner = team["owner"]
    assert main(["roles", "setup", "--store", owner]) == 0
    name = f"cli_{secrets.token_hex(4)}"
    assert main(["roles", "add-user", name, "analyst", "--store", owner]) == 0
    assert main(["roles", "list", "--store", owner]) == 0
    out = capsys.readouterr().out
    assert f"{name}\tanalyst" in out
    assert main(["roles", "add-user", "Bad Name", "analyst", "--store", owner]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be a user's name" in err
