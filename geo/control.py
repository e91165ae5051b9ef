"""Areas of control: time-valid polygons of who held what, and the join of incidents to them.

File format (GeoJSON FeatureCollection, one Polygon/MultiPolygon feature per period):

  area_id        str   the area; periods of one area must not overlap in time
  controller     str   e.g. "Iraqi federal government", "Kurdistan Regional Government / Peshmerga",
                       "ISIS", "Insurgent groups (JRTN, Islamic Army, Ansar al-Sunna)", "US-led coalition",
                       "PMF", "Peshmerga and PMF (joint)"
  control_type   str   control | contested | influence | insurgent activity | joint
  valid_from     date  YYYY-MM-DD, first day the period holds
  valid_to       date  YYYY-MM-DD, first day it no longer holds (the day control changed); empty = ongoing
  from_precision, to_precision   day | week | month | year | range (see the earliest/latest pair)
  from_earliest, from_latest, to_earliest, to_latest   the bounds of each uncertain end (may be empty)
  confidence     str   high | medium | low
  sources        list of citations {"title", "publisher", "url", "date"} (or their JSON text), at least one
  notes          str
  approximate    bool  geometry is an illustration of the sources' words, not a surveyed line
  label, change, end_change  optional one-line descriptions of the area and of the period's start/end

A period holds on day d when valid_from <= d < valid_to. The default layer is built from
geo/data/control_periods.json: recipes over the admin boundaries in use (unions of sub-districts,
minus circles around towns, or circles around gazetteer places: circles stand in where the
sub-district itself cannot be drawn or the sources speak of a town and its surroundings).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from events import vector

CONTROL_TYPES = ("control", "contested", "influence", "insurgent activity", "joint")
PRECISIONS = ("day", "week", "month", "year", "range")
CONFIDENCE = ("high", "medium", "low")
DATE_FIELDS = ("valid_from", "valid_to", "from_earliest", "from_latest", "to_earliest", "to_latest")
COLUMNS = ("area_id", "controller", "control_type", "valid_from", "valid_to", "from_precision", "from_earliest",
           "from_latest", "to_precision", "to_earliest", "to_latest", "confidence", "sources", "notes",
           "approximate", "label", "change", "end_change")
NONE_RECORDED = "none recorded"
DEFAULT_SPEC = Path(__file__).parent / "data" / "control_periods.json"
_METRIC = "EPSG:32638"  # UTM 38N: metres over the study area, for buffers and areas


class ControlError(ValueError):
    """A control file or spec that cannot be used; `problems` lists (feature, area_id, field, reason)."""

    def __init__(self, file: str, problems: list[tuple]):
        self.file, self.problems = file, problems
        lines = [f"feature {n} (area_id={a!r}): {f}: {r}" for n, a, f, r in problems[:20]]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{file}: {len(problems)} problem(s) in the control areas:\n" + "\n".join(lines) + more)


def _date(value):
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return pd.NaT
    return pd.Timestamp(str(value).strip()[:10])


def validate(frame: gpd.GeoDataFrame, *, file: str = "control areas") -> gpd.GeoDataFrame:
    """Check every feature against the format above; raise ControlError naming feature and field.

    Returns the frame normalised: dates as Timestamps, sources as JSON text, geometry in EPSG:4326.
    """
    problems: list[tuple] = []
    rows = []
    for n, (_, feat) in enumerate(frame.iterrows(), start=1):
        get = feat.get
        area = str(get("area_id") or "").strip()
        row = {c: get(c) for c in COLUMNS}

        def bad(field, reason):
            problems.append((n, area or None, field, reason))

        if not area:
            bad("area_id", "missing")
        if not str(get("controller") or "").strip():
            bad("controller", "missing")
        if get("control_type") not in CONTROL_TYPES:
            bad("control_type", f"{get('control_type')!r} is not one of {', '.join(CONTROL_TYPES)}")
        if get("confidence") not in CONFIDENCE:
            bad("confidence", f"{get('confidence')!r} is not one of high, medium, low")
        for field in DATE_FIELDS:
            try:
                row[field] = _date(get(field))
            except (ValueError, TypeError):
                bad(field, f"{get(field)!r} is not a date (YYYY-MM-DD)")
                row[field] = pd.NaT
        if pd.isna(row["valid_from"]) and not any(p[2] == "valid_from" and p[0] == n for p in problems):
            bad("valid_from", "missing")
        if pd.notna(row["valid_from"]) and pd.notna(row["valid_to"]) and row["valid_to"] <= row["valid_from"]:
            bad("valid_to", "must be after valid_from")
        for end in ("from", "to"):
            lo, hi = row[f"{end}_earliest"], row[f"{end}_latest"]
            if pd.notna(lo) and pd.notna(hi) and lo > hi:
                bad(f"{end}_earliest", f"after {end}_latest")
            prec = get(f"{end}_precision")
            if prec not in (None, "") and not (isinstance(prec, float) and np.isnan(prec)) and prec not in PRECISIONS:
                bad(f"{end}_precision", f"{prec!r} is not one of {', '.join(PRECISIONS)}")
        sources = get("sources")
        if isinstance(sources, str):
            try:
                sources = json.loads(sources) if sources.strip().startswith("[") else [{"title": sources}]
            except ValueError:
                sources = [{"title": sources}]
        if not isinstance(sources, list) or not any(isinstance(s, dict) and (s.get("title") or s.get("url")
                                                                            or s.get("publisher")) for s in sources):
            bad("sources", "needs at least one citation with a title, publisher or URL")
            sources = []
        row["sources"] = json.dumps(sources, ensure_ascii=False)
        geom = feat.geometry
        if geom is None or geom.is_empty:
            bad("geometry", "missing or empty")
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            bad("geometry", f"{geom.geom_type} is not a Polygon or MultiPolygon")
        elif not geom.is_valid:
            geom = shapely.make_valid(geom)
        row["geometry"] = geom
        row["approximate"] = bool(get("approximate")) if get("approximate") is not None else True
        for text in ("notes", "label", "change", "end_change", "from_precision", "to_precision"):
            value = get(text)
            row[text] = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
        rows.append(row)
    out = gpd.GeoDataFrame(rows, columns=[*COLUMNS, "geometry"], geometry="geometry", crs=frame.crs or "EPSG:4326")
    if not problems:
        problems += _overlaps(out)
    if problems:
        raise ControlError(file, problems)
    return out.to_crs("EPSG:4326")


def _overlaps(frame: gpd.GeoDataFrame) -> list[tuple]:
    """Periods of one area that overlap in time are an error (the area can't have two holders)."""
    problems = []
    end = pd.Series(_open_end(frame["valid_to"]), index=frame.index)
    for area, idx in frame.groupby("area_id").groups.items():
        order = frame.loc[idx].assign(_end=end[idx]).sort_values("valid_from")
        prev = None
        for n, row in order.iterrows():
            if prev is not None and row["valid_from"] < prev["_end"]:
                problems.append((n + 1, area, "valid_from",
                                 f"overlaps the period of feature {prev.name + 1} ({prev['controller']}, "
                                 f"{prev['valid_from']:%Y-%m-%d} to "
                                 f"{'ongoing' if pd.isna(prev['valid_to']) else format(prev['valid_to'], '%Y-%m-%d')})"))
            prev = row if prev is None or row["_end"] > prev["_end"] else prev
    return problems


def read_control(path: str | Path) -> gpd.GeoDataFrame:
    """Read and validate a user's control GeoJSON; errors name the file (never its folder), feature and field.

    The file goes through events.vector: it must really be GeoJSON (a VRT, GML or anything else
    named .geojson is refused), a "crs" link is never followed and its size and fields are bounded.
    """
    path = Path(path)
    name = path.name
    try:
        with vector.open_file(path, name=name, kinds=("geojson",)) as source:
            layers = list(source.frames())
    except vector.Refused as exc:
        raise ControlError(name, [(0, None, "file", f"not readable JSON or GeoJSON ({exc.reason})")]) from None
    except OSError as exc:
        raise ControlError(name, [(0, None, "file", f"cannot be read ({exc.strerror or type(exc).__name__})")]
                           ) from None
    _layer, frame, bad = layers[0]
    if frame.empty:
        raise ControlError(name, [(0, None, "features", "the file has no features")])
    if bad:
        ids = frame["area_id"] if "area_id" in frame.columns else pd.Series(None, index=frame.index)
        problems = [(k + 1, ids.iloc[k] if isinstance(ids.iloc[k], str) else None, "geometry", reason)
                    for k, (_value, reason) in sorted(bad.items())]
        raise ControlError(name, problems)
    return validate(frame, file=name)


def build_default(*, boundaries: gpd.GeoDataFrame | None = None, spec: Path = DEFAULT_SPEC) -> gpd.GeoDataFrame:
    """The default control layer: the spec's recipes drawn over the boundaries in use, validated."""
    from geo import boundaries as bounds
    from geo.gazetteer import geocode

    units = (boundaries if boundaries is not None else bounds.current_boundaries()).to_crs(_METRIC)
    data = json.loads(spec.read_text(encoding="utf-8"))
    geoms, problems = {}, []

    def point(name: str):
        hit = geocode(name)
        if not hit.found:
            problems.append((0, None, "areas", f"place {name!r} not found in the gazetteer"))
            return None
        return gpd.GeoSeries([shapely.Point(hit.lon, hit.lat)], crs="EPSG:4326").to_crs(_METRIC).iloc[0]

    for area_id, recipe in data["areas"].items():
        parts = []
        for ref in recipe.get("units", []):
            level, name = ref.split(":", 1)
            sel = units[(units["level"] == level) & (units["name_en"].str.casefold() == name.casefold())]
            if sel.empty:
                problems.append((0, area_id, "units", f"{ref} not in the boundaries in use"))
            parts.extend(sel.geometry)
        for name in recipe.get("around", []):
            centre = point(name)
            if centre is not None:
                parts.append(centre.buffer(recipe["km"] * 1000, quad_segs=16))
        geom = shapely.union_all(parts) if parts else None
        for name in recipe.get("minus_around", []):
            centre = point(name)
            if geom is not None and centre is not None:
                geom = geom.difference(centre.buffer(recipe["minus_km"] * 1000, quad_segs=16))
        geoms[area_id] = (geom, recipe.get("label", area_id))
    if problems:
        raise ControlError(str(spec), problems)
    rows = []
    for period in data["periods"]:
        geom, label = geoms.get(period["area_id"], (None, ""))
        rows.append({**period, "label": label, "approximate": True, "geometry": geom})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=_METRIC)
    frame["geometry"] = frame.geometry.simplify(50)  # 50 m: far below the layer's real uncertainty
    return validate(frame.to_crs("EPSG:4326"), file=str(spec))


