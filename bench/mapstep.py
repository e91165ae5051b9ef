"""The Python side of one slider step, ours and the naive folium way, on the same frame and window.

- ours: the FeatureGroups exactly as app.py passes them to st_folium (`mapview.control_layer(AREAS)`,
  `mapview.incident_layer(VIEW, zoom=ZOOM)`), turned into the JavaScript that streamlit-folium sends
  to the browser (`streamlit_folium._get_feature_group_string`, which is what `st_folium` calls);
- naive: the same control layer plus one `folium.CircleMarker` per incident in the window, with a
  popup, added to a FeatureGroup (as folium's documentation shows), rendered the same way.

`payload_bytes` is the UTF-8 size of those FeatureGroup scripts: what a slider step sends for the map.
"""
from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path

import folium
import pandas as pd
import streamlit_folium

from events import view
from geo import assets, boundaries, control, gazetteer, mapview


def _quiet_streamlit() -> None:
    """st_folium called outside `streamlit run` logs a warning per call: keep the bench output readable."""
    import streamlit.logger as st_logger
    from streamlit import config

    config.set_option("logger.level", "error")
    st_logger.set_log_level("error")
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


_quiet_streamlit()

ZOOM = mapview.ZOOM  # the app's opening zoom: the whole study area in view
_PLACES = None


def _places() -> pd.DataFrame:
    global _PLACES
    if _PLACES is None:
        _PLACES = mapview.label_places(gazetteer.load_gazetteer())
    return _PLACES


def base_map() -> folium.Map:
    """The app's base map (rebuilt on every rerun by the app, identical each time)."""
    return mapview.build_map(boundaries=boundaries.approximate_boundaries(), places=_places())


def window_mask(frame: pd.DataFrame, search: pd.Series, start, end) -> pd.Series:
    """The app's selection for a window with no other filter: `events.view.select`, as app.py calls it."""
    shown = view.with_changes(view.View(), window=(pd.Timestamp(start).date(), pd.Timestamp(end).date()))
    picked = view.select(frame, shown, search=search)
    return pd.Series(frame.index.isin(picked.index), index=frame.index)


def areas_on(day) -> pd.DataFrame:
    return control.control_at(day, layers=control.default_layers())


def ours_groups(view: pd.DataFrame, areas) -> list[folium.FeatureGroup]:
    """As app.py: the control layer, and the incidents in the map's bounds (none returned yet on the
    first run: all of them) aggregated at the zoom."""
    in_view = getattr(mapview, "in_view", lambda frame, bounds: frame)
    return [mapview.control_layer(areas), mapview.incident_layer(in_view(view, None), heat=False, zoom=ZOOM)]


def naive_groups(view: pd.DataFrame, areas) -> list[folium.FeatureGroup]:
    """One CircleMarker (with a popup) per incident, coloured by type, sized by killed."""
    group = folium.FeatureGroup(name="Incidents")
    killed = view["killed_high"].astype("float64")
    for row, k in zip(view[["lat", "lon", "event_type", "place", "date_start"]].itertuples(index=False), killed):
        colour = mapview.EVENT_COLOURS.get(row.event_type, "#555")
        folium.CircleMarker(location=[row.lat, row.lon], radius=4 + (0 if pd.isna(k) else min(k, 30) ** 0.5),
                            popup=f"{row.date_start:%d %b %Y} · {row.event_type} · {row.place} · killed "
                                  f"{'unknown' if pd.isna(k) else int(k)}",
                            color=colour, fill=True, fill_color=colour).add_to(group)
    return [mapview.control_layer(areas), group]


def render_groups(groups, m: folium.Map) -> list[str]:
    """The JavaScript st_folium generates for `feature_group_to_add` (one string per group)."""
    return [streamlit_folium._get_feature_group_string(g, map=m, idx=i) for i, g in enumerate(groups)]


def time_build(build, view, areas, *, repeat: int) -> tuple[float, int, list[float]]:
    """Median seconds to build and render the groups (a fresh base map each time, not timed)."""
    times, size = [], 0
    for _ in range(repeat):
        m = base_map()
        t = time.perf_counter()
        strings = render_groups(build(view, areas), m)
        times.append(time.perf_counter() - t)
        size = sum(len(s.encode("utf-8")) for s in strings)
    return statistics.median(times), size, times


def time_st_folium(build, view, areas, *, repeat: int) -> float:
    """Median seconds of the whole map part of a rerun as app.py does it: build the base map, build the
    groups, call st_folium (which renders the base map and the groups)."""
    _quiet_streamlit()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        m = base_map()
        streamlit_folium.st_folium(m, key="map", height=620, use_container_width=True, feature_group_to_add=build(view, areas),
                  returned_objects=["last_active_drawing", "center", "zoom"])
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def standalone_html(groups, path: Path) -> int:
    """A self-contained page (assets inlined, no network) of the base map with `groups` drawn in it."""
    m = mapview.build_map(boundaries=boundaries.approximate_boundaries(), places=_places(), overlays=groups)
    html = assets.inline(m.get_root().render())
    path.write_text(html, encoding="utf-8")
    return len(html.encode("utf-8"))
