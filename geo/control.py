"""Areas of control: time-valid polygons of who held what, and the join of incidents to them.

File format (GeoJSON FeatureCollection, one Polygon/MultiPolygon feature per period):

  area_id        str   the area; periods of one area must not overlap in time
  controller     str   e.g. "Iraqi federal government", "Kurdistan Regional Government / Peshmerga",
                       "ISIS", "Insurgent groups (JRTN, Islamic Army, Ansar al-Sunna)", "US-led coalition",
                       "PMF", "Peshmerga and PMF (joint)"
  control_type   str   what kind of hold, as the best control maps tell them apart:
                       held:      control | contested (front line; the sides' shares unknown) | besieged
                                  (held, surrounded, never taken) | joint (shared by named forces)
                       not held:  influence | insurgent activity (attack zone) | support zone
                       (insurgents move and are supplied here; nobody says they hold it)
  basis          str   assessed (the sources' own reporting) | claimed (one side's statement, uncorroborated);
                       empty = not stated (a user's file)
  claimed_by     str   who claims it, when basis is "claimed"
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
sub-district itself cannot be drawn or the sources speak of a town and its surroundings; "within_around"
keeps only the part of the units near a place, to split a sub-district the front ran through). Every
default period is approximate: the sources give places and dates, never surveyed lines (docs/control.md).
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from events import vector
from events.errors import AtlasError
from events.exports import ExportError
from i18n import translator

HELD_TYPES = ("control", "contested", "besieged", "joint")          # somebody holds the ground
ACTIVITY_TYPES = ("influence", "insurgent activity", "support zone")  # presence, attacks, supply: not a hold
CONTROL_TYPES = HELD_TYPES + ACTIVITY_TYPES
BASES = ("assessed", "claimed")
PRECISIONS = ("day", "week", "month", "year", "range")
CONFIDENCE = ("high", "medium", "low")
DATE_FIELDS = ("valid_from", "valid_to", "from_earliest", "from_latest", "to_earliest", "to_latest")
COLUMNS = ("area_id", "controller", "control_type", "valid_from", "valid_to", "from_precision", "from_earliest",
           "from_latest", "to_precision", "to_earliest", "to_latest", "confidence", "sources", "notes",
           "approximate", "label", "change", "end_change", "basis", "claimed_by")
NONE_RECORDED = "none recorded"
DEFAULT_SPEC = Path(__file__).parent / "data" / "control_periods.json"
_METRIC = "EPSG:32638"  # UTM 38N: metres over the study area, for buffers and areas


class ControlError(AtlasError, ValueError):
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


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


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
        basis = _text(get("basis"))
        if basis and basis not in BASES:
            bad("basis", f"{basis!r} is not one of {', '.join(BASES)} (or empty: not stated)")
        if basis == "claimed" and not _text(get("claimed_by")):
            bad("claimed_by", "missing: a claimed period names the side that claims it")
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
        for text in ("notes", "label", "change", "end_change", "from_precision", "to_precision", "basis",
                     "claimed_by"):
            row[text] = _text(get(text))
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
    """The default control layer: the spec's recipes drawn over `boundaries` (default: the built-in
    approximate set), validated.

    A unit a recipe names that `boundaries` lacks (a file of one admin level, a name the file spells
    otherwise) is drawn from the built-in approximate set instead, and the period's notes say so: a
    user's boundary file never leaves the layer unbuildable.
    """
    from geo import boundaries as bounds
    from geo.gazetteer import geocode

    units = bounds.resolve(boundaries).to_crs(_METRIC)
    built_in = None
    data = json.loads(spec.read_text(encoding="utf-8"))
    geoms, problems = {}, []

    def point(name: str):
        hit = geocode(name)
        if not hit.found:
            problems.append((0, None, "areas", f"place {name!r} not found in the gazetteer"))
            return None
        return gpd.GeoSeries([shapely.Point(hit.lon, hit.lat)], crs="EPSG:4326").to_crs(_METRIC).iloc[0]

    def unit(frame, level, name):
        return frame[(frame["level"] == level) & (frame["name_en"].str.casefold() == name.casefold())]

    for area_id, recipe in data["areas"].items():
        parts, borrowed = [], []
        for ref in recipe.get("units", []):
            level, name = ref.split(":", 1)
            sel = unit(units, level, name)
            if sel.empty and boundaries is not None:
                if built_in is None:
                    built_in = bounds.approximate_boundaries().to_crs(_METRIC)
                sel = unit(built_in, level, name)
                borrowed += [ref] if not sel.empty else []
            if sel.empty:
                problems.append((0, area_id, "units", f"{ref} not in the boundaries in use"))
            parts.extend(sel.geometry)
        for name in recipe.get("around", []):
            centre = point(name)
            if centre is not None:
                parts.append(centre.buffer(recipe["km"] * 1000, quad_segs=16))
        geom = shapely.union_all(parts) if parts else None
        within = [c.buffer(recipe["within_km"] * 1000, quad_segs=16)
                  for c in map(point, recipe.get("within_around", [])) if c is not None]
        if geom is not None and within:
            geom = geom.intersection(shapely.union_all(within))
        for name in recipe.get("minus_around", []):
            centre = point(name)
            if geom is not None and centre is not None:
                geom = geom.difference(centre.buffer(recipe["minus_km"] * 1000, quad_segs=16))
        note = (f" Drawn with the built-in approximate {', '.join(borrowed)}: not in the boundaries in use."
                if borrowed else "")
        geoms[area_id] = (geom, recipe.get("label", area_id), note)
    if problems:
        raise ControlError(spec.name, problems)
    rows = []
    for period in data["periods"]:
        geom, label, note = geoms.get(period["area_id"], (None, "", ""))
        rows.append({"basis": "assessed", "claimed_by": "", **period, "label": label, "approximate": True,
                     "geometry": geom, "notes": (period.get("notes") or "") + note})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=_METRIC)
    frame["geometry"] = frame.geometry.simplify(50)  # 50 m: far below the layer's real uncertainty
    return validate(frame.to_crs("EPSG:4326"), file=spec.name)


_DEFAULTS: dict[str, gpd.GeoDataFrame] = {}   # fingerprint of a boundary set -> its default layer (a value)
_DEFAULTS_KEPT = 4
_DEFAULTS_LOCK = threading.Lock()


def default_layers(*, boundaries: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The default layer drawn over `boundaries` (default: the built-in approximate set); a fresh copy.

    Cached by the boundary set's content, never by "the set in force": one session's boundaries
    cannot change another's layer."""
    from geo import boundaries as bounds
    key = bounds.fingerprint(boundaries)
    with _DEFAULTS_LOCK:   # sessions run in threads: one build per set, and the dict is never torn
        if key not in _DEFAULTS:
            built = build_default(boundaries=boundaries)
            while len(_DEFAULTS) >= _DEFAULTS_KEPT:
                _DEFAULTS.pop(next(iter(_DEFAULTS)))
            _DEFAULTS[key] = built
        return _DEFAULTS[key].copy()


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


