"""The embedded store: one GeoPackage file holding incidents, the import log and the rejects.

The file opens in QGIS (a standard GeoPackage 1.4 with a point layer `incidents` and attribute
tables `import_log` and `rejects`). It is written with the standard library's sqlite3 rather than
GDAL so that an import is one SQL transaction: all of a batch or none of it. WAL mode lets the
app read while an import runs. Rows are keyed by `incident_id`, which is
``<source_dataset>:<source_id>`` for imported rows, so re-importing the same rows updates them in
place instead of duplicating them.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import struct
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from events import model

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


class StoreError(Exception):
    """The store file cannot be used (not a GeoPackage of ours, unreadable, locked)."""


@dataclass
class ImportSummary:
    """What one import did; `to_dict()` is what `python -m events import --json` prints."""

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

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("rejects")
        out["rejected_rows"] = int(self.rejects["row"].nunique()) if len(self.rejects) else 0
        return out


def _point_blobs(lon: np.ndarray, lat: np.ndarray) -> list[bytes]:
    """GeoPackage binary points (no envelope, little-endian WKB), built in one numpy pass."""
    arr = np.zeros(len(lon), dtype=_POINT_BLOB)
    arr["magic"], arr["flags"], arr["srs"], arr["order"], arr["wkb_type"] = b"GP", 1, 4326, 1, 1
    arr["x"], arr["y"] = lon, lat
    raw, size = arr.tobytes(), _POINT_BLOB.itemsize
    return [raw[i:i + size] for i in range(0, len(raw), size)]


def _rows(frame: gpd.GeoDataFrame, import_id: int) -> Iterable[tuple]:
    """The canonical frame as SQL parameter tuples (None for missing values)."""
    cols = []
    for c in model.COLUMNS:
        s = frame[c]
        if c in model.DATE_COLUMNS:
            s = s.dt.strftime("%Y-%m-%d")
        cols.append(s.astype(object).where(s.notna(), None).tolist())
    blobs = _point_blobs(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    return zip(blobs, *cols, [import_id] * len(frame))


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA cache_size=-262144")  # 256 MB page cache: big imports keep their indexes in memory
    return con


def create(path: str | Path) -> Path:
    """Create an empty store at `path` (a GeoPackage), or check that an existing one is ours."""
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        try:
            with closing(sqlite3.connect(path)) as con:
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a GeoPackage store ({exc})") from None
        if not {"incidents", "import_log", "rejects"} <= tables:
            raise StoreError(f"{path}: a SQLite/GeoPackage file but not an incident store "
                             "(tables incidents, import_log, rejects missing)")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(_connect(path)) as con:
        con.execute(f"PRAGMA application_id={_GPKG_APPLICATION_ID}")
        con.execute(f"PRAGMA user_version={_GPKG_USER_VERSION}")
        con.executescript(_SCHEMA)
    return path


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_chunks(path: str | Path, chunks: Iterator[tuple[gpd.GeoDataFrame, pd.DataFrame]], *,
                  file: str, sha256: str, source: str, rows_read: Callable[[], int] | int | None = None,
                  replace_dataset: bool = False, progress: Callable[[int], None] | None = None
                  ) -> ImportSummary:
    """Write (accepted, rejects) chunks as ONE transaction and log the import.

    If anything fails part-way (a chunk raises, the disk fills), the transaction is rolled back and
    the store is exactly as before. With `replace_dataset`, rows of the same `source_dataset` that
    the batch does not contain are removed (used to re-sync the curated set after it is edited).
    """
    create(path)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    accepted = deleted = 0
    reject_parts: list[pd.DataFrame] = []
    datasets: set[str] = set()
    con = _connect(Path(path))
    try:
        con.execute("BEGIN IMMEDIATE")
        before = con.execute("SELECT COUNT(*) FROM incidents").fetchone()[0]
        cur = con.execute(
            "INSERT INTO import_log (file, sha256, source, rows_read, accepted, rejected, new, updated, imported_at)"
            " VALUES (?, ?, ?, 0, 0, 0, 0, 0, ?)", (file, sha256, source, now))
        import_id = cur.lastrowid
        names = ", ".join(f'"{c}"' for c in model.COLUMNS)
        marks = ", ".join("?" * (len(model.COLUMNS) + 2))
        updates = ", ".join(f'"{c}"=excluded."{c}"' for c in model.COLUMNS if c != "incident_id")
        sql = (f"INSERT INTO incidents (geom, {names}, import_id) VALUES ({marks}) "
               f"ON CONFLICT(incident_id) DO UPDATE SET geom=excluded.geom, {updates}, import_id=excluded.import_id")
        seen_ids: list[np.ndarray] = []
        for good, bad in chunks:
            if len(good):
                con.executemany(sql, _rows(good, import_id))
                accepted += len(good)
                datasets.update(good["source_dataset"].unique())
                if replace_dataset:
                    seen_ids.append(good["incident_id"].to_numpy(object))
            if len(bad):
                con.executemany('INSERT INTO rejects (import_id, file, "row", field, value, reason) VALUES (?,?,?,?,?,?)',
                                ((import_id, *r) for r in bad[list(model.REJECT_COLUMNS)].itertuples(index=False)))
                reject_parts.append(bad)
            if progress:
                progress(accepted)
        if replace_dataset and datasets:
            keep = np.concatenate(seen_ids) if seen_ids else np.array([], dtype=object)
            con.execute("CREATE TEMP TABLE keep_ids (incident_id TEXT PRIMARY KEY)")
            con.executemany("INSERT OR IGNORE INTO keep_ids VALUES (?)", ((i,) for i in keep))
            for ds in datasets:
                deleted += con.execute("DELETE FROM incidents WHERE source_dataset=? AND incident_id NOT IN keep_ids",
                                       (ds,)).rowcount
            con.execute("DROP TABLE keep_ids")
        after = con.execute("SELECT COUNT(*) FROM incidents").fetchone()[0]
        rejects = (pd.concat(reject_parts, ignore_index=True) if reject_parts
                   else pd.DataFrame(columns=list(model.REJECT_COLUMNS)))
        bad_rows = int(rejects["row"].nunique()) if len(rejects) else 0
        n_read = rows_read() if callable(rows_read) else (rows_read if rows_read is not None else accepted + bad_rows)
        new = after - before + deleted
        updated = accepted - new
        con.execute("UPDATE import_log SET rows_read=?, accepted=?, rejected=?, new=?, updated=? WHERE fid=?",
                    (n_read, accepted, bad_rows, new, updated, import_id))
        _update_extent(con)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return ImportSummary(file=file, source=source, sha256=sha256, rows_read=n_read, accepted=accepted,
                         rejected=bad_rows, new=new, updated=updated, import_id=import_id, rejects=rejects)


def _update_extent(con: sqlite3.Connection) -> None:
    con.execute("""UPDATE gpkg_contents SET last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now'),
        min_x=(SELECT MIN(lon) FROM incidents), min_y=(SELECT MIN(lat) FROM incidents),
        max_x=(SELECT MAX(lon) FROM incidents), max_y=(SELECT MAX(lat) FROM incidents)
        WHERE table_name='incidents'""")


def import_frame(path: str | Path, frame: gpd.GeoDataFrame, *, file: str, source: str,
                 rejects: pd.DataFrame | None = None, sha256: str | None = None,
                 replace_dataset: bool = False) -> ImportSummary:
    """Store an already-validated canonical frame as one import (e.g. the curated set)."""
    bad = rejects if rejects is not None else pd.DataFrame(columns=list(model.REJECT_COLUMNS))
    digest = sha256 or hashlib.sha256(pd.util.hash_pandas_object(
        model.to_records(frame), index=False).to_numpy().tobytes()).hexdigest()
    return import_chunks(path, iter([(frame, bad)]), file=file, sha256=digest, source=source,
                         replace_dataset=replace_dataset)


def load(path: str | Path, *, where: str = "") -> gpd.GeoDataFrame:
    """All incidents (or those matching an OGR SQL `where`) as the canonical GeoDataFrame."""
    path = Path(path)
    if not path.exists():
        raise StoreError(f"{path}: no such store")
    create(path)
    # GDAL's Arrow reader is ~4x faster than sqlite3 + read_sql for large stores.
    frame = pyogrio.read_dataframe(path, layer="incidents", columns=list(model.COLUMNS), where=where or None,
                                   read_geometry=False, use_arrow=True)
    frame = frame.sort_values(["date_start", "incident_id"], kind="stable", ignore_index=True)
    return model.normalise(frame)


def import_log(path: str | Path) -> pd.DataFrame:
    """The import log, oldest first."""
    with closing(_connect(Path(create(path)))) as con:
        return pd.read_sql_query("SELECT fid AS import_id, file, sha256, source, rows_read, accepted, rejected, "
                                 "new, updated, imported_at FROM import_log ORDER BY fid", con)


def rejects(path: str | Path, *, import_id: int | None = None) -> pd.DataFrame:
    """The rejects report of one import (or all)."""
    with closing(_connect(Path(create(path)))) as con:
        where, params = ("WHERE import_id=?", (import_id,)) if import_id is not None else ("", ())
        return pd.read_sql_query(f'SELECT import_id, file, "row", field, value, reason FROM rejects {where} '
                                 'ORDER BY fid', con, params=params)


def data_version(log: pd.DataFrame) -> str:
    """A short, stable name for the data a view shows, derived from the import log.

    ``<n imports>.<12 hex>``: the hash covers each import's file hash and counts in order, so the
    same imports give the same version on any machine and any new import changes it.
    """
    digest = hashlib.sha256()
    for row in log[["sha256", "source", "accepted", "rejected"]].itertuples(index=False):
        digest.update(json.dumps(list(map(str, row))).encode())
    return f"{len(log)}.{digest.hexdigest()[:12]}"


def info(path: str | Path) -> dict:
    """Counts, date range, datasets and data version of a store."""
    path = Path(create(path))
    with closing(_connect(path)) as con:
        n, first, last = con.execute("SELECT COUNT(*), MIN(date_start), MAX(date_end) FROM incidents").fetchone()
        by_ds = dict(con.execute("SELECT source_dataset, COUNT(*) FROM incidents GROUP BY source_dataset").fetchall())
        n_rejects = con.execute("SELECT COUNT(*) FROM rejects").fetchone()[0]
    log = import_log(path)
    return {"store": str(path), "incidents": n, "date_min": first, "date_max": last, "by_dataset": by_ds,
            "imports": len(log), "reject_lines": n_rejects, "data_version": data_version(log)}


DEFAULT_PATH = Path(os.environ.get("ATLAS_STORE", Path.home() / ".local/share/kirkuk-atlas/atlas.gpkg"))


def import_file(store_path: str | Path, path: str | Path, *, source: str = "auto", mapping: dict | None = None,
                geocoder=None, progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Import one file (ACLED, UCDP GED, GTD, a table or features) into the store as one transaction.

    Raises `importers.ImportFailure` with one clear line when the file cannot be read at all; then
    nothing is written. Rows that fail validation are in the summary's `rejects` and in the store.
    """
    from events import importers

    path = Path(path)
    kind = importers.detect_source(path) if source == "auto" else source
    chunks = importers.iter_import(path, source=kind, mapping=mapping, geocoder=geocoder)
    return import_chunks(store_path, chunks, file=path.name, sha256=sha256_of(path), source=kind,
                         progress=progress)


def curated_version() -> str:
    """The data version of the curated set alone (as if it were a store's only import)."""
    from events.curated import CURATED_PATH
    log = pd.DataFrame([{"sha256": sha256_of(CURATED_PATH), "source": "curated",
                         "accepted": "", "rejected": ""}])
    return "curated." + data_version(log).split(".", 1)[1]


def open_store(path: str | Path = DEFAULT_PATH) -> Path:
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
