"""ACLED: an export in the older 31-column layout or the current one, CSV or .xlsx (docs/importers.md)."""
from __future__ import annotations

import pandas as pd

from events.sources.cells import (acled_types, blank, citations, codes, col, date_order, date_range, day_dates,
                                  has_open_order, month_bounds, original_json, problem)
from events.sources.pipeline import TABLE_SUFFIXES, ImportFailure

NAME = "acled"
LABEL = "an ACLED export"
SUFFIXES = TABLE_SUFFIXES
CITATION_URL = "https://acleddata.com"

COLUMNS: dict[str, tuple[str, ...]] = {
    "event_id_cnty": ("event_id_cnty",), "event_date": ("event_date",), "time_precision": ("time_precision",),
    "event_type": ("event_type",), "sub_event_type": ("sub_event_type",),
    "actor1": ("actor1",), "actor2": ("actor2",), "civilian_targeting": ("civilian_targeting",),
    "admin1": ("admin1",), "admin2": ("admin2",), "admin3": ("admin3",), "location": ("location",),
    "latitude": ("latitude",), "longitude": ("longitude",), "geo_precision": ("geo_precision",),
    "source": ("source",), "notes": ("notes",), "fatalities": ("fatalities",),
    "year": ("year",), "inter1": ("inter1",),
}
REQUIRED = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude")


def detect(keys: set[str]) -> bool:
    """Whether a header (names as matched) is ACLED's."""
    return {"event_id_cnty", "event_date", "event_type"} <= keys


def convert(raw: pd.DataFrame, cols: dict, ctx: dict) -> tuple[pd.DataFrame, list, dict]:
    """A chunk of an ACLED export -> (canonical columns, problems, {canonical field: file column})."""
    problems: list = []
    sid = col(raw, cols, "event_id_cnty")
    date_text = col(raw, cols, "event_date")
    order = settle_order(date_text, ctx)
    date, bad_date = day_dates(date_text, year=col(raw, cols, "year"), dayfirst=order)
    problem(problems, "date_start", bad_date.notna(), date_text, bad_date, ("date_end",))
    date_range(problems, "date_start", date, col(raw, cols, "event_date"), ("date_end",))
    tp = codes(col(raw, cols, "time_precision"))
    precision = tp.map({"1": "day", "2": "week", "3": "month"})
    problem(problems, "date_precision", precision.isna(), tp, "ACLED time_precision must be 1, 2 or 3")
    today = pd.Timestamp.today().normalize()
    week = precision == "week"
    month = precision == "month"
    first, last = month_bounds(date)
    start = date.where(~week, date - pd.Timedelta(days=3)).where(~month, first)
    end = date.where(~week, date + pd.Timedelta(days=3)).where(~month, last)
    end = end.where(~(week | month) | (end <= today), today)
    gp = codes(col(raw, cols, "geo_precision"))
    problem(problems, "geo_precision", ~gp.isin(["1", "2", "3"]), gp, "ACLED geo_precision must be 1, 2 or 3")
    et_raw, sub_raw = col(raw, cols, "event_type"), col(raw, cols, "sub_event_type")
    et_raw = riots_or_protests(et_raw, codes(col(raw, cols, "inter1")))
    et, sub = acled_types(et_raw, sub_raw, problems, et_field="event_type", sub_field="sub_event_type")
    et_raw = col(raw, cols, "event_type")
    civ = col(raw, cols, "civilian_targeting").str.contains("civilian", case=False, regex=False)
    target = pd.Series(None, index=raw.index, dtype=object)
    target = target.where(~(civ | (et == "Violence against civilians")), "civilians")
    target = target.where(sub != "Excessive force against protesters", "protesters")
    # No citation date: ACLED's event date is not when its sources published; it is in date_start.
    sources = citations(pd.DataFrame({"title": col(raw, cols, "source"), "publisher": "ACLED",
                                      "url": CITATION_URL}, index=raw.index))
    verbatim = [cols[f] for f in ("event_id_cnty", "actor1", "actor2", "admin1", "admin2", "admin3", "location",
                                  "latitude", "longitude", "notes", "fatalities", "source",
                                  "event_type", "sub_event_type") if f in cols]
    changed = {}
    if "event_type" in cols:
        changed[cols["event_type"]] = et_raw.where(et_raw != et.fillna(""))
    if "sub_event_type" in cols:
        changed[cols["sub_event_type"]] = sub_raw.where(sub_raw != sub.fillna(""))
    frame = pd.DataFrame({
        "incident_id": "acled:" + sid, "source_dataset": "acled", "source_id": sid,
        "date_start": start, "date_end": end, "date_precision": precision,
        "place": col(raw, cols, "location"), "admin1": col(raw, cols, "admin1"),
        "admin2": col(raw, cols, "admin2"), "admin3": col(raw, cols, "admin3"),
        "lat": col(raw, cols, "latitude"), "lon": col(raw, cols, "longitude"), "geo_precision": gp,
        "event_type": et, "sub_event_type": sub, "target": target,
        "actor1": col(raw, cols, "actor1"), "actor2": col(raw, cols, "actor2"),
        "killed_best": col(raw, cols, "fatalities"),
        "sources": sources, "notes": col(raw, cols, "notes"), "confidence": "medium",
        "original": original_json(raw, verbatim, {**changed, **order_note(date_text, order, ctx)}),
    }, index=raw.index)
    frame.loc[blank(sid), "incident_id"] = None
    names = {"incident_id": cols.get("event_id_cnty"), "source_id": cols.get("event_id_cnty"),
             "date_start": cols.get("event_date"), "date_end": cols.get("event_date"),
             "date_precision": cols.get("time_precision"), "place": cols.get("location"),
             "lat": cols.get("latitude"), "lon": cols.get("longitude"), "killed_best": cols.get("fatalities"),
             "killed_low": cols.get("fatalities"), "killed_high": cols.get("fatalities"),
             "sources": cols.get("source"), "geo_precision": cols.get("geo_precision"),
             "event_type": cols.get("event_type"), "sub_event_type": cols.get("sub_event_type")}
    return frame, problems, names