def control_at(date, *, layers: gpd.GeoDataFrame | None = None,
               boundaries: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The periods valid on `date`, with `uncertain` True where the date falls inside an uncertain end.
    `layers` default: the default layer over `boundaries`."""
    layers = default_layers(boundaries=boundaries) if layers is None else layers
    day = pd.Timestamp(date).normalize()
    out = layers[_holds(layers, day)].copy()
    near_start = out["from_latest"].notna() & (out["from_latest"] >= day)
    near_end = out["to_earliest"].notna() & (out["to_earliest"] <= day)
    out["uncertain"] = (near_start | near_end).to_numpy()
    return out


def control_changes(*, layers: gpd.GeoDataFrame | None = None,
                    boundaries: gpd.GeoDataFrame | None = None, lang: str = "en") -> pd.DataFrame:
    """Dates on which control changed, one row per date with a one-line description (for the slider).
    `layers` default: the default layer over `boundaries`. In another language than English the
    descriptions are said in it: a period's own `change_<lang>` / `end_change_<lang>` text where the
    layer has one, else the holder and the kind of control in the language (a period's English
    `change` text is not shown as if it were a translation)."""
    layers = default_layers(boundaries=boundaries) if layers is None else layers
    t = translator(lang)
    if t.lang != "en":
        layers = _said_in(layers, t)
    events: dict[pd.Timestamp, list[tuple[str, str]]] = {}
    written_changes: dict[pd.Timestamp, list[str]] = {}
    for row in layers.itertuples():
        for day, text in ((row.valid_from, row.change), (row.valid_to, row.end_change)):
            if text and pd.notna(day):
                written_changes.setdefault(day, []).append(text)
    starts = set()
    # A period that only continues the one before it (same area, holder and kind: a change of confidence
    # or of sources, e.g. the Hawija pocket after its first weeks) is not a change of control.
    ends = {(r.area_id, r.valid_to, r.controller, r.control_type) for r in layers.itertuples() if pd.notna(r.valid_to)}
    for row in layers.itertuples():
        starts.add((row.area_id, row.valid_from))
        if (row.area_id, row.valid_from, row.controller, row.control_type) in ends:
            continue
        text = row.change or t("{controller} {control_type}: {area}", controller=t(row.controller),
                               control_type=t(row.control_type), area=_own(row.label or row.area_id, t))
        events.setdefault(row.valid_from, []).append((row.area_id, text))
    for row in layers.itertuples():
        if pd.notna(row.valid_to) and (row.area_id, row.valid_to) not in starts:
            text = row.end_change or t("End of {controller} {control_type}: {area}", controller=t(row.controller),
                                       control_type=t(row.control_type), area=_own(row.label or row.area_id, t))
            events.setdefault(row.valid_to, []).append((row.area_id, text))
    out = []
    for day in sorted(events):
        texts = list(dict.fromkeys(t for _, t in events[day] if t))
        written = set(written_changes.get(day, ()))   # a period's own `change` text says more than a default one
        ending = t("End of {controller} {control_type}: {area}").split("{")[0]
        named = sorted([x for x in texts if not x.startswith(ending)] or texts, key=lambda x: x not in written)
        out.append({"date": day, "description": ("؛ " if t.rtl else "; ").join(dict.fromkeys(named[:2]))
                    + (" …" if len(named) > 2 else ""),
                    "area_ids": tuple(dict.fromkeys(a for a, _ in events[day]))})
    return pd.DataFrame(out, columns=["date", "description", "area_ids"])


def _own(text, t) -> str:
    return t.isolate(text) if t.rtl else str(text)


def _said_in(layers: pd.DataFrame, t) -> pd.DataFrame:
    """The layer with its `change` / `end_change` texts in the translator's language: the period's
    `change_<lang>` column where it has one, else empty (the description is then built in the language)."""
    out = layers.copy()
    for column in ("change", "end_change"):
        own = f"{column}_{t.lang}"
        if column in out:
            out[column] = out[own].where(out[own].notna(), None) if own in out else None
    return out


def summarise(areas: pd.DataFrame, *, lang: str = "en") -> list[str]:
    """One line per controller for the panel beside the map: the areas it holds, apart from the areas
    where it is only active (insurgent activity, support zones, influence), so a 2019 attack zone is
    never counted as ground held; claimed periods are counted as such. Said in `lang`."""
    t = translator(lang)
    if areas is None or len(areas) == 0:
        return []
    frame = pd.DataFrame({"controller": areas["controller"].astype(str).to_numpy(),
                          "held": areas["control_type"].isin(HELD_TYPES).to_numpy(),
                          "claimed": (areas["basis"] == "claimed").to_numpy() if "basis" in areas
                          else np.zeros(len(areas), bool)})
    lines = []
    for name, rows in frame.groupby("controller", sort=True):
        held, active = int(rows["held"].sum()), int((~rows["held"]).sum())
        parts = []
        if held:
            claimed = int((rows["held"] & rows["claimed"]).sum())
            parts.append(t.plural("{n} area held", "{n} areas held", held)
                         + (t(" ({n} only claimed)", n=claimed) if claimed else ""))
        if active:
            parts.append(t.plural("{n} area of insurgent activity or influence, not control",
                                  "{n} areas of insurgent activity or influence, not control", active))
        lines.append(f"{t(name)}: " + ("؛ " if t.rtl else "; ").join(parts))
    return lines


SEVERAL = "several: "                         # prefix of an area-level incident's several controllers
UNKNOWN_AT_PRECISION = "unknown at this precision"
AREA_LEVEL = "area-level"                     # control_type of an incident known only to its district/governorate
COVERED = 0.95                                # share of an area the holding periods must cover to speak for it
_AREA_OF = {3: "adm2", 4: "adm1"}             # geo_precision -> the level of the area the point stands for


def controller_of(incidents: gpd.GeoDataFrame, *, layers: gpd.GeoDataFrame | None = None,
                  boundaries: gpd.GeoDataFrame | None = None, date_column: str = "date_start") -> pd.DataFrame:
    """Who controlled each incident's place on its date, vectorised.

    Returns a frame aligned with `incidents` with `controller`, `control_type`, `area_id` and
    `control_confidence`. An incident located to a place (geo_precision 1-2) takes the period
    covering its point ("none recorded" where none does); where periods overlap in space, the
    smallest area wins (a village held by ISIS inside a Peshmerga-held district). An incident known
    only to its district (3) or governorate (4) takes the controllers over that area in `boundaries`
    (named by its admin2 / admin1, as `assign_admin` leaves them), never its centre point's: see
    `_area_controllers`. `layers` default: the default layer over `boundaries`.
    """
    layers = default_layers(boundaries=boundaries) if layers is None else layers
    n = len(incidents)
    out = pd.DataFrame({"controller": np.full(n, NONE_RECORDED, dtype=object),
                        "control_type": np.full(n, "", dtype=object), "area_id": np.full(n, "", dtype=object),
                        "control_confidence": np.full(n, "", dtype=object)}, index=incidents.index)
    if n == 0:
        return out
    from geo.boundaries import precision_of
    precision = precision_of(incidents)
    values = {c: out[c].to_numpy(copy=True) for c in out.columns}
    area_rows = np.flatnonzero(precision >= 3)
    if len(area_rows):
        _area_controllers(incidents, area_rows, precision, layers, boundaries, date_column, values)
    if not layers.empty:
        _point_controllers(incidents, np.flatnonzero(precision <= 2), layers, date_column, values)
    for col, v in values.items():
        out[col] = v
    return out


def _point_controllers(incidents, rows: np.ndarray, layers, date_column: str, values: dict) -> None:
    """The period covering each row's point on its date (smallest area first), into `values`."""
    if not len(rows):
        return
    points = incidents.geometry.to_numpy()[rows]
    tree = shapely.STRtree(layers.geometry.to_numpy())
    pt_idx, poly_idx = tree.query(points, predicate="within")
    if len(pt_idx) == 0:
        return
    days = incidents[date_column].to_numpy("datetime64[ns]")[rows][pt_idx]
    start = layers["valid_from"].to_numpy("datetime64[ns]")[poly_idx]
    end = _open_end(layers["valid_to"])[poly_idx]
    ok = (start <= days) & (days < end)
    pt_idx, poly_idx = pt_idx[ok], poly_idx[ok]
    if len(pt_idx) == 0:
        return
    area = layers.to_crs(_METRIC).area.to_numpy()[poly_idx]
    order = np.lexsort((area, pt_idx))  # by point, then smallest area first
    pt_idx, poly_idx = pt_idx[order], poly_idx[order]
    first = np.r_[True, pt_idx[1:] != pt_idx[:-1]]
    pt_idx, poly_idx = rows[pt_idx[first]], poly_idx[first]
    for col, src in (("controller", "controller"), ("control_type", "control_type"), ("area_id", "area_id"),
                     ("control_confidence", "confidence")):
        values[col][pt_idx] = layers[src].to_numpy()[poly_idx]


def _area(b: gpd.GeoDataFrame, level: str, admin1: str, name: str) -> gpd.GeoDataFrame:
    """The polygons of unit `name` of `level` (under governorate `admin1`); where the set has no
    polygon of that level at all (a one-level file), the finer units that name it as their parent."""
    from geo.boundaries import ADMIN_COLUMNS
    own = b["admin1"].astype(object).where(b["admin1"].notna(), "").astype(str).str.strip() == admin1
    column = b[ADMIN_COLUMNS[int(level[-1]) - 1]]
    named = column.astype(object).where(column.notna(), "").astype(str).str.strip() == name
    if (b["level"] == level).any():
        return b[(b["level"] == level) & named & own]
    finer = b[named & own & (b["level"] > level)]
    return finer[finer["level"] == finer["level"].min()] if not finer.empty else finer


def _area_controllers(incidents, rows: np.ndarray, precision: np.ndarray, layers, boundaries,
                      date_column: str, values: dict) -> None:
    """Controllers of area-level rows, grouped by (area, set of periods holding on the day).

    The area is the row's district (precision 3, its admin2) or governorate (4, admin1) polygon in
    `boundaries`. On the row's day, the periods overlapping the area (more than touching it) are
    the candidates; their distinct controllers, plus "none recorded" when together they cover less
    than `COVERED` of the area, make the answer: one name alone is that controller; several give
    "several: A; B" (sorted); none, or an area not found in `boundaries`, "unknown at this
    precision". control_type is "area-level", area_id lists the periods' areas, confidence is the
    lowest among them. Cost: one overlay per area, one boolean matrix per (area, distinct day).
    """
    from geo import boundaries as bounds
    b = bounds.resolve(boundaries)
    values["controller"][rows] = UNKNOWN_AT_PRECISION
    values["control_type"][rows] = AREA_LEVEL
    level = np.array([_AREA_OF[p] for p in precision[rows]], dtype=object)
    a1 = bounds._text(incidents["admin1"]).to_numpy(object)[rows] if "admin1" in incidents else np.full(len(rows), "")
    a2 = bounds._text(incidents["admin2"]).to_numpy(object)[rows] if "admin2" in incidents else np.full(len(rows), "")
    name = np.where(level == "adm2", a2, a1)
    keys = pd.MultiIndex.from_arrays([level, a1, name])
    codes, uniques = pd.factorize(keys)
    days_all = incidents[date_column].to_numpy("datetime64[ns]")[rows]
    metric = layers.to_crs(_METRIC).geometry.to_numpy() if not layers.empty else np.array([], dtype=object)
    start = layers["valid_from"].to_numpy("datetime64[ns]") if not layers.empty else np.array([], "datetime64[ns]")
    end = _open_end(layers["valid_to"]) if not layers.empty else np.array([], "datetime64[ns]")
    rank = {"low": 0, "medium": 1, "high": 2}
    for k, (lv, parent, unit_name) in enumerate(uniques):
        if not unit_name:
            continue
        polys = _area(b, lv, parent, unit_name)
        if polys.empty or layers.empty:
            continue
        outline = shapely.union_all(polys.to_crs(_METRIC).geometry.to_numpy())
        whole = outline.area
        if whole <= 0:
            continue
        parts = shapely.intersection(metric, outline)
        cand = np.flatnonzero(shapely.area(parts) > 1e-3 * whole)   # overlapping, not just touching
        mine = np.flatnonzero(codes == k)
        if not len(cand):
            continue
        days, inverse = np.unique(days_all[mine], return_inverse=True)
        holds = (start[cand][None, :] <= days[:, None]) & (days[:, None] < end[cand][None, :])
        combos, combo_of_day = np.unique(holds, axis=0, return_inverse=True)
        labels = []
        for combo in combos:
            held = cand[combo]
            if not len(held):
                labels.append((UNKNOWN_AT_PRECISION, AREA_LEVEL, "", ""))
                continue
            names = sorted(set(layers["controller"].to_numpy()[held]))
            if shapely.union_all(parts[held]).area < COVERED * whole:
                names.append(NONE_RECORDED)
            text = names[0] if len(names) == 1 else SEVERAL + "; ".join(names)
            confidence = min(layers["confidence"].to_numpy()[held], key=lambda c: rank.get(c, 0))
            labels.append((text, AREA_LEVEL, "; ".join(sorted(set(layers["area_id"].to_numpy()[held]))), confidence))
        per_row = np.asarray(combo_of_day).reshape(-1)[inverse]
        target = rows[mine]
        for j, col in enumerate(("controller", "control_type", "area_id", "control_confidence")):
            values[col][target] = np.array([lab[j] for lab in labels], dtype=object)[per_row]


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


def export_geojson(areas: gpd.GeoDataFrame) -> bytes:
    """The download of the control periods a view shows: GeoJSON bytes in EPSG:4326 (RFC 7946).

    An empty or foreign frame is an ExportError, as for the incident exports, rather than an empty file.
    """
    if not isinstance(areas, gpd.GeoDataFrame):
        raise ExportError(f"expected the control areas, got {type(areas).__name__}")
    missing = [c for c in COLUMNS if c not in areas.columns]
    if missing:
        raise ExportError("not a control-areas frame: missing column(s) " + ", ".join(missing))
    if len(areas) == 0:
        raise ExportError("no control areas recorded in the window: nothing to export")
    if areas.crs is not None and areas.crs != "EPSG:4326":
        areas = areas.to_crs("EPSG:4326")
    return to_geojson(areas).encode("utf-8", "replace")
