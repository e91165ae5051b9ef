"""The team store: PostgreSQL + PostGIS, with the same behaviour as the embedded GeoPackage (events.store).

events.store dispatches here when the store's location is a ``postgresql://`` URL; every public function
has the name and signature of its GeoPackage twin there. The tables are the GeoPackage's (incidents with a
PostGIS geometry(Point,4326) beside the canonical columns of events/model.py, UNIQUE incident_id,
import_log, rejects, gazetteers, gazetteer_entries, place_evidence, match_decisions, actor_aliases,
annotations, incident_edits) plus `atlas_schema` holding the schema version. Times are ISO 8601 UTC text, as in the
GeoPackage, so both backends give equal frames.

An import is ONE transaction: its rows are COPied into a temporary table first, then the store's write lock
(a transaction-level advisory lock) is taken and they are upserted on incident_id with one INSERT … ON
CONFLICT; a concurrent import waits for the lock (with progress lines), readers see the store before or
after, never half. SQL takes data only as parameters; identifiers come from our own column lists.
PostgreSQL text cannot hold NUL: a NUL is stored as U+E000 "0" (and U+E000 itself as U+E000 "1"), so any
text is read back verbatim. Errors are one StoreError line naming the store without its password.
"""
from __future__ import annotations

import io
import re
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import psycopg.conninfo
import psycopg.errors

from events import actors, model, store
from events.store import LOCK_TIMEOUT, MAX_REJECT_LINES, ImportSummary, StoreError

SCHEMA_VERSION = 1
_WRITE_LOCK = 0x4B4B_4154_4C53_0001  # advisory lock key held by every write transaction of the atlas
_SCHEMA_LOCK = 0x4B4B_4154_4C53_0002  # held while the schema is made
_ESC = "\ue000"  # escape of NUL (which PostgreSQL text cannot hold): NUL -> ESC "0", ESC -> ESC "1"

