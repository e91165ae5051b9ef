"""The atlas map: an identical base map every run, and the layers that change with the view.

`build_map` holds what never changes within a session (base layers, the offline base drawn from our
own boundaries and places, admin boundaries, place labels, the legend), so Streamlit never reloads
the map iframe. `incident_layer` and `control_layer` return FeatureGroups for st_folium's
`feature_group_to_add`. The elements are `geo.elements.AtlasElement`s: fixed template files, data
only as JSON variables, rendered once (never re-compiled as a template). In the page, data is put on
the page with `textContent`, never as HTML: a note containing `<script>` is shown as text.

Every word the map shows is in the reader's language (`lang`, see i18n): legend, popups, tooltips,
layer names, attribution, place labels (Arabic name first in Arabic). The templates hold no words:
the translated words reach them as data (`words`), like everything else.
"""
from __future__ import annotations

import html
import json
import math
from types import SimpleNamespace

import folium
from folium.elements import JSCSSMixin
import geopandas as gpd
import numpy as np
import pandas as pd

# How incidents read and look is defined once in events.labels (the exports use it too); named here
# as well because the page and the snapshots reach them through the map.
from events.labels import EVENT_COLOURS, OTHER_COLOUR, PRECISION_LABELS, date_label, killed_text  # noqa: F401
from events.labels import precision_labels, type_name
from geo import assets, control
from geo.elements import AtlasElement
from i18n import FSI, N_, PDI, translator

CENTER = (35.35, 44.05)
ZOOM = 8
CONTROLLER_COLOURS = {
    N_("Iraqi federal government"): "#1f4e9c",
    N_("Kurdistan Regional Government / Peshmerga"): "#e0a800",
    N_("ISIS"): "#1a1a1a",
    N_("Insurgent groups (JRTN, Islamic Army, Ansar al-Sunna)"): "#8c2d04",
    N_("Peshmerga and PMF (joint)"): "#b07aa1",
    N_("PMF"): "#2e8b57",
    N_("US-led coalition"): "#6baed6",
    N_("Iraqi government and US-led coalition"): "#4a78b5",
    N_("Iraqi government, US-led coalition and Peshmerga (joint patrols)"): "#8a8f3a",
    N_("Iraqi government with Kurdish security forces (joint)"): "#7f8c4d",
    N_("Iraqi army, Peshmerga and PMF (joint)"): "#b07aa1",
    N_("Insurgent groups (Naqshbandiya Army, al-Qaeda)"): "#8c2d04",
    N_("Amirli's Turkmen defenders (Iraqi government)"): "#3b6fb6",
}
# control type -> (fill opacity at high confidence, dash pattern of the outline, outline weight)
CONTROL_STYLES = {
    N_("control"): (0.38, None, 2),
    N_("joint"): (0.28, "8 4", 2),
    N_("contested"): (0.16, "4 4", 2),
    N_("influence"): (0.13, "2 6", 2),
    N_("insurgent activity"): (0.13, "1 5", 3),
    N_("besieged"): (0.30, "2 4", 3),
    N_("support zone"): (0.10, "1 8", 2),
}
CONFIDENCE_FACTOR = {N_("high"): 1.0, N_("medium"): 0.7, N_("low"): 0.45}
TILES = [
    {"name": "OpenStreetMap", "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
     "attribution": "&copy; OpenStreetMap contributors"},
    {"name": N_("Satellite (Esri World Imagery)"),
     "url": "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
     "attribution": "Imagery &copy; Esri, Maxar, Earthstar Geographics"},
]
BASE_PANE = "atlasBase"
# Words of the control periods shown in popups: the precision of an uncertain end, the basis of a period.
CONTROL_WORDS = (N_("range"), N_("assessed"), N_("claimed"))


def _tile_specs() -> list[tuple[str, str, str]]:
    return [(spec["name"], spec["url"], spec["attribution"]) for spec in TILES]
