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
