"""The embedded store: one GeoPackage file holding incidents, the import log and the rejects.

The file opens in QGIS (a standard GeoPackage 1.4 with a point layer `incidents` and attribute
tables `import_log` and `rejects`). It is written with the standard library's sqlite3 rather than
GDAL so that an import is one SQL transaction: all of a batch or none of it. WAL mode lets the
app read while an import runs. Rows are keyed by `incident_id`, which is
``<source_dataset>:<source_id>`` for imported rows, so re-importing the same rows updates them in
place instead of duplicating them.

Several processes may import at once. A new store is built in a private file beside it and linked
into place only if none appeared meanwhile. An import parses its whole file into a private spool
first and takes the store's write lock only to copy the spool in (one transaction), waiting its
turn with progress messages. Nothing is written to a file until it is known to be one of ours.
"""
from __future__ import annotations

import errno
import functools
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import time
import warnings
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import pyogrio.errors

from events import actors, model
from events.errors import AtlasError

try:
    import fcntl
except ImportError:  # not POSIX: spools of killed imports are then left for the user to delete
    fcntl = None

WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
_SQL_TYPES = {**{c: "TEXT" for c in model.TEXT_COLUMNS}, **{c: "INTEGER" for c in model.COUNT_COLUMNS},
              "geo_precision": "INTEGER", "lat": "REAL", "lon": "REAL", "date_start": "DATE", "date_end": "DATE"}
_SCHEMA = f"""
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
  description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{WGS84_WKT}', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE incidents (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT,
  {", ".join(f'"{c}" {_SQL_TYPES[c]}' for c in model.COLUMNS)},
  import_id INTEGER NOT NULL, UNIQUE (incident_id));
CREATE INDEX incidents_dates ON incidents (date_start, date_end);
CREATE INDEX incidents_dataset ON incidents (source_dataset);
CREATE TABLE import_log (fid INTEGER PRIMARY KEY AUTOINCREMENT, file TEXT NOT NULL, sha256 TEXT NOT NULL,
  source TEXT NOT NULL, rows_read INTEGER NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,
  new INTEGER NOT NULL, updated INTEGER NOT NULL, imported_at DATETIME NOT NULL);
CREATE TABLE rejects (fid INTEGER PRIMARY KEY AUTOINCREMENT, import_id INTEGER NOT NULL,
  file TEXT, "row" INTEGER, field TEXT, value TEXT, reason TEXT);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('incidents', 'features', 'incidents', 'Security incidents (canonical columns, see events/model.py)', 4326),
  ('import_log', 'attributes', 'import_log', 'One row per import: file, sha256, source, counts, time', NULL),
  ('rejects', 'attributes', 'rejects', 'Rows refused by imports, with row, field, value and reason', NULL);
INSERT INTO gpkg_geometry_columns VALUES ('incidents', 'geom', 'POINT', 4326, 0, 0);
"""
_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_GPKG_USER_VERSION = 10400
_POINT_BLOB = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs", "<i4"),
                        ("order", "u1"), ("wkb_type", "<u4"), ("x", "<f8"), ("y", "<f8")])


_TABLE_COLUMNS = {
    "incidents": frozenset({"fid", "geom", *model.COLUMNS, "import_id"}),
    "import_log": frozenset({"fid", "file", "sha256", "source", "rows_read", "accepted", "rejected", "new",
                             "updated", "imported_at"}),
    "rejects": frozenset({"fid", "import_id", "file", "row", "field", "value", "reason"}),
}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS, errno.EXDEV}
MAX_REJECT_LINES = 10_000  # reject lines kept per import; the rest are counted in a final note line
LOCK_TIMEOUT = 600.0  # seconds an import waits for another one to finish before giving up
NOT_LISTED = "(not listed)"  # the `field` of the note line that counts the reject lines not kept
_MAX_VALUE = 1_000  # characters of a rejected value kept in the report


class StoreError(AtlasError):
    """The store cannot be used (not a GeoPackage or database of ours, unreadable, read-only, locked, unreachable)."""


URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location) -> bool:
    """True when the store's location is a PostgreSQL URL (the PostGIS backend, events.postgis)."""
    return isinstance(location, str) and location.strip().lower().startswith(URL_SCHEMES)


def location(value: str | Path) -> str | Path:
    """A store location as given: a postgresql:// URL stays a string (a Path would collapse its `//`);
    anything else is a GeoPackage path."""
    return value.strip() if is_url(value) else Path(value)


def label(where: str | Path) -> str:
    """The store for messages: a GeoPackage's file name, or a URL without its password."""
    if is_url(where):
        from events import postgis
        return postgis.label(where)
    return _label(Path(where))


def _dispatch(fn=None, *, twin: str | None = None):
    """Run the PostGIS twin of `fn` (events.postgis, same name unless `twin`) when the store is a URL.
    The one place that chooses the backend: callers pass a path or a URL to the same functions."""
    if fn is None:
        return functools.partial(_dispatch, twin=twin)

    @functools.wraps(fn)
    def run(where, *args, **kwargs):
        if is_url(where):
            from events import postgis  # imported only by URL stores: psycopg stays out of the GeoPackage path
            return getattr(postgis, twin or fn.__name__)(where.strip(), *args, **kwargs)
        return fn(where, *args, **kwargs)
    return run


@dataclass
class ImportSummary:
    """What one import did; `to_dict()` is what `python -m events import --json` prints.

    `rejects` holds at most MAX_REJECT_LINES lines plus, when more were refused, one note line
    (field NOT_LISTED, on the first row not listed) counting them; `rejected` counts every rejected row.
    """

    file: str
    source: str
    sha256: str
    rows_read: int
    accepted: int
    rejected: int
    new: int
    updated: int
    import_id: int | None
    rejects: pd.DataFrame
    rejected_unlisted: int = 0
    outside: int = 0        # valid rows left out because they lie outside the `clip` area
    clipped: bool = False   # an area was given
    notes: list = field(default_factory=list)   # lines the user must see: how dates were read, no header row
    # actor names of the accepted rows not on the canonical list (events.actors): {"name", "rows"}, most rows first
    unmapped_actors: list = field(default_factory=list)

    def actors_note(self) -> str:
        """One line naming the actor strings this import did not recognise ("" when it recognised all)."""
        return unmapped_note({r["name"]: r["rows"] for r in self.unmapped_actors}, total=len(self.unmapped_actors))

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("rejects")
        out["rejected_rows"] = self.rejected
        return out


def _label(path: Path) -> str:
    """The store's file name for messages (never the server's folders), shortened if absurdly long."""
    name = path.name or str(path)
    return name if len(name) <= 80 else f"{name[:60]}…{name[-12:]}"


def _error(path: Path, problem: str) -> StoreError:
    return StoreError(f"{_label(path)}: {problem}")


