"""An area to keep: incidents clipped to a polygon, so a country-wide file (all of Iraq from ACLED or UCDP)
does not flood the map and the district list.

The area is a shapely (multi)polygon in EPSG:4326: the study area from geo's boundaries (`python -m geo
import --clip study-area`, the app), or a user's polygon file read here through events.vector's safe path
(`--clip FILE`; events never imports geo). `clip` is a plain function on a frame, shared by the command
lines and the app; `store.import_file(clip=)` leaves rows outside the area out of an import and counts them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from events import vector
from events.errors import AtlasError

CRS = "EPSG:4326"
POLYGONS = ("Polygon", "MultiPolygon")


class AreaError(AtlasError, ValueError):
    """An area file that cannot be used; one line naming the file (never its folder) and the problem."""


def read_area(path, *, name: str | None = None):
    """The union of every polygon in a user's GeoJSON, KML, GeoPackage or zipped Shapefile, in EPSG:4326.

    Opened only through events.vector (real type from the bytes, no network, no path named inside the
    file); points and lines are ignored, a file without a polygon is refused."""
    path = Path(path)
    name = name or path.name
    parts = []
    try:
        with vector.open_file(path, name=name) as source:
            for _layer, frame, _problems in source.frames():
                geoms = frame.geometry[frame.geometry.notna()]
                geoms = geoms[geoms.geom_type.isin(POLYGONS)]
                if geoms.empty:
                    continue
                if frame.crs is not None and frame.crs != CRS:
                    geoms = geoms.to_crs(CRS)
                parts.extend(geoms.values)
    except vector.Refused as exc:
        raise AreaError(str(exc)) from None
    except OSError as exc:
        raise AreaError(f"{name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except Exception as exc:  # pyproj/GEOS on impossible coordinates: still one line
        raise AreaError(f"{name}: its polygons cannot be used ({type(exc).__name__})") from None
    if not parts:
        raise AreaError(f"{name}: no polygon to clip to (the area must be drawn as polygons)")
    area = shapely.make_valid(shapely.union_all(parts))
    if area.is_empty or area.area == 0:
        raise AreaError(f"{name}: its polygons enclose no area")
    return area


def inside(frame: pd.DataFrame, area) -> np.ndarray:
    """True for each row whose point (lon, lat) lies in `area` (its edge included); False without a point."""
    x = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float) if len(frame) else np.zeros(0)
    y = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float) if len(frame) else np.zeros(0)
    ok = np.isfinite(x) & np.isfinite(y)
    out = np.zeros(len(frame), dtype=bool)
    if ok.any():
        shapely.prepare(area)
        out[ok] = shapely.intersects_xy(area, x[ok], y[ok])
    return out


def clip(frame: pd.DataFrame, area) -> tuple[pd.DataFrame, int]:
    """(the rows of `frame` inside `area`, how many were outside); `area` None keeps every row."""
    if area is None:
        return frame, 0
    keep = inside(frame, area)
    return frame[keep], int((~keep).sum())


def share_outside(path, area, *, source: str = "auto", geocoder: Callable | None = None,
                  dayfirst: bool | None = None) -> tuple[int, int]:
    """(accepted rows, of which outside `area`) of a file, read without storing anything: what the app
    asks about before an import when a file reaches far beyond the study area."""
    from events import sources
    path = Path(path)
    kind = sources.detect_source(path) if source == "auto" else source
    rows = outside = 0
    for accepted, _rejects in sources.iter_import(path, source=kind, geocoder=geocoder, dayfirst=dayfirst):
        rows += len(accepted)
        outside += clip(accepted, area)[1]
    return rows, outside


def clipped(chunks: Iterator[tuple[gpd.GeoDataFrame, pd.DataFrame]], area, tally: dict):
    """The (accepted, rejects) chunks of an import with the accepted rows outside `area` (None: keep all) left out;
    `tally` counts rows "kept", "outside" and "rejected" as they pass (the store's rows_read)."""
    for accepted, rejects in chunks:
        kept, out = clip(accepted, area)
        tally["kept"] += len(kept)
        tally["outside"] += out
        tally["rejected"] += int(rejects["row"].nunique()) if len(rejects) else 0
        yield kept, rejects