@lru_cache(maxsize=4)
def _default_cached(key: str) -> gpd.GeoDataFrame:
    return build_default()


def default_layers() -> gpd.GeoDataFrame:
    """The default layer for the boundaries currently in use (cached per boundary set)."""
    from geo import boundaries as bounds
    return _default_cached(bounds.current_key()).copy()


def combine(base: gpd.GeoDataFrame, extra: gpd.GeoDataFrame, *, replace: bool = False,
            file: str = "control areas") -> gpd.GeoDataFrame:
    """A user's layer replacing the defaults, or added to them (validated together: no overlaps)."""
    if replace:
        return extra
    merged = pd.concat([base, extra], ignore_index=True)
    return validate(gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326"), file=file)


def _open_end(valid_to: pd.Series) -> np.ndarray:
    """valid_to as datetime64[ns] with 'ongoing' (empty) as the far future."""
    values = valid_to.to_numpy("datetime64[ns]")
    return np.where(np.isnat(values), np.datetime64("2262-01-01", "ns"), values)


def _holds(layers: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    return ((layers["valid_from"] <= day) & (layers["valid_to"].isna() | (layers["valid_to"] > day))).to_numpy()


def control_at(date, *, layers: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The periods valid on `date`, with `uncertain` True where the date falls inside an uncertain end."""
    layers = default_layers() if layers is None else layers
    day = pd.Timestamp(date).normalize()
    out = layers[_holds(layers, day)].copy()
    near_start = out["from_latest"].notna() & (out["from_latest"] >= day)
    near_end = out["to_earliest"].notna() & (out["to_earliest"] <= day)
    out["uncertain"] = (near_start | near_end).to_numpy()
    return out


def control_changes(*, layers: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Dates on which control changed, one row per date with a one-line description (for the slider)."""
    layers = default_layers() if layers is None else layers
    events: dict[pd.Timestamp, list[tuple[str, str]]] = {}
    starts = set()
    for row in layers.itertuples():
        starts.add((row.area_id, row.valid_from))
        text = row.change or f"{row.controller} {row.control_type}: {row.label or row.area_id}"
        events.setdefault(row.valid_from, []).append((row.area_id, text))
    for row in layers.itertuples():
        if pd.notna(row.valid_to) and (row.area_id, row.valid_to) not in starts:
            text = row.end_change or f"End of {row.controller} {row.control_type}: {row.label or row.area_id}"
            events.setdefault(row.valid_to, []).append((row.area_id, text))
    out = []
    for day in sorted(events):
        texts = list(dict.fromkeys(t for _, t in events[day] if t))
        named = [t for t in texts if not t.startswith(("End of ",))] or texts
        out.append({"date": day, "description": "; ".join(dict.fromkeys(named[:2])) + (" …" if len(named) > 2 else ""),
                    "area_ids": tuple(dict.fromkeys(a for a, _ in events[day]))})
    return pd.DataFrame(out, columns=["date", "description", "area_ids"])


def controller_of(incidents: gpd.GeoDataFrame, *, layers: gpd.GeoDataFrame | None = None,
                  date_column: str = "date_start") -> pd.DataFrame:
    """Who controlled each incident's location on its date, vectorised.

    Returns a frame aligned with `incidents` with `controller`, `control_type`, `area_id` and
    `control_confidence` ("none recorded" where no period covers the place and day). Where periods
    overlap in space, the smallest area wins (a village held by ISIS inside a Peshmerga-held district).
    """
    layers = default_layers() if layers is None else layers
    n = len(incidents)
    out = pd.DataFrame({"controller": np.full(n, NONE_RECORDED, dtype=object),
                        "control_type": np.full(n, "", dtype=object), "area_id": np.full(n, "", dtype=object),
                        "control_confidence": np.full(n, "", dtype=object)}, index=incidents.index)
    if n == 0 or layers.empty:
        return out
    points = incidents.geometry.to_numpy()
    tree = shapely.STRtree(layers.geometry.to_numpy())
    pt_idx, poly_idx = tree.query(points, predicate="within")
    if len(pt_idx) == 0:
        return out
    days = incidents[date_column].to_numpy("datetime64[ns]")[pt_idx]
    start = layers["valid_from"].to_numpy("datetime64[ns]")[poly_idx]
    end = _open_end(layers["valid_to"])[poly_idx]
    ok = (start <= days) & (days < end)
    pt_idx, poly_idx = pt_idx[ok], poly_idx[ok]
    if len(pt_idx) == 0:
        return out
    area = layers.to_crs(_METRIC).area.to_numpy()[poly_idx]
    order = np.lexsort((area, pt_idx))  # by point, then smallest area first
    pt_idx, poly_idx = pt_idx[order], poly_idx[order]
    first = np.r_[True, pt_idx[1:] != pt_idx[:-1]]
    pt_idx, poly_idx = pt_idx[first], poly_idx[first]
    for col, src in (("controller", "controller"), ("control_type", "control_type"), ("area_id", "area_id"),
                     ("control_confidence", "confidence")):
        values = out[col].to_numpy(copy=True)
        values[pt_idx] = layers[src].to_numpy()[poly_idx]
        out[col] = values
    return out


def to_geojson(layers: gpd.GeoDataFrame) -> str:
    """The layers as GeoJSON text in the file format above (dates as YYYY-MM-DD, sources as arrays)."""
    features = []
    for row in layers.itertuples():
        props = {}
        for col in COLUMNS:
            value = getattr(row, col)
            if col in DATE_FIELDS:
                value = "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")
            elif col == "sources":
                value = json.loads(value)
            elif isinstance(value, (np.bool_,)):
                value = bool(value)
            props[col] = value
        features.append({"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(row.geometry)})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