def _reason(exc: BaseException) -> str:
    """An OS or SQLite error as words, without the path it may carry."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _point_blobs(lon: np.ndarray, lat: np.ndarray) -> list[bytes]:
    """GeoPackage binary points (no envelope, little-endian WKB), built in one numpy pass."""
    arr = np.zeros(len(lon), dtype=_POINT_BLOB)
    arr["magic"], arr["flags"], arr["srs"], arr["order"], arr["wkb_type"] = b"GP", 1, 4326, 1, 1
    arr["x"], arr["y"] = lon, lat
    raw, size = arr.tobytes(), _POINT_BLOB.itemsize
    return [raw[i:i + size] for i in range(0, len(raw), size)]


def _rows(frame: gpd.GeoDataFrame) -> Iterable[tuple]:
    """The canonical frame as SQL parameter tuples (geometry first; None for missing values)."""
    cols = []
    for c in model.COLUMNS:
        s = frame[c]
        if c in model.DATE_COLUMNS:
            s = s.dt.strftime("%Y-%m-%d")
        cols.append(s.astype(object).where(s.notna(), None).tolist())
    blobs = _point_blobs(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    return zip(blobs, *cols)


# ---------------------------------------------------------------- recognising and creating a store

def _header(path: Path) -> bytes | None:
    """The first 100 bytes of the file at `path`, or None when there is none."""
    try:
        with open(path, "rb") as fh:
            return fh.read(100)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise _error(path, "is a folder, not a store file") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise _error(path, f"the store path cannot be used ({_reason(exc)})") from None
        raise _error(path, f"cannot read the store ({_reason(exc)})") from None


def _read_connection(path: Path) -> sqlite3.Connection:
    """A read-only connection: it never writes to the file, its journal mode or a hot journal."""
    uri = path.resolve().as_uri()  # percent-encoded: a '?' or '#' in a name is not a URI parameter
    con = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
    try:
        con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError:
        con.close()
        wal = Path(f"{path}-wal")
        if os.access(path.parent, os.W_OK) or (wal.exists() and wal.stat().st_size > 0):
            raise
    # A WAL store in a read-only folder with an empty log: nothing can change it, read it as is.
    return sqlite3.connect(f"{uri}?immutable=1", uri=True)


def _check_ours(con: sqlite3.Connection, path: Path) -> None:
    """Refuse any file that is not an incident store: a GeoPackage, our tables, our columns."""
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        columns = {t: {r[0] for r in con.execute("SELECT name FROM pragma_table_info(?)", (t,))}
                   for t in _TABLE_COLUMNS}
        if app_id != _GPKG_APPLICATION_ID:
            raise _error(path, "not a GeoPackage store (a SQLite file without the GeoPackage id)")
        foreign = [t for t, cols in _TABLE_COLUMNS.items() if not cols <= columns[t]]
        if foreign:
            raise _error(path, "a GeoPackage but not an incident store (no tables "
                               f"{', '.join(foreign)} with the atlas's columns); it was left unchanged")
        kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name='incidents'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise _error(path, f"not a GeoPackage store ({exc})") from None
    if not kind or kind[0] != "features":
        raise _error(path, "a GeoPackage but not an incident store (incidents is not a feature layer)")


@contextmanager
def _reading(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to an existing store that has been checked to be ours."""
    path = Path(path)
    head = _header(path)
    if head is None:
        raise _error(path, "no such store")
    if not head.startswith(_SQLITE_MAGIC):
        raise _error(path, "not a GeoPackage store (not a SQLite file)" if head else "an empty file, not a store")
    try:
        con = _read_connection(path)
    except sqlite3.Error as exc:
        raise _error(path, f"cannot read the store ({exc})") from None
    try:
        _check_ours(con, path)
        yield con
    except sqlite3.Error as exc:
        raise _error(path, f"cannot read the store ({exc})") from None
    finally:
        con.close()


@contextmanager
def _writing(path: Path, *, lock_timeout: float, unstored: str) -> Iterator[sqlite3.Connection]:
    """One write transaction on the store, begun under its write lock: committed when the block ends,
    rolled back on any error; a database error becomes one StoreError line ending "; {unstored}"."""
    con = _connect(path)
    try:
        _begin(con, path, lock_timeout=lock_timeout, notify=None)
        yield con
        con.execute("COMMIT")
    except sqlite3.Error as exc:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise _error(path, f"cannot write to the store ({exc}); {unstored}") from None
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


@contextmanager
def _changing(path: str | Path, schema: str, *, lock_timeout: float, unstored: str) -> Iterator[sqlite3.Connection]:
    """A write transaction on the store at `path` (created if missing) with `schema`'s tables made first in
    it (optional tables: stores made before they existed get them on their first write)."""
    path = create(path)
    _check_writable(path)
    with _writing(path, lock_timeout=lock_timeout, unstored=unstored) as con:
        for statement in _statements(schema):
            con.execute(statement)
        yield con


def _statements(script: str) -> Iterator[str]:
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            yield buf.strip()
            buf = ""


def _build(con: sqlite3.Connection) -> None:
    """The empty schema, inside the caller's transaction."""
    con.execute(f"PRAGMA application_id={_GPKG_APPLICATION_ID}")
    con.execute(f"PRAGMA user_version={_GPKG_USER_VERSION}")
    for statement in _statements(_SCHEMA):
        con.execute(statement)


def _private(path: Path, suffix: str, make: Callable[[Path], None]) -> tuple[Path, int]:
    """A new file or folder beside the store, flocked while we use it so `_sweep` leaves it alone."""
    while True:
        target = path.parent / f".{path.name[:40]}.{secrets.token_hex(6)}{suffix}"
        make(target)
        lock = target / "lock" if target.is_dir() else target
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is None:
            return target, fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # `_sweep` took it for a dead import's in that instant: make another
            os.close(fd)
            continue
        # Another process's `_sweep` may have locked and removed it between our making and locking it:
        # then our lock holds a deleted file, and the name is free for anyone. Only a lock on the file
        # still at that name protects it.
        try:
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                return target, fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _sweep(path: Path) -> None:
    """Remove what killed imports left beside the store (their flock died with them)."""
    if fcntl is None:
        return
    ours = re.compile(rf"\.{re.escape(path.name[:40])}\.[0-9a-f]{{12}}\.(new|import)")
    for entry in map(Path, glob.glob(os.path.join(glob.escape(str(path.parent)),
                                                  f".{glob.escape(path.name[:40])}.*"))):
        if not ours.fullmatch(entry.name):
            continue  # not a name `_private` makes: someone else's file, never touched
        try:
            fd = os.open(entry / "lock" if entry.is_dir() else entry, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live import's
        finally:
            os.close(fd)
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            for f in (entry, Path(f"{entry}-journal"), Path(f"{entry}-wal"), Path(f"{entry}-shm")):
                f.unlink(missing_ok=True)


def _create_new(path: Path) -> None:
    """Build the schema in a private file and hard-link it to `path` unless a store appeared there."""
    def make(target: Path) -> None:
        os.close(os.open(target, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666))  # umask applies, as for sqlite

    tmp, fd = _private(path, ".new", make)
    try:
        with closing(sqlite3.connect(tmp, isolation_level=None)) as con:
            con.execute("BEGIN")
            _build(con)
            con.execute("COMMIT")
            con.execute("PRAGMA journal_mode=WAL")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: the caller checks that one
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o666))  # no hard links on this file system
            _fill_empty(path)
    finally:
        os.close(fd)
        for f in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            f.unlink(missing_ok=True)


def _fill_empty(path: Path) -> None:
    """Build the schema in an empty file, under an exclusive lock, unless another process did."""
    with closing(sqlite3.connect(path, isolation_level=None, timeout=30)) as con:
        con.execute("BEGIN EXCLUSIVE")
        built = con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
        if built:
            _build(con)
        con.execute("COMMIT")
        if built:
            con.execute("PRAGMA journal_mode=WAL")