OFFLINE_NAME = N_("Offline base (atlas boundaries and places)")
OFFLINE_ATTRIBUTION = N_("Offline base: atlas approximate boundaries; places &copy; GeoNames (CC BY 4.0)")


def popup_words(*, lang: str = "en") -> dict:
    """The words of the incident and control popups and tooltips, in the language (data for the templates)."""
    t = translator(lang)
    return {"rtl": t.rtl, "dir": t.direction,
            "date": t("Date"), "dates": t("Dates"), "type": t("Type"), "killed": t("Killed"), "places": t("Places"),
            "precision": t("Place precision"), "source": t("Source"),
            "zoom_in": t("Zoom in, or pick one in the panel beside the map."),
            "control": t("Control"), "area": t("Area"), "period": t("Period"), "confidence": t("Confidence"),
            "basis": t("Basis"), "kind": t("Kind"), "held": t("held"),
            "not_held": t("insurgent activity / influence (not control)"), "geometry": t("Geometry"),
            "approximate": t("approximate"), "as_supplied": t("as supplied"), "notes": t("Notes"),
            "sources": t("Sources:"),
            "types": {name: type_name(name, lang=lang) for name in EVENT_COLOURS}}


class AtlasScript(JSCSSMixin, AtlasElement):
    """The shared JS helpers and CSS for popups and labels (part of the base map).

    It also declares the heat-map library (`geo.assets.declare`): the heat layer is added later with
    the changing layers, whose assets streamlit-folium does not load, so the base map brings it."""

    template_file = "atlas.js"


class OfflineFallback(AtlasElement):
    """Switch to the offline base layer when the online tiles cannot load (no network)."""

    template_file = "offline_fallback.js"

    def __init__(self, tiles, offline, *, errors: int = 3, timeout_ms: int = 4000, offline_now: bool = False,
                 lang: str = "en"):
        t = translator(lang)
        super().__init__(None, errors=errors, timeout_ms=timeout_ms, attribution=t(OFFLINE_ATTRIBUTION),
                         offline_now=offline_now,
                         message=t("Offline base (atlas boundaries and places)") if offline_now else
                         t("No network: showing the offline base (atlas boundaries and places)"))
        self.tile_names = [t.get_name() for t in tiles]
        self.offline_name = offline.get_name()


class PlaceLabels(AtlasElement):
    """Permanent bilingual labels (English · Arabic; Arabic first with `arabic_first`) for the main
    places, built with textContent."""

    template_file = "place_labels.js"


class Legend(AtlasElement):
    """The legend: event types, location precision symbols, controllers and control types."""

    template_file = "legend.js"


def legend_data(*, lang: str = "en") -> dict:
    """What the legend lists, in the language (also used by exports); `titles` and `dir` lay it out."""
    t = translator(lang)
    return {
        "types": [[type_name(name, lang=lang), c] for name, c in EVENT_COLOURS.items()],
        "precision": [[t("exact place"), "solid", "#555"], [t("near a named place (~25 km)"), "solid", "transparent"],
                      [t("district / governorate only"), "dashed", "transparent"]],
        "controllers": [[t(c), col] for c, col in CONTROLLER_COLOURS.items()],
        "control_types": [[t(name), "solid" if dash is None else "dashed", round(op * 0.8, 2)]
                          for name, (op, dash, _) in CONTROL_STYLES.items()],
        "note": t("Areas are approximate (dashed outlines: uncertain); paler = lower confidence. "
                  "Size = killed (highest report)."),
        "titles": {"legend": t("Legend"), "types": t("Incidents by type"), "precision": t("Location precision"),
                   "controllers": t("Areas of control (date on the slider)"), "control_types": t("Control type")},
        "dir": t.direction,
    }


