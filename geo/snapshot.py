"""Exports for briefings: a PNG of a view, a standalone interactive HTML, and a multi-date PDF.

All three are built from the same page: the atlas base map with the view's incidents and areas of
control, a title, the date or window in large type, the legend, a scale bar, the attribution
(base map, and the credits events.exports.LICENCES asks for when ACLED / UCDP / GTD rows are shown:
ACLED and GTD with the access date, `accessed`, and the filters in words) and the data version. Every script,
style and image is inlined, so the HTML opens offline from an e-mail attachment. PNG and PDF are
rendered by headless Chromium (Playwright driving Debian's /usr/bin/chromium), which waits for the
map's own "drawn" signal (base drawn, incidents and control areas on the map), never a fixed sleep.

Every word is in the view's language (`View.lang`, see i18n): titles, legend, captions, cover, dates
with the month names read in Iraq; a right-to-left language lays the page out right to left and
embeds Noto Sans Arabic in the file, so Chromium draws Arabic well with no network and no system font.
"""
from __future__ import annotations

import datetime as dt
import html
import math
import struct
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from events import exports, labels, query
from events import view as events_view
from events.errors import AtlasError
from geo import assets, control, gazetteer, mapview
from geo import boundaries as admin_boundaries
from geo.elements import AtlasElement
from i18n import N_, translator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
FIRST, LAST = pd.Timestamp("2003-01-01"), pd.Timestamp("2024-12-31")
SIZES = {"1920x1080": (1920, 1080), "slides": (1920, 1080), "a4": (1754, 1240)}  # A4 landscape at 150 dpi
_VENDOR = "/atlas-vendor"  # placeholder asset URL, replaced by the inlined files
HEADER_PX, FOOTER_PX = 96, 54
STUDY_BOUNDS = (34.55, 43.05, 36.15, 45.05)  # south, west, north, east: Kirkuk and the districts around it
FRAMINGS = {"study": "fit the study area", "incidents": "fit the incidents shown",
            "view": "this view (the map's centre and zoom, or its --bounds)"}
DPI = (150, 300)   # the layout is drawn at 150 dpi; 300 dpi draws the same layout at twice the pixels
LAYOUT_DPI = 150
FIT_PAD_PX = 12    # the fitted area's edge stays this far inside the map
LEGEND_PX = 280    # the open legend's width and margin, at the map's lower right
TEXT_MAX = 160     # characters of a title or subtitle
ALWAYS_LABELLED = ("Kirkuk",)
LABEL_RANKS = {"governorate seat": 0, "district seat": 1, "sub-district seat": 2, "town": 3, "village": 4}
ATLAS_TITLE = N_("Kirkuk incident atlas")   # the default titles, shown in the view's language
BRIEFING_TITLE = N_("Kirkuk briefing")


class SnapshotError(AtlasError, ValueError):
    """A request that cannot give a meaningful file (no incidents, date out of range, bad size, no browser)."""


@dataclass
class View:
    """What a snapshot shows: the incident window, the date of the control areas, filters, framing."""

    start: pd.Timestamp
    end: pd.Timestamp
    filters: dict = field(default_factory=dict)   # events.query.mask keyword arguments
    controllers: list[str] = field(default_factory=list)
    show_control: bool = True
    heat: bool = False
    center: tuple[float, float] = mapview.CENTER
    zoom: int = mapview.ZOOM
    bounds: tuple[float, float, float, float] | None = STUDY_BOUNDS   # south, west, north, east; None: centre/zoom
    offline: bool = False   # draw the offline base directly instead of trying online tiles first
    title: str = ATLAS_TITLE
    label: str = ""
    subtitle: str = ""
    lang: str = "en"   # the language of every word of the export (i18n code)

    @property
    def on(self) -> pd.Timestamp:
        """The date whose areas of control are drawn: the end of the window."""
        return self.end

    def text(self) -> str:
        """The date or window in large type ('16 October 2017', '01 Jun 2014 – 31 Dec 2014')."""
        if self.label:
            return self.label
        t = translator(self.lang)
        if t.lang == "en":
            return f"{self.end:%d %B %Y}" if self.start == self.end else f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"
        if self.start == self.end:
            return t.date(self.end, "long")
        return t.isolate(f"{t.date(self.start)} – {t.date(self.end)}")

    def heading(self) -> str:
        """The title as shown: the user's, or the atlas's own in the view's language."""
        return translator(self.lang)(ATLAS_TITLE) if self.title == ATLAS_TITLE else self.title


