"""ACLED: an export in the older 31-column layout or the current one, CSV or .xlsx (docs/importers.md)."""
from __future__ import annotations

import pandas as pd

from events.sources.cells import (acled_types, blank, citations, codes, col, date_range, month_bounds,
                                  original_json, parse_dates, problem)
from events.sources.pipeline import TABLE_SUFFIXES

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
}
REQUIRED = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude")


def detect(keys: set[str]) -> bool:
    """Whether a header (names as matched) is ACLED's."""
    return {"event_id_cnty", "event_date", "event_type"} <= keys


def convert(raw: pd.DataFrame, cols: dict, ctx: dict) -> tuple[pd.DataFrame, list, dict]:
    """A chunk of an ACLED export -> (canonical columns, problems, {canonical field: file column})."""
    problems: list = []
    sid = col(raw, cols, "event_id_cnty")
    date = parse_dates(col(raw, cols, "event_date"), ("%d %B %Y", "%Y-%m-%d", "%d-%B-%Y", "%d %b %Y",
                                                      "%d/%m/%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"))
    given = ~blank(col(raw, cols, "event_date"))
    problem(problems, "date_start", date.isna() & given, col(raw, cols, "event_date"),
            "not a date (expected e.g. 21 March 2020 or 2020-03-21)", ("date_end",))
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
    et, sub = acled_types(et_raw, sub_raw, problems, et_field="event_type", sub_field="sub_event_type")
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
        "original": original_json(raw, verbatim, changed),
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