class IncidentLayer(AtlasElement):
    """Incidents as one canvas GeoJSON layer: colour by type, size by killed, symbol by precision.

    Each feature carries only what the popup needs; clicking one makes st_folium return it
    (`last_active_drawing`) so the app can show the full details panel.
    """

    template_file = "incident_layer.js"


class LayerAttribution(AtlasElement):
    """The credits a layer's data asks for (ACLED, GTD, UCDP), in the map's attribution box while the
    layer is on the map. The text is HTML-escaped here (Leaflet writes attributions as HTML) and
    reaches the page as JSON."""

    template_file = "layer_attribution.js"

    def __init__(self, lines):
        super().__init__("<br>".join(html.escape(str(line)) for line in lines))


class ControlLayer(AtlasElement):
    """Areas of control valid on the date: colour by controller, dash by type, opacity by confidence."""

    template_file = "control_layer.js"


CELL_PX = 22  # incidents closer than this on screen are drawn as one counted circle
MAX_FEATURES = 3000  # more cells than this in view: cells grow until they fit (payload stays ~1 MB)
_EARTH = 6378137.0


def cells(frame: pd.DataFrame, *, zoom: int, cell_px: int = CELL_PX) -> np.ndarray:
    """The screen cell (web-mercator grid of `cell_px` pixels at `zoom`) of each incident, as int64."""
    size = cell_px * 2 * math.pi * _EARTH / (256 * 2 ** int(zoom))
    x = np.radians(frame["lon"].to_numpy(float)) * _EARTH
    lat = np.clip(frame["lat"].to_numpy(float), -85, 85)
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * _EARTH
    return (np.floor(x / size).astype(np.int64) << 32) + (np.floor(y / size).astype(np.int64) & 0xFFFFFFFF)


def _incident(row, kind_type: str, radius: float, label: str, lang: str) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(row.lon, 5), round(row.lat, 5)]},
            "properties": {"id": row.incident_id, "kind": "incident", "t": kind_type,
                           "ty": type_name(kind_type, lang=lang),
                           "p": int(row.geo_precision), "r": radius, "n": label,
                           "d": date_label(row.date_start, row.date_end, row.date_precision, lang=lang),
                           "k": killed_text(row.killed_low, row.killed_best, row.killed_high, lang=lang),
                           "s": row.source_dataset}}


def place_names(frame: pd.DataFrame, *, lang: str = "en") -> np.ndarray:
    """Each incident's place as a reader of the language names it: in Arabic its Arabic name where
    known, else the name as given, else its district, else 'Unknown place'."""
    names = frame["place"]
    if translator(lang).lang == "ar" and "place_ar" in frame:
        arabic = frame["place_ar"].where(frame["place_ar"].astype("string").str.strip().fillna("") != "")
        names = arabic.fillna(names)
    t = translator(lang)
    return names.fillna(frame["admin2"]).fillna(t("Unknown place")).astype(str).to_numpy()