def view_for(*, date=None, start=None, end=None, trail_days: int = 90, **options) -> View:
    """A View for one date (incidents of the trailing `trail_days`) or an explicit window."""
    if date is not None:
        day = _checked_date(date, "date")
        first = day - pd.Timedelta(days=trail_days - 1)
        t = translator(options.get("lang", "en"))
        label = options.pop("label", "") or (f"{day:%d %B %Y}" if t.lang == "en" else t.date(day, "long"))
        subtitle = options.pop("subtitle", "") or t("incidents of the {n} days to this date", n=trail_days)
        return View(start=first, end=day, label=label, subtitle=subtitle, **options)
    if start is None or end is None:
        raise SnapshotError("give a date, or both the start and the end of a window")
    a, b = _checked_date(start, "start"), _checked_date(end, "end")
    if b < a:
        raise SnapshotError(f"the window ends ({b:%Y-%m-%d}) before it starts ({a:%Y-%m-%d})")
    return View(start=a, end=b, **options)


def view_from(shown: events_view.View, **options) -> View:
    """The snapshot of a `events.view.View` (a shared link, the page): its window, filters, layers and,
    when the view has them, the map's centre and zoom (else the study area); `options` override."""
    framing = (dict(center=(shown.lat, shown.lon), zoom=shown.zoom, bounds=None)
               if shown.lat is not None and shown.lon is not None and shown.zoom is not None else {})
    lang = options.pop("lang", getattr(shown, "lang", "en"))
    return View(**{"start": shown.start, "end": shown.end, "filters": shown.filters(),
                   "controllers": list(shown.controllers), "show_control": shown.show_control, "heat": shown.heat,
                   "label": _view_label(shown, lang), "lang": lang, **framing, **options})


def _view_label(shown: events_view.View, lang: str) -> str:
    """The view's own label ('As of 05 Jun 2014 (last 90 days)') in the language."""
    t = translator(lang)
    if t.lang == "en":
        return shown.label()
    if shown.mode == "as of":
        trail = next((k for k, v in events_view.TRAILS.items() if v == shown.trail_days), None)
        trail = t(trail) if trail else t("last {n} days", n=shown.trail_days)
        return t("As of {date} ({trail})", date=t.date(shown.end), trail=trail)
    return t.isolate(f"{t.date(shown.start)} – {t.date(shown.end)}")