def settle_order(text: pd.Series, ctx: dict) -> bool | None:
    """Day/month order of the file's numeric dates (True: day first), settled once per file and kept.

    The caller's `dayfirst` choice wins; else the first chunk where a part above 12 decides it. A chunk
    with dates such as 5/9/2020 while nothing has decided stops the import: never a silent guess."""
    if ctx.get("dayfirst") is not None:
        return ctx["dayfirst"]
    if ctx.get("date_order") is None:
        found = date_order(text)
        if found is not None:
            ctx["date_order"] = found
            ctx["date_order_evidence"] = "settled by the file's dates"
    if ctx.get("date_order") is None and has_open_order(text).any():
        example = text[has_open_order(text)].iloc[0][:20]
        raise ImportFailure(f"{ctx['name']}: dates such as {example!r} could be day/month or month/day and no "
                            "date in the file settles it; import again choosing day first (--dayfirst) "
                            "or month first (--monthfirst)")
    return ctx.get("date_order")


def order_note(text: pd.Series, order: bool | None, ctx: dict) -> dict[str, pd.Series]:
    """`_date_order` in `original` for rows with a numeric date: which order was read and why."""
    if order is None:
        return {}
    why = "as chosen" if ctx.get("dayfirst") is not None else ctx.get("date_order_evidence", "")
    note = f"{'day' if order else 'month'} first ({why})"
    numeric = text.str.fullmatch(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
    return {"_date_order": pd.Series(None, index=text.index, dtype=object).where(~numeric, note)}


def riots_or_protests(event_type: pd.Series, inter1: pd.Series) -> pd.Series:
    """ACLED's pre-2019 `Riots/Protests` as Riots (actor 1 coded rioters, inter 5) or Protests (6)."""
    old = event_type.str.replace(r"\s+", "", regex=True).str.lower() == "riots/protests"
    if not old.any():
        return event_type
    return event_type.where(~(old & (inter1 == "5")), "Riots").where(~(old & (inter1 == "6")), "Protests")
