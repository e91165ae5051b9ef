"""The shared link's values the widgets cannot read themselves, each checked (a crafted link never
breaks the page)."""
from __future__ import annotations

import datetime as dt
import math

import streamlit as st

from events.view import FIRST, LAST


def link_dates(name: str) -> list[dt.date]:
    """The dates of a shared link's parameter inside the atlas's period ([] when absent or not dates).

    Read here because Streamlit's bound slider ignores a link value equal to the slider's own ends
    (a window of the whole period, or "as of 2003-01-01")."""
    try:
        days = [dt.date.fromisoformat(str(v)[:10]) for v in st.query_params.get_all(name)]
    except ValueError:
        return []
    return days if all(FIRST <= d <= LAST for d in days) else []


def link_number(name: str, default: float, low: float, high: float, *, whole: bool = False) -> float:
    """A number from the shared link, or `default` with a note (in session state `link_notes`) when it
    is missing, not a finite number, or outside low..high."""
    raw = st.query_params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
        if not math.isfinite(value) or not low <= value <= high or (whole and value != int(value)):
            raise ValueError
    except (TypeError, ValueError):
        st.session_state.setdefault("link_notes", []).append(
            f"link parameter {name} ({str(raw)[:40]}) ignored: expected a number from {low:g} to {high:g}")
        return default
    return int(value) if whole else value