def _checked_date(value, what: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise SnapshotError(f"{what} {value!r} is not a date (expected YYYY-MM-DD)") from None
    if not FIRST <= day <= LAST:
        raise SnapshotError(f"{what} {day:%Y-%m-%d} is outside the atlas's period, 2003-01-01 to 2024-12-31")
    return day


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1080', 'a4' or 'slides' to pixels; an impossible size is an error, not a broken file."""
    if text.lower() in SIZES:
        return SIZES[text.lower()]
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SnapshotError(f"size {text!r} is not WIDTHxHEIGHT (e.g. 1920x1080) or 'a4'") from None
    if not (320 <= w <= 8000 and 240 <= h <= 8000):
        raise SnapshotError(f"size {w}x{h} is outside 320x240 .. 8000x8000 pixels")
    return w, h


def select(incidents: pd.DataFrame, view: View) -> pd.DataFrame:
    """The incidents a view shows: `events.view.within`, the selection the page and the CLIs make."""
    filters = dict(view.filters)
    if view.controllers:
        filters["controllers"] = list(view.controllers)
    return events_view.within(incidents, start=view.start, end=view.end, filters=filters)


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fit(bounds: tuple[float, float, float, float], *, width_px: int, height_px: int,
        pad_px: int = FIT_PAD_PX) -> tuple[tuple[float, float], float]:
    """Centre and the fractional zoom at which (south, west, north, east) just fills a map of this size
    (a whole zoom, mapview.fit_zoom's, leaves up to half of each side empty)."""
    s, w, n, e = bounds
    width, height = max(width_px - 2 * pad_px, 50), max(height_px - 2 * pad_px, 50)
    zoom_x = math.log2(width * 360 / (256 * max(e - w, 1e-6)))
    zoom_y = math.log2(height * 2 * math.pi / (256 * max(_mercator_y(n) - _mercator_y(s), 1e-9)))
    mid = (_mercator_y(s) + _mercator_y(n)) / 2
    centre_lat = math.degrees(2 * math.atan(math.exp(mid)) - math.pi / 2)
    zoom = max(3.0, min(14.0, math.floor(min(zoom_x, zoom_y) * 100) / 100))
    return (centre_lat, (w + e) / 2), zoom


def incident_bounds(shown: pd.DataFrame, *, min_span: float = 0.2) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) around the incidents shown, widened to `min_span` degrees (one
    incident is not framed at street level); None without incidents."""
    points = shown[["lat", "lon"]].dropna() if not shown.empty else shown
    if points.empty:
        return None
    s, n = float(points["lat"].min()), float(points["lat"].max())
    w, e = float(points["lon"].min()), float(points["lon"].max())
    grow_y, grow_x = max(0.0, min_span - (n - s)) / 2, max(0.0, min_span - (e - w)) / 2
    margin = 0.04   # degrees: the largest symbols stay whole at the edge
    return s - grow_y - margin, w - grow_x - margin, n + grow_y + margin, e + grow_x + margin


def check_framing(framing: str) -> str:
    """The framing's name; anything else is a one-line error naming the choices."""
    if framing not in FRAMINGS:
        raise SnapshotError(f"framing {framing!r}: use one of {', '.join(FRAMINGS)}")
    return framing


def _framing(view: View, width: int, height: int, *, framing: str = "view",
             shown: pd.DataFrame | None = None) -> tuple[tuple[float, float], float]:
    """Centre and zoom for `framing`: the study area, the incidents `shown` (the study area when there
    are none), or the view's own (its bounds when set, else its centre and zoom)."""
    bounds = {"study": STUDY_BOUNDS, "view": view.bounds,
              "incidents": incident_bounds(shown) if shown is not None else None}[check_framing(framing)]
    if framing == "incidents" and bounds is None:
        bounds = STUDY_BOUNDS
    if not bounds:
        return view.center, view.zoom
    # The open legend covers the map's right side: a fitted area goes left of it (when the map is wide).
    legend = LEGEND_PX if width >= 3 * LEGEND_PX else 0
    # Incidents' symbols are drawn beyond their points: a wider margin keeps them whole.
    (lat, lon), zoom = fit(bounds, width_px=width - legend, height_px=height,
                           pad_px=40 if framing == "incidents" else FIT_PAD_PX)
    return (lat, lon + legend / 2 * 360 / (256 * 2 ** zoom)), zoom


def filters_text(view: View) -> str:
    """The view's filters and window in words (in its language), as the ACLED and GTD credits ask for them."""
    filters = {**view.filters, **({"controllers": list(view.controllers)} if view.controllers else {})}
    return labels.filters_text(filters, start=view.start, end=view.end, lang=view.lang)


def credits(shown: pd.DataFrame, view: View, accessed: dict | None) -> list[str]:
    """The data credits owed for the rows shown (plain text; see events.exports.credits)."""
    if shown.empty:
        return []
    return exports.credits(exports.datasets_of(shown), accessed=accessed, filters=filters_text(view))


