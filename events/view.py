"""One view of the incidents: the dates, every filter, the layers and the map framing a user looks at.

A `View` is what a shared link says (`from_query` / `to_query`, the link's own parameter names, so
links shared before this module still open the same view), what the app's widgets say, and what the
command lines' `--view` says. `select` is the one place that decides which incidents a view holds:
the map, the counts, the table, every export and the CLIs call it. `timeline` is the same selection
without the time window (the chart shows the whole period with the same filters).

District, sub-district and controller filters need the frame joined with boundaries and areas of
control (geo's `assign_admin` / `controller_of`); `needs_geo` says when a view uses them.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields, replace
from typing import Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd

import i18n
from events import actors, query

FIRST, LAST = dt.date(2003, 1, 1), dt.date(2024, 12, 31)
TRAILS = {"last 30 days": 30, "last 90 days": 90, "last 365 days": 365}
MODES = ("window", "as of")
LANGUAGES = tuple(i18n.languages())  # en, ar, ckb, ...: one catalogue directory each
MAX_TEXT = 200
MAX_ITEMS = 200


@dataclass(frozen=True)
class View:
    """Everything that decides what a user sees; defaults are the page's opening view."""

    mode: str = "window"
    window: tuple[dt.date, dt.date] = (dt.date(2013, 1, 1), dt.date(2018, 12, 31))
    asof: dt.date = dt.date(2014, 6, 15)
    trail_days: int = 90
    event_types: tuple[str, ...] = ()
    sub_event_types: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()            # exact actor1/actor2 names
    actor_ids: tuple[str, ...] = ()         # canonical actors (events.actors), either side
    districts: tuple[str, ...] = ()         # admin2
    sub_districts: tuple[str, ...] = ()     # admin3
    controllers: tuple[str, ...] = ()       # who held the place on the incident's date
    min_killed: int = 0
    text: str = ""
    datasets: tuple[str, ...] = ()
    show_control: bool = True
    heat: bool = False
    raw: bool = False                       # every source row, not each event once (events.matching)
    lang: str = "en"
    lat: float | None = None
    lon: float | None = None
    zoom: int | None = None
    selected: str | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)  # link parameters that were dropped, and why

    @property
    def start(self) -> pd.Timestamp:
        if self.mode == "as of":
            return pd.Timestamp(self.asof) - pd.Timedelta(days=self.trail_days - 1)
        return pd.Timestamp(self.window[0])

    @property
    def end(self) -> pd.Timestamp:
        """The last day of the window, also the date whose areas of control are drawn."""
        return pd.Timestamp(self.asof if self.mode == "as of" else self.window[1])

    def filters(self) -> dict:
        """The keyword arguments of `events.query.mask` for every filter but the time window."""
        return dict(event_types=list(self.event_types), sub_event_types=list(self.sub_event_types),
                    actor_names=list(self.actors), actor_ids=list(self.actor_ids),
                    admin2=list(self.districts), admin3=list(self.sub_districts),
                    controllers=list(self.controllers), min_killed=self.min_killed or None,
                    text=self.text or None, datasets=list(self.datasets))

    def needs_geo(self) -> bool:
        """True when the view filters by district, sub-district or controller (geo's joins)."""
        return bool(self.districts or self.sub_districts or self.controllers)

    def label(self) -> str:
        if self.mode == "as of":
            trail = next((k for k, v in TRAILS.items() if v == self.trail_days), f"last {self.trail_days} days")
            return f"As of {self.end:%d %b %Y} ({trail})"
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


def select(frame: pd.DataFrame, view: View, *, search: pd.Series | None = None) -> pd.DataFrame:
    """The incidents `view` holds: its window (interval overlap) and every filter."""
    return within(frame, start=view.start, end=view.end, filters=view.filters(), search=search)


def timeline(frame: pd.DataFrame, view: View, *, search: pd.Series | None = None) -> pd.DataFrame:
    """The incidents `view` holds at any date: every filter but the time window (for the chart)."""
    return within(frame, start=None, end=None, filters=view.filters(), search=search)


def within(frame: pd.DataFrame, *, start, end, filters: Mapping, search: pd.Series | None = None) -> pd.DataFrame:
    """The one selection every part of the atlas makes: the window `start`..`end` (None: any date)
    and `filters` (`View.filters()`, the keywords of `events.query.mask`).

    A district, sub-district or controller filter on a frame not joined with the boundaries and
    areas of control is an error, never silently ignored."""
    missing = [c for c, k in (("admin2", "admin2"), ("admin3", "admin3"), ("controller", "controllers"))
               if filters.get(k) and c not in frame.columns]
    if missing:
        raise ValueError(f"this view filters by {', '.join(missing)}: the incidents must first be joined with "
                         "the boundaries and areas of control (geo)")
    keep = query.mask(frame, start=start, end=end, search=search, **filters).to_numpy()
    if keep.all():   # everything in view (a whole-range window): no copy of a million rows
        return frame.copy(deep=False)
    return frame[keep]


# ---------------------------------------------------------------------------------------------
# The shared link
# ---------------------------------------------------------------------------------------------
_LISTS = {"types": "event_types", "sub": "sub_event_types", "actors": "actors", "d2": "districts",
          "d3": "sub_districts", "ctrl": "controllers", "ds": "datasets"}