def incident_features(frame: pd.DataFrame, *, zoom: int | None = None, cell_px: int = CELL_PX,
                      max_ids: int = 50, max_features: int = MAX_FEATURES, lang: str = "en") -> dict:
    """A compact GeoJSON FeatureCollection of incidents for the map (ids, not full records).

    With `zoom`, incidents sharing a screen cell become one "cluster" feature (count, dominant
    type, date and toll range, the cell key to list them on click; their ids when few): the payload
    stays bounded by the screen, not by the number of incidents.
    """
    if frame.empty:
        return {"type": "FeatureCollection", "features": []}
    cols = ["incident_id", "lon", "lat", "geo_precision", "date_start", "date_end", "date_precision",
            "killed_low", "killed_best", "killed_high", "source_dataset"]
    labels = place_names(frame, lang=lang)
    types = frame["event_type"].astype(str).to_numpy()
    frame = pd.DataFrame({c: frame[c] for c in cols})  # only what the map needs: masks below copy less
    killed = frame["killed_high"].astype("float64")
    radius = (4 + 2.2 * np.sqrt(killed.fillna(0).clip(lower=0))).clip(upper=20).round(1).to_numpy()
    if zoom is None:
        return {"type": "FeatureCollection", "features": [
            _incident(row, types[i], float(radius[i]), labels[i], lang)
            for i, row in enumerate(frame[cols].itertuples(index=False))]}
    keys = cells(frame, zoom=zoom, cell_px=cell_px)
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    while len(uniq) > max_features:  # a dense view: coarser cells keep the payload bounded
        cell_px = int(cell_px * 1.5)
        keys = cells(frame, zoom=zoom, cell_px=cell_px)
        uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    single = counts[inverse] == 1
    features = [_incident(row, types[i], float(radius[i]), labels[i], lang)
                for i, row in zip(np.flatnonzero(single), frame[cols].iloc[np.flatnonzero(single)].itertuples(index=False))]
    many = ~single
    if many.any():
        features += _clusters(frame[many], keys[many], types[many], labels[many], killed[many], zoom=zoom,
                              max_ids=max_ids, cell_px=cell_px, lang=lang)
    return {"type": "FeatureCollection", "features": features}


def _clusters(frame: pd.DataFrame, keys: np.ndarray, types: np.ndarray, labels: np.ndarray, killed: pd.Series, *,
              zoom: int, max_ids: int, cell_px: int, lang: str = "en") -> list[dict]:
    """One feature per screen cell holding several incidents, computed on integer codes (bincount and
    sorted runs, no group-by of text): a step with a million incidents in view touches cells, not rows."""
    cell_keys, cell = np.unique(keys, return_inverse=True)
    n_cells = len(cell_keys)
    n = np.bincount(cell, minlength=n_cells)
    lat = np.bincount(cell, weights=frame["lat"].to_numpy(float), minlength=n_cells) / n
    lon = np.bincount(cell, weights=frame["lon"].to_numpy(float), minlength=n_cells) / n
    low = frame["killed_low"].to_numpy(dtype=float, na_value=np.nan)
    high = killed.to_numpy(dtype=float, na_value=np.nan)
    lo = np.bincount(cell, weights=np.nan_to_num(low), minlength=n_cells)
    hi = np.bincount(cell, weights=np.nan_to_num(high), minlength=n_cells)
    known = np.bincount(cell, weights=~np.isnan(high), minlength=n_cells).astype(np.int64)
    order = np.argsort(cell, kind="stable")          # rows cell by cell, each cell's rows in frame order
    first = np.concatenate([[0], np.cumsum(n)[:-1]])  # where each cell's run starts in `order`
    never, always = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    starts = frame["date_start"].to_numpy("datetime64[ns]").view(np.int64)
    ends = frame["date_end"].to_numpy("datetime64[ns]").view(np.int64)
    start = np.minimum.reduceat(np.where(starts == always, never, starts)[order], first)  # NaT skipped
    end = np.maximum.reduceat(ends[order], first)
    by_type = _ranked_counts(cell, types, n_cells)
    by_place = _ranked_counts(cell, labels, n_cells, top=3)
    ids = frame["incident_id"].to_numpy()
    t = translator(lang)
    features = []
    for c in range(n_cells):
        count = int(n[c])
        listed = by_type[c]
        toll = SimpleNamespace(n=count, lo=lo[c], hi=hi[c], known=int(known[c]))
        props = {"kind": "cluster", "cell": str(cell_keys[c]), "z": int(zoom), "px": int(cell_px), "n": count,
                 "t": listed[0][0], "types": listed, "r": float(min(9 + 3 * math.log2(count), 24)),
                 "d": _span(pd.Timestamp(start[c]), pd.Timestamp(end[c] if end[c] != always else start[c]), t),
                 "k": _toll(toll, t),
                 "places": "; ".join(name for name, _ in by_place[c])[:120],
                 "title": t.plural("{n} incident here", "{n} incidents here", count),
                 "tip": t.plural("{n} incident", "{n} incidents", count)}
        if count <= max_ids:
            props["ids"] = ids[order[first[c]:first[c] + count]].tolist()
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "Point", "coordinates": [round(float(lon[c]), 5),
                                                                       round(float(lat[c]), 5)]}})
    return features