def _attribution(shown: pd.DataFrame, data_version: str, *, view: View, accessed: dict | None) -> list[str]:
    """The footer's lines (plain text): base map, data credits, data version and time."""
    t = translator(view.lang)
    lines = [t("Base map: OpenStreetMap contributors / Esri when online; offline base from the atlas's approximate "
               "boundaries and GeoNames places (CC BY 4.0). Areas of control are approximate.")]
    lines += credits(shown, view, accessed)
    stamp = f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
    lines.append(t("Data version {version} · generated {time}", version=_own(data_version, t), time=_own(stamp, t)))
    return lines


def _own(text, t) -> str:
    """`text` isolated in a right-to-left language (a version, a time, a name keeps its own order)."""
    return t.isolate(text) if t.rtl else str(text)


def _footer_px(lines: list[str], width: int) -> int:
    """Footer height that shows every line at 11 px (about 6 px a character), never less than FOOTER_PX."""
    rows = sum(max(1, -(-len(line) * 6 // max(width - 40, 200))) for line in lines)
    return max(FOOTER_PX, 8 + 14 * rows)


class NorthArrow(AtlasElement):
    """A north arrow in the map's lower left corner, above the scale bar (a fixed drawing, no data)."""

    template_file = "north_arrow.js"


class LabelLayout(AtlasElement):
    """Place labels without collisions, in the page after layout: in rank order (governorate seats,
    then district seats, ...), each label tried right, left, above and below its place and dropped when
    every spot overlaps a label already placed, the legend, the scale bar or the north arrow; the
    `always` labels (Kirkuk) come first and are never dropped. The map's container says when it is done
    (`data-labels`), and `photograph` waits for it."""

    template_file = "label_layout.js"


def label_ranks(places: pd.DataFrame) -> dict[str, int]:
    """Each labelled place's rank (lower is placed first): by its kind, seats before towns and villages."""
    return {str(r.name_en): LABEL_RANKS.get(r.kind, len(LABEL_RANKS)) for r in places.itertuples()}


def map_page(shown: pd.DataFrame, areas: gpd.GeoDataFrame, view: View, *, width: str, height: str,
             pixels: tuple[int, int], extra=(), boundaries: gpd.GeoDataFrame | None = None,
             attribution: list[str] = (), framing: str = "view", static: bool = False) -> str:
    """The map page's HTML with every asset inlined (`pixels`: the map's expected size, for framing;
    `boundaries`: the admin boundaries drawn, default the built-in approximate set; `attribution`:
    the data credits, also in the map's own attribution box). A `static` page (a picture) is framed at
    a fractional zoom, has a north arrow and lays its labels out without collisions."""
    center, zoom = _framing(view, *pixels, framing=framing, shown=shown)
    if not static:
        zoom = int(math.floor(zoom))
    places = mapview.label_places(gazetteer.load_gazetteer())
    overlays = [mapview.control_layer(areas if view.show_control else areas.iloc[0:0], lang=view.lang)]
    overlays.append(mapview.incident_layer(shown, heat=view.heat, zoom=int(math.floor(zoom)), assets_url=_VENDOR,
                                           attribution=attribution, lang=view.lang))
    m = mapview.build_map(boundaries=admin_boundaries.resolve(boundaries), places=places, center=center, zoom=zoom,
                          height=height, width=width, overlays=overlays, legend_open=True, offline=view.offline,
                          assets_url=_VENDOR, lang=view.lang)
    if static:
        m.options["zoomSnap"] = 0   # the fitted zoom as computed, not rounded to a whole level
        m.add_child(NorthArrow())
        m.add_child(LabelLayout(label_ranks(places), always=list(ALWAYS_LABELLED), unranked=len(LABEL_RANKS),
                                gap=2, obstacles=["#atlas-legend", "#atlas-north", ".leaflet-control-scale"]))
    for element in extra:
        m.add_child(element)
    return _in_language(assets.inline(m.get_root().render(), base_url=_VENDOR), view.lang)


_RTL_CSS = """<style>{font}
html, body, #atlas-header, #atlas-footer, .leaflet-container {{ font-family: '{family}', system-ui, sans-serif; }}
#atlas-header .counts, #atlas-header .subtitle {{ line-height: 1.2; font-size: 15px; }}
#atlas-header .title {{ line-height: 1.25; }} #atlas-header .when {{ line-height: 1.1; }}
#atlas-footer {{ line-height: 1.25; }}
.leaflet-control-scale-line {{ direction: ltr; }}   /* "20 km", never "km 20" */
</style>
"""


def _in_language(page: str, lang: str) -> str:
    """The page marked with its language; right to left, with Noto Sans Arabic inside the file, when RTL."""
    t = translator(lang)
    if not t.rtl:
        return page
    page = page.replace("<html>", f'<html lang="{t.lang}" dir="rtl">', 1)
    css = _RTL_CSS.format(font=assets.font_face(embed=True), family=assets.FONT_FAMILY)
    return page.replace("</head>", css + "</head>", 1)


_PAGE_CSS = """
<style>
html, body {{ margin: 0; padding: 0; width: {w}px; height: {h}px; overflow: hidden; font-family: system-ui, sans-serif; }}
#atlas-header {{ height: {hh}px; box-sizing: border-box; padding: 10px 20px; display: flex; align-items: baseline;
  justify-content: space-between; border-bottom: 2px solid #333; background: #fff; }}
#atlas-header .titles {{ display: flex; flex-direction: column; max-width: 36%; min-width: 0; }}
#atlas-header .title, #atlas-header .subtitle {{ white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
#atlas-header .title {{ font-size: 26px; font-weight: 600; }}
#atlas-header .subtitle {{ font-size: 16px; color: #333; margin-top: 2px; }}
#atlas-header .when {{ font-size: 40px; font-weight: 700; white-space: nowrap; padding: 0 16px; }}
#atlas-header .counts {{ font-size: 16px; color: #333; }}
/* A picture, not an interface: no zoom buttons, layer control, legend toggle or notices. */
.leaflet-control-zoom, .leaflet-control-layers, .leaflet-control-attribution, .atlas-legend-head,
.atlas-notice {{ display: none !important; }}
.leaflet-control-scale-line {{ font: 12px system-ui, sans-serif; background: rgba(255,255,255,0.85); }}
.atlas-north {{ background: rgba(255,255,255,0.85); border-radius: 4px; padding: 2px 4px 0; line-height: 0; }}
#atlas-footer {{ height: {fh}px; box-sizing: border-box; padding: 4px 20px; font-size: 11px; color: #333;
  border-top: 1px solid #999; background: #fff; overflow: hidden; }}
</style>
"""


def _counts_text(shown: pd.DataFrame, lang: str = "en") -> str:
    """'12 incidents · killed 3–9 · wounded: not reported', in the language."""
    totals = query.totals(shown)
    t = translator(lang)
    if t.lang == "en":
        return _counts_text_en(totals)
    words = {"killed": (t("killed: not reported"), N_("killed {range}")),
             "wounded": (t("wounded: not reported"), N_("wounded {range}"))}

    def harm(word: str) -> str:
        unknown, n = totals[f"{word}_unknown"], totals["incidents"]
        if n and unknown == n:
            return words[word][0]
        figure = t(words[word][1], range=labels.toll_range(totals, word, lang=t.lang))
        return figure + (t(" (+{n} unreported)", n=unknown) if unknown else "")

    count = t.plural("{n} incident", "{n} incidents", totals["incidents"])
    return f"{count} · {harm('killed')} · {harm('wounded')}"


def _counts_text_en(t: dict) -> str:
    def harm(word: str) -> str:
        unknown, n = t[f"{word}_unknown"], t["incidents"]
        if n and unknown == n:
            return f"{word}: not reported"
        figure = f"{word} {labels.toll_range(t, word)}"
        return figure + (f" (+{unknown} unreported)" if unknown else "")

    return f"{t['incidents']:,} incidents · {harm('killed')} · {harm('wounded')}"


def clean_text(value, what: str) -> str:
    """A user's title or subtitle as one line: whitespace collapsed, at most TEXT_MAX characters
    (it is escaped where it is written, never trusted as HTML)."""
    text = " ".join(str(value).split())
    if len(text) > TEXT_MAX:
        raise SnapshotError(f"the {what} has {len(text)} characters: keep it to {TEXT_MAX}")
    return text


def titled(view: View, *, title: str | None = None, subtitle: str | None = None) -> View:
    """`view` with the user's title and subtitle (None keeps the view's own)."""
    changes = {}
    if title is not None:
        changes["title"] = clean_text(title, "title")
    if subtitle is not None:
        changes["subtitle"] = clean_text(subtitle, "subtitle")
    return replace(view, **changes)


def snapshot_page(incidents: pd.DataFrame, view: View, *, layers: gpd.GeoDataFrame | None = None,
                  data_version: str, size: tuple[int, int] = (1920, 1080), allow_empty: bool = False,
                  boundaries: gpd.GeoDataFrame | None = None, accessed: dict | None = None,
                  framing: str = "view", title: str | None = None, subtitle: str | None = None) -> str:
    """The self-contained HTML page of a static snapshot (what `snapshot_png` photographs).
    `boundaries`: the caller's admin boundaries (default built-in); `layers` default: the default
    control layer over them; `accessed`: when each licensed data set was imported
    (`events.exports.access_dates` of the store's import log), for the credits. `framing`: see
    FRAMINGS (here the view's own by default, as the playback's frames and the briefing's pages use
    it); `title`, `subtitle`: the user's, instead of the view's."""
    width, height = size
    view = titled(view, title=title, subtitle=subtitle)
    shown = select(incidents, view)
    if shown.empty and not allow_empty:
        raise SnapshotError(f"no incidents in {view.text()} with these filters: nothing to export")
    areas = control.control_at(view.on, layers=layers, boundaries=boundaries)
    lines = _attribution(shown, data_version, view=view, accessed=accessed)
    footer_px = _footer_px(lines, width)
    map_h = height - HEADER_PX - footer_px
    page = map_page(shown, areas, view, width=f"{width}px", height=f"{map_h}px", pixels=(width, map_h),
                boundaries=boundaries, attribution=credits(shown, view, accessed), framing=framing, static=True)
    t = translator(view.lang)
    on = f"Areas of control on {view.on:%d %b %Y}{'' if view.show_control else ' (hidden)'}" if t.lang == "en" else \
        t("Areas of control on {date}", date=t.date(view.on)) + ("" if view.show_control else t(" (hidden)"))
    header = (f'<div id="atlas-header"><span class="titles"><span class="title" id="atlas-title">'
              f'{html.escape(view.heading())}</span><span class="subtitle" id="atlas-subtitle">'
              f'{html.escape(view.subtitle)}</span></span>'
              f'<span class="when" id="atlas-when">{html.escape(view.text())}</span>'
              f'<span class="counts">{html.escape(_counts_text(shown, view.lang))}<br>{html.escape(on)}</span></div>')
    footer = f'<div id="atlas-footer">{"<br>".join(html.escape(line) for line in lines)}</div>'
    css = _PAGE_CSS.format(w=width, h=height, hh=HEADER_PX, fh=footer_px)
    page = page.replace("</head>", css + "</head>", 1)
    page = page.replace("<body>", "<body>" + header, 1)
    return page.replace("</body>", footer + "</body>", 1)


def interactive_html(incidents: pd.DataFrame, view: View, *, layers: gpd.GeoDataFrame | None = None,
                     data_version: str, first=None, last=None, trail_days: int | None = None,
                     boundaries: gpd.GeoDataFrame | None = None, accessed: dict | None = None,
                     notes: pd.DataFrame | None = None) -> str:
    """One standalone HTML file with its own time slider and play control over `first`..`last`.

    Incidents (filtered as the view, over the whole period) and every control period carry their
    dates; the page redraws what holds on the slider's date. `notes` (events.annotations: date, text)
    of the period are listed under the map. Opens offline: everything is inlined.
    """
    first = _checked_date(first if first is not None else view.start, "first")
    last = _checked_date(last if last is not None else view.end, "last")
    trail = trail_days or max(1, (view.end - view.start).days + 1)
    period = replace(view, start=first, end=last)
    shown = select(incidents, period)
    if shown.empty:
        raise SnapshotError(f"no incidents between {first:%Y-%m-%d} and {last:%Y-%m-%d} with these filters")
    layers = control.default_layers(boundaries=boundaries) if layers is None else layers
    live = layers[(layers["valid_from"] <= last) & (layers["valid_to"].isna() | (layers["valid_to"] > first))]
    slider = mapview.time_slider(shown, live if view.show_control else live.iloc[0:0], start=view.end,
                                 first=first, last=last, trail_days=trail, lang=view.lang)
    empty_areas = layers.iloc[0:0]
    owed = credits(shown, period, accessed)
    page = map_page(shown.iloc[0:0], empty_areas, replace(view, show_control=False), width="100%", height="88%",
                pixels=(1280, 720), extra=[slider], boundaries=boundaries, attribution=owed)
    t = translator(view.lang)
    span = f"{first:%d %b %Y} – {last:%d %b %Y}" if t.lang == "en" else t.isolate(f"{t.date(first)} – {t.date(last)}")
    font = "600 18px system-ui" if not t.rtl else f"600 18px '{assets.FONT_FAMILY}', system-ui"
    title = (f'<div style="font: {font}; padding: 6px 12px">{html.escape(view.heading())} · '
             f'{html.escape(span)}</div>')
    lines = _attribution(shown, data_version, view=period, accessed=accessed)
    footer = (f'<div style="font: 11px {"system-ui" if not t.rtl else repr(assets.FONT_FAMILY) + ", system-ui"};'
              ' padding: 4px 12px">' + "<br>".join(html.escape(line) for line in lines) + "</div>")
    page = page.replace("<body>", "<body>" + title, 1)
    return page.replace("</body>", _notes_html(notes, first, last, t=t, font=font) + footer + "</body>", 1)


def _notes_html(notes: pd.DataFrame | None, first, last, *, t, font: str) -> str:
    """The period's notes as an escaped list ('' when there are none)."""
    if notes is None or notes.empty:
        return ""
    here = notes[(notes["date"] >= first) & (notes["date"] <= last)]
    if here.empty:
        return ""
    day = (lambda d: f"{d:%d %b %Y}") if t.lang == "en" else (lambda d: t.isolate(t.date(d)))
    items = "".join(f"<li><b>{html.escape(day(r.date))}</b> {html.escape(' '.join(str(r.text).split()))}</li>"
                    for r in here.itertuples())
    heading = html.escape(t("Notes"))
    family = font.split(" ", 2)[-1]   # the title's font family, at the list's own size
    return (f'<div id="atlas-notes" style="font: 13px {family}; padding: 4px 12px"><b>{heading}</b>'
            f'<ul style="margin: 2px 0">{items}</ul></div>')


# ----------------------------------------------------------------------------------------------
# Rendering with headless Chromium
# ----------------------------------------------------------------------------------------------
def browser_available() -> bool:
    """True when Debian's Chromium and Playwright are installed (PNG and PDF need them)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


class Browser:
    """One headless Chromium for a batch of renders; loopback and data: URLs only."""

    def __enter__(self):
        if not browser_available():
            raise SnapshotError("no browser here: PNG and PDF need Debian's chromium (bash .ci/setup --test "
                                "installs it); the interactive HTML export works without it")
        from playwright.sync_api import sync_playwright
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        return self

    def page(self, width: int, height: int, *, allow_network: bool, scale: float = 1.0):
        page = self.browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
        if not allow_network:
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("data:", "about:", "blob:"))
                       else r.abort())
        return page

    def __exit__(self, *exc):
        self.browser.close()
        self._pw.stop()


_DRAWN = """() => { const el = document.querySelector('.folium-map');
  if (!el || !el.dataset.base || el.dataset.incidents === undefined || el.dataset.control === undefined) return false;
  if (el.dataset.labels === 'pending') return false;
  return !!document.getElementById('atlas-legend'); }"""


def photograph(browser: Browser, page_html: str, size: tuple[int, int], *, allow_network: bool,
               expect_text: list[str], scale: float = 1.0) -> bytes:
    """A PNG of `page_html` laid out at `size` CSS pixels and drawn at `scale` device pixels each
    by `browser`; SnapshotError unless every `expect_text` shows."""
    width, height = size
    page = browser.page(width, height, allow_network=allow_network, scale=scale)
    try:
        page.set_content(page_html, wait_until="load")
        page.wait_for_function(_DRAWN, timeout=60_000)
        text = page.inner_text("body")
        missing = [t for t in expect_text if t not in text]
        if missing:
            raise SnapshotError(f"the rendered page lacks {missing}: refusing to save an incomplete snapshot")
        page.evaluate("() => document.fonts.ready.then(() => true)")   # the embedded Arabic font, drawn
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return page.screenshot(full_page=False, type="png")
    finally:
        page.close()


def check_dpi(dpi) -> int:
    """150 or 300; anything else is a one-line error."""
    try:
        value = int(dpi)
    except (TypeError, ValueError):
        value = None
    if value not in DPI or str(dpi).strip() != str(value):
        raise SnapshotError(f"dpi {dpi!r}: use {' or '.join(map(str, DPI))}")
    return value


def with_dpi(png: bytes, dpi: int) -> bytes:
    """`png` with a pHYs chunk saying `dpi` (pixels per metre, as PNG counts), any earlier one replaced;
    the image data is not decoded or re-encoded."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise SnapshotError("the browser's screenshot is not a PNG")
    per_metre = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    phys = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    chunks, at = [], 8
    while at < len(png):
        length = struct.unpack(">I", png[at:at + 4])[0]
        kind, end = png[at + 4:at + 8], at + 12 + length
        if kind != b"pHYs":
            chunks.append(png[at:end])
            if kind == b"IHDR":
                chunks.append(phys)
        at = end
    return png[:8] + b"".join(chunks)


def snapshot_png(incidents: pd.DataFrame, view: View, *, layers: gpd.GeoDataFrame | None = None,
                 data_version: str, size: tuple[int, int] = (1920, 1080), allow_network: bool = False,
                 boundaries: gpd.GeoDataFrame | None = None, accessed: dict | None = None,
                 framing: str = "study", title: str | None = None, subtitle: str | None = None,
                 dpi: int = LAYOUT_DPI) -> bytes:
    """A PNG of this view with title, subtitle, date, legend, scale bar, north arrow and attribution.

    `framing`: "study" (default: the study area fills the map), "incidents" (fit the incidents shown)
    or "view" (the view's centre and zoom, as on screen). `size` is the layout in pixels at 150 dpi;
    `dpi` 300 draws the same layout at twice the pixels (A4 landscape: 3508x2480), and the PNG says
    its dpi (pHYs chunk)."""
    dpi = check_dpi(dpi)
    view = titled(replace(view, offline=view.offline or not allow_network), title=title, subtitle=subtitle)
    page = snapshot_page(incidents, view, layers=layers, data_version=data_version, size=size,
                         boundaries=boundaries, accessed=accessed, framing=framing)
    t = translator(view.lang)
    expect = [" ".join(text.split()) for text in (view.text(), view.heading(), t("Incidents by type"),
                                                   t("Data version {version} · generated {time}").split("{")[0])]
    with Browser() as browser:
        png = photograph(browser, page, size, allow_network=allow_network, expect_text=[t for t in expect if t],
                         scale=dpi / LAYOUT_DPI)
    return with_dpi(png, dpi)


# ----------------------------------------------------------------------------------------------
# Briefing pack (PDF): geo/briefing.py
# ----------------------------------------------------------------------------------------------
def briefing_pdf(incidents: pd.DataFrame, dates=None, **options) -> bytes:
    """The PDF briefing (geo.briefing.briefing_pdf, which see), under the name the app calls."""
    from geo import briefing
    return briefing.briefing_pdf(incidents, dates, **options)