# Corrections of incidents, append-only (events.edits): the database names the editor (`by` is current_user;
# events.roles lets an analyst insert only rows naming themselves, with row-level security).
_EDITS_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS incident_edits (id bigserial PRIMARY KEY, incident_id text NOT NULL,
        field text NOT NULL, old text, new text, reason text NOT NULL, "by" text NOT NULL DEFAULT current_user,
        at text NOT NULL, reverts bigint)""",
    "CREATE INDEX IF NOT EXISTS incident_edits_of ON incident_edits (incident_id)",
]
_PG_TYPES = {**{c: "text" for c in model.TEXT_COLUMNS}, **{c: "integer" for c in model.COUNT_COLUMNS},
             "geo_precision": "integer", "lat": "double precision", "lon": "double precision",
             "date_start": "date", "date_end": "date"}
_CANONICAL = ", ".join(f'"{c}" {_PG_TYPES[c]}' for c in model.COLUMNS)
_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS atlas_schema (version integer NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS incidents (fid bigserial PRIMARY KEY, geom geometry(Point, 4326),
        {_CANONICAL}, import_id bigint NOT NULL, UNIQUE (incident_id))""",
    "CREATE INDEX IF NOT EXISTS incidents_dates ON incidents (date_start, date_end)",
    "CREATE INDEX IF NOT EXISTS incidents_dataset ON incidents (source_dataset)",
    "CREATE INDEX IF NOT EXISTS incidents_geom ON incidents USING gist (geom)",
    """CREATE TABLE IF NOT EXISTS import_log (fid bigserial PRIMARY KEY, file text NOT NULL, sha256 text NOT NULL,
        source text NOT NULL, rows_read bigint NOT NULL, accepted bigint NOT NULL, rejected bigint NOT NULL,
        new bigint NOT NULL, updated bigint NOT NULL, imported_at text NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS rejects (fid bigserial PRIMARY KEY, import_id bigint NOT NULL, file text,
        "row" bigint, field text, value text, reason text)""",
    "CREATE INDEX IF NOT EXISTS rejects_of ON rejects (import_id)",
    """CREATE TABLE IF NOT EXISTS gazetteers (fid bigserial PRIMARY KEY, file text NOT NULL, sha256 text NOT NULL,
        format text NOT NULL, licence text NOT NULL, entries bigint NOT NULL, skipped bigint NOT NULL,
        imported_at text NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS gazetteer_entries (fid bigserial PRIMARY KEY, gazetteer_id bigint NOT NULL,
        name text NOT NULL, name_ar text, alternates text, lat double precision NOT NULL,
        lon double precision NOT NULL, kind text, admin1 text, admin2 text, admin3 text, source_id text)""",
    "CREATE INDEX IF NOT EXISTS gazetteer_entries_of ON gazetteer_entries (gazetteer_id)",
    """CREATE TABLE IF NOT EXISTS place_evidence (fid bigserial PRIMARY KEY, name text, name_ar text,
        lat double precision NOT NULL, lon double precision NOT NULL, source text NOT NULL, count bigint NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS place_evidence_source ON place_evidence (source)",
    """CREATE TABLE IF NOT EXISTS match_decisions (fid bigserial PRIMARY KEY, left_id text NOT NULL,
        right_id text NOT NULL, decision text NOT NULL, decided_by text NOT NULL, decided_at text NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS actor_aliases (fid bigserial PRIMARY KEY, name text NOT NULL UNIQUE,
        actor_id text NOT NULL, mapped_at text NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS annotations (id bigserial PRIMARY KEY, date text NOT NULL, text text NOT NULL,
        author text NOT NULL, created text NOT NULL)""",
    *_EDITS_SCHEMA,
    # sqlite's json_valid + json_extract(original, '$._geocoded_from'): NULL for text that is not JSON
    """CREATE OR REPLACE FUNCTION atlas_geocoded_from(doc text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
        BEGIN RETURN (doc::jsonb) ->> '_geocoded_from'; EXCEPTION WHEN others THEN RETURN NULL; END $$""",
]
_ID = {"annotations": "id", "incident_edits": "id"}  # each table's key column (fid elsewhere)


# ---------------------------------------------------------------- naming the store, errors, connections

def _password(url: str) -> str | None:
    try:
        return psycopg.conninfo.conninfo_to_dict(url).get("password") or None
    except psycopg.Error:
        try:
            return urlsplit(url).password
        except ValueError:
            return None


def label(url: str) -> str:
    """The store for messages: scheme, user, host, port and database, never the password or options."""
    try:
        parts = urlsplit(url.strip())
        user = f"{parts.username}@" if parts.username else ""
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        name = f"{parts.scheme}://{user}{host}{port}{parts.path}"
    except ValueError:
        name = "postgresql://…"
    return name if len(name) <= 120 else f"{name[:100]}…{name[-12:]}"


def _scrub(url: str, text: str) -> str:
    """`text` as one line without the URL's password (a server's message may quote what it was given)."""
    line = " ".join(str(text).split())
    secret = _password(url)
    return line.replace(secret, "***") if secret else line


def _error(url: str, problem: str) -> StoreError:
    return StoreError(_scrub(url, f"{label(url)}: {problem}"))


@contextmanager
def _connection(url: str) -> Iterator[psycopg.Connection]:
    """A connection to the store's database (closed at the end; a failure to connect is a StoreError)."""
    try:
        con = psycopg.connect(url, connect_timeout=10, application_name="kirkuk-atlas")
    except psycopg.Error as exc:
        raise _error(url, f"cannot connect to the store ({exc})") from None
    try:
        yield con
    finally:
        con.close()


def _lock(con: psycopg.Connection, url: str, *, timeout: float, notify: Callable[[str], None] | None,
          unstored: str) -> None:
    """Take the write lock in the open transaction, waiting for other writers (a line at once, then every 10 s)."""
    if con.execute("SELECT pg_try_advisory_xact_lock(%s)", (_WRITE_LOCK,)).fetchone()[0]:
        return
    start, told = time.monotonic(), False
    while True:
        waited = time.monotonic() - start
        if waited >= timeout:
            raise _error(url, f"another import has held the store for over {timeout:,.0f} s; {unstored}, "
                              "try again later")
        if notify:
            notify(f"still waiting for another import to finish ({waited:,.0f} s)…" if told
                   else "waiting for another import to finish…")
            told = True
        try:
            with con.transaction():  # a savepoint: a lock timeout does not end the import's transaction
                wait = max(1, int(min(10.0, timeout - waited) * 1000))
                con.execute("SELECT set_config('lock_timeout', %s, true)", (str(wait),))
                con.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            con.execute("SELECT set_config('lock_timeout', '0', true)")
            return
        except psycopg.errors.LockNotAvailable:
            pass


@contextmanager
def _writing(url: str, *, lock_timeout: float, unstored: str,
             notify: Callable[[str], None] | None = None) -> Iterator[psycopg.Connection]:
    """One write transaction under the store's write lock: committed when the block ends, rolled back on any
    error; a database error becomes one StoreError line ending "; {unstored}"."""
    create(url)
    with _connection(url) as con:
        try:
            with con.transaction():
                _lock(con, url, timeout=lock_timeout, notify=notify, unstored=unstored)
                yield con
        except psycopg.Error as exc:
            raise _error(url, f"cannot write to the store ({exc}); {unstored}") from None


@contextmanager
def _reading(url: str) -> Iterator[psycopg.Connection]:
    """A read-only snapshot of an existing store (StoreError when the database holds none)."""
    with _connection(url) as con:
        try:
            con.read_only = True
            with con.transaction():
                con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                _check_ours(con, url, missing="no such store (the database holds no atlas tables)")
                yield con
        except psycopg.Error as exc:
            raise _error(url, f"cannot read the store ({exc})") from None


# ---------------------------------------------------------------- NUL-safe text

def _encode(value):
    if isinstance(value, str) and ("\x00" in value or _ESC in value):
        return value.replace(_ESC, _ESC + "1").replace("\x00", _ESC + "0")
    return value


def _decode(value):
    if isinstance(value, str) and _ESC in value:
        return re.sub(f"{_ESC}([01])", lambda m: "\x00" if m.group(1) == "0" else _ESC, value)
    return value


def _decoded(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every escaped text value restored (only the cells that hold the escape are touched)."""
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object or str(s.dtype) == "str":
            hit = s.astype(object).map(lambda v: isinstance(v, str) and _ESC in v)
            if hit.any():
                frame[col] = s.astype(object).where(~hit, s[hit].map(_decode))
    return frame


def _plain(v):
    """A frame cell as a parameter: None for missing, Python scalars, NUL-escaped text."""
    if v is None or v is pd.NaT or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return _encode(v)


def _query(con: psycopg.Connection, sql: str, params=(), *, columns) -> pd.DataFrame:
    rows = con.execute(sql, params).fetchall()
    return _decoded(pd.DataFrame.from_records(rows, columns=list(columns)))


# ---------------------------------------------------------------- the schema

def _tables(con: psycopg.Connection) -> dict[str, set[str]]:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = current_schema()").fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


def _check_ours(con: psycopg.Connection, url: str, *, missing: str | None) -> bool:
    """True when the database holds our schema; False (or StoreError `missing`) when it holds none;
    StoreError for a database whose tables of our names are not ours."""
    tables = _tables(con)
    wanted = {"incidents": {"fid", "geom", *model.COLUMNS, "import_id"},
              "import_log": set(store.TABLES["import_log"]), "rejects": set(store.TABLES["rejects"])}
    if "atlas_schema" not in tables:
        clash = sorted(t for t in wanted if t in tables)
        if clash:
            raise _error(url, f"the database has tables {', '.join(clash)} that are not an incident store's; "
                              "it was left unchanged")
        if missing:
            raise _error(url, missing)
        return False
    foreign = [t for t, cols in wanted.items() if not cols <= tables.get(t, set())]
    if foreign:
        raise _error(url, f"not an incident store (no tables {', '.join(foreign)} with the atlas's columns); "
                          "it was left unchanged")
    version = con.execute("SELECT max(version) FROM atlas_schema").fetchone()[0]
    if version is not None and version > SCHEMA_VERSION:
        raise _error(url, f"the store's schema (version {version}) is newer than this atlas's "
                          f"({SCHEMA_VERSION}): update the atlas")
    return True


_READY: set[str] = set()  # URLs whose schema this process has made or checked


def create(url: str) -> str:
    """Make the atlas's tables in the database at `url` (with PostGIS), or check the ones there are ours.
    Safe when several processes create at once. Returns the URL."""
    if url in _READY:
        return url
    with _connection(url) as con:
        try:
            with con.transaction():
                if not _check_ours(con, url, missing=None):
                    con.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                    if not _check_ours(con, url, missing=None):
                        _build(con, url)
                _upgrade(con)
        except psycopg.Error as exc:
            raise _error(url, f"cannot create the store ({exc})") from None
    _READY.add(url)
    return url


def _upgrade(con: psycopg.Connection) -> None:
    """Make the tables added since a store was built (the edit table), when the role may; a role that may
    not (a viewer) reads such a store as one without edits."""
    if con.execute("SELECT to_regclass('incident_edits')").fetchone()[0] is not None:
        return
    try:
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in _EDITS_SCHEMA:
                con.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        pass


def _build(con: psycopg.Connection, url: str) -> None:
    if con.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone() is None:
        try:
            with con.transaction():
                con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            raise _error(url, f"PostGIS is not available in this database ({exc}); have its owner run "
                              "CREATE EXTENSION postgis") from None
    for statement in _SCHEMA:
        con.execute(statement)
    con.execute("INSERT INTO atlas_schema (version) VALUES (%s)", (SCHEMA_VERSION,))


# ---------------------------------------------------------------- importing: COPY into a temporary table, then one upsert

_SPOOL_COLUMNS = ("n", *model.COLUMNS)


def _copy_rows(con: psycopg.Connection, frame: gpd.GeoDataFrame, start: int) -> None:
    """The canonical rows of `frame` into the temporary `spool` table with COPY (numbered from `start`)."""
    cols = [range(start, start + len(frame))]
    for c in model.COLUMNS:
        s = frame[c]
        if c in model.DATE_COLUMNS:
            s = s.dt.strftime("%Y-%m-%d")
        cols.append(map(_plain, s.astype(object).tolist()))
    names = ", ".join(f'"{c}"' for c in _SPOOL_COLUMNS)
    with con.cursor().copy(f"COPY spool ({names}) FROM STDIN") as copy:
        for row in zip(*cols):
            copy.write_row(row)


# Whole-number columns: a GeoPackage read gives them as floats when a value is missing (5.0 is 5 here).
_INTEGERS = frozenset({*model.COUNT_COLUMNS, "geo_precision", "fid", "id", "import_id", "gazetteer_id", "row",
                       "rows_read", "accepted", "rejected", "new", "updated", "entries", "skipped", "count",
                       "reverts"})
_TEXT_OF = {"incident_edits": frozenset({"old", "new"})}  # text columns named like a count of another table


def _copy_frame(con: psycopg.Connection, table: str, frame: pd.DataFrame, columns) -> None:
    """The rows of `frame` (these columns) into `table` with COPY."""
    frame = frame[list(columns)].copy()
    for c in columns:
        if c in _INTEGERS and c not in _TEXT_OF.get(table, ()) and frame[c].dtype != "Int64":
            frame[c] = pd.to_numeric(frame[c]).astype("Int64")
    names = ", ".join(f'"{c}"' for c in columns)
    with con.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in frame.itertuples(index=False, name=None):
            copy.write_row([_plain(v) for v in row])


def import_chunks(url: str, chunks, *, file: str, sha256: str, source: str,
                  rows_read: Callable[[], int] | int | None = None, replace_dataset: bool = False,
                  progress: Callable[[int], None] | None = None, notify: Callable[[str], None] | None = None,
                  lock_timeout: float = LOCK_TIMEOUT, max_reject_lines: int = MAX_REJECT_LINES) -> ImportSummary:
    """Write (accepted, rejects) chunks as ONE transaction and log the import (see events.store.import_chunks)."""
    create(url)
    unstored = "nothing was imported"
    with _connection(url) as con:
        try:
            with con.transaction():
                con.execute(f"CREATE TEMPORARY TABLE spool (n bigint, {_CANONICAL}) ON COMMIT DROP")
                spool = store._Spool(None)
                for good, bad in chunks:
                    if len(good):
                        _copy_rows(con, good, spool.accepted)
                        spool.accepted += len(good)
                        spool.datasets.update(good["source_dataset"].unique())
                    if len(bad):
                        store._keep_rejects(spool, bad, cap=max_reject_lines)
                    if progress:
                        progress(spool.accepted)
                rejects = spool.rejects(file=file, cap=max_reject_lines)
                n_read = rows_read() if callable(rows_read) else (rows_read if rows_read is not None
                                                                  else spool.accepted + spool.rows)
                _lock(con, url, timeout=lock_timeout, notify=notify, unstored=unstored)
                if notify:
                    notify(f"storing {spool.accepted:,} rows in {label(url)}…")
                import_id, new = _commit(con, spool, rejects, file=file, sha256=sha256, source=source,
                                         n_read=n_read, replace_dataset=replace_dataset)
        except psycopg.Error as exc:
            raise _error(url, f"cannot write to the store ({exc}); {unstored}") from None
    return ImportSummary(file=file, source=source, sha256=sha256, rows_read=n_read, accepted=spool.accepted,
                         rejected=spool.rows, new=new, updated=spool.accepted - new, import_id=import_id,
                         rejects=rejects, rejected_unlisted=spool.rows - spool.kept_rows)


def _commit(con: psycopg.Connection, spool, rejects: pd.DataFrame, *, file: str, sha256: str, source: str,
            n_read: int, replace_dataset: bool) -> tuple[int, int]:
    """The spooled rows into the store (under the write lock, in the import's transaction): (import_id, new)."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    names = ", ".join(f'"{c}"' for c in model.COLUMNS)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in model.COLUMNS if c != "incident_id")
    before = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    import_id = con.execute(
        "INSERT INTO import_log (file, sha256, source, rows_read, accepted, rejected, new, updated, imported_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, 0, 0, %s) RETURNING fid",
        (_encode(file), _encode(sha256), _encode(source), int(n_read), spool.accepted, spool.rows, now)).fetchone()[0]
    # the last row of an incident_id wins, as in the GeoPackage (one statement may not update a row twice)
    con.execute(f"""INSERT INTO incidents (geom, {names}, import_id)
        SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326), {names}, %s FROM (
          SELECT DISTINCT ON (incident_id) * FROM spool ORDER BY incident_id, n DESC) s ORDER BY n
        ON CONFLICT (incident_id) DO UPDATE SET geom = excluded.geom, {updates}, import_id = excluded.import_id""",
                (import_id,))
    bad = rejects[list(model.REJECT_COLUMNS)].copy()
    bad.insert(0, "import_id", import_id)
    _copy_frame(con, "rejects", bad, ("import_id", *model.REJECT_COLUMNS))
    deleted = 0
    if replace_dataset and spool.datasets:
        deleted = con.execute("DELETE FROM incidents i WHERE source_dataset = ANY(%s) AND NOT EXISTS "
                              "(SELECT 1 FROM spool s WHERE s.incident_id = i.incident_id)",
                              (sorted(map(_encode, spool.datasets)),)).rowcount
    after = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    new = after - before + deleted
    _learn(con, spool.datasets)
    con.execute("UPDATE import_log SET new = %s, updated = %s WHERE fid = %s", (new, spool.accepted - new, import_id))
    return import_id, new


def _learn(con: psycopg.Connection, datasets) -> None:
    """Re-derive the place evidence of the datasets an import touched (see events.store._learn)."""
    datasets = sorted(map(_encode, datasets))
    if not datasets:
        return
    con.execute("DELETE FROM place_evidence WHERE source = ANY(%s)", (datasets,))
    con.execute("""INSERT INTO place_evidence (name, name_ar, lat, lon, source, count)
        SELECT trim(COALESCE(place, '')), trim(COALESCE(place_ar, '')), round(lat::numeric, 4)::float8,
               round(lon::numeric, 4)::float8, source_dataset, count(*)
        FROM incidents
        WHERE source_dataset = ANY(%s) AND geo_precision = 1 AND lat IS NOT NULL AND lon IS NOT NULL
          AND (trim(COALESCE(place, '')) <> '' OR trim(COALESCE(place_ar, '')) <> '')
          AND (original IS NULL OR strpos(original, '_geocoded_from') = 0 OR atlas_geocoded_from(original) IS NULL)
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 5, 1, 2, 3, 4""", (datasets,))


# ---------------------------------------------------------------- reading

def load(url: str, *, where: str = "") -> gpd.GeoDataFrame:
    """All incidents as the canonical GeoDataFrame (see events.store.load), read with one COPY."""
    if where:
        raise _error(url, "a `where` filter is an OGR SQL clause of the GeoPackage store; filter the frame instead")
    select = ", ".join(f'"{c}"::text' if c in model.DATE_COLUMNS else f'"{c}"' for c in model.COLUMNS)
    buf = io.BytesIO()
    with _reading(url) as con:
        with con.cursor().copy(f"COPY (SELECT {select} FROM incidents ORDER BY fid) TO STDOUT "
                               "WITH (FORMAT csv, HEADER false)") as copy:
            for block in copy:
                buf.write(block)
        aliases = _aliases(con)
        edits = _edit_frame(con)
    buf.seek(0)
    dtypes = {c: (float if c in ("lat", "lon") else "Int64" if c in (*model.COUNT_COLUMNS, "geo_precision")
                  else object) for c in model.COLUMNS}
    frame = pd.read_csv(buf, names=list(model.COLUMNS), header=None, dtype=dtypes, keep_default_na=False,
                        na_values={c: [""] for c in model.COLUMNS}, encoding="utf-8")
    frame = store._edited(_decoded(frame), edits)
    frame = frame.sort_values(["date_start", "incident_id"], kind="stable", ignore_index=True)
    return actors.canonicalise(model.normalise(frame), user_aliases=aliases)


def import_log(url: str) -> pd.DataFrame:
    """The import log, oldest first."""
    create(url)
    with _reading(url) as con:
        return _query(con, "SELECT fid, file, sha256, source, rows_read, accepted, rejected, new, updated, "
                           "imported_at FROM import_log ORDER BY fid",
                      columns=("import_id", "file", "sha256", "source", "rows_read", "accepted", "rejected",
                               "new", "updated", "imported_at"))


def rejects(url: str, *, import_id: int | None = None) -> pd.DataFrame:
    """The rejects report of one import (or all)."""
    create(url)
    where, params = ("WHERE import_id = %s", (int(import_id),)) if import_id is not None else ("", ())
    with _reading(url) as con:
        return _query(con, f'SELECT import_id, file, "row", field, value, reason FROM rejects {where} ORDER BY fid',
                      params, columns=("import_id", *model.REJECT_COLUMNS))


def info(url: str) -> dict:
    """Counts, date range, datasets and data version of the store."""
    create(url)
    with _reading(url) as con:
        n, first, last = con.execute("SELECT count(*), min(date_start)::text, max(date_end)::text "
                                     "FROM incidents").fetchone()
        by_ds = {_decode(k): v for k, v in con.execute(
            "SELECT source_dataset, count(*) FROM incidents GROUP BY source_dataset ORDER BY 1").fetchall()}
        n_rejects = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
        edits = _edit_frame(con)
    log = import_log(url)
    return {"store": label(url), "incidents": n, "date_min": first, "date_max": last, "by_dataset": by_ds,
            "imports": len(log), "reject_lines": n_rejects, "data_version": store.data_version(log, edits=edits)}


def stamp(url: str) -> tuple:
    """A cheap token that changes whenever an import or an edit lands: the import log's count and last id,
    and the edit table's."""
    create(url)
    with _reading(url) as con:
        imports = tuple(con.execute("SELECT count(*), COALESCE(max(fid), 0) FROM import_log").fetchone())
        if not _has_edits(con):
            return imports
        return imports + tuple(con.execute("SELECT count(*), COALESCE(max(id), 0) FROM incident_edits").fetchone())


# ---------------------------------------------------------------- gazetteers and place evidence

def add_gazetteer(url: str, entries: pd.DataFrame, *, file: str, sha256: str, format: str, licence: str,
                  skipped: int = 0, lock_timeout: float = LOCK_TIMEOUT) -> dict:
    """Store a user's gazetteer as one transaction, replacing one of the same file name."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = entries.reindex(columns=list(store.GAZETTEER_COLUMNS))
    with _writing(url, lock_timeout=lock_timeout, unstored="the gazetteer was not stored") as con:
        old = [r[0] for r in con.execute("SELECT fid FROM gazetteers WHERE file = %s", (_encode(file),))]
        con.execute("DELETE FROM gazetteer_entries WHERE gazetteer_id = ANY(%s)", (old,))
        con.execute("DELETE FROM gazetteers WHERE fid = ANY(%s)", (old,))
        gid = con.execute("INSERT INTO gazetteers (file, sha256, format, licence, entries, skipped, imported_at) "
                          "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING fid",
                          tuple(map(_plain, (file, sha256, format, licence, len(frame), int(skipped), now)))
                          ).fetchone()[0]
        rows = frame.copy()
        rows.insert(0, "gazetteer_id", gid)
        _copy_frame(con, "gazetteer_entries", rows, ("gazetteer_id", *store.GAZETTEER_COLUMNS))
    return {"id": gid, "file": file, "format": format, "licence": licence, "entries": len(frame),
            "skipped": int(skipped), "imported_at": now, "replaced": len(old)}


def gazetteers(url: str) -> pd.DataFrame:
    """The user's gazetteers, oldest first."""
    create(url)
    with _reading(url) as con:
        return _query(con, "SELECT fid, file, sha256, format, licence, entries, skipped, imported_at "
                           "FROM gazetteers ORDER BY fid",
                      columns=("id", "file", "sha256", "format", "licence", "entries", "skipped", "imported_at"))


def remove_gazetteer(url: str, gazetteer: int | str, *, lock_timeout: float = LOCK_TIMEOUT) -> int:
    """Remove a user's gazetteer by id or file name; returns how many entries went with it."""
    key = str(gazetteer).strip()
    with _writing(url, lock_timeout=lock_timeout, unstored="nothing was removed") as con:
        fids = [r[0] for r in con.execute("SELECT fid FROM gazetteers WHERE file = %s OR fid::text = %s",
                                          (_encode(key), _encode(key)))]
        if not fids:
            raise _error(url, f"no gazetteer {key[:80]!r} in the store (see `python -m geo gazetteer list`)")
        removed = con.execute("DELETE FROM gazetteer_entries WHERE gazetteer_id = ANY(%s)", (fids,)).rowcount
        con.execute("DELETE FROM gazetteers WHERE fid = ANY(%s)", (fids,))
    return removed


def gazetteer_entries(url: str) -> pd.DataFrame:
    """Every entry of the user's gazetteers, with its gazetteer's id, file and licence note."""
    create(url)
    with _reading(url) as con:
        return _query(con, "SELECT e.gazetteer_id, g.file, g.licence, "
                      + ", ".join(f"e.{c}" for c in store.GAZETTEER_COLUMNS)
                      + " FROM gazetteer_entries e JOIN gazetteers g ON g.fid = e.gazetteer_id ORDER BY e.fid",
                      columns=("gazetteer_id", "file", "licence", *store.GAZETTEER_COLUMNS))


def place_evidence(url: str) -> pd.DataFrame:
    """Place names with a point at precision 1 learnt from the imports."""
    create(url)
    with _reading(url) as con:
        return _query(con, f"SELECT {', '.join(store.EVIDENCE_COLUMNS)} FROM place_evidence ORDER BY fid",
                      columns=store.EVIDENCE_COLUMNS)


# ---------------------------------------------------------------- review decisions

def add_decision(url: str, left: str, right: str, decision: str, *, by: str = "",
                 lock_timeout: float = LOCK_TIMEOUT) -> dict:
    """Store a review decision on two incidents of the store (see events.store.add_decision)."""
    checked, who = store._checked_decision(left, right, decision, by=by)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _writing(url, lock_timeout=lock_timeout, unstored="the decision was not stored") as con:
        for key in (checked.left, checked.right):
            if con.execute("SELECT 1 FROM incidents WHERE incident_id = %s LIMIT 1", (_encode(key),)).fetchone() is None:
                raise _error(url, f"no incident {key[:80]!r} in the store; nothing was decided")
        con.execute("INSERT INTO match_decisions (left_id, right_id, decision, decided_by, decided_at) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    tuple(map(_encode, (checked.left, checked.right, checked.decision, who, now))))
    return {"left": checked.left, "right": checked.right, "decision": checked.decision, "by": who, "at": now}


def decisions(url: str) -> pd.DataFrame:
    """The review decisions, oldest first (events.store.DECISION_COLUMNS)."""
    create(url)
    with _reading(url) as con:
        return _query(con, "SELECT left_id, right_id, decision, decided_by, decided_at FROM match_decisions "
                           "ORDER BY fid", columns=store.DECISION_COLUMNS)


def decisions_version(url: str) -> str:
    """A short name for the review decisions in the store: any new decision changes it."""
    create(url)
    with _reading(url) as con:
        n, last = con.execute("SELECT count(*), COALESCE(max(fid), 0) FROM match_decisions").fetchone()
    return f"{n}.{last}" if last else "0"  # as a GeoPackage store without decisions says


# ---------------------------------------------------------------- the user's actor mappings

def map_actor(url: str, name: str, actor_id: str, *, lock_timeout: float = LOCK_TIMEOUT) -> dict:
    """Store a user's mapping of a source's actor name onto a canonical actor (see events.store.map_actor)."""
    clean = store._checked_mapping(name, actor_id)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _writing(url, lock_timeout=lock_timeout, unstored="the mapping was not stored") as con:
        same = [n for (n,) in con.execute("SELECT name FROM actor_aliases")
                if actors.key(_decode(n)) == actors.key(clean)]
        con.execute("DELETE FROM actor_aliases WHERE name = ANY(%s)", (same,))
        con.execute("INSERT INTO actor_aliases (name, actor_id, mapped_at) VALUES (%s, %s, %s)",
                    (_encode(clean), _encode(actor_id), now))
    return {"name": clean, "actor_id": actor_id, "mapped_at": now, "replaced": len(same)}


def unmap_actor(url: str, name: str, *, lock_timeout: float = LOCK_TIMEOUT) -> int:
    """Remove the user's mapping of `name` (matched folded); returns how many were removed."""
    wanted = actors.key(actors.clean_name(name))
    with _writing(url, lock_timeout=lock_timeout, unstored="nothing was removed") as con:
        same = [n for (n,) in con.execute("SELECT name FROM actor_aliases") if actors.key(_decode(n)) == wanted]
        con.execute("DELETE FROM actor_aliases WHERE name = ANY(%s)", (same,))
    return len(same)


def _aliases(con: psycopg.Connection) -> dict[str, str]:
    return {_decode(n): _decode(a) for n, a in con.execute("SELECT name, actor_id FROM actor_aliases ORDER BY fid")}


def actor_aliases(url: str) -> dict[str, str]:
    """The user's actor mappings: source name -> canonical actor_id."""
    with _reading(url) as con:
        return _aliases(con)


# ---------------------------------------------------------------- annotations (events.annotations validates)

def add_annotation(url: str, *, date: str, text: str, author: str, created: str,
                   lock_timeout: float = LOCK_TIMEOUT) -> int:
    """Store a validated note; returns its id."""
    with _writing(url, lock_timeout=lock_timeout, unstored="the note was not stored") as con:
        return con.execute("INSERT INTO annotations (date, text, author, created) VALUES (%s, %s, %s, %s) "
                           "RETURNING id", tuple(map(_encode, (date, text, author, created)))).fetchone()[0]


def remove_annotation(url: str, number: int, *, lock_timeout: float = LOCK_TIMEOUT) -> int:
    """Remove the note `number`; returns how many were removed (0: none)."""
    with _writing(url, lock_timeout=lock_timeout, unstored="nothing was removed") as con:
        return con.execute("DELETE FROM annotations WHERE id = %s", (int(number),)).rowcount


def annotation_rows(url: str, *, lo: str, hi: str) -> list[tuple]:
    """The notes with lo <= date <= hi (YYYY-MM-DD text), by date then id: (id, date, text, author, created)."""
    create(url)
    with _reading(url) as con:
        rows = con.execute("SELECT id, date, text, author, created FROM annotations WHERE date >= %s "
                           "AND date <= %s ORDER BY date COLLATE \"C\", id", (lo, hi)).fetchall()
    return [tuple(_decode(v) for v in r) for r in rows]


# ---------------------------------------------------------------- whole tables, for events.migrate

def dump_table(url: str, table: str) -> pd.DataFrame:
    """Every row of one of the store's tables (events.store.TABLES), ids included, values as stored."""
    columns = store.TABLES[table]
    select = ", ".join(f'"{c}"::text' if c in model.DATE_COLUMNS else f'"{c}"' for c in columns)
    with _reading(url) as con:
        return _query(con, f"SELECT {select} FROM {table} ORDER BY {_ID.get(table, 'fid')}", columns=columns)


def table_counts(url: str) -> dict[str, int]:
    """Rows per table of an existing store (events.store.TABLES)."""
    with _reading(url) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in store.TABLES}


def restore_tables(url: str, frames: dict[str, pd.DataFrame], *, replace: bool = False,
                   lock_timeout: float = LOCK_TIMEOUT) -> None:
    """Write whole tables (ids kept) into the store as one transaction; with `replace` its rows go first."""
    with _writing(url, lock_timeout=lock_timeout, unstored="nothing was copied") as con:
        if replace:
            con.execute(f"TRUNCATE {', '.join(store.TABLES)} RESTART IDENTITY")
        for table, columns in store.TABLES.items():
            frame = frames.get(table)
            if frame is None or frame.empty:
                continue
            _copy_frame(con, table, frame, columns)
            key = _ID.get(table, "fid")
            con.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), (SELECT max({key}) FROM {table}))",
                        (table, key))
        con.execute("UPDATE incidents SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326) WHERE geom IS NULL")


# ---------------------------------------------------------------- corrections of incidents (events.edits decides them)

def _has_edits(con: psycopg.Connection) -> bool:
    return con.execute("SELECT to_regclass('incident_edits')").fetchone()[0] is not None


_EDIT_SELECT = ", ".join(f'"{c}"' for c in store.EDIT_COLUMNS)


def _edit_frame(con: psycopg.Connection, clause: str = "", params=()) -> pd.DataFrame:
    if not _has_edits(con):
        return pd.DataFrame(columns=list(store.EDIT_COLUMNS))
    return _query(con, f"SELECT {_EDIT_SELECT} FROM incident_edits {clause} ORDER BY id", params,
                  columns=store.EDIT_COLUMNS)


def _incident_row(con: psycopg.Connection, incident_id: str) -> dict | None:
    """One incident's stored (unedited) values, dates as YYYY-MM-DD text, with its import's file and time."""
    select = ", ".join(f'i."{c}"::text' if c in model.DATE_COLUMNS else f'i."{c}"' for c in model.COLUMNS)
    row = con.execute(f"SELECT {select}, i.import_id, l.file, l.imported_at FROM incidents i "
                      "LEFT JOIN import_log l ON l.fid = i.import_id WHERE i.incident_id = %s",
                      (_encode(incident_id),)).fetchone()
    return None if row is None else dict(zip((*model.COLUMNS, "_import_id", "_import_file", "_imported_at"),
                                             map(_decode, row)))


def incident_values(url: str, incident_id: str) -> dict | None:
    """One incident's stored (unedited) values (see events.store.incident_values)."""
    create(url)
    with _reading(url) as con:
        return _incident_row(con, incident_id)


def record_edits(url: str, incident_id: str, plan, *, lock_timeout: float = LOCK_TIMEOUT) -> list[dict]:
    """Append the edits `plan` decides in one transaction under the write lock (see events.store.record_edits).
    The editor stored is the database's current_user, whatever `plan` names."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _writing(url, lock_timeout=lock_timeout, unstored="nothing was changed") as con:
        row = _incident_row(con, incident_id)
        before = _edit_frame(con, "WHERE incident_id = %s", (_encode(incident_id),)).to_dict("records")
        stored = []
        for e in plan(row, before):
            number, who = con.execute(
                'INSERT INTO incident_edits (incident_id, field, old, new, reason, at, reverts) '
                'VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id, "by"',
                (*map(_encode, (incident_id, e["field"], e["old"], e["new"], e["reason"], now)),
                 e.get("reverts"))).fetchone()
            stored.append(dict(zip(store.EDIT_COLUMNS, (number, incident_id, e["field"], e["old"], e["new"],
                                                        e["reason"], _decode(who), now, e.get("reverts")))))
    return stored


def edit_rows(url: str, *, incident_id: str | None = None, edit_id: int | None = None) -> pd.DataFrame:
    """The stored edits (events.store.EDIT_COLUMNS), oldest first: all, one incident's, or one by id."""
    create(url)
    clauses, params = [], []
    if incident_id is not None:
        clauses.append("incident_id = %s"), params.append(_encode(incident_id))
    if edit_id is not None:
        clauses.append("id = %s"), params.append(int(edit_id))
    with _reading(url) as con:
        return _edit_frame(con, f"WHERE {' AND '.join(clauses)}" if clauses else "", tuple(params))