def _ranked_counts(cell: np.ndarray, values: np.ndarray, n_cells: int, *, top: int | None = None) -> list[list]:
    """Per cell, its values with their counts, most frequent first (ties by value), the first `top`."""
    codes, uniques = pd.factorize(values)
    uniques = np.asarray(uniques, dtype=object)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(uniques.astype(str), kind="stable")] = np.arange(len(uniques))
    pair, count = np.unique(cell.astype(np.int64) * len(uniques) + codes, return_counts=True)
    of_cell, value = pair // len(uniques), pair % len(uniques)
    order = np.lexsort((rank[value], -count, of_cell))
    if top is not None:   # the first `top` of each cell's run
        runs = of_cell[order]
        order = order[np.arange(len(order)) - np.searchsorted(runs, runs) < top]
    out: list[list] = [[] for _ in range(n_cells)]
    for i in order:
        out[of_cell[i]].append([uniques[value[i]], int(count[i])])
    return out


def _span(start: pd.Timestamp, end: pd.Timestamp, t) -> str:
    """'05 Jun 2014 – 10 Jul 2014'; in a right-to-left language with its month names, isolated as one run."""
    if t.lang == "en":
        return f"{start:%d %b %Y} – {end:%d %b %Y}"
    return t.isolate(f"{t.date(start)} – {t.date(end)}")


def _toll(row, t) -> str:
    """A cluster's killed: '3–9', '4 (2 unknown)'."""
    figure = f"{int(row.lo)}–{int(row.hi)}" if row.lo != row.hi else str(int(row.hi))
    if t.rtl:
        figure = t.isolate(figure)
    if row.known < row.n:
        figure += t(" ({n} unknown)", n=int(row.n - row.known))
    return figure


def in_view(frame: pd.DataFrame, bounds: dict | None, *, margin: float = 0.5) -> pd.DataFrame:
    """The incidents inside the map's bounds (as st_folium returns them), widened by `margin` of the
    view on each side so a small pan does not show an empty edge; all of them without bounds."""
    try:
        s, w = bounds["_southWest"]["lat"], bounds["_southWest"]["lng"]
        n, e = bounds["_northEast"]["lat"], bounds["_northEast"]["lng"]
    except (TypeError, KeyError):
        return frame
    if None in (s, w, n, e):
        return frame
    dy, dx = (n - s) * margin, (e - w) * margin
    keep = (frame["lat"].between(s - dy, n + dy) & frame["lon"].between(w - dx, e + dx)).to_numpy()
    return frame.copy(deep=False) if keep.all() else frame[keep]   # all in view: no copy of the rows


def in_cell(frame: pd.DataFrame, *, cell: str, zoom: int, cell_px: int = CELL_PX) -> pd.DataFrame:
    """The incidents of `frame` in one screen cell (what a clicked cluster stands for)."""
    return frame[cells(frame, zoom=zoom, cell_px=cell_px) == np.int64(int(cell))]


