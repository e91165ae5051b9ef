"""Two dates side by side: what a view held on each of two dates, and what changed between them.

`compare` decides everything shown and nothing is decided twice: the incidents of each window are
`events.view.select` of the view on that date (the selection the map, the counts and every export
make), the areas of control are `geo.control.control_at` each date, and the changes are
`geo.control.control_changes` between the dates. Areas are measured in an equal-area projection
(EPSG:6933); where periods overlap in space the smallest holds, as `control.controller_of` decides
who held an incident's place, so no square kilometre is counted twice. Only ground held
(`control.HELD_TYPES`) is counted, never a zone of insurgent activity or influence; every figure drawn
from approximate geometry is marked approximate ("≈").

`compare_png` and `compare_pdf` draw one picture of it: two maps locked to one centre and zoom (one
framing, computed once), each titled with its date in large type, a shared legend and the "what
changed" table below; one PNG, or one A4 landscape PDF page. Each map is the snapshot's own static map
page (`geo.snapshot`: offline base, place labels laid out by its LabelLayout, scale bar, north arrow)
photographed by headless Chromium with every request but data: refused; the sheet around them is an
autoescaped template, so a title, a place or an actor's name is only ever text.
"""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import jinja2
import pandas as pd
import shapely

from events import labels, query
from events import view as events_view
from geo import control, mapview, snapshot
from geo.snapshot import SnapshotError

EQUAL_AREA = "EPSG:6933"    # WGS 84 / NSIDC EASE-Grid 2.0 Global: equal-area, so km² are true km²
GRID_M = 1.0               # overlays snapped to a metre: robust against the layer's nearly-shared edges
SLIVER_KM2 = 0.5            # gained / lost pieces smaller than this are drawing noise, not ground
MAX_CHANGES = {"png": 8, "pdf": 6}       # control changes listed (the rest counted, never cut mid-table)
CHANGE_CHARS = {"png": 150, "pdf": 100}  # a change description's characters on the sheet
MIN_MAP_PX = 240            # a map smaller than this would say nothing: refuse rather than print it
PNG_SIZE = (1920, 1080)
A4_LANDSCAPE_PX = (1123, 794)   # 297 x 210 mm at CSS's 96 px an inch
PDF_MAP_SCALE = 2.0             # the PDF's maps drawn at twice the pixels, so they print sharp


@dataclass(frozen=True)
class Side:
    """One of the two dates: its view, the incidents it holds, the areas of control valid on it and,
    per controller, the ground held (km² in EPSG:6933; geometry in EPSG:4326)."""

    view: events_view.View
    shown: pd.DataFrame
    areas: gpd.GeoDataFrame
    held: gpd.GeoDataFrame      # controller, km2, approximate, geometry

    @property
    def day(self) -> pd.Timestamp:
        """The date whose areas of control are shown: the end of the window."""
        return self.view.end

    @property
    def totals(self) -> dict:
        """Incidents and the killed range of the window (events.query.totals)."""
        return query.totals(self.shown)

    def text(self) -> str:
        """The date in large type, or the window when it is not the trail to a date."""
        if self.view.mode == "as of":
            return f"{self.day:%d %B %Y}"
        return f"{self.view.start:%d %b %Y} – {self.view.end:%d %b %Y}"

    def says(self) -> str:
        """The window's counts in one line (and, for a window, the date of its areas of control)."""
        totals = self.totals
        counts = (f"{totals['incidents']:,} incident{'' if totals['incidents'] == 1 else 's'} · killed {_killed(self.shown)}"
                  if totals["incidents"] else "no incident in the window")
        return counts if self.view.mode == "as of" else f"{counts} · areas of control on {self.day:%d %b %Y}"


