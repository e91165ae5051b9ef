"""Roles of a team's PostGIS store, enforced by PostgreSQL itself (grants and row-level security), so what a
role may not do it cannot do through the page, the command line or plain SQL either.

Three group roles (NOLOGIN), made by `setup` (run by an administrator of the server; safe to run again,
e.g. after an upgrade added tables):

* atlas_viewer  reads every table of the store.
* atlas_analyst reads; imports (INSERT and UPDATE of incidents, the import log, rejects, place evidence);
                appends edits (events.edits), notes, review decisions and control areas. No DELETE of
                incidents, no gazetteer management, no users.
* atlas_admin   everything: DELETE, gazetteers, actor mappings, users (its users may create roles).

Each person signs in with their own LOGIN role, a member of one group (`add_user`). The edit table has
row-level security: anyone may read it, but a row may only be inserted naming its writer (`by` =
current_user, which is also its default), so the audit trail names the database's user, not free text.
Role names are checked here and always quoted as identifiers (psycopg.sql), never formatted from data.
A GeoPackage store has no roles: who may write it is who may write the file.
"""
from __future__ import annotations

import re

import pandas as pd
import psycopg
from psycopg import sql

from events import postgis, store
from events.store import StoreError

GROUPS = {"viewer": "atlas_viewer", "analyst": "atlas_analyst", "admin": "atlas_admin"}
# What an analyst may add to (besides importing): edits, notes, review decisions, control areas (when a store has them).
ANALYST_APPENDS = ("incident_edits", "annotations", "match_decisions", "control_areas")
ANALYST_IMPORTS = {"incidents": ("INSERT", "UPDATE"), "import_log": ("INSERT", "UPDATE"), "rejects": ("INSERT",),
                   "place_evidence": ("INSERT", "DELETE")}  # an import re-derives the place evidence it touched
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _url(url) -> str:
    if not store.is_url(url):
        raise StoreError(f"{store.label(url)}: roles are a PostGIS store's (a postgresql:// URL); who may change "
                         "a GeoPackage is who may write its file")
    return url.strip()


def _run(url: str, work, *, what: str):
    """`work(con)` in one transaction on the store's database; any database error is one StoreError line."""
    with postgis._connection(url) as con:
        try:
            with con.transaction():
                return work(con)
        except psycopg.Error as exc:
            raise postgis._error(url, f"{what} ({exc})") from None


def _exists(con: psycopg.Connection, role: str) -> bool:
    return con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def setup(url: str) -> dict:
    """Make the group roles, their grants on the store's tables and the edit table's row-level security (the
    store's tables are made first). Idempotent: grants are set afresh each time. Needs a role that may create
    roles and owns the tables (the store's owner, e.g. the one that made it). Returns what it set."""
    url = _url(url)
    store.create(url)

    def work(con: psycopg.Connection) -> dict:
        made = []
        for role in GROUPS.values():
            if not _exists(con, role):
                con.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
                made.append(role)
        schema = sql.Identifier(con.execute("SELECT current_schema()").fetchone()[0])
        viewer, analyst, admin = (sql.Identifier(GROUPS[k]) for k in ("viewer", "analyst", "admin"))
        groups = sql.SQL(", ").join([viewer, analyst, admin])
        con.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, groups))
        con.execute(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema, groups))
        con.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, groups))
        con.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, groups))
        con.execute(sql.SQL("GRANT ALL ON ALL TABLES IN SCHEMA {} TO {}").format(schema, admin))
        con.execute(sql.SQL("GRANT ALL ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, admin))
        con.execute(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, analyst))
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
        grants = {**{t: ("INSERT",) for t in ANALYST_APPENDS}, **ANALYST_IMPORTS}
        for table, rights in grants.items():
            if table in present:
                con.execute(sql.SQL("GRANT {} ON {} TO {}").format(
                    sql.SQL(", ").join(map(sql.SQL, rights)), sql.Identifier(table), analyst))
        for default in ("GRANT SELECT ON TABLES TO {v}, {a}", "GRANT ALL ON TABLES TO {d}"):
            con.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {s} " + default).format(
                s=schema, v=viewer, a=analyst, d=admin))
        con.execute("ALTER TABLE incident_edits ENABLE ROW LEVEL SECURITY")
        for policy in ("atlas_edits_read", "atlas_edits_own", "atlas_edits_admin_delete"):
            con.execute(sql.SQL("DROP POLICY IF EXISTS {} ON incident_edits").format(sql.Identifier(policy)))
        con.execute("CREATE POLICY atlas_edits_read ON incident_edits FOR SELECT USING (true)")
        con.execute(sql.SQL('CREATE POLICY atlas_edits_own ON incident_edits FOR INSERT TO {}, {} '
                            'WITH CHECK ("by" = current_user)').format(analyst, admin))
        con.execute(sql.SQL("CREATE POLICY atlas_edits_admin_delete ON incident_edits FOR DELETE TO {} "
                            "USING (true)").format(admin))
        return {"made": made, "groups": list(GROUPS.values())}

    return _run(url, work, what="cannot set up the roles (run it as the store's owner, allowed to create roles)")