@_dispatch
def create(path: str | Path) -> Path:
    """Create an empty store at `path` (a GeoPackage), or check that the file there is one of ours.

    Safe when many processes create the same store at once. Any file that is not an incident store
    (not SQLite, or a GeoPackage with other tables or columns) is refused with a StoreError and
    left byte for byte as it was.
    """
    path = Path(path)
    head = _header(path)
    if head is None or head == b"":
        _sweep(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_new(path) if head is None else _fill_empty(path)
        except (FileExistsError, NotADirectoryError):
            raise _error(path, "cannot create the store here (part of its folder path is a file)") from None
        except OSError as exc:
            raise _error(path, f"cannot create the store ({_reason(exc)})") from None
        except sqlite3.Error as exc:
            raise _error(path, f"cannot create the store ({exc})") from None
    with _reading(path):
        pass
    return path


def _check_writable(path: Path) -> None:
    for target, what in ((path, "the store file"), (path.parent, "its folder")):
        if not os.access(target, os.W_OK):
            raise _error(path, f"the store is read-only ({what} cannot be written); nothing was imported")


def _connect(path: Path) -> sqlite3.Connection:
    """A writing connection to a store already checked to be ours (so WAL mode is ours to set)."""
    con = sqlite3.connect(path, isolation_level=None, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA cache_size=-262144")  # 256 MB page cache: big imports keep their indexes in memory
    return con


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- importing: spool, then one transaction

@dataclass
class _Spool:
    """One import's parsed rows in a private SQLite file, and its (capped) rejects."""

    db: Path | None  # None: the PostGIS backend spools into a temporary table instead
    accepted: int = 0
    datasets: set = field(default_factory=set)
    kept: list = field(default_factory=list)
    kept_lines: int = 0
    kept_rows: int = 0
    lines: int = 0
    rows: int = 0
    first_unlisted: int | None = None  # the row of the first reject line not kept
    nul: bool = False  # a text value holds a NUL (see _whole_text)

    def rejects(self, *, file: str, cap: int) -> pd.DataFrame:
        """The kept reject lines, plus a note line counting those not kept."""
        parts = [p for p in self.kept if len(p)]
        out = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(model.REJECT_COLUMNS)))
        more_rows, more_lines = self.rows - self.kept_rows, self.lines - self.kept_lines
        if more_lines:
            what = f"{more_rows:,} more rejected rows" if more_rows else f"{more_lines:,} more reject lines"
            note = {"file": file, "row": self.first_unlisted, "field": NOT_LISTED,
                    "value": str(more_rows or more_lines),
                    "reason": f"… and {what} not listed, from row {self.first_unlisted} on "
                              f"(an import keeps its first {cap:,} reject lines)"}
            out = pd.concat([out, pd.DataFrame([note])], ignore_index=True)
        return out


@contextmanager
def _spool_folder(path: Path) -> Iterator[Path]:
    """A private folder beside the store (same disk, never a RAM-backed /tmp) for one import."""
    _sweep(path)
    try:
        folder, fd = _private(path, ".import", lambda t: t.mkdir(mode=0o700))
    except OSError as exc:
        raise _error(path, f"cannot prepare the import beside the store ({_reason(exc)}); "
                           "nothing was imported") from None
    try:
        yield folder
    finally:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


def _spool(db: Path, chunks: Iterator[tuple[gpd.GeoDataFrame, pd.DataFrame]], *, cap: int,
           progress: Callable[[int], None] | None) -> _Spool:
    """Parse every chunk into `db`, holding at most one chunk and `cap` reject lines in memory."""
    spool = _Spool(db)
    names = ", ".join(f'"{c}" {_SQL_TYPES[c]}' for c in model.COLUMNS)
    sql = f"INSERT INTO incidents VALUES ({', '.join('?' * (len(model.COLUMNS) + 1))})"
    with closing(sqlite3.connect(db, isolation_level=None)) as con:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute(f"CREATE TABLE incidents (geom BLOB, {names})")
        con.execute("BEGIN")
        for good, bad in chunks:
            if len(good):
                con.executemany(sql, _rows(good))
                spool.accepted += len(good)
                spool.datasets.update(good["source_dataset"].unique())
                spool.nul = spool.nul or _holds_nul(good)
            if len(bad):
                _keep_rejects(spool, bad, cap=cap)
            if progress:
                progress(spool.accepted)
        con.execute("COMMIT")
    return spool


def _keep_rejects(spool: _Spool, bad: pd.DataFrame, *, cap: int) -> None:
    """Count a chunk's reject lines in `spool`, keeping the first `cap` of the import (shared by both backends)."""
    bad = bad[list(model.REJECT_COLUMNS)]
    spool.lines += len(bad)
    spool.rows += int(bad["row"].nunique())
    room = cap - spool.kept_lines
    if room > 0:  # a copy, so the rest of the chunk is freed; values bounded like the importers'
        kept = bad.iloc[:room].copy()
        kept["value"] = kept["value"].map(lambda v: v[:_MAX_VALUE] if isinstance(v, str) else v)
        spool.kept.append(kept)
        spool.kept_lines += len(kept)
        spool.kept_rows += int(kept["row"].nunique())
    if spool.first_unlisted is None and len(bad) > max(room, 0):
        first = bad["row"].iloc[max(room, 0)]
        spool.first_unlisted = None if pd.isna(first) else int(first)


def _begin(con: sqlite3.Connection, path: Path, *, lock_timeout: float,
           notify: Callable[[str], None] | None) -> None:
    """Take the store's write lock, waiting for other imports (with a message every 10 s)."""
    start, told = time.monotonic(), None
    con.execute(f"PRAGMA busy_timeout={int(min(1.0, lock_timeout) * 1000)}")
    while True:
        try:
            con.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        waited = time.monotonic() - start
        if waited >= lock_timeout:
            raise _error(path, f"another import has held the store for over {lock_timeout:,.0f} s; "
                               "nothing was imported, try again later")
        if notify and (told is None or waited - told >= 10):
            notify("waiting for another import to finish…" if told is None
                   else f"still waiting for another import to finish ({waited:,.0f} s)…")
            told = waited
    con.execute("PRAGMA busy_timeout=60000")