@dataclass(frozen=True)
class Comparison:
    """Two dates of one view and what changed between them (see the module's docstring)."""

    before: Side
    after: Side
    holdings: pd.DataFrame      # controller, km2_before, km2_after, gained_km2, lost_km2, approximate
    shifts: gpd.GeoDataFrame    # controller, change ("gained" | "lost"), km2, approximate, geometry (EPSG:4326)
    handovers: pd.DataFrame     # area_id, label, before, after, approximate: areas whose holder changed
    changes: pd.DataFrame       # control.control_changes rows dated after `before.day`, up to `after.day`

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.before, self.after


def compare(incidents: pd.DataFrame, *, view: events_view.View, dates=None, windows=None,
            layers: gpd.GeoDataFrame | None = None, boundaries: gpd.GeoDataFrame | None = None) -> Comparison:
    """`view` on two `dates` (each with the incidents of the view's `trail_days` up to it), or over two
    explicit `windows` ((start, end), (start, end)), and what changed between them. `incidents`:
    joined with the boundaries and areas of control when the view filters by them (as the map's are);
    `layers` default: the default control layer over `boundaries`."""
    views = _views(view, dates=dates, windows=windows)
    layers = control.default_layers(boundaries=boundaries) if layers is None else layers
    before, after = (_side(incidents, v, layers) for v in views)
    return Comparison(before=before, after=after, holdings=_holdings(before.held, after.held),
                      shifts=_shifts(before.held, after.held), handovers=_handovers(before.areas, after.areas),
                      changes=_changes(layers, before.day, after.day, lang=view.lang))


def _day(value, what: str) -> pd.Timestamp:
    """A date of the atlas's period, or one SnapshotError line naming it."""
    try:
        day = pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        day = pd.NaT
    if pd.isna(day):
        raise SnapshotError(f"{what} {str(value)[:40]!r} is not a date (expected YYYY-MM-DD)") from None
    if not snapshot.FIRST <= day <= snapshot.LAST:
        raise SnapshotError(f"{what} {day:%Y-%m-%d} is outside the atlas's period, 2003-01-01 to 2024-12-31")
    return day


def _pair(values, what: str) -> tuple:
    if isinstance(values, (str, bytes)) or values is None:
        raise SnapshotError(f"give two {what} to compare")
    values = tuple(values)
    if len(values) != 2:
        raise SnapshotError(f"give two {what} to compare, not {len(values)}")
    return values


def _views(view: events_view.View, *, dates, windows) -> tuple[events_view.View, events_view.View]:
    """The view on each date (its trail up to it) or over each window; reversed or equal dates refused."""
    if (dates is None) == (windows is None):
        raise SnapshotError("give two dates, or two windows, to compare (not both)")
    if dates is not None:
        a, b = (_day(d, w) for d, w in zip(_pair(dates, "dates"), ("first date", "second date")))
        if b <= a:
            raise SnapshotError(f"the second date ({b:%Y-%m-%d}) must come after the first ({a:%Y-%m-%d})")
        return tuple(events_view.with_changes(view, mode="as of", asof=d.date()) for d in (a, b))
    spans = []
    for window, what in zip(_pair(windows, "windows"), ("first window", "second window")):
        start, end = _pair(window, f"dates for the {what} (start and end)")
        start, end = _day(start, f"the {what}'s start"), _day(end, f"the {what}'s end")
        if end < start:
            raise SnapshotError(f"the {what} ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})")
        spans.append((start, end))
    if spans[1][1] <= spans[0][1]:
        raise SnapshotError(f"the second window must end after the first ({spans[1][1]:%Y-%m-%d} is not after "
                            f"{spans[0][1]:%Y-%m-%d})")
    return tuple(events_view.with_changes(view, mode="window", window=(s.date(), e.date())) for s, e in spans)


def _side(incidents: pd.DataFrame, view: events_view.View, layers: gpd.GeoDataFrame) -> Side:
    areas = control.control_at(view.end, layers=layers)
    return Side(view=view, shown=events_view.select(incidents, view), areas=areas, held=_held(areas))