def from_query(query_string: str | Mapping[str, object]) -> View:
    """The View of a shared link (its query string, the whole URL, or a mapping of parameter -> value(s)).

    A parameter that is not valid (not a date, out of range, not a number, an unknown choice) is
    dropped and named in `view.notes`; the rest of the link still applies."""
    params = _params(query_string)
    notes: list[str] = []
    values: dict = {}

    def note(name: str, raw, why: str) -> None:
        notes.append(f"link parameter {name} ({str(raw)[:40]}) ignored: {why}")

    mode = _last(params, "mode")
    if mode is not None:
        if mode in MODES:
            values["mode"] = mode
        else:
            note("mode", mode, "expected window or as of")
    if "window" in params:
        days = [_date(v) for v in params["window"]]
        if len(days) == 2 and None not in days:
            values["window"] = tuple(sorted(days))
        else:
            note("window", ",".join(params["window"]), "expected two dates from 2003-01-01 to 2024-12-31")
    if (raw := _last(params, "asof")) is not None:
        if (day := _date(raw)) is not None:
            values["asof"] = day
        else:
            note("asof", raw, "expected a date from 2003-01-01 to 2024-12-31")
    if (raw := _last(params, "trail")) is not None:
        if raw in TRAILS:
            values["trail_days"] = TRAILS[raw]
        else:
            note("trail", raw, "expected one of " + ", ".join(TRAILS))
    for name, attr in _LISTS.items():
        if name in params:
            items = [v[:MAX_TEXT] for v in params[name] if v.strip()][:MAX_ITEMS]
            values[attr] = tuple(dict.fromkeys(items))
    if "actor_id" in params:
        known, unknown = actors.valid_ids(v[:MAX_TEXT] for v in params["actor_id"][:MAX_ITEMS])
        if known:
            values["actor_ids"] = tuple(known)
        for raw in unknown:
            note("actor_id", raw, "not an actor of the canonical list (python -m events actors list)")
    if (raw := _last(params, "mink")) is not None:
        number = _number(raw, 0, 100_000)
        if number is not None and number == int(number):
            values["min_killed"] = int(number)
        else:
            note("mink", raw, "expected a whole number from 0 to 100000")
    if (raw := _last(params, "q")) is not None:
        values["text"] = raw[:MAX_TEXT]
    for name, attr in (("ctl", "show_control"), ("heat", "heat"), ("raw", "raw")):
        if (raw := _last(params, name)) is not None:
            if raw.lower() in ("true", "false"):
                values[attr] = raw.lower() == "true"
            else:
                note(name, raw, "expected true or false")
    if (raw := _last(params, "lang")) is not None:
        if raw in LANGUAGES:
            values["lang"] = raw
        else:
            note("lang", raw, "expected one of " + ", ".join(LANGUAGES))
    for name, attr, low, high in (("lat", "lat", -85, 85), ("lon", "lon", -180, 180), ("z", "zoom", 5, 18)):
        if (raw := _last(params, name)) is not None:
            number = _number(raw, low, high)
            if number is None or (attr == "zoom" and number != int(number)):
                note(name, raw, f"expected a number from {low} to {high}")
            else:
                values[attr] = int(number) if attr == "zoom" else number
    if (raw := _last(params, "sel")) is not None and raw.strip():
        values["selected"] = raw[:MAX_TEXT]
    return View(**values, notes=tuple(notes))


def to_query(view: View) -> str:
    """The shared link's query string of `view` (parameters equal to the defaults are left out)."""
    default = View()
    pairs: list[tuple[str, str]] = []
    if view.mode != default.mode:
        pairs.append(("mode", view.mode))
    if view.mode == "window":
        pairs += [("window", f"{d:%Y-%m-%d}") for d in view.window]
    else:
        pairs.append(("asof", f"{view.asof:%Y-%m-%d}"))
        trail = next((k for k, v in TRAILS.items() if v == view.trail_days), None)
        if trail and view.trail_days != default.trail_days:
            pairs.append(("trail", trail))
    for name, attr in _LISTS.items():
        pairs += [(name, v) for v in getattr(view, attr)]
    pairs += [("actor_id", v) for v in view.actor_ids]
    if view.min_killed:
        pairs.append(("mink", str(view.min_killed)))
    if view.text:
        pairs.append(("q", view.text))
    if view.show_control != default.show_control:
        pairs.append(("ctl", str(view.show_control).lower()))
    if view.heat != default.heat:
        pairs.append(("heat", str(view.heat).lower()))
    if view.raw != default.raw:
        pairs.append(("raw", str(view.raw).lower()))
    if view.lang != default.lang:
        pairs.append(("lang", view.lang))
    if view.lat is not None and view.lon is not None:
        pairs += [("lat", f"{view.lat:.4f}"), ("lon", f"{view.lon:.4f}")]
    if view.zoom is not None:
        pairs.append(("z", str(view.zoom)))
    if view.selected:
        pairs.append(("sel", view.selected))
    return urlencode(pairs)


def with_changes(view: View, **changes) -> View:
    """A copy of `view` with some fields changed (lists given as any iterable)."""
    kinds = {f.name: f.type for f in fields(View)}
    for name, value in changes.items():
        if "tuple[str" in str(kinds.get(name, "")):
            changes[name] = tuple(value or ())
    return replace(view, **changes)


def _params(query_string) -> dict[str, list[str]]:
    if isinstance(query_string, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in query_string.items():
            items = value if isinstance(value, (list, tuple)) else [value]
            out[str(key)] = [str(v) for v in items if v is not None]
        return out
    text = str(query_string).strip()
    if "://" in text or text.startswith("/"):
        text = urlsplit(text).query
    return parse_qs(text.lstrip("?"), keep_blank_values=False)


def _last(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _date(text: str) -> dt.date | None:
    """A link date: YYYY-MM-DD, or the epoch microseconds Streamlit writes for a date it moved."""
    text = str(text).strip()
    try:
        if text.isdigit() and len(text) > 10:
            day = (pd.Timestamp(0) + pd.Timedelta(microseconds=int(text))).date()
        else:
            day = dt.date.fromisoformat(text[:10])
    except (ValueError, OverflowError):
        return None
    return day if FIRST <= day <= LAST else None


def _number(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and low <= value <= high else None
