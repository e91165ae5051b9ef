"""How an incident reads and looks wherever it is shown: event-type colours, location-precision labels,
dates and tolls as text.

One definition for the map (geo.mapview), the exports (KML styles and balloons) and the page, so a
colour or a date reads the same on screen and in every file.
"""
from __future__ import annotations

import pandas as pd

EVENT_COLOURS = {
    "Battles": "#d62728",
    "Explosions/Remote violence": "#ff7f0e",
    "Violence against civilians": "#9467bd",
    "Protests": "#2ca02c",
    "Riots": "#8c564b",
    "Strategic developments": "#1f77b4",
}
OTHER_COLOUR = "#7f7f7f"
PRECISION_LABELS = {1: "exact place (filled dot)", 2: "near a named place, within ~25 km (hollow ring)",
                    3: "district only (dashed ring)", 4: "governorate only (dashed ring)"}


def killed_text(low, best, high) -> str:
    """A casualty count as reported: 'unknown', '7', or a range '3–7 (best 5)'."""
    if pd.isna(high):
        return "unknown"
    if pd.notna(low) and low != high:
        return f"{int(low)}–{int(high)}" + (f" (best {int(best)})" if pd.notna(best) else "")
    return str(int(high))


def date_label(start: pd.Timestamp, end: pd.Timestamp, precision: str) -> str:
    """A date as precisely as it is known: '5 Sep 2021', 'April 2004', '2018', '13–20 Jul 2017'."""
    if precision == "year":
        return f"{start:%Y}" if start.year == end.year else f"{start:%Y}–{end:%Y}"
    if precision == "month" and start.month == end.month and start.year == end.year:
        return f"{start:%B %Y}"
    if start == end:
        return f"{start.day} {start:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y} ({precision})"


def filters_text(filters, *, start=None, end=None) -> str:
    """A view's filters in words, as attributions ask for them: 'event types all · district Hawija ·
    2014-06-10 – 2017-10-05'. `filters` holds the keywords of `events.query.mask` / `query.select`
    (event_types, sub_event_types, actor_names or actors, admin2, admin3, places, controllers,
    min_killed, text, datasets); empty ones are left out, except the event types ('all')."""
    def listed(word: str, plural: str, values) -> str | None:
        values = [str(v) for v in (values or ()) if str(v).strip()]
        if not values:
            return None
        return f"{word if len(values) == 1 else plural} {', '.join(values)}"

    f = dict(filters or {})
    parts = [listed("event type", "event types", f.get("event_types")) or "event types all",
             listed("sub-type", "sub-types", f.get("sub_event_types")),
             listed("actor", "actors", [*(f.get("actor_names") or ()), *(f.get("actors") or ())]),
             listed("place", "places", f.get("places")),
             listed("district", "districts", f.get("admin2")),
             listed("sub-district", "sub-districts", f.get("admin3")),
             listed("held by", "held by", f.get("controllers")),
             f"at least {int(f['min_killed'])} killed" if f.get("min_killed") else None,
             f"search “{' '.join(str(f['text']).split())}”" if f.get("text") else None,
             listed("data set", "data sets", f.get("datasets"))]
    start = f.get("start") if start is None else start
    end = f.get("end") if end is None else end
    if start is not None or end is not None:
        parts.append(f"{_day(start) or 'the first date'} – {_day(end) or 'the last date'}")
    return " · ".join(p for p in parts if p)


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"