def incident_layer(frame: pd.DataFrame, *, heat: bool = False, zoom: int | None = None,
                   name: str | None = None, selected: str | None = None,
                   assets_url: str = assets.URL, attribution=(), lang: str = "en") -> folium.FeatureGroup:
    """The incidents in view as one FeatureGroup: points (aggregated per screen cell at `zoom`),
    or a heat map of the same points. The `selected` incident (or the counted circle holding it)
    is drawn with a highlight ring. `attribution`: the data credits owed for these incidents
    (`events.exports.credits`, plain text lines), shown in the map's attribution box. `name`: the
    layer's name in the layer control (default 'Incidents' in the language)."""
    t = translator(lang)
    group = folium.FeatureGroup(name=t("Incidents") if name is None else name)
    if attribution:
        group.add_child(LayerAttribution(attribution))
    if heat:
        from folium.plugins import HeatMap
        weights = (1 + frame["killed_high"].astype("float64").fillna(0)).clip(upper=50)
        assets.declare(HeatMap(np.column_stack([frame["lat"], frame["lon"], weights]).tolist(), radius=18, blur=14,
                               min_opacity=0.3), "heat", assets_url).add_to(group)
        return group
    group.add_child(IncidentLayer(incident_features(frame, zoom=zoom, lang=lang), colours=EVENT_COLOURS,
                                  selected=selected, words=popup_words(lang=lang),
                                  precision={str(k): v for k, v in precision_labels(lang=lang).items()}))
    return group


def control_style(controller: str, control_type: str, confidence: str) -> dict:
    """Leaflet path style of one control period."""
    colour = CONTROLLER_COLOURS.get(controller, OTHER_COLOUR)
    opacity, dash, weight = CONTROL_STYLES.get(control_type, (0.15, "4 4", 2))
    factor = CONFIDENCE_FACTOR.get(confidence, 0.5)
    return {"color": colour, "weight": weight, "dashArray": dash, "fillColor": colour,
            "fillOpacity": round(opacity * factor, 3), "opacity": 0.5 + 0.5 * factor}


def control_features(areas: gpd.GeoDataFrame, *, lang: str = "en") -> dict:
    """GeoJSON of the control periods with their style and popup fields (words in the language; the
    controller, type and confidence keys stay as stored, their shown names beside them)."""
    t = translator(lang)
    features = []
    for row in areas.itertuples():
        basis = getattr(row, "basis", "") or ""
        claimed_by = getattr(row, "claimed_by", "") or ""
        uncertain = []
        if row.from_precision and row.from_precision != "day":
            uncertain.append(t("start known to {precision}", precision=t(row.from_precision)))
        if isinstance(row.to_precision, str) and row.to_precision not in ("", "day") and pd.notna(row.valid_to):
            uncertain.append(t("end known to {precision}", precision=t(row.to_precision)))
        if t.lang == "en":
            period = f"{row.valid_from:%d %b %Y} – " + ("ongoing" if pd.isna(row.valid_to) else f"{row.valid_to:%d %b %Y}")
        else:
            period = t.isolate(f"{t.date(row.valid_from)} – "
                               + (t("ongoing") if pd.isna(row.valid_to) else t.date(row.valid_to)))
        features.append({
            "type": "Feature", "geometry": json.loads(gpd.GeoSeries([row.geometry]).to_json())["features"][0]["geometry"],
            "properties": {"kind": "control", "area_id": row.area_id, "controller": row.controller,
                           "control_type": row.control_type, "confidence": row.confidence, "label": row.label,
                           "approximate": bool(row.approximate), "notes": row.notes,
                           "period": period + (f" ({'; '.join(uncertain)})" if uncertain else ""),
                           "sources": json.loads(row.sources),
                           "basis": basis, "claimed_by": claimed_by,
                           "basis_text": (t("claimed by {name}", name=claimed_by) if basis == "claimed" else
                                          t(basis) if basis else t("not stated")),
                           "names": {"controller": t(str(row.controller)), "control_type": t(str(row.control_type)),
                                     "confidence": t(str(row.confidence))},
                           "held": row.control_type in control.HELD_TYPES,
                           "style": control_style(row.controller, row.control_type, row.confidence)}})
    return {"type": "FeatureCollection", "features": features}


def control_layer(areas: gpd.GeoDataFrame, *, name: str | None = None, lang: str = "en") -> folium.FeatureGroup:
    """The areas of control as one FeatureGroup (`name` default: 'Areas of control' in the language)."""
    t = translator(lang)
    group = folium.FeatureGroup(name=t("Areas of control") if name is None else name)
    group.add_child(ControlLayer(control_features(areas, lang=lang), words=popup_words(lang=lang)))
    return group


