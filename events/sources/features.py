"""Features: a GeoJSON, GeoPackage, KML or zipped shapefile, each feature a row of a user's table.

A polygon or line is drawn at a point inside it, with geo_precision at least 3 and a note. The file is
opened by events.vector, which checks its real type and refuses what we do not accept.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from events import model, textio
from events.sources import table
from events.sources.cells import problem
from events.sources.pipeline import ImportFailure, SeenIds, split
from i18n import N_

NAME = "features"
LABEL = N_("a GeoJSON, GeoPackage, KML or zipped shapefile")
SUFFIXES = ("geojson", "json", "gpkg", "kml")  # what the app's uploader offers
FILE_SUFFIXES = (".geojson", ".json", ".gpkg", ".kml", ".kmz", ".shp", ".fgb", ".gml")  # recognised as features
DERIVED = ("__lat", "__lon", "__geo")  # the point drawn and its precision: ours, not the file's, so not in `original`
KML_STYLE_FIELDS = {"altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon", "snippet"}


def detect_file(path: Path, head: bytes) -> bool:
    """Whether the file is a features file, by its first bytes (`head`) or its suffix."""
    suffix = path.suffix.lower()
    if head.startswith(b"SQLite format 3\x00"):
        return True
    if suffix in FILE_SUFFIXES:
        return True
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<") and b"<kml" in head[:2048]:
        return True
    if text.startswith(b"{") and b'"type"' in head[:4096]:
        return True
    if head.startswith(b"PK") and suffix == ".zip":
        try:
            names = textio.zip_members(path)
        except textio.Unreadable:
            return False
        return any(n.lower().endswith((".shp", ".gpkg", ".geojson", ".kml")) for n in names)
    return False


def stream(path: Path, *, chunksize: int, mapping: Mapping[str, str] | None, geocoder: Callable | None,
           confidence: str) -> Iterator[tuple[gpd.GeoDataFrame, pd.DataFrame]]:
    """Check the file with events.vector (real type from its bytes; VRT, GML, links refused) and stream it.

    Features carry their own geometry, so `geocoder` is not used."""
    from events import vector

    name = path.name
    try:
        source = vector.open_file(path, name=name)
    except vector.Refused as exc:
        raise ImportFailure(str(exc)) from None
    except OSError as exc:
        raise ImportFailure(f"{name}: reading failed ({exc.strerror or exc})") from None
    try:
        cols = table.resolve_columns(source.fields, mapping, name)
    except BaseException:
        source.close()
        raise
    ctx = {"name": name, "dataset": path.stem, "geocoder": None, "confidence": confidence, "seen": SeenIds()}
    return _feature_chunks(source, cols, ctx, max(1, int(chunksize)))


def _feature_chunks(source, cols: dict, ctx: dict, chunksize: int):
    from events import vector

    with source:
        try:
            for batch in source.batches(chunksize=chunksize):
                yield _features_chunk(batch.frame, cols, ctx, batch.numbers, bad=batch.problems)
        except vector.Refused as exc:
            raise ImportFailure(str(exc)) from None
        except OSError as exc:
            raise ImportFailure(f"{ctx['name']}: reading failed ({exc.strerror or exc})") from None


def _spots(geoms: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of a point inside each usable geometry (NaN where there is none: empty, or GEOS cannot find one)."""
    x, y = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
    idx = np.flatnonzero(ok)
    try:
        with np.errstate(invalid="ignore"):
            spots = shapely.point_on_surface(geoms[idx])
    except shapely.errors.ShapelyError:  # one odd geometry fails the whole call: find which, one by one
        spots = np.empty(len(idx), dtype=object)
        for k, g in enumerate(geoms[idx]):
            try:
                spots[k] = shapely.point_on_surface(g)
            except shapely.errors.ShapelyError:
                spots[k] = None
    usable = ~(shapely.is_missing(spots) | shapely.is_empty(spots)) if len(idx) else np.zeros(0, dtype=bool)
    x[idx[usable]], y[idx[usable]] = shapely.get_x(spots[usable]), shapely.get_y(spots[usable])
    return x, y


