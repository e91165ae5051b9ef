"""How an incident reads and looks wherever it is shown: event-type colours, location-precision labels,
dates and tolls as text, in the reader's language (`lang`, see i18n).

One definition for the map (geo.mapview), the exports (KML styles and balloons) and the page, so a
colour or a date reads the same on screen and in every file. Words defined here as data (event types,
sub-types, precision labels) are marked with N_ and translated where they are shown (`type_name`).
"""
from __future__ import annotations

import pandas as pd

from events import actors
from i18n import N_, translator

EVENT_COLOURS = {
    N_("Battles"): "#d62728",
    N_("Explosions/Remote violence"): "#ff7f0e",
    N_("Violence against civilians"): "#9467bd",
    N_("Protests"): "#2ca02c",
    N_("Riots"): "#8c564b",
    N_("Strategic developments"): "#1f77b4",
}
# ACLED's sub-event types (events.model.EVENT_TYPES), marked here for translation: ACLED has no Arabic.
SUB_EVENT_TYPE_NAMES = (
    N_("Armed clash"), N_("Government regains territory"), N_("Non-state actor overtakes territory"),
    N_("Chemical weapon"), N_("Air/drone strike"), N_("Suicide bomb"), N_("Shelling/artillery/missile attack"),
    N_("Remote explosive/landmine/IED"), N_("Grenade"),
    N_("Sexual violence"), N_("Attack"), N_("Abduction/forced disappearance"),
    N_("Peaceful protest"), N_("Protest with intervention"), N_("Excessive force against protesters"),
    N_("Violent demonstration"), N_("Mob violence"),
    N_("Agreement"), N_("Arrests"), N_("Change to group/activity"), N_("Disrupted weapons use"),
    N_("Headquarters or base established"), N_("Looting/property destruction"),
    N_("Non-violent transfer of territory"), N_("Other"),
)
DATE_PRECISION_NAMES = {"day": N_("day"), "week": N_("week"), "month": N_("month"), "year": N_("year")}
OTHER_COLOUR = "#7f7f7f"
PRECISION_LABELS = {1: N_("exact place (filled dot)"), 2: N_("near a named place, within ~25 km (hollow ring)"),
                    3: N_("district only (dashed ring)"), 4: N_("governorate only (dashed ring)")}
_KNOWN_NAMES = frozenset([*EVENT_COLOURS, *SUB_EVENT_TYPE_NAMES])


def type_name(value, *, lang: str = "en") -> str:
    """An event type or sub-type in the language ('Battles' -> 'معارك'); anything else as it is."""
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return translator(lang)(text) if text in _KNOWN_NAMES else text


def precision_labels(*, lang: str = "en") -> dict[int, str]:
    """PRECISION_LABELS in the language."""
    t = translator(lang)
    return {k: t(v) for k, v in PRECISION_LABELS.items()}


def killed_text(low, best, high, *, lang: str = "en") -> str:
    """A casualty count as reported: 'unknown', '7', or a range '3–7 (best 5)'. In a right-to-left
    language the figures are isolated, so '10–14' never reads '14–10'."""
    t = translator(lang)
    figure = t.isolate if t.rtl else str
    if pd.isna(high):  # 'at least N' reported: a floor with no ceiling, never 'unknown'
        return t("at least {n}", n=figure(str(int(low)))) if pd.notna(low) else t("unknown")
    if pd.notna(low) and low != high:
        span = figure(f"{int(low)}–{int(high)}")
        return span + (t(" (best {best})", best=int(best)) if pd.notna(best) else "")
    return figure(str(int(high))) if t.rtl else str(int(high))


def toll_range(totals: dict, word: str = "killed", *, lang: str = "en") -> str:
    """The low–high sum of a toll over many incidents (`events.query.totals`), saying 'or more' when some
    report gave only a floor ('at least 12'), so a range is never read as closed when it is not."""
    t = translator(lang)
    low, high, open_ = totals[f"{word}_low"], totals[f"{word}_high"], totals.get(f"{word}_open", 0)
    span = f"{t.number(low)}–{t.number(high)}"
    span = t.isolate(span) if t.rtl else span
    return t("{range} or more", range=span) if open_ else span