def _boundary_layer(boundaries: gpd.GeoDataFrame, *, name: str, fill: bool) -> folium.GeoJson:
    approximate = bool(boundaries["approximate"].any()) if "approximate" in boundaries else True
    # Only the level and the shape reach folium's GeoJson: no name from a user's file enters its template.
    data = boundaries[boundaries["level"].isin(["adm1", "adm2", "adm3"])][["level", "geometry"]].reset_index(drop=True)
    weights = {"adm1": 2.5, "adm2": 1.6, "adm3": 0.7}

    def style(feature):
        level = feature["properties"]["level"]
        return {"color": "#555" if level != "adm3" else "#888", "weight": weights.get(level, 1),
                "dashArray": "6 4" if approximate else None, "fill": fill,
                "fillColor": "#f2efe6" if level == "adm1" else "#f7f5ef", "fillOpacity": 0.9 if fill else 0}

    return folium.GeoJson(data.to_json(), name=name, style_function=style, interactive=False,
                          smooth_factor=1.5, pane=BASE_PANE)


def build_map(*, boundaries: gpd.GeoDataFrame, places: pd.DataFrame, center=CENTER, zoom: int = ZOOM,
              height: str = "100%", overlays=(), legend_open: bool = False, offline: bool = False,
              width: str = "100%", assets_url: str = assets.URL, lang: str = "en") -> folium.Map:
    """The base map (identical for identical inputs): online tiles with an automatic offline base,
    admin boundaries (toggleable), bilingual place labels, the legend and a scale bar.

    `overlays` (FeatureGroups) are drawn into the map itself, for standalone pages; in the app the
    changing layers go to st_folium's `feature_group_to_add` instead, so the base never reloads.
    `assets_url`: where the page loads Leaflet and the plugins from (declared on these elements only).
    `lang`: the language of every word on the map; a right-to-left language lays the legend, popups
    and labels out right to left in Noto Sans Arabic (loaded from `assets_url`)."""
    t = translator(lang)
    m = assets.declare(folium.Map(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=True,
                                  control_scale=True, maxZoom=18, minZoom=5, height=height, width=width),
                       "map", assets_url)
    font = {"family": assets.FONT_FAMILY, "url": f"{assets_url.rstrip('/')}/{assets.FONT}"} if t.rtl else None
    m.add_child(assets.declare(AtlasScript(None, rtl=t.rtl, font=font), "heat", assets_url))
    folium.map.CustomPane(BASE_PANE, z_index=250).add_to(m)  # above tiles, below every overlay
    tiles = [folium.TileLayer(url, name=t(name), attr=credit, max_zoom=18, show=(i == 0))
             for i, (name, url, credit) in enumerate(_tile_specs())]
    for tile in tiles:
        tile.add_to(m)
    approx = bool(boundaries["approximate"].any()) if "approximate" in boundaries else True
    offline_group = folium.FeatureGroup(name=t(OFFLINE_NAME), overlay=False, show=False)
    _boundary_layer(boundaries, name="offline-base", fill=True).add_to(offline_group)
    offline_group.add_to(m)
    admin = folium.FeatureGroup(name=t("Admin boundaries (approximate)") if approx else t("Admin boundaries (official)"),
                                show=True)
    _boundary_layer(boundaries, name="admin", fill=False).add_to(admin)
    admin.add_to(m)
    labels = folium.FeatureGroup(name=t("Place labels (English · العربية)"), show=True)
    labels.add_child(PlaceLabels(places_payload(places), arabic_first=t.rtl))
    labels.add_to(m)
    for layer in overlays:
        layer.add_to(m)
    m.add_child(OfflineFallback(tiles, offline_group, offline_now=offline, lang=lang))
    m.add_child(Legend(legend_data(lang=lang), collapsed=not legend_open))
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def places_payload(places: pd.DataFrame) -> list[dict]:
    """The label list: English and Arabic names with coordinates."""
    rows = places.dropna(subset=["lat", "lon"])
    return [{"en": r.name_en, "ar": r.name_ar if isinstance(r.name_ar, str) else "", "lat": round(r.lat, 5),
             "lon": round(r.lon, 5)} for r in rows.itertuples()]