def _commit(path: Path, spool: _Spool, rejects: pd.DataFrame, *, file: str, sha256: str, source: str,
            rows_read: Callable[[], int] | int | None, replace_dataset: bool, unlisted: int,
            lock_timeout: float, notify: Callable[[str], None] | None) -> ImportSummary:
    """Copy the spool into the store as ONE transaction and log the import."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    n_read = rows_read() if callable(rows_read) else (rows_read if rows_read is not None
                                                      else spool.accepted + spool.rows)
    names = ", ".join(f'"{c}"' for c in model.COLUMNS)
    updates = ", ".join(f'"{c}"=excluded."{c}"' for c in model.COLUMNS if c != "incident_id")
    con = _connect(path)
    try:
        con.execute("ATTACH DATABASE ? AS spool", (str(spool.db),))
        if replace_dataset:
            con.execute("CREATE INDEX spool.spool_ids ON incidents (incident_id)")
        _begin(con, path, lock_timeout=lock_timeout, notify=notify)
        if notify:
            notify(f"storing {spool.accepted:,} rows in {_label(path)}…")
        before = con.execute("SELECT COUNT(*) FROM main.incidents").fetchone()[0]
        import_id = con.execute(
            "INSERT INTO import_log (file, sha256, source, rows_read, accepted, rejected, new, updated, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?)", (file, sha256, source, n_read, spool.accepted, spool.rows,
                                                    now)).lastrowid
        con.execute(f"INSERT INTO main.incidents (geom, {names}, import_id) "
                    f"SELECT geom, {names}, ? FROM spool.incidents WHERE true ORDER BY rowid "
                    f"ON CONFLICT(incident_id) DO UPDATE SET geom=excluded.geom, {updates}, "
                    "import_id=excluded.import_id", (import_id,))
        con.executemany('INSERT INTO rejects (import_id, file, "row", field, value, reason) VALUES (?,?,?,?,?,?)',
                        ((import_id, *(None if pd.isna(v) else v for v in r))
                         for r in rejects[list(model.REJECT_COLUMNS)].itertuples(index=False)))
        deleted = 0
        for ds in sorted(spool.datasets) if replace_dataset else ():
            deleted += con.execute("DELETE FROM main.incidents WHERE source_dataset=? AND incident_id NOT IN "
                                   "(SELECT incident_id FROM spool.incidents)", (ds,)).rowcount
        after = con.execute("SELECT COUNT(*) FROM main.incidents").fetchone()[0]
        new = after - before + deleted
        _learn(con, spool.datasets)
        if spool.nul:
            con.execute(_NUL_FLAG)
        con.execute("UPDATE import_log SET new=?, updated=? WHERE fid=?", (new, spool.accepted - new, import_id))
        _update_extent(con)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return ImportSummary(file=file, source=source, sha256=sha256, rows_read=n_read, accepted=spool.accepted,
                         rejected=spool.rows, new=new, updated=spool.accepted - new, import_id=import_id,
                         rejects=rejects, rejected_unlisted=unlisted)


@_dispatch
def import_chunks(path: str | Path, chunks: Iterator[tuple[gpd.GeoDataFrame, pd.DataFrame]], *,
                  file: str, sha256: str, source: str, rows_read: Callable[[], int] | int | None = None,
                  replace_dataset: bool = False, progress: Callable[[int], None] | None = None,
                  notify: Callable[[str], None] | None = None, lock_timeout: float = LOCK_TIMEOUT,
                  max_reject_lines: int = MAX_REJECT_LINES) -> ImportSummary:
    """Write (accepted, rejects) chunks as ONE transaction and log the import.

    The chunks are parsed into a private spool first, so the store's write lock is held only while
    the spool is copied in; another import meanwhile waits (`notify` gets a line every 10 s) up to
    `lock_timeout` seconds. If anything fails part-way (a chunk raises, the disk fills, the process
    is killed) the store is exactly as before. `progress` gets the rows accepted so far per chunk.
    Only the first `max_reject_lines` reject lines are kept, with a note line counting the rest.
    With `replace_dataset`, rows of the same `source_dataset` that the batch does not contain are
    removed (used to re-sync the curated set after it is edited).
    """
    path = create(path)
    _check_writable(path)
    with _spool_folder(path) as folder:
        try:
            spool = _spool(folder / "rows.sqlite", chunks, cap=max_reject_lines, progress=progress)
        except sqlite3.Error as exc:
            raise _error(path, f"cannot prepare the import beside the store ({exc}); nothing was imported") from None
        rejects = spool.rejects(file=file, cap=max_reject_lines)
        try:
            return _commit(path, spool, rejects, file=file, sha256=sha256, source=source, rows_read=rows_read,
                           replace_dataset=replace_dataset, unlisted=spool.rows - spool.kept_rows,
                           lock_timeout=lock_timeout, notify=notify)
        except sqlite3.Error as exc:
            raise _error(path, f"cannot write to the store ({exc}); nothing was imported") from None


def _update_extent(con: sqlite3.Connection) -> None:
    con.execute("""UPDATE gpkg_contents SET last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now'),
        min_x=(SELECT MIN(lon) FROM incidents), min_y=(SELECT MIN(lat) FROM incidents),
        max_x=(SELECT MAX(lon) FROM incidents), max_y=(SELECT MAX(lat) FROM incidents)
        WHERE table_name='incidents'""")


def import_frame(path: str | Path, frame: gpd.GeoDataFrame, *, file: str, source: str,
                 rejects: pd.DataFrame | None = None, sha256: str | None = None,
                 replace_dataset: bool = False, notify: Callable[[str], None] | None = None) -> ImportSummary:
    """Store an already-validated canonical frame as one import (e.g. the curated set)."""
    bad = rejects if rejects is not None else pd.DataFrame(columns=list(model.REJECT_COLUMNS))
    digest = sha256 or hashlib.sha256(pd.util.hash_pandas_object(
        model.to_records(frame), index=False).to_numpy().tobytes()).hexdigest()
    return import_chunks(path, iter([(frame, bad)]), file=file, sha256=digest, source=source,
                         replace_dataset=replace_dataset, notify=notify)


@_dispatch
def load(path: str | Path, *, where: str = "") -> gpd.GeoDataFrame:
    """All incidents (or those matching an OGR SQL `where`) as the canonical GeoDataFrame, with the
    canonical actors (events.actors.canonicalise: actor1_id, actor2_id, attributions) computed now from
    the list and the store's own mappings, so a mapping made later applies to earlier imports too."""
    path = Path(path)
    with _reading(path) as con:
        nul = _has_table(con, "text_with_nul")
    # GDAL's Arrow reader is ~4x faster than sqlite3 + read_sql for large stores.
    try:
        with warnings.catch_warnings():  # GDAL notes that it reads a store in a read-only folder as immutable
            warnings.filterwarnings("ignore", message=".*WAL-enabled database", category=RuntimeWarning)
            frame = pyogrio.read_dataframe(path, layer="incidents", columns=list(model.COLUMNS),
                                           where=where or None, read_geometry=False, use_arrow=True,
                                           fid_as_index=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError) as exc:
        raise _error(path, f"cannot read the store ({str(exc).replace(str(path), _label(path))})") from None
    frame = (_whole_text(path, frame) if nul else frame).reset_index(drop=True)
    frame = _edited(frame, edit_rows(path))
    frame = frame.sort_values(["date_start", "incident_id"], kind="stable", ignore_index=True)
    return actors.canonicalise(model.normalise(frame), user_aliases=actor_aliases(path))