def date_label(start: pd.Timestamp, end: pd.Timestamp, precision: str, *, lang: str = "en") -> str:
    """A date as precisely as it is known: '5 Sep 2021', 'April 2004', '2018', '13–20 Jul 2017'
    (in Arabic: '5 أيلول 2021', month names as read in Iraq; a range isolated as one run)."""
    t = translator(lang)
    if t.lang == "en":
        return _date_label_en(start, end, precision)
    if precision == "year":
        text = f"{start:%Y}" if start.year == end.year else t.isolate(f"{start:%Y}–{end:%Y}")
    elif precision == "month" and start.month == end.month and start.year == end.year:
        text = t.date(start, "month")
    elif start == end:
        text = t.date(start, "day")
    else:
        word = t(DATE_PRECISION_NAMES[precision]) if precision in DATE_PRECISION_NAMES else str(precision)
        return t("{dates} ({precision})", dates=t.isolate(f"{t.date(start)} – {t.date(end)}"), precision=word)
    return text


def _date_label_en(start: pd.Timestamp, end: pd.Timestamp, precision: str) -> str:
    if precision == "year":
        return f"{start:%Y}" if start.year == end.year else f"{start:%Y}–{end:%Y}"
    if precision == "month" and start.month == end.month and start.year == end.year:
        return f"{start:%B %Y}"
    if start == end:
        return f"{start.day} {start:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y} ({precision})"


def filters_text(filters, *, start=None, end=None, lang: str = "en") -> str:
    """A view's filters in words, as attributions ask for them: 'event types all · district Hawija ·
    2014-06-10 – 2017-10-05'. `filters` holds the keywords of `events.query.mask` / `query.select`
    (event_types, sub_event_types, actor_names or actors, admin2, admin3, places, controllers,
    min_killed, text, datasets); empty ones are left out, except the event types ('all'). In a
    right-to-left language each name and date is isolated, so Latin names keep their order."""
    t = translator(lang)
    own = t.isolate if t.rtl else str
    comma = "، " if t.rtl else ", "

    def listed(word: str, plural: str, values, *, name=str) -> str | None:
        values = [str(v) for v in (values or ()) if str(v).strip()]
        if not values:
            return None
        return f"{t(word if len(values) == 1 else plural)} {comma.join(own(name(v)) for v in values)}"

    def type_names(value: str) -> str:
        return type_name(value, lang=lang)

    f = dict(filters or {})
    parts = [listed(N_("event type"), N_("event types"), f.get("event_types"), name=type_names)
             or t("event types all"),
             listed(N_("sub-type"), N_("sub-types"), f.get("sub_event_types"), name=type_names),
             listed(N_("actor"), N_("actors"), [*(f.get("actor_names") or ()), *(f.get("actors") or ()),
                                                *(actors.names_of(a) for a in f.get("actor_ids") or ())]),
             listed(N_("place"), N_("places"), f.get("places")),
             listed(N_("district"), N_("districts"), f.get("admin2")),
             listed(N_("sub-district"), N_("sub-districts"), f.get("admin3")),
             listed(N_("held by"), N_("held by"), f.get("controllers"), name=t),
             t("at least {n} killed", n=int(f["min_killed"])) if f.get("min_killed") else None,
             t("search “{text}”", text=own(" ".join(str(f["text"]).split()))) if f.get("text") else None,
             listed(N_("data set"), N_("data sets"), f.get("datasets"))]
    start = f.get("start") if start is None else start
    end = f.get("end") if end is None else end
    if start is not None or end is not None:
        first, last = t("the first date"), t("the last date")
        span = f"{_day(start) or first} – {_day(end) or last}"
        parts.append(own(span))
    return " · ".join(p for p in parts if p)


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"