def label_places(gazetteer: pd.DataFrame) -> pd.DataFrame:
    """The places worth a permanent label: governorate and district seats and the brief's towns."""
    kinds = {"governorate seat", "district seat"}
    wanted = {"Rashad", "Riyadh", "Abbasi", "Zab", "Multaqa", "Taza", "Bashir", "Altun Kupri", "Lakja", "Amirli",
              "Sulaiman Bek", "Laylan", "Yaychi", "Gwer", "Qaraj", "Dibaga", "Shwan", "Qara Hanjeer", "Sarkaran"}
    pick = gazetteer["kind"].isin(kinds) | gazetteer["name_en"].isin(wanted)
    pick &= gazetteer["geo_precision"].fillna(1) <= 2
    return gazetteer[pick].drop_duplicates("name_en")


def fit_zoom(bounds: tuple[float, float, float, float], *, width_px: int, height_px: int) -> tuple[tuple[float, float], int]:
    """Centre and the largest whole zoom that shows (south, west, north, east) in a viewport."""
    s, w, n, e = bounds

    def y(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    zoom_x = math.log2(width_px * 360 / (256 * max(e - w, 1e-6)))
    zoom_y = math.log2(height_px * 2 * math.pi / (256 * max(y(n) - y(s), 1e-9)))
    return ((s + n) / 2, (w + e) / 2), int(max(3, min(18, math.floor(min(zoom_x, zoom_y)))))


class TimeSlider(AtlasElement):
    """A standalone page's own time slider and play control (no server): incidents and control
    areas carry their dates, and the page redraws what holds on the slider's date."""

    template_file = "time_slider.js"



def _days(values) -> list:
    stamps = pd.to_datetime(pd.Series(values))
    return [None if pd.isna(v) else int(v.value // 86_400_000_000_000) for v in stamps]


def time_slider(incidents: pd.DataFrame, areas: gpd.GeoDataFrame, *, start, first, last, trail_days: int = 90,
                step_days: int = 30, interval_ms: int = 700, lang: str = "en") -> TimeSlider:
    """The standalone page's time slider over `first`..`last`, opening on `start` (words in `lang`)."""
    t = translator(lang)
    inc = incident_features(incidents, lang=lang)
    for f, a, b in zip(inc["features"], _days(incidents["date_start"]), _days(incidents["date_end"])):
        f["properties"]["t0"], f["properties"]["t1"] = a, b
    ctl = control_features(areas, lang=lang)
    for f, a, b in zip(ctl["features"], _days(areas["valid_from"]), _days(areas["valid_to"])):
        f["properties"]["t0"], f["properties"]["t1"] = a, b
    first_day, last_day, start_day = _days([first, last, start])
    return TimeSlider({"incidents": inc, "control": ctl, "first": first_day, "last": last_day, "start": start_day},
                      trail_days=trail_days, step_days=step_days, interval_ms=interval_ms,
                      style={"colours": EVENT_COLOURS, "words": popup_words(lang=lang),
                             "precision": {str(k): v for k, v in precision_labels(lang=lang).items()}},
                      words={"play": t("▶ Play"), "pause": t("❚❚ Pause"), "dir": t.direction,
                             "isolate": [FSI, PDI] if t.rtl else ["", ""],
                             # filled in by the page: {start}, {end}, {days}, {day}
                             "caption": t("Incidents {start} – {end} ({days} days); areas of control on {day}")})
