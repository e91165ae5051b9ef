"""The columnar cache: frames derived from a store, kept as Arrow IPC files beside it and memory-mapped.

Why: at a million incidents, reading and matching the whole GeoPackage on every server start takes
~20 s and several GB. A frame saved here opens in well under a second, and its text columns are read
in place from the mapped file (page cache, shared by every process and session) instead of being
copied onto the Python heap. Each file carries the key it was built for (the data version, the review
decisions, ...): `read` returns None for a missing, stale or unreadable file and the caller rebuilds it.
Files are written to a private name and renamed into place, so a reader never sees half a file.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from events import store

_KEY = b"atlas.cache.key"
_GEOMETRY = b"atlas.cache.geometry"  # name of the WKB column holding a GeoDataFrame's geometry, and its CRS
_CRS = b"atlas.cache.crs"
_POINTS = b"atlas.cache.points"  # set when the geometry is the point (lon, lat) of each row: rebuilt, not stored
_NAME = re.compile(r"[a-z0-9_-]{1,64}")
_STALE_TMP_S = 3600.0  # a temporary file older than this was left by a killed writer


def folder(store_path: str | Path) -> Path:
    """The cache folder of the store at `store_path`: a hidden folder beside it; for a PostGIS store (a URL)
    a folder of the user's cache directory named by a hash of the URL without its password."""
    if store.is_url(store_path):
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kirkuk-atlas"
        return base / hashlib.sha256(store.label(str(store_path)).encode()).hexdigest()[:16]
    store_path = Path(store_path)
    return store_path.parent / f".{store_path.name}.cache"


def _file(store_path: str | Path, name: str) -> Path:
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a cache name: {name!r}")
    return folder(store_path) / f"{name}.arrow"


def write(store_path: str | Path, name: str, frame: pd.DataFrame, *, key: str) -> bool:
    """Save `frame` (a DataFrame or a GeoDataFrame) as the cache `name` of the store, built for `key`.

    Returns False, leaving any older file in place, when the folder cannot be written (a read-only
    store folder, a full disk) or a column has no Arrow type: the app then works from memory as before."""
    target = _file(store_path, name)
    meta = {_KEY: key.encode()}
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geom = frame.geometry.name
        meta[_GEOMETRY] = geom.encode()
        meta[_CRS] = (frame.crs.to_string() if frame.crs is not None else "").encode()
        if _points_of_lon_lat(frame):  # the canonical frame's points: rebuilt from lon/lat, ~30x faster than WKB
            meta[_POINTS] = b"lon,lat"
            frame = pd.DataFrame(frame).drop(columns=[geom])
        else:
            frame = pd.DataFrame(frame).assign(**{geom: shapely.to_wkb(frame.geometry.to_numpy())})
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)   # a URL store: ~/.cache/kirkuk-atlas/<hash>
        _sweep(target.parent)
        table = pa.Table.from_pandas(pd.DataFrame(frame), preserve_index=None)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=256 * 1024)
        os.replace(tmp, target)
        return True
    except (OSError, pa.ArrowException, TypeError, ValueError):  # ValueError: a column Arrow cannot type
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # no folder to hold it (a file where the folder should be)
            pass
        return False


def read(store_path: str | Path, name: str, *, key: str, geometry: bool = True) -> pd.DataFrame | None:
    """The cache `name` of the store if it was built for `key`, memory-mapped; None when it is missing,
    stale (another key) or unreadable (the caller rebuilds it). A GeoDataFrame comes back as one, unless
    `geometry` is False: then as a DataFrame without its geometry (1M points cost ~0.5 s and ~220 MB,
    and a frame of points that has lon and lat does not need them)."""
    path = _file(store_path, name)
    try:
        reader = pa.ipc.open_file(pa.memory_map(str(path), "r"))
        meta = reader.schema.metadata or {}
        if meta.get(_KEY) != key.encode():
            return None
        frame = reader.read_all().to_pandas(split_blocks=True, self_destruct=False)
    except (OSError, pa.ArrowException, ValueError, TypeError, KeyError):
        return None
    geom = meta.get(_GEOMETRY, b"").decode()
    if geom and not geometry:
        return frame.drop(columns=[geom]) if geom in frame.columns else frame
    if geom:
        try:
            if meta.get(_POINTS) == b"lon,lat":
                points = shapely.points(frame["lon"].to_numpy("float64"), frame["lat"].to_numpy("float64"))
                points[frame["lon"].isna().to_numpy() | frame["lat"].isna().to_numpy()] = None
            else:
                points = shapely.from_wkb(frame.pop(geom).to_numpy(object))
        except (KeyError, ValueError, TypeError, shapely.errors.GEOSException):
            return None
        crs = meta.get(_CRS, b"").decode() or None
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(points, index=frame.index, crs=crs), crs=crs)
        frame = frame.rename_geometry(geom) if geom != "geometry" else frame
    return frame


def _points_of_lon_lat(frame: gpd.GeoDataFrame) -> bool:
    """True when the geometry is exactly the point (lon, lat) of each row (empty where either is missing)."""
    if not {"lon", "lat"} <= set(frame.columns):
        return False
    geoms = frame.geometry.to_numpy()
    lon, lat = frame["lon"].to_numpy("float64", na_value=np.nan), frame["lat"].to_numpy("float64", na_value=np.nan)
    missing = np.isnan(lon) | np.isnan(lat)
    if not (shapely.is_missing(geoms[missing]).all() and (shapely.get_type_id(geoms[~missing]) == 0).all()):
        return False
    return bool(np.array_equal(shapely.get_x(geoms[~missing]), lon[~missing])
                and np.array_equal(shapely.get_y(geoms[~missing]), lat[~missing]))


def compact(frame: pd.DataFrame, *, max_distinct: float = 0.5) -> pd.DataFrame:
    """`frame` with each text column whose distinct values are at most `max_distinct` of its rows held as
    Python objects sharing one string per distinct value (types, places, actors, admin areas, data sets).

    Why: selecting rows of an Arrow text column copies every selected string (at a million rows in view,
    hundreds of MB and seconds per step); selecting rows of these copies 8-byte pointers."""
    out = frame.copy(deep=False)
    for col in frame.columns:
        values = frame[col]
        if not isinstance(values.dtype, pd.StringDtype) or not len(values):
            continue
        codes, uniques = pd.factorize(values)
        if len(uniques) > max_distinct * len(values):
            continue
        shared = np.append(uniques.to_numpy(dtype=object, na_value=np.nan), np.nan)
        out[col] = pd.Series(shared[codes], index=frame.index, dtype=object)
    return out


def _sweep(where: Path) -> None:
    """Remove temporary files that killed writers left in the cache folder."""
    now = time.time()
    for entry in where.glob(".*.tmp"):
        try:
            if now - entry.stat().st_mtime > _STALE_TMP_S:
                entry.unlink()
        except OSError:
            pass