def _edited(frame: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the store's corrections applied (events.edits.applied), as load gives it on both backends."""
    if edits.empty:
        return frame
    from events import edits as corrections  # events.edits imports this module
    return corrections.applied(frame, edits)


# Made (empty) once an import stores a text value holding a NUL, so only such stores pay for _whole_text.
_NUL_FLAG = "CREATE TABLE IF NOT EXISTS text_with_nul (since INTEGER)"


def _holds_nul(frame: pd.DataFrame) -> bool:
    """True when a canonical text value of `frame` holds a NUL character: a byte search in each text column's
    Arrow data buffer (1M rows: 0.25 s, where a string search per value took 4 s of a 40 s import). The
    buffer of a sliced column may reach beyond its rows; a NUL found there only costs a needless re-read."""
    for column in model.TEXT_COLUMNS:
        if column not in frame.columns:
            continue
        try:
            values = pa.array(frame[column], from_pandas=True)   # pandas' Arrow strings: their own chunks, no copy
        except (pa.ArrowException, TypeError):   # mixed values in an object column: read them as text
            if frame[column].astype("str").str.contains("\x00", regex=False, na=False).any():
                return True
            continue
        for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
            if pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
                data = chunk.buffers()[2]
                if data is not None and data.size and not np.frombuffer(data, dtype=np.uint8).all():
                    return True
            elif not (pa.types.is_null(chunk.type) or pa.types.is_integer(chunk.type)
                      or pa.types.is_floating(chunk.type) or pa.types.is_boolean(chunk.type)):
                if pc.any(pc.match_substring(chunk.cast(pa.large_string()), "\x00")).as_py():
                    return True   # any other type, as text (an all-missing column or numbers hold no NUL)
    return False


def _whole_text(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (indexed by fid) with the text values that hold a NUL read again whole: GDAL ends a text
    value at its first NUL, sqlite3 does not. One pass over the table, in stores that have held a NUL."""
    any_nul = " OR ".join(f"instr(CAST(\"{c}\" AS BLOB), x'00') > 0" for c in model.TEXT_COLUMNS)
    names = ", ".join(f'"{c}"' for c in model.TEXT_COLUMNS)
    with _reading(path) as con:
        hits = con.execute(f"SELECT fid, {names} FROM incidents WHERE {any_nul}").fetchall()
    for fid, *values in hits:
        if fid in frame.index:
            for col, value in zip(model.TEXT_COLUMNS, values):
                if isinstance(value, str) and "\x00" in value:
                    frame.at[fid, col] = value
    return frame


@_dispatch
def import_log(path: str | Path) -> pd.DataFrame:
    """The import log, oldest first (an empty store is created where there is none)."""
    with _reading(create(path)) as con:
        return pd.read_sql_query("SELECT fid AS import_id, file, sha256, source, rows_read, accepted, rejected, "
                                 "new, updated, imported_at FROM import_log ORDER BY fid", con)


@_dispatch
def rejects(path: str | Path, *, import_id: int | None = None) -> pd.DataFrame:
    """The rejects report of one import (or all)."""
    with _reading(create(path)) as con:
        where, params = ("WHERE import_id=?", (import_id,)) if import_id is not None else ("", ())
        return pd.read_sql_query(f'SELECT import_id, file, "row", field, value, reason FROM rejects {where} '
                                 'ORDER BY fid', con, params=params)


def data_version(log: pd.DataFrame, *, edits: pd.DataFrame | None = None) -> str:
    """A short, stable name for the data a view shows, derived from the import log and the corrections.

    ``<n imports>.<12 hex>``: the hash covers each import's file hash and counts in order, then each
    edit's incident, field and new value (EDIT_COLUMNS), so the same imports and edits give the same
    version on any machine and either backend, and any new import or edit changes it.
    """
    digest = hashlib.sha256()
    for row in log[["sha256", "source", "accepted", "rejected"]].itertuples(index=False):
        digest.update(json.dumps(list(map(str, row))).encode())
    if edits is not None and len(edits):
        for row in edits[["incident_id", "field", "new"]].itertuples(index=False):
            digest.update(json.dumps(["edit", *row], ensure_ascii=False).encode())
    return f"{len(log)}.{digest.hexdigest()[:12]}"


@_dispatch
def info(path: str | Path) -> dict:
    """Counts, date range, datasets and data version of a store (an empty one is created where there is none)."""
    path = create(path)
    with _reading(path) as con:
        n, first, last = con.execute("SELECT COUNT(*), MIN(date_start), MAX(date_end) FROM incidents").fetchone()
        by_ds = dict(con.execute("SELECT source_dataset, COUNT(*) FROM incidents GROUP BY source_dataset").fetchall())
        n_rejects = con.execute("SELECT COUNT(*) FROM rejects").fetchone()[0]
    log = import_log(path)
    return {"store": str(path), "incidents": n, "date_min": first, "date_max": last, "by_dataset": by_ds,
            "imports": len(log), "reject_lines": n_rejects, "data_version": data_version(log, edits=edit_rows(path))}


@_dispatch
def stamp(path: str | Path) -> tuple:
    """A cheap token that changes whenever an import lands (the file's and its log's sizes and times), for
    caches keyed on the store's facts; a PostGIS store answers with its import log's count and last id."""
    files = [Path(path), Path(f"{path}-wal")]
    return tuple((f.stat().st_size, f.stat().st_mtime_ns) if f.exists() else None for f in files)


# ATLAS_STORE: a GeoPackage path or a postgresql:// URL (kept a string)
DEFAULT_PATH = location(os.environ.get("ATLAS_STORE") or Path.home() / ".local/share/kirkuk-atlas/atlas.gpkg")


def import_file(store_path: str | Path, path: str | Path, *, source: str = "auto", mapping: dict | None = None,
                geocoder=None, dayfirst: bool | None = None, clip=None, progress: Callable[[int], None] | None = None,
                notify: Callable[[str], None] | None = None, lock_timeout: float = LOCK_TIMEOUT) -> ImportSummary:
    """Import one file (ACLED, UCDP GED, GTD, a table or features) into the store as one transaction.

    Raises `sources.ImportFailure` with one clear line when the file cannot be read at all, and
    StoreError when the store cannot be used; then nothing is written. Rows that fail validation
    are in the summary's `rejects` and in the store. See `import_chunks` for `notify` and locking.
    `clip`: a shapely polygon (EPSG:4326; events.area); accepted rows outside it are neither stored nor
    rejected (valid, just elsewhere): the summary's `outside` counts them, `rows_read` still counts all.
    """
    from events import area, sources

    path = Path(path)
    kind = sources.detect_source(path) if source == "auto" else source
    chunks = sources.iter_import(path, source=kind, mapping=mapping, geocoder=geocoder, dayfirst=dayfirst)
    read = chunks  # a text table's chunks count the file's rows (a monadic event's rows each) and keep notes
    tally = {"kept": 0, "outside": 0, "rejected": 0}

    def rows_read() -> int:
        counted = getattr(read, "rows_read", None)
        return counted if counted is not None else tally["kept"] + tally["outside"] + tally["rejected"]

    seen: dict[str, int] = {}
    summary = import_chunks(store_path, _counting_actors(area.clipped(chunks, clip, tally), seen), file=path.name,
                            sha256=sha256_of(path), source=kind, rows_read=rows_read, progress=progress,
                            notify=notify, lock_timeout=lock_timeout)
    summary.outside, summary.clipped = tally["outside"], clip is not None
    summary.notes = list(getattr(read, "notes", []))
    summary.unmapped_actors = unmapped_actors(seen, user_aliases=actor_aliases(store_path))
    return summary


MAX_UNMAPPED_NAMED = 10  # actor names an import's note lists by name


def _counting_actors(chunks, seen: dict[str, int]):
    """The chunks unchanged, counting the accepted rows' actor strings (actor1, actor2) in `seen`."""
    for good, bad in chunks:
        for col in ("actor1", "actor2"):
            if len(good) and col in good.columns:
                for name, n in good[col].dropna().astype(str).value_counts().items():
                    seen[name] = seen.get(name, 0) + int(n)
        yield good, bad


MAX_UNMAPPED_KEPT = 1_000  # unknown actor names an import summary keeps


def unmapped_actors(seen: dict[str, int], *, user_aliases: dict | None = None) -> list[dict]:
    """The actor strings of `seen` (name -> rows) not on the canonical list, most rows first."""
    names = pd.Series(list(seen), dtype=object)
    ids = actors.identify_series(names, user_aliases=user_aliases)[0] if len(names) else names
    missing = sorted(((n, seen[n]) for n, i in zip(names, ids) if i is None and n.strip()),
                     key=lambda kv: (-kv[1], kv[0]))
    return [{"name": actors.clean_name(n), "rows": int(r)} for n, r in missing[:MAX_UNMAPPED_KEPT]]


def unmapped_note(counts: dict[str, int], *, total: int | None = None) -> str:
    """One line naming unknown actor strings (name -> rows, most rows first), or "" when there are none."""
    if not counts:
        return ""
    total = len(counts) if total is None else total
    items = list(counts.items())[:MAX_UNMAPPED_NAMED]
    shown = ", ".join(f"{n[:80]!r} ({r:,})" for n, r in items)
    more = f" and {total - len(items):,} more" if total > len(items) else ""
    return (f"{total:,} actor name(s) not on the canonical list, left as they are: {shown}{more}; "
            "map one with `python -m events actors map NAME --to ID` (see `actors unmapped`)")


def curated_version() -> str:
    """The data version of the curated set alone (as if it were a store's only import)."""
    from events.curated import CURATED_PATH
    log = pd.DataFrame([{"sha256": sha256_of(CURATED_PATH), "source": "curated",
                         "accepted": "", "rejected": ""}])
    return "curated." + data_version(log).split(".", 1)[1]


def open_store(path: str | Path = DEFAULT_PATH) -> Path | str:
    """Create the store if needed and bring its curated rows up to date with the shipped data set.

    The curated CSV is re-imported (replacing the previous curated rows) whenever its content hash
    differs from the last curated import in the log, so an edited data set never leaves stale rows.
    """
    from events.curated import CURATED_PATH, load_curated

    path = create(path)
    digest = sha256_of(CURATED_PATH)
    log = import_log(path)
    curated = log[log["source"] == "curated"]
    if curated.empty or curated["sha256"].iloc[-1] != digest:
        import_frame(path, load_curated(), file=CURATED_PATH.name, source="curated", sha256=digest,
                     replace_dataset=True)
    return path


# ---------------------------------------------------------------- gazetteers: the user's own, and places learnt from imports

_GAZETTEER_SCHEMA = """
CREATE TABLE IF NOT EXISTS gazetteers (fid INTEGER PRIMARY KEY AUTOINCREMENT, file TEXT NOT NULL,
  sha256 TEXT NOT NULL, format TEXT NOT NULL, licence TEXT NOT NULL, entries INTEGER NOT NULL,
  skipped INTEGER NOT NULL, imported_at DATETIME NOT NULL);
CREATE TABLE IF NOT EXISTS gazetteer_entries (fid INTEGER PRIMARY KEY AUTOINCREMENT,
  gazetteer_id INTEGER NOT NULL, name TEXT NOT NULL, name_ar TEXT, alternates TEXT, lat REAL NOT NULL,
  lon REAL NOT NULL, kind TEXT, admin1 TEXT, admin2 TEXT, admin3 TEXT, source_id TEXT);
CREATE INDEX IF NOT EXISTS gazetteer_entries_of ON gazetteer_entries (gazetteer_id);
CREATE TABLE IF NOT EXISTS place_evidence (fid INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, name_ar TEXT,
  lat REAL NOT NULL, lon REAL NOT NULL, source TEXT NOT NULL, count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS place_evidence_source ON place_evidence (source);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('gazetteers', 'attributes', 'gazetteers', 'The user''s gazetteer files: file, format, licence note, entries', NULL),
  ('gazetteer_entries', 'attributes', 'gazetteer_entries', 'Places of the user''s gazetteers', NULL),
  ('place_evidence', 'attributes', 'place_evidence', 'Place names with exact points learnt from imports', NULL);
"""
GAZETTEER_COLUMNS = ("name", "name_ar", "alternates", "lat", "lon", "kind", "admin1", "admin2", "admin3", "source_id")
EVIDENCE_COLUMNS = ("name", "name_ar", "lat", "lon", "source", "count")
# A row whose point our own geocoder gave (its `original` names the place it was geocoded from) is no evidence.
_GEOCODED = "CASE WHEN json_valid(original) THEN json_extract(original, '$._geocoded_from') END"


def _gazetteer_tables(con: sqlite3.Connection) -> None:
    """The gazetteer tables, made in the caller's transaction in stores created before they existed."""
    for statement in _statements(_GAZETTEER_SCHEMA):
        con.execute(statement)


def _has_table(con: sqlite3.Connection, table: str) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


def _learn(con: sqlite3.Connection, datasets) -> None:
    """Re-derive the place evidence of the datasets an import touched, in its transaction, with one
    grouped insert: each place name with a point at precision 1 that the source gave (not our
    geocoder), per point (4 decimals, ~10 m) and dataset, with how many rows say so."""
    datasets = sorted(datasets)
    if not datasets:
        return
    _gazetteer_tables(con)
    marks = ", ".join("?" * len(datasets))
    con.execute(f"DELETE FROM main.place_evidence WHERE source IN ({marks})", datasets)
    con.execute(f"""INSERT INTO main.place_evidence (name, name_ar, lat, lon, source, count)
        SELECT trim(COALESCE(place, '')), trim(COALESCE(place_ar, '')), ROUND(lat, 4), ROUND(lon, 4),
               source_dataset, COUNT(*)
        FROM main.incidents
        WHERE source_dataset IN ({marks}) AND geo_precision = 1 AND lat IS NOT NULL AND lon IS NOT NULL
          AND (trim(COALESCE(place, '')) != '' OR trim(COALESCE(place_ar, '')) != '') AND ({_GEOCODED}) IS NULL
        GROUP BY 1, 2, 3, 4, 5""", datasets)


@_dispatch
def add_gazetteer(path: str | Path, entries: pd.DataFrame, *, file: str, sha256: str, format: str,
                  licence: str, skipped: int = 0, lock_timeout: float = LOCK_TIMEOUT) -> dict:
    """Store a user's gazetteer (validated entries, columns GAZETTEER_COLUMNS) as one transaction.

    A gazetteer of the same file name is replaced (re-importing a corrected file does not double
    its places). Returns the stored gazetteer's row (id, file, format, licence, entries, skipped).
    """
    path = create(path)
    _check_writable(path)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = entries.reindex(columns=list(GAZETTEER_COLUMNS))
    with _writing(path, lock_timeout=lock_timeout, unstored="the gazetteer was not stored") as con:
        _gazetteer_tables(con)
        old = [r[0] for r in con.execute("SELECT fid FROM gazetteers WHERE file=?", (file,))]
        for fid in old:
            con.execute("DELETE FROM gazetteer_entries WHERE gazetteer_id=?", (fid,))
            con.execute("DELETE FROM gazetteers WHERE fid=?", (fid,))
        gid = con.execute("INSERT INTO gazetteers (file, sha256, format, licence, entries, skipped, imported_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (file, sha256, format, licence, len(frame), int(skipped), now)).lastrowid
        rows = ((gid, *(None if (v is None or (isinstance(v, float) and np.isnan(v))) else v for v in r))
                for r in frame.itertuples(index=False))
        con.executemany(f"INSERT INTO gazetteer_entries (gazetteer_id, {', '.join(GAZETTEER_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * (len(GAZETTEER_COLUMNS) + 1))})", rows)
    return {"id": gid, "file": file, "format": format, "licence": licence, "entries": len(frame),
            "skipped": int(skipped), "imported_at": now, "replaced": len(old)}


@_dispatch
def gazetteers(path: str | Path) -> pd.DataFrame:
    """The user's gazetteers in the store, oldest first (none in a store that has none)."""
    cols = ["id", "file", "sha256", "format", "licence", "entries", "skipped", "imported_at"]
    with _reading(create(path)) as con:
        if not _has_table(con, "gazetteers"):
            return pd.DataFrame(columns=cols)
        return pd.read_sql_query("SELECT fid AS id, file, sha256, format, licence, entries, skipped, imported_at "
                                 "FROM gazetteers ORDER BY fid", con)


@_dispatch
def remove_gazetteer(path: str | Path, gazetteer: int | str, *, lock_timeout: float = LOCK_TIMEOUT) -> int:
    """Remove a user's gazetteer by id or file name; returns how many entries went with it.
    StoreError when the store holds no such gazetteer."""
    path = create(path)
    _check_writable(path)
    with _writing(path, lock_timeout=lock_timeout, unstored="nothing was removed") as con:
        _gazetteer_tables(con)
        key = str(gazetteer).strip()
        fids = [r[0] for r in con.execute("SELECT fid FROM gazetteers WHERE file=? OR CAST(fid AS TEXT)=?",
                                          (key, key))]
        if not fids:
            raise _error(path, f"no gazetteer {key[:80]!r} in the store (see `python -m geo gazetteer list`)")
        removed = 0
        for fid in fids:
            removed += con.execute("DELETE FROM gazetteer_entries WHERE gazetteer_id=?", (fid,)).rowcount
            con.execute("DELETE FROM gazetteers WHERE fid=?", (fid,))
    return removed


@_dispatch
def gazetteer_entries(path: str | Path) -> pd.DataFrame:
    """Every entry of the user's gazetteers, with its gazetteer's id, file and licence note."""
    cols = ["gazetteer_id", "file", "licence", *GAZETTEER_COLUMNS]
    with _reading(create(path)) as con:
        if not _has_table(con, "gazetteer_entries"):
            return pd.DataFrame(columns=cols)
        return pd.read_sql_query(
            "SELECT e.gazetteer_id, g.file, g.licence, " + ", ".join(f"e.{c}" for c in GAZETTEER_COLUMNS)
            + " FROM gazetteer_entries e JOIN gazetteers g ON g.fid = e.gazetteer_id ORDER BY e.fid", con)


@_dispatch
def place_evidence(path: str | Path) -> pd.DataFrame:
    """Place names with a point at precision 1 learnt from the imports: name, name_ar, lat, lon, source, count."""
    with _reading(create(path)) as con:
        if not _has_table(con, "place_evidence"):
            return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
        return pd.read_sql_query(f"SELECT {', '.join(EVIDENCE_COLUMNS)} FROM place_evidence ORDER BY fid", con)


def gazetteer_version(path: str | Path) -> str:
    """A short name for what the store gives the geocoder: the data version (imports, hence the
    evidence) and the user's gazetteers; any import, gazetteer import or removal changes it."""
    digest = hashlib.sha256(data_version(import_log(path)).encode())
    for row in gazetteers(path)[["id", "sha256", "entries"]].itertuples(index=False):
        digest.update(json.dumps(list(map(str, row))).encode())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------- review decisions on matched incidents

_DECISIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS match_decisions (fid INTEGER PRIMARY KEY AUTOINCREMENT, left_id TEXT NOT NULL,
  right_id TEXT NOT NULL, decision TEXT NOT NULL, decided_by TEXT NOT NULL, decided_at DATETIME NOT NULL);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('match_decisions', 'attributes', 'match_decisions',
   'Review decisions on matched incidents (confirm, split, merge) by two incident_ids, who and when', NULL);
"""
DECISION_COLUMNS = ("left", "right", "decision", "by", "at")
MAX_REVIEWER = 100  # characters of a reviewer's name kept


def _checked_decision(left: str, right: str, decision: str, *, by: str):
    """A decision checked as `events.matching.read_decisions` does, and the reviewer's name as kept."""
    from events import matching

    try:
        (checked,) = matching.read_decisions([(left, right, decision)])
    except ValueError as exc:
        raise StoreError(str(exc).replace("decision 1: ", "")) from None
    return checked, " ".join(str(by or "").split())[:MAX_REVIEWER]


@_dispatch
def add_decision(path: str | Path, left: str, right: str, decision: str, *, by: str = "",
                 lock_timeout: float = LOCK_TIMEOUT) -> dict:
    """Store a review decision (`events.matching.DECISIONS`: confirm, split, merge) on two incidents of the
    store, by incident_id, with who made it (free text) and when. Decisions are never rewritten: the last
    on a pair wins when the matcher applies them, and they survive re-importing the same files (imports
    keep incident_ids and never touch this table). StoreError names an id the store does not hold."""
    checked, who = _checked_decision(left, right, decision, by=by)
    path = create(path)
    _check_writable(path)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _writing(path, lock_timeout=lock_timeout, unstored="the decision was not stored") as con:
        for key in (checked.left, checked.right):
            if con.execute("SELECT 1 FROM incidents WHERE incident_id=? LIMIT 1", (key,)).fetchone() is None:
                raise _error(path, f"no incident {key[:80]!r} in the store; nothing was decided")
        for statement in _statements(_DECISIONS_SCHEMA):
            con.execute(statement)
        con.execute("INSERT INTO match_decisions (left_id, right_id, decision, decided_by, decided_at) "
                    "VALUES (?, ?, ?, ?, ?)", (checked.left, checked.right, checked.decision, who, now))
    return {"left": checked.left, "right": checked.right, "decision": checked.decision, "by": who, "at": now}


@_dispatch
def decisions(path: str | Path) -> pd.DataFrame:
    """The review decisions in the store, oldest first (DECISION_COLUMNS; none in a store without any).
    The frame is what `events.matching.match(..., decisions=...)` takes as records."""
    with _reading(create(path)) as con:
        if not _has_table(con, "match_decisions"):
            return pd.DataFrame(columns=list(DECISION_COLUMNS))
        return pd.read_sql_query('SELECT left_id AS "left", right_id AS "right", decision, decided_by AS "by", '
                                 'decided_at AS "at" FROM match_decisions ORDER BY fid', con)


def decision_records(path: str | Path) -> list[dict]:
    """The decisions as `events.matching.match(..., decisions=...)` takes them: left, right, decision."""
    return decisions(path)[["left", "right", "decision"]].to_dict("records")


@_dispatch
def decisions_version(path: str | Path) -> str:
    """A short name for the review decisions in the store: any new decision changes it."""
    with _reading(create(path)) as con:
        if not _has_table(con, "match_decisions"):
            return "0"
        n, last = con.execute("SELECT COUNT(*), COALESCE(MAX(fid), 0) FROM match_decisions").fetchone()
    return f"{n}.{last}"


# ---------------------------------------------------------------- the user's actor mappings (events.actors)

_ACTOR_ALIASES_SCHEMA = """
CREATE TABLE IF NOT EXISTS actor_aliases (fid INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
  actor_id TEXT NOT NULL, mapped_at DATETIME NOT NULL);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('actor_aliases', 'attributes', 'actor_aliases',
   'The user''s mappings of source actor names onto the canonical actors (events/data/actors.csv)', NULL);
"""


def _checked_mapping(name: str, actor_id: str) -> str:
    """The actor name to map, cleaned; StoreError for an empty name or an id not on the canonical list."""
    clean = actors.clean_name(name)
    if not clean:
        raise StoreError("an actor name to map is empty")
    if actor_id not in actors.actors():
        raise StoreError(f"{actors.clean_name(actor_id)[:80]!r} is not an actor of the canonical list "
                         "(see `python -m events actors list`); nothing was mapped")
    return clean


@_dispatch
def map_actor(path: str | Path, name: str, actor_id: str, *, lock_timeout: float = LOCK_TIMEOUT) -> dict:
    """Store a user's mapping of a source's actor name onto a canonical actor (replacing an earlier
    mapping of the same folded name). It applies to every import, earlier ones included, from the next
    load. StoreError for an empty name or an id not on the list."""
    clean = _checked_mapping(name, actor_id)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _changing(path, _ACTOR_ALIASES_SCHEMA, lock_timeout=lock_timeout, unstored="the mapping was not stored") as con:
        same = [n for (n,) in con.execute("SELECT name FROM actor_aliases") if actors.key(n) == actors.key(clean)]
        con.executemany("DELETE FROM actor_aliases WHERE name=?", [(n,) for n in same])
        con.execute("INSERT INTO actor_aliases (name, actor_id, mapped_at) VALUES (?, ?, ?)", (clean, actor_id, now))
    return {"name": clean, "actor_id": actor_id, "mapped_at": now, "replaced": len(same)}


@_dispatch
def unmap_actor(path: str | Path, name: str, *, lock_timeout: float = LOCK_TIMEOUT) -> int:
    """Remove the user's mapping of `name` (matched folded); returns how many were removed (0: none)."""
    path = create(path)
    _check_writable(path)
    wanted = actors.key(actors.clean_name(name))
    with _writing(path, lock_timeout=lock_timeout, unstored="nothing was removed") as con:
        if not _has_table(con, "actor_aliases"):
            return 0
        same = [n for (n,) in con.execute("SELECT name FROM actor_aliases") if actors.key(n) == wanted]
        con.executemany("DELETE FROM actor_aliases WHERE name=?", [(n,) for n in same])
    return len(same)


@_dispatch
def actor_aliases(path: str | Path) -> dict[str, str]:
    """The user's actor mappings in the store: source name -> canonical actor_id (none in a store without)."""
    with _reading(path) as con:
        if not _has_table(con, "actor_aliases"):
            return {}
        return dict(con.execute("SELECT name, actor_id FROM actor_aliases ORDER BY fid").fetchall())


# ---------------------------------------------------------------- the user's notes (events.annotations validates them)

_ANNOTATIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS annotations (id INTEGER PRIMARY KEY AUTOINCREMENT, date TEXT NOT NULL,
  text TEXT NOT NULL, author TEXT NOT NULL, created DATETIME NOT NULL);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('annotations', 'attributes', 'annotations', 'The user''s notes on dates: date, text, author, created', NULL);
"""


@_dispatch
def add_annotation(path: str | Path, *, date: str, text: str, author: str, created: str,
                   lock_timeout: float = LOCK_TIMEOUT) -> int:
    """Store a validated note (date YYYY-MM-DD); returns its id."""
    with _changing(path, _ANNOTATIONS_SCHEMA, lock_timeout=lock_timeout, unstored="the note was not stored") as con:
        return con.execute("INSERT INTO annotations (date, text, author, created) VALUES (?, ?, ?, ?)",
                           (date, text, author, created)).lastrowid


@_dispatch
def remove_annotation(path: str | Path, number: int, *, lock_timeout: float = LOCK_TIMEOUT) -> int:
    """Remove the note `number`; returns how many were removed (0: no such note)."""
    path = create(path)
    _check_writable(path)
    with _writing(path, lock_timeout=lock_timeout, unstored="nothing was removed") as con:
        if not _has_table(con, "annotations"):
            return 0
        return con.execute("DELETE FROM annotations WHERE id=?", (int(number),)).rowcount


@_dispatch
def annotation_rows(path: str | Path, *, lo: str, hi: str) -> list[tuple]:
    """The notes with lo <= date <= hi (YYYY-MM-DD text), by date then id: (id, date, text, author, created)."""
    with _reading(create(path)) as con:
        if not _has_table(con, "annotations"):
            return []
        return con.execute("SELECT id, date, text, author, created FROM annotations WHERE date >= ? AND date <= ? "
                           "ORDER BY date, id", (lo, hi)).fetchall()


# ---------------------------------------------------------------- corrections of incidents (events.edits decides them)

_EDITS_SCHEMA = """
CREATE TABLE IF NOT EXISTS incident_edits (id INTEGER PRIMARY KEY AUTOINCREMENT, incident_id TEXT NOT NULL,
  field TEXT NOT NULL, old TEXT, new TEXT, reason TEXT NOT NULL, "by" TEXT NOT NULL, at DATETIME NOT NULL,
  reverts INTEGER);
CREATE INDEX IF NOT EXISTS incident_edits_of ON incident_edits (incident_id);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('incident_edits', 'attributes', 'incident_edits',
   'Corrections of incidents, append-only: incident_id, field, old, new, reason, by, at, the edit reverted', NULL);
"""
EDIT_COLUMNS = ("id", "incident_id", "field", "old", "new", "reason", "by", "at", "reverts")
_EDIT_SELECT = ", ".join(f'"{c}"' for c in EDIT_COLUMNS)


def _incident_row(con: sqlite3.Connection, incident_id: str) -> dict | None:
    """One incident's stored (unedited) values, dates as YYYY-MM-DD text, with its import's file and time."""
    names = ", ".join(f'i."{c}"' for c in model.COLUMNS)
    row = con.execute(f"SELECT {names}, i.import_id, l.file, l.imported_at FROM incidents i "
                      "LEFT JOIN import_log l ON l.fid = i.import_id WHERE i.incident_id=?", (incident_id,)).fetchone()
    return None if row is None else dict(zip((*model.COLUMNS, "_import_id", "_import_file", "_imported_at"), row))


@_dispatch
def record_edits(path: str | Path, incident_id: str, plan: Callable[[dict, list[dict]], list[dict]], *,
                 lock_timeout: float = LOCK_TIMEOUT) -> list[dict]:
    """Append the edits `plan` decides, in one transaction under the write lock. `plan(row, edits)` gets the
    incident's stored values (None: no such incident) and its edits so far (EDIT_COLUMNS dicts, oldest
    first) and returns the edits to append (field, old, new, reason, by, reverts), or raises to store
    nothing. Returns them as stored (with id and at). events.edits is the caller."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _changing(path, _EDITS_SCHEMA, lock_timeout=lock_timeout, unstored="nothing was changed") as con:
        before = [dict(zip(EDIT_COLUMNS, r)) for r in con.execute(
            f"SELECT {_EDIT_SELECT} FROM incident_edits "
            "WHERE incident_id=? ORDER BY id", (incident_id,))]
        stored = []
        for e in plan(_incident_row(con, incident_id), before):
            values = (incident_id, e["field"], e["old"], e["new"], e["reason"], e["by"], now, e.get("reverts"))
            number = con.execute('INSERT INTO incident_edits (incident_id, field, old, new, reason, "by", at, reverts) '
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values).lastrowid
            stored.append(dict(zip(EDIT_COLUMNS, (number, *values))))
    return stored


@_dispatch
def incident_values(path: str | Path, incident_id: str) -> dict | None:
    """One incident's stored (unedited) values as record_edits' `plan` gets them; None when there is none."""
    with _reading(path) as con:
        return _incident_row(con, incident_id)


@_dispatch
def edit_rows(path: str | Path, *, incident_id: str | None = None, edit_id: int | None = None) -> pd.DataFrame:
    """The stored edits (EDIT_COLUMNS), oldest first: all, one incident's, or the one numbered `edit_id`."""
    with _reading(path) as con:
        if not _has_table(con, "incident_edits"):
            return pd.DataFrame(columns=list(EDIT_COLUMNS))
        clauses, params = [], []
        if incident_id is not None:
            clauses.append("incident_id=?"), params.append(incident_id)
        if edit_id is not None:
            clauses.append("id=?"), params.append(int(edit_id))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = con.execute(f"SELECT {_EDIT_SELECT} FROM incident_edits "
                           f"{where} ORDER BY id", params).fetchall()
    return pd.DataFrame.from_records(rows, columns=list(EDIT_COLUMNS))


# ---------------------------------------------------------------- whole tables (events.migrate copies a store)

# Every table of a store with the columns a copy keeps (ids included, so import_id and gazetteer_id still
# point at their rows; the geometry is rebuilt from lon/lat), in the order a copy writes them.
TABLES: dict[str, tuple[str, ...]] = {
    "import_log": ("fid", "file", "sha256", "source", "rows_read", "accepted", "rejected", "new", "updated",
                   "imported_at"),
    "incidents": ("fid", *model.COLUMNS, "import_id"),
    "rejects": ("fid", "import_id", "file", "row", "field", "value", "reason"),
    "gazetteers": ("fid", "file", "sha256", "format", "licence", "entries", "skipped", "imported_at"),
    "gazetteer_entries": ("fid", "gazetteer_id", *GAZETTEER_COLUMNS),
    "place_evidence": ("fid", *EVIDENCE_COLUMNS),
    "match_decisions": ("fid", "left_id", "right_id", "decision", "decided_by", "decided_at"),
    "actor_aliases": ("fid", "name", "actor_id", "mapped_at"),
    "annotations": ("id", "date", "text", "author", "created"),
    "incident_edits": EDIT_COLUMNS,
}
_OPTIONAL_SCHEMAS = (_GAZETTEER_SCHEMA, _DECISIONS_SCHEMA, _ACTOR_ALIASES_SCHEMA, _ANNOTATIONS_SCHEMA, _EDITS_SCHEMA)


@_dispatch
def dump_table(path: str | Path, table: str) -> pd.DataFrame:
    """Every row of one of the store's tables (TABLES), ids included, values as stored."""
    columns = TABLES[table]
    with _reading(path) as con:
        if not _has_table(con, table):
            return pd.DataFrame(columns=list(columns))
        names = ", ".join(f'"{c}"' for c in columns)
        return pd.read_sql_query(f"SELECT {names} FROM {table} ORDER BY {columns[0]}", con)


@_dispatch
def table_counts(path: str | Path) -> dict[str, int]:
    """Rows per table of an existing store (TABLES; 0 for a table the store has not made yet)."""
    with _reading(path) as con:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] if _has_table(con, t) else 0
                for t in TABLES}


