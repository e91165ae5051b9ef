"""The shared link's values the widgets cannot read themselves, each checked (a crafted link never
breaks the page)."""
from __future__ import annotations

import datetime as dt
import math

import streamlit as st

import i18n
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


def link_language(languages) -> str:
    """The language a page opens in: the link's `lang` when it names one of `languages`, else the browser's
    (`st.context.locale`, 'ar-IQ' -> 'ar'), else English."""
    raw = st.query_params.get("lang")
    if raw is not None and str(raw).strip().lower() in languages:
        return str(raw).strip().lower()
    try:
        browser = st.context.locale
    except Exception:  # noqa: BLE001 - no browser context (a script run, a test): English
        browser = None
    return i18n.normalise(browser)


def link_number(name: str, default: float, low: float, high: float, *, whole: bool = False,
                t: i18n.Translator = i18n.translator()) -> float:
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
            t("link parameter {name} ({value}) ignored: expected a number from {low} to {high}",
              name=name, value=i18n.isolate(str(raw)[:40]), low=f"{low:g}", high=f"{high:g}"))
        return default
    return int(value) if whole else value


def from_link(key: str, options, *, default, many: bool = False) -> None:
    """Start a choice widget (`key`) from the shared link, once per session: the link's values that are
    among `options`, else `default`.

    For the widgets whose options are shown translated: Streamlit's own binding writes an option's
    label into the URL, so a link made in Arabic would not open in English. These widgets keep their
    English values in the link instead (`to_link`), whatever the reader's language."""
    if key in st.session_state:
        return
    values = [v for v in st.query_params.get_all(key) if v in options]
    if many:
        st.session_state[key] = list(dict.fromkeys(values)) or list(default)
    else:
        st.session_state[key] = values[-1] if values else default


def to_link(key: str, value, *, default) -> None:
    """Write a choice into the shared link as its English value(s); none when it is the default."""
    if value is None or value == default or (isinstance(value, (list, tuple)) and list(value) == list(default or [])):
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = list(value) if isinstance(value, (list, tuple)) else value