def _held(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Ground held per controller on one date: held periods only, the smallest first where they overlap
    (a town held inside a district held by another), dissolved per controller."""
    held = areas[areas["control_type"].isin(control.HELD_TYPES)]
    columns = ["controller", "km2", "approximate", "geometry"]
    if held.empty:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs="EPSG:4326")
    metric = held.to_crs(EQUAL_AREA)
    order = metric.assign(_area=metric.area).sort_values("_area", kind="stable")
    pieces: dict[str, list] = {}
    approximate: dict[str, bool] = {}
    taken = None
    for row in order.itertuples():
        geom = shapely.set_precision(shapely.make_valid(row.geometry), GRID_M)
        own = geom if taken is None else shapely.difference(geom, taken, grid_size=GRID_M)
        taken = geom if taken is None else shapely.union(taken, geom, grid_size=GRID_M)
        pieces.setdefault(row.controller, []).append(own)
        approximate[row.controller] = approximate.get(row.controller, False) or bool(row.approximate)
    names = sorted(pieces)
    geoms = [shapely.union_all(pieces[name], grid_size=GRID_M) for name in names]
    out = gpd.GeoDataFrame({"controller": names, "km2": [g.area / 1e6 for g in geoms],
                            "approximate": [approximate[n] for n in names]}, geometry=geoms, crs=EQUAL_AREA)
    return out.to_crs("EPSG:4326")[columns]


def _metric(held: gpd.GeoDataFrame) -> dict:
    """controller -> (geometry in EPSG:6933, approximate)."""
    if held.empty:
        return {}
    metric = held.to_crs(EQUAL_AREA)
    return {r.controller: (r.geometry, bool(r.approximate)) for r in metric.itertuples()}


def _minus(a, b):
    """`a` without `b`, on the metre grid."""
    return shapely.difference(a, b, grid_size=GRID_M)


def _holdings(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per controller: km² held on each date, gained and lost (largest holders first)."""
    a, b = _metric(before), _metric(after)
    rows = []
    empty = shapely.Polygon()
    for name in sorted(set(a) | set(b)):
        (ga, xa), (gb, xb) = a.get(name, (empty, False)), b.get(name, (empty, False))
        gained, lost = _minus(gb, ga).area / 1e6, _minus(ga, gb).area / 1e6
        rows.append({"controller": name, "km2_before": ga.area / 1e6, "km2_after": gb.area / 1e6,
                     "gained_km2": gained if gained >= SLIVER_KM2 else 0.0,
                     "lost_km2": lost if lost >= SLIVER_KM2 else 0.0, "approximate": xa or xb})
    frame = pd.DataFrame(rows, columns=["controller", "km2_before", "km2_after", "gained_km2", "lost_km2",
                                        "approximate"])
    order = frame[["km2_before", "km2_after"]].max(axis=1).sort_values(ascending=False, kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _shifts(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ground each controller gained and lost between the dates, as polygons (pieces under
    SLIVER_KM2 left out); approximate when either date's geometry is."""
    a, b = _metric(before), _metric(after)
    empty = shapely.Polygon()
    rows = []
    for name in sorted(set(a) | set(b)):
        (ga, xa), (gb, xb) = a.get(name, (empty, False)), b.get(name, (empty, False))
        for change, geom in (("gained", _minus(gb, ga)), ("lost", _minus(ga, gb))):
            if geom.area / 1e6 >= SLIVER_KM2:
                rows.append({"controller": name, "change": change, "km2": geom.area / 1e6,
                             "approximate": xa or xb, "geometry": geom})
    frame = gpd.GeoDataFrame(rows, columns=["controller", "change", "km2", "approximate", "geometry"],
                             geometry="geometry", crs=EQUAL_AREA)
    return frame.to_crs("EPSG:4326")


def _handovers(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame) -> pd.DataFrame:
    """The areas whose holder or kind of hold differs between the dates ('nobody recorded' where an
    area has no period on one of them)."""
    def holders(areas):
        return {r.area_id: (f"{r.controller} ({r.control_type})", r.label or r.area_id, bool(r.approximate))
                for r in areas.itertuples()}

    a, b = holders(before), holders(after)
    rows = []
    for area in sorted(set(a) | set(b)):
        was, now = a.get(area), b.get(area)
        if was and now and was[0] == now[0]:
            continue
        label = (now or was)[1]
        rows.append({"area_id": area, "label": label, "before": was[0] if was else "nobody recorded",
                     "after": now[0] if now else "nobody recorded",
                     "approximate": bool((was and was[2]) or (now and now[2]))})
    return pd.DataFrame(rows, columns=["area_id", "label", "before", "after", "approximate"])


def _changes(layers: gpd.GeoDataFrame, first: pd.Timestamp, last: pd.Timestamp, *, lang: str) -> pd.DataFrame:
    changes = control.control_changes(layers=layers, lang=lang)
    return changes[(changes["date"] > first) & (changes["date"] <= last)].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# The sheet: one PNG, or one A4 landscape PDF page
# ----------------------------------------------------------------------------------------------
_SHEET = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><style>
@page { size: A4 landscape; margin: 0; }
html, body { margin: 0; padding: 0; }
body { width: {{ width }}px; height: {{ height }}px; overflow: hidden; font-family: system-ui, sans-serif;
  color: #111; background: #fff; }
.sheet { box-sizing: border-box; width: {{ width }}px; height: {{ height }}px; padding: {{ pad }}px;
  display: flex; flex-direction: column; gap: {{ gap }}px; }
header { flex: 0 0 auto; display: flex; align-items: baseline; gap: 16px; border-bottom: 2px solid #333;
  padding-bottom: 4px; }
h1 { font-size: {{ 1.9 * em }}px; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  max-width: 55%; }
header .about { font-size: {{ em }}px; color: #333; }
.maps { flex: 1 1 auto; min-height: 0; display: flex; gap: {{ gap }}px; }
.side { flex: 1 1 0; min-width: 0; display: flex; flex-direction: column; }
.side h2 { font-size: {{ 2.6 * em }}px; line-height: 1.05; margin: 0; white-space: nowrap; }
.side .says { font-size: {{ em }}px; color: #333; margin: 1px 0 3px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.slot { flex: 1 1 auto; min-height: 0; border: 1px solid #777; overflow: hidden; }
.slot img { display: block; }
.legend { flex: 0 0 auto; font-size: {{ 0.9 * em }}px; line-height: 1.5; }
.legend b { margin-inline-end: 6px; }
.legend .key { white-space: nowrap; margin-inline-end: 10px; }
.legend i { display: inline-block; width: {{ 0.8 * em }}px; height: {{ 0.8 * em }}px; margin-inline-end: 4px;
  vertical-align: -1px; }
.legend i.dot { border-radius: 50%; } .legend i.area { opacity: 0.75; border: 1px solid #333; }
.changed { flex: 0 0 auto; display: flex; gap: {{ 2 * gap }}px; font-size: {{ 0.9 * em }}px; }
.changed h3 { font-size: {{ 1.05 * em }}px; margin: 0 0 2px; }
.changed .held { flex: 0 0 50%; } .changed .held td:first-child { white-space: nowrap; } .changed .dates { flex: 1 1 0; min-width: 0; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ccc; padding: 1px 6px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.when { white-space: nowrap; }
.gain { color: #0a6b2d; } .loss { color: #a3141b; }
footer { flex: 0 0 auto; font-size: {{ 0.75 * em }}px; color: #333; border-top: 1px solid #999; padding-top: 2px; }
</style></head><body><div class="sheet">
<header><h1 id="compare-title">{{ title }}</h1><span class="about">{{ about }}</span></header>
<div class="maps">{% for side in sides %}
  <div class="side"><h2 class="date">{{ side.date }}</h2>
    <div class="says">{{ side.says }}</div>
    <div class="slot" id="slot-{{ loop.index }}">{% if side.image %}<img alt="map on {{ side.date }}"
      width="{{ map_w }}" height="{{ map_h }}" src="data:image/png;base64,{{ side.image }}">{% endif %}</div>
  </div>{% endfor %}
</div>
<div class="legend"><b>Incidents by type</b>{% for name, colour in types %}<span class="key"><i class="dot"
  style="background: {{ colour }}"></i>{{ name }}</span>{% endfor %}
  <br><b>Areas of control</b>{% for name, colour in controllers %}<span class="key"><i class="area"
  style="background: {{ colour }}"></i>{{ name }}</span>{% endfor %}<span class="key">{{ legend_note }}</span></div>
<div class="changed">
  <div class="held"><h3>What changed: ground held</h3>
    <table><tr><th></th><th class="n">{{ sides[0].short }}</th><th class="n">{{ sides[1].short }}</th>
      <th class="n">gained</th><th class="n">lost</th></tr>
    {% for row in holdings %}<tr><td>{{ row.name }}</td><td class="n">{{ row.before }}</td>
      <td class="n">{{ row.after }}</td><td class="n gain">{{ row.gained }}</td><td class="n loss">{{ row.lost }}</td>
    </tr>{% endfor %}
    {% if not holdings %}<tr><td colspan="5">no area held on either date</td></tr>{% endif %}
    <tr><td>Incidents in the window</td><td class="n">{{ incidents[0] }}</td><td class="n">{{ incidents[1] }}</td>
      <td class="n" colspan="2">{{ incidents_change }}</td></tr>
    <tr><td>Killed (range of reports)</td><td class="n">{{ killed[0] }}</td><td class="n">{{ killed[1] }}</td>
      <td colspan="2"></td></tr></table></div>
  <div class="dates"><h3>Control changes between the dates ({{ change_count }})</h3>
    <table>{% for row in changes %}<tr><td class="when">{{ row.date }}</td><td>{{ row.text }}</td></tr>{% endfor %}
    {% if not changes %}<tr><td>none recorded</td></tr>{% endif %}
    {% if more %}<tr><td></td><td>{{ more }}</td></tr>{% endif %}</table></div>
</div>
<footer>{% for line in footer %}{{ line }}{% if not loop.last %}<br>{% endif %}{% endfor %}</footer>
</div></body></html>""")

# The map pages' own controls and legend are not printed: the sheet has one legend for both maps.
_MAP_CSS = """<style>
.leaflet-control-zoom, .leaflet-control-layers, .leaflet-control-attribution, .atlas-legend-head,
.atlas-notice, #atlas-legend { display: none !important; }
.leaflet-control-scale-line { font: 12px system-ui, sans-serif; background: rgba(255,255,255,0.85); }
.atlas-north { background: rgba(255,255,255,0.85); border-radius: 4px; padding: 2px 4px 0; line-height: 0; }
</style>"""


def _km2(value: float, approximate: bool, *, sign: str = "") -> str:
    """'≈ 1,234 km²' ('≈ +1,234 km²' with a sign); '–' for nothing."""
    if value < SLIVER_KM2:
        return "–"
    return ("≈ " if approximate else "") + f"{sign}{value:,.0f} km²"


def _killed(shown: pd.DataFrame) -> str:
    """The killed range of the incidents shown, as the map's counts say it (events.labels.toll_range:
    'or more' when a report gave only a floor, so a range never reads 25–13)."""
    totals = query.totals(shown)
    silent = totals["killed_unknown"]
    if not len(shown) or silent == len(shown):
        return "not reported" if len(shown) else "–"
    return labels.toll_range(totals) + (f" (+{silent} unreported)" if silent else "")


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def sheet_values(comparison: Comparison, *, title: str | None = None, data_version: str,
                 accessed: dict | None = None, medium: str = "png") -> dict:
    """Everything the sheet prints, as plain text (the template escapes it); `medium` "png" or "pdf"
    (the page has room for fewer and shorter change lines)."""
    before, after = comparison.sides
    title = snapshot.clean_text(title, "title") if title else ""
    first = before.view
    filters = labels.filters_text(first.filters(), lang="en")
    rule = (f"incidents of the {first.trail_days} days to each date" if first.mode == "as of"
            else "incidents of each window")
    totals = [s.totals for s in comparison.sides]
    held = comparison.holdings
    holdings = [{"name": r.controller, "before": _km2(r.km2_before, r.approximate),
                 "after": _km2(r.km2_after, r.approximate),
                 "gained": _km2(r.gained_km2, r.approximate, sign="+"),
                 "lost": _km2(r.lost_km2, r.approximate, sign="−")} for r in held.itertuples()]
    changes = comparison.changes
    # The changes that moved the most areas when they do not all fit, in date order (16 Oct 2017 is never
    # the one left out for a village retaken the week before).
    kept = changes.assign(_n=changes["area_ids"].map(len)).sort_values("_n", ascending=False, kind="stable")
    shown_changes = [{"date": f"{r.date:%d %b %Y}", "text": _short(r.description, CHANGE_CHARS[medium])}
                     for r in kept.head(MAX_CHANGES[medium]).sort_values("date").itertuples()]
    more = len(changes) - len(shown_changes)
    names = sorted(set(held["controller"]) | set(before.areas["controller"]) | set(after.areas["controller"]))
    owed = []
    for side in comparison.sides:
        sview = snapshot.view_from(side.view)
        owed += [line for line in snapshot.credits(side.shown, sview, accessed) if line not in owed]
    stamp = f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
    delta = totals[1]["incidents"] - totals[0]["incidents"]
    return {
        "title": title or "Kirkuk incident atlas: two dates compared",
        "about": f"{filters} · {rule}",
        "sides": [{"date": s.text(), "short": f"{s.day:%d %b %Y}",
                   "says": s.says(), "image": ""} for s in comparison.sides],
        "types": [(labels.type_name(name), colour) for name, colour in labels.EVENT_COLOURS.items()],
        "controllers": [(name, mapview.CONTROLLER_COLOURS.get(name, labels.OTHER_COLOUR)) for name in names],
        "legend_note": "areas are approximate (≈); paler = lower confidence; dashed = contested, joint or activity; "
                       "circle size = killed",
        "holdings": holdings,
        "incidents": [f"{t['incidents']:,}" for t in totals],
        "incidents_change": f"{delta:+,} incidents" if delta else "no change in count",
        "killed": [_killed(s.shown) for s in comparison.sides],
        "changes": shown_changes, "change_count": len(changes),
        "more": f"… and {more} more, of fewer areas (python -m geo changes lists them all)" if more > 0 else "",
        "footer": ["Areas of control are approximate: the sources give places and dates, not surveyed lines; "
                   "km² in an equal-area projection (EPSG:6933), ground held only (control, contested, besieged, "
                   "joint), never zones of insurgent activity. Base map: the atlas's approximate boundaries and "
                   "GeoNames places (CC BY 4.0).", *owed, f"Data version {data_version} · generated {stamp}"],
    }


def _framing(comparison: Comparison, framing: str, width: int, height: int) -> tuple[tuple[float, float], float]:
    """One centre and zoom for both maps: the study area, every incident of either window, or the
    view's own centre and zoom (the study area when it has none)."""
    snapshot.check_framing(framing)
    first = comparison.before.view
    if framing == "view" and first.lat is not None and first.lon is not None and first.zoom is not None:
        return (first.lat, first.lon), float(first.zoom)
    bounds = snapshot.STUDY_BOUNDS
    if framing == "incidents":
        both = pd.concat([s.shown for s in comparison.sides])
        bounds = snapshot.incident_bounds(both) or snapshot.STUDY_BOUNDS
    return snapshot.fit(bounds, width_px=width, height_px=height)


def _render(comparison: Comparison, *, pdf: bool, size: tuple[int, int], data_version: str, title: str | None,
            framing: str, accessed: dict | None, boundaries: gpd.GeoDataFrame | None, allow_network: bool) -> bytes:
    """Lay the sheet out, measure its map slots, draw both maps at that size with one framing, and
    print the sheet (PNG screenshot, or one PDF page)."""
    width, height = size
    em = 11 if pdf else 16
    values = sheet_values(comparison, title=title, data_version=data_version, accessed=accessed,
                          medium="pdf" if pdf else "png")
    layout = dict(values, width=width, height=height, pad=22 if pdf else 20, gap=8 if pdf else 12, em=em,
                  map_w=0, map_h=0)
    with snapshot.Browser() as browser:
        page = browser.page(width, height, allow_network=False)
        try:
            page.set_content(_SHEET.render(layout), wait_until="load")
            slot = page.evaluate("() => { const r = document.getElementById('slot-1').getBoundingClientRect();"
                                 " return [Math.floor(r.width) - 2, Math.floor(r.height) - 2]; }")
            map_w, map_h = int(slot[0]), int(slot[1])
            if min(map_w, map_h) < MIN_MAP_PX:
                raise SnapshotError(f"the maps would be {map_w}x{map_h} pixels at this size: use a larger size")
            centre, zoom = _framing(comparison, framing, map_w, map_h)
            for number, side in enumerate(comparison.sides):
                sview = snapshot.view_from(side.view, center=centre, zoom=zoom, bounds=None,
                                           offline=not allow_network)
                owed = snapshot.credits(side.shown, sview, accessed)
                page_html = snapshot.map_page(side.shown, side.areas, sview, width=f"{map_w}px", height=f"{map_h}px",
                                              pixels=(map_w, map_h), boundaries=boundaries, attribution=owed,
                                              framing="view", static=True)
                page_html = page_html.replace("</head>", _MAP_CSS + "</head>", 1)
                png = snapshot.photograph(browser, page_html, (map_w, map_h), allow_network=allow_network,
                                          expect_text=[], scale=PDF_MAP_SCALE if pdf else 1.0)
                layout["sides"][number]["image"] = base64.b64encode(png).decode("ascii")
            layout.update(map_w=map_w, map_h=map_h)
            page.set_content(_SHEET.render(layout), wait_until="load")
            page.evaluate("() => Promise.all([...document.images].map(i => i.decode())).then(() => true)")
            if page.evaluate("() => document.body.scrollHeight") > height + 1:
                raise SnapshotError("the comparison does not fit on one page: choose fewer filters or a larger size")
            if pdf:
                return page.pdf(format="A4", landscape=True, print_background=True,
                                margin={"top": "0", "right": "0", "bottom": "0", "left": "0"})
            return page.screenshot(full_page=False, type="png")
        finally:
            page.close()


def compare_png(comparison: Comparison, *, data_version: str, size: tuple[int, int] = PNG_SIZE,
                title: str | None = None, framing: str = "study", accessed: dict | None = None,
                boundaries: gpd.GeoDataFrame | None = None, allow_network: bool = False) -> bytes:
    """One PNG of `comparison`: both maps (one centre and zoom), dates, shared legend, what changed.
    `framing`: "study" (the study area), "incidents" (every incident of either window) or "view" (the
    view's own centre and zoom); `accessed`: the licensed data sets' access dates, for their credits."""
    return _render(comparison, pdf=False, size=size, data_version=data_version, title=title, framing=framing,
                   accessed=accessed, boundaries=boundaries, allow_network=allow_network)


def compare_pdf(comparison: Comparison, *, data_version: str, title: str | None = None, framing: str = "study",
                accessed: dict | None = None, boundaries: gpd.GeoDataFrame | None = None,
                allow_network: bool = False) -> bytes:
    """The same sheet as `compare_png`, as one A4 landscape PDF page (text searchable, maps at 2x)."""
    return _render(comparison, pdf=True, size=A4_LANDSCAPE_PX, data_version=data_version, title=title,
                   framing=framing, accessed=accessed, boundaries=boundaries, allow_network=allow_network)