def _features_chunk(gdf: gpd.GeoDataFrame, cols: dict, ctx: dict, lines: np.ndarray, *,
                    bad: Mapping[int, tuple[str, str]] | None = None):
    """Features as table rows: the geometry at a point inside it; a geometry that was unusable in the file
    (`bad`: position -> (value, reason)) or has no inside point rejects its feature alone."""
    gdf = gdf.reset_index(drop=True)
    if gdf.crs is not None and not gdf.crs.equals(model.CRS):
        try:
            gdf = gdf.to_crs(model.CRS)
        except Exception as exc:  # pyproj raises several types for impossible transformations
            raise ImportFailure(f"{ctx['name']}: cannot convert its coordinates to WGS 84 "
                                f"({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})") from None
    geom = gdf.geometry
    kinds = geom.geom_type.fillna("").astype("str")
    shapes = np.asarray(geom.to_numpy(), dtype=object)
    has_geom = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    x, y = _spots(shapes, has_geom)
    unplaced = has_geom & np.isnan(x)
    has_geom = has_geom & ~unplaced
    area = pd.Series(has_geom & ~kinds.isin(["Point", "MultiPoint"]).to_numpy(), index=gdf.index)
    raw = pd.DataFrame({c: _feature_text(gdf[c]) for c in gdf.columns
                        if c != gdf.geometry.name and c not in KML_STYLE_FIELDS}, index=gdf.index)
    lat_col, lon_col, geo_col = DERIVED
    raw[lat_col] = pd.Series(y, index=gdf.index).map(_fmt)
    raw[lon_col] = pd.Series(x, index=gdf.index).map(_fmt)
    raw[geo_col] = pd.Series("", index=gdf.index, dtype="str").where(~area, "3")
    fcols = {k: v for k, v in cols.items() if k not in ("lat", "lon")} | {"lat": lat_col, "lon": lon_col}
    fcols.setdefault("geo_precision", geo_col)
    ctx = dict(ctx, lines=lines, derived=DERIVED)
    frame, problems, names = table.convert(raw, fcols, ctx)
    if area.any():
        gp = pd.to_numeric(frame["geo_precision"], errors="coerce")
        frame["geo_precision"] = frame["geo_precision"].astype(object).where(~area, np.fmax(gp, 3).astype("Int64")
                                                                            .astype(object))
        what = kinds.str.lower().str.replace("multi", "", regex=False)
        note = "drawn at a representative point inside the feature's " + what
        frame["notes"] = frame["notes"].where(~area, (frame["notes"].fillna("") + " [" + note + "]").str.strip())
    bad = dict(bad or {})
    broken = pd.Series([k in bad for k in range(len(gdf))], index=gdf.index, dtype=bool)
    values = pd.Series([bad[k][0] if k in bad else v for k, v in enumerate(kinds)], index=gdf.index, dtype=object)
    reasons = pd.Series([bad[k][1] if k in bad else "" for k in range(len(gdf))], index=gdf.index, dtype=object)
    problem(problems, "geometry", broken, values, reasons, table.XY)
    problem(problems, "geometry", pd.Series(unplaced, index=gdf.index), kinds,
            "no point can be found inside this geometry (is it valid?)", table.XY)
    problem(problems, "geometry", pd.Series(~has_geom, index=gdf.index) & ~broken, kinds, "feature has no geometry",
            table.XY)
    names = {k: v for k, v in names.items() if not str(v).startswith("__")} | {"lat": "geometry", "lon": "geometry"}
    problems = [p for p in problems if p[3] is not table.NO_COORDINATES]
    return split(frame, problems, lines, ctx["name"], names, seen=ctx.get("seen"))


def _fmt(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else repr(float(v))


def _feature_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").fillna("").astype("str")
    return s.map(textio.cell_text).fillna("").astype("str")