def check_name(name) -> str:
    """A user's role name: lower-case letters, digits and _, at most 63, not a group's nor a system role's."""
    text = str(name or "").strip()
    if not _NAME.fullmatch(text) or text.startswith("pg_") or text in GROUPS.values() or text in ("public",
                                                                                                   "postgres"):
        raise StoreError(f"{text[:40]!r} cannot be a user's name: use lower-case letters, digits and _ "
                         "(at most 63, not starting with a digit or pg_, not a group's name)")
    return text


def add_user(url: str, name: str, role: str, password: str | None = None) -> dict:
    """Create a LOGIN role `name` in one group (`role`: viewer, analyst or admin); an existing user of ours
    is moved to that group (their other groups revoked). An admin's user may create roles (add users)."""
    url = _url(url)
    name = check_name(name)
    if role not in GROUPS:
        raise StoreError(f"{str(role)[:40]!r} is not a role: {', '.join(GROUPS)}")

    def work(con: psycopg.Connection) -> dict:
        missing = [g for g in GROUPS.values() if not _exists(con, g)]
        if missing:
            raise postgis._error(url, "the roles are not set up: run `python -m events roles setup` first")
        user = sql.Identifier(name)
        found = con.execute("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if found is not None and (found[1] or not found[0]):
            raise postgis._error(url, f"{name!r} is a role that is not a user of the atlas; it was left unchanged")
        options = [sql.SQL("LOGIN"), sql.SQL("CREATEROLE" if role == "admin" else "NOCREATEROLE")]
        if password is not None:
            options += [sql.SQL("PASSWORD"), sql.Literal(str(password))]
        verb = "CREATE" if found is None else "ALTER"
        con.execute(sql.SQL(verb + " ROLE {} {}").format(user, sql.SQL(" ").join(options)))
        for other in GROUPS.values():
            if other != GROUPS[role]:
                con.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), user))
        con.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(GROUPS[role]), user))
        return {"user": name, "role": role, "created": found is None}

    return _run(url, work, what=f"cannot add the user {name!r}")


def users(url: str) -> pd.DataFrame:
    """The atlas's users (members of its groups): user, role, can_login."""
    url = _url(url)

    def work(con: psycopg.Connection) -> list:
        return con.execute(
            "SELECT m.rolname, g.rolname, m.rolcanlogin FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
            "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = ANY(%s) ORDER BY 1, 2",
            (list(GROUPS.values()),)).fetchall()

    group_of = {g: k for k, g in GROUPS.items()}
    rows = [(u, group_of[g], bool(c)) for u, g, c in _run(url, work, what="cannot list the users")]
    return pd.DataFrame(rows, columns=["user", "role", "can_login"])


def whoami(where) -> dict:
    """Who the store sees and their role, for the page to show and to hide what the role cannot do:
    {"user", "role"}; a PostGIS superuser or the store's owner is "admin", a user in none of the groups
    None; a GeoPackage store has no roles ({"user": None, "role": "admin"})."""
    if not store.is_url(where):
        return {"user": None, "role": "admin"}
    url = where.strip()

    def work(con: psycopg.Connection) -> dict:
        user, superuser, owner = con.execute(
            "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
            "pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = to_regclass('incidents')), "
            "'USAGE')").fetchone()
        if superuser or owner:
            return {"user": user, "role": "admin"}
        for role in ("admin", "analyst", "viewer"):
            if _exists(con, GROUPS[role]) and con.execute("SELECT pg_has_role(current_user, %s, 'USAGE')",
                                                          (GROUPS[role],)).fetchone()[0]:
                return {"user": user, "role": role}
        return {"user": user, "role": None}

    return _run(url, work, what="cannot tell who is signed in")
