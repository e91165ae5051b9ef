"""UCDP GED: a Georeferenced Event Dataset export, CSV, zipped CSV or .xlsx; an HDX '#hashtag' row is skipped."""
from __future__ import annotations

import numpy as np
import pandas as pd

from events import model
from events.sources.cells import (blank, citations, codes, col, date_range, lookup, numbers, original_json,
                                  parse_dates, problem)
from events.sources.pipeline import TABLE_SUFFIXES

NAME = "ucdp"
LABEL = "a UCDP GED export"
SUFFIXES = TABLE_SUFFIXES
CITATION = model.citation(title="UCDP Georeferenced Event Dataset (GED)",
                          publisher="Uppsala Conflict Data Program (UCDP)", url="https://ucdp.uu.se/")

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ged_id", "event_id", "relid"), "type_of_violence": ("type_of_violence",),
    "side_a": ("side_a",), "side_b": ("side_b",),
    "source_article": ("source_article",), "source_office": ("source_office",),
    "source_date": ("source_date",), "source_headline": ("source_headline",),
    "where_prec": ("where_prec",), "where_coordinates": ("where_coordinates", "where_description"),
    "adm_1": ("adm_1", "adm1"), "adm_2": ("adm_2", "adm2"),
    "latitude": ("latitude", "lat"), "longitude": ("longitude", "lon", "long"),
    "event_clarity": ("event_clarity",), "date_prec": ("date_prec",),
    "date_start": ("date_start", "start_date"), "date_end": ("date_end", "end_date"),
    "low": ("low", "low_est", "deaths_low"), "best": ("best", "best_est", "deaths_best"),
    "high": ("high", "high_est", "deaths_high"),
}
REQUIRED = ("id", "type_of_violence", "date_start", "latitude", "longitude", "best")

DATE_PREC = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
WHERE_PREC = {"1": "1", "2": "2", "3": "3", "4": "4", "5": "4"}
TYPES = {"1": ("Battles", "Armed clash"), "2": ("Battles", "Armed clash"),
         "3": ("Violence against civilians", "Attack")}


def detect(keys: set[str]) -> bool:
    """Whether a header (names as matched) is UCDP GED's."""
    return {"type_of_violence", "where_prec"} <= keys or {"type_of_violence", "date_prec", "side_a"} <= keys


def convert(raw: pd.DataFrame, cols: dict, ctx: dict) -> tuple[pd.DataFrame, list, dict]:
    """A chunk of a UCDP GED export -> (canonical columns, problems, {canonical field: file column})."""
    problems: list = []
    sid = codes(col(raw, cols, "id"))
    ymd = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%d/%m/%Y")
    start_raw, end_raw = col(raw, cols, "date_start"), col(raw, cols, "date_end")
    start, end = parse_dates(start_raw, ymd), parse_dates(end_raw, ymd)
    problem(problems, "date_start", start.isna() & ~blank(start_raw), start_raw, "not a date (expected YYYY-MM-DD)",
            ("date_end",))
    problem(problems, "date_end", end.isna() & ~blank(end_raw), end_raw, "not a date (expected YYYY-MM-DD)")
    date_range(problems, "date_start", start, start_raw, ("date_end",))
    date_range(problems, "date_end", end, end_raw)
    dp = codes(col(raw, cols, "date_prec"))
    precision = dp.map(DATE_PREC)
    problem(problems, "date_precision", precision.isna(), dp, "UCDP date_prec must be 1 to 5")
    wp = codes(col(raw, cols, "where_prec"))
    problem(problems, "geo_precision", wp.isin(["6", "7"]), wp,
            "UCDP where_prec 6/7: placed only at a country centroid or over water/airspace; too coarse to map")
    problem(problems, "geo_precision", ~wp.isin(list(WHERE_PREC) + ["6", "7"]), wp,
            "UCDP where_prec must be 1 to 7")
    tv = codes(col(raw, cols, "type_of_violence"))
    kind_type, kind_sub = lookup(tv, lambda t: TYPES.get(t, (None, None)), 2)
    problem(problems, "event_type", kind_type.isna(), tv, "UCDP type_of_violence must be 1, 2 or 3",
            ("sub_event_type",))
    low_raw, best_raw, high_raw = col(raw, cols, "low"), col(raw, cols, "best"), col(raw, cols, "high")
    low, best, high = numbers(low_raw), numbers(best_raw), numbers(high_raw)
    # Some GED rows have best outside low..high; keep best and widen the range to include it.
    trio = pd.concat([low, best, high], axis=1)
    plausible = (trio.notna() & (trio == np.floor(trio)) & (trio >= 0) & (trio <= model.MAX_COUNT)).all(axis=1)
    odd = plausible & ((low > best) | (best > high) | (low > high))
    low_out = low_raw.where(~odd, trio.min(axis=1).where(odd).astype("Int64").astype("str"))
    high_out = high_raw.where(~odd, trio.max(axis=1).where(odd).astype("Int64").astype("str"))
    note = pd.Series(None, index=raw.index, dtype=object)
    note = note.where(~odd, "UCDP low/best/high out of order (" + low_raw + "/" + best_raw + "/" + high_raw
                      + "); range widened to include best")
    headline = pd.DataFrame({"title": col(raw, cols, "source_headline"), "publisher": col(raw, cols, "source_office"),
                             "date": col(raw, cols, "source_date")}, index=raw.index)
    clarity = codes(col(raw, cols, "event_clarity"))
    verbatim = [cols[f] for f in ("id", "side_a", "side_b", "where_coordinates", "adm_1", "adm_2", "latitude",
                                  "longitude", "date_start", "date_end", "best", "source_headline",
                                  "source_office", "source_date") if f in cols]
    frame = pd.DataFrame({
        "incident_id": "ucdp:" + sid, "source_dataset": "ucdp", "source_id": sid,
        "date_start": start, "date_end": end, "date_precision": precision,
        "place": col(raw, cols, "where_coordinates"), "admin1": col(raw, cols, "adm_1"),
        "admin2": col(raw, cols, "adm_2"),
        "lat": col(raw, cols, "latitude"), "lon": col(raw, cols, "longitude"),
        "geo_precision": wp.map(WHERE_PREC),
        "event_type": kind_type, "sub_event_type": kind_sub,
        "target": tv.map({"3": "civilians"}),
        "actor1": col(raw, cols, "side_a"), "actor2": col(raw, cols, "side_b"),
        "killed_low": low_out, "killed_best": best_raw, "killed_high": high_out,
        "sources": citations(headline, fixed=CITATION), "notes": note,
        "confidence": clarity.map({"2": "low"}).fillna("medium"),
        "original": original_json(raw, verbatim),
    }, index=raw.index)
    frame.loc[blank(sid), "incident_id"] = None
    names = {"incident_id": cols.get("id"), "source_id": cols.get("id"), "date_start": cols.get("date_start"),
             "date_end": cols.get("date_end"), "date_precision": cols.get("date_prec"),
             "geo_precision": cols.get("where_prec"), "event_type": cols.get("type_of_violence"),
             "sub_event_type": cols.get("type_of_violence"), "place": cols.get("where_coordinates"),
             "lat": cols.get("latitude"), "lon": cols.get("longitude"), "killed_low": cols.get("low"),
             "killed_best": cols.get("best"), "killed_high": cols.get("high"), "actor1": cols.get("side_a"),
             "actor2": cols.get("side_b"), "confidence": cols.get("event_clarity")}
    return frame, problems, names