@_dispatch
def restore_tables(path: str | Path, frames: dict[str, pd.DataFrame], *, replace: bool = False,
                   lock_timeout: float = LOCK_TIMEOUT) -> None:
    """Write whole tables (ids kept) into the store as one transaction; with `replace` its rows go first."""
    path = create(path)
    _check_writable(path)
    with _writing(path, lock_timeout=lock_timeout, unstored="nothing was copied") as con:
        for schema in _OPTIONAL_SCHEMAS:
            for statement in _statements(schema):
                con.execute(statement)
        if replace:
            for table in TABLES:
                con.execute(f"DELETE FROM {table}")
        for table, columns in TABLES.items():
            frame = frames.get(table)
            if frame is None or frame.empty:
                continue
            frame = frame[list(columns)]
            values = [frame[c].astype(object).where(frame[c].notna(), None).map(
                lambda v: v.item() if isinstance(v, np.generic) else v).tolist() for c in columns]
            names = ", ".join(f'"{c}"' for c in columns)
            if table == "incidents":
                if _holds_nul(frame):
                    con.execute(_NUL_FLAG)
                blobs = _point_blobs(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
                con.executemany(f"INSERT INTO incidents (geom, {names}) VALUES ({', '.join('?' * (len(columns) + 1))})",
                                zip(blobs, *values))
            else:
                con.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})",
                                zip(*values))
        _update_extent(con)
