"""ACLED: an export in the older 31-column layout or the current one, dyadic (one row per event) or monadic
(one row per actor of an event), CSV or .xlsx (docs/importers.md)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from events import model
from events.sources.cells import (MISSING, acled_types, blank, citations, codes, col, date_order, date_range,
                                  day_dates, has_open_order, month_bounds, original_json, problem)
from events.sources.pipeline import TABLE_SUFFIXES, ImportFailure, note
from i18n import N_

NAME = "acled"
LABEL = N_("an ACLED export")
SUFFIXES = TABLE_SUFFIXES
CITATION_URL = "https://acleddata.com"

COLUMNS: dict[str, tuple[str, ...]] = {
    "event_id_cnty": ("event_id_cnty",), "event_date": ("event_date",), "time_precision": ("time_precision",),
    "event_type": ("event_type",), "sub_event_type": ("sub_event_type",),
    "actor1": ("actor1",), "actor2": ("actor2",), "civilian_targeting": ("civilian_targeting",),
    "admin1": ("admin1",), "admin2": ("admin2",), "admin3": ("admin3",), "location": ("location",),
    "latitude": ("latitude",), "longitude": ("longitude",), "geo_precision": ("geo_precision",),
    "source": ("source",), "notes": ("notes",), "fatalities": ("fatalities",),
    "year": ("year",), "inter1": ("inter1",), "country": ("country",), "iso": ("iso",),
}
REQUIRED = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude")


def detect(keys: set[str]) -> bool:
    """Whether a header (names as matched) is ACLED's."""
    return {"event_id_cnty", "event_date", "event_type"} <= keys


# Monadic exports (ACLED's export tool "actor based" files, the API's monadic format): one row per actor, the
# event's columns repeated on each. ACLED's own acledR (acled_transform_wider, type "api_monadic") rebuilds the
# dyadic row by taking an event's first row as actor 1 and its second as actor 2, joining them on every event
# column (fatalities included): the toll is the event's, repeated, never summed.
MERGE_ROWS = "event_id_cnty"
# The event's columns, which an event's rows must share; a row that differs is rejected, not merged.
EVENT_FIELDS = ("event_date", "time_precision", "event_type", "sub_event_type", "latitude", "longitude",
                "geo_precision", "fatalities")
MAX_EVENT_ROWS = 20  # actors of one event; ACLED's monadic files give one or two rows an event
MERGED_ACTOR2 = "\x1factor2"  # the event's second distinct actor, from `merge`, read by `convert`


def merge_key(cols: dict) -> str | None:
    """The file column whose repeated values are one incident's rows: `event_id_cnty` in a monadic export
    (actor1 but no actor2 column), else None (a dyadic file's repeated id is a duplicate)."""
    monadic = "actor1" in cols and "actor2" not in cols
    return cols.get(MERGE_ROWS) if monadic else None


def _clean(s: pd.Series) -> pd.Series:
    text = s.fillna("").astype("str").str.strip()
    return text.where(~text.isin(MISSING), "")


def merge(raw: pd.DataFrame, cols: dict, ctx: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of a monadic chunk sharing an event_id_cnty as ONE row: (merged rows, rejected rows).

    The first row stays (its actor is actor 1); the second distinct actor becomes actor 2; every value a
    later row has that differs from the first row's is kept as `<column>#<k>` (k: the row's place in the
    event), and `_rows` lists the file rows merged, so nothing is lost. A later row disagreeing on an
    event column (EVENT_FIELDS: date, type, place, fatalities, ...) is rejected with the reason. Both frames
    keep `raw`'s index (the chunk's row positions)."""
    rejected = pd.DataFrame({"field": pd.Series(dtype=object), "value": pd.Series(dtype=object),
                             "reason": pd.Series(dtype=object)})
    ids = _clean(raw[cols[MERGE_ROWS]])
    repeated = (ids != "") & ids.duplicated(keep=False)
    if not repeated.any():
        return raw, rejected
    pos = np.arange(len(raw))
    codes_, _ = pd.factorize(ids)
    first = pd.Series(pos).groupby(codes_).transform("min").to_numpy()
    later = repeated.to_numpy() & (first != pos)
    lines = np.asarray(ctx["lines"])
    bad = np.zeros(len(raw), dtype=bool)
    parts = []
    rank = pd.Series(pos[later]).groupby(first[later]).cumcount().to_numpy() + 2
    excess = np.zeros(len(raw), dtype=bool)
    excess[pos[later][rank > MAX_EVENT_ROWS]] = True
    if excess.any():  # a crafted file cannot make one incident thousands of columns wide
        parts.append(pd.DataFrame({
            "field": cols[MERGE_ROWS], "value": ids[excess].to_numpy(),
            "reason": (f"more than {MAX_EVENT_ROWS} rows share this {cols[MERGE_ROWS]} (first: row "
                       + pd.Series(lines[first[excess]]).astype("str") + "); not merged").to_numpy()},
            index=raw.index[excess]))
        bad |= excess
    for field in EVENT_FIELDS:
        if field not in cols:
            continue
        values = _clean(raw[cols[field]]).to_numpy()
        differs = later & ~bad & (values != values[first])
        if differs.any():
            reason = (f"the same {cols[MERGE_ROWS]} as row " + pd.Series(lines[first[differs]]).astype("str")
                      + f" (one event, one row per actor) but a different {cols[field]} ("
                      + pd.Series(values[first[differs]]).str.slice(0, 50) + "); not merged").to_numpy()
            parts.append(pd.DataFrame({"field": cols[field], "value": values[differs], "reason": reason},
                                      index=raw.index[differs]))
            bad |= differs
    fold = later & ~bad
    out = raw[~later].copy()
    if fold.any():
        actor = _clean(raw[cols["actor1"]]).to_numpy() if "actor1" in cols else np.full(len(raw), "", dtype=object)
        other = fold & (actor != "") & (actor != actor[first])
        second = pd.Series(actor[other], index=raw.index[first[other]])
        out[MERGED_ACTOR2] = second[~second.index.duplicated(keep="first")].reindex(out.index)
        place = pd.Series(pos[fold]).groupby(first[fold]).cumcount().to_numpy() + 2  # k of each merged row
        targets = raw.index[first[fold]]
        for column in raw.columns:
            values = _clean(raw[column]).to_numpy()
            differs = values[fold] != values[first[fold]]
            for k in np.unique(place[differs]):
                at = differs & (place == k)
                out.loc[targets[at], f"{column}#{k}"] = values[fold][at]
        members = pd.Series(lines[fold], index=targets).astype("str")
        joined = members.groupby(level=0).agg(",".join)
        out.loc[joined.index, "_rows"] = pd.Series(lines[raw.index.get_indexer(joined.index)],
                                                   index=joined.index).astype("str") + "," + joined
    return out, pd.concat(parts) if parts else rejected


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
    civ = col(raw, cols, "civilian_targeting").str.contains("civilian", case=False, regex=False)
    target = pd.Series(None, index=raw.index, dtype=object)
    target = target.where(~(civ | (et == "Violence against civilians")), "civilians")
    target = target.where(sub != "Excessive force against protesters", "protesters")
    # No citation date: ACLED's event date is not when its sources published; it is in date_start.
    sources = citations(pd.DataFrame({"title": col(raw, cols, "source"), "publisher": "ACLED",
                                      "url": CITATION_URL}, index=raw.index))
    # `original` keeps every column of the file (types as written, admin names, inter codes, extra columns),
    # except the notes, carried verbatim in `notes` and the longest text: repeating it would double the store.
    kept_out = [cols["notes"]] if "notes" in cols else []
    if "actor2" in cols:
        actor2 = col(raw, cols, "actor2")
    elif MERGED_ACTOR2 in raw.columns:
        actor2 = _clean(raw[MERGED_ACTOR2])
    else:
        actor2 = pd.Series("", index=raw.index, dtype="str")
    country = col(raw, cols, "country")
    country = country.where(country != "", col(raw, cols, "iso"))
    frame = pd.DataFrame({
        "incident_id": "acled:" + sid, "source_dataset": "acled", "source_id": sid,
        "date_start": start, "date_end": end, "date_precision": precision,
        "place": col(raw, cols, "location"), "admin1": col(raw, cols, "admin1"),
        "admin2": col(raw, cols, "admin2"), "admin3": col(raw, cols, "admin3"),
        "lat": col(raw, cols, "latitude"), "lon": col(raw, cols, "longitude"), "geo_precision": gp,
        model.COUNTRY_HINT: country,
        "event_type": et, "sub_event_type": sub, "target": target,
        "actor1": col(raw, cols, "actor1"), "actor2": actor2,
        "killed_best": col(raw, cols, "fatalities"),
        "sources": sources, "notes": col(raw, cols, "notes"), "confidence": "medium",
        "original": original_json(raw, [*kept_out, MERGED_ACTOR2], order_note(date_text, order, ctx)),
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
        if text.str.fullmatch(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}").any():
            note(ctx, f"numeric dates (such as 5/9/2020) read {'day' if ctx['dayfirst'] else 'month'} first, "
                      "as chosen")
        return ctx["dayfirst"]
    if ctx.get("date_order") is None:
        found = date_order(text)
        if found is not None:
            ctx["date_order"] = found
            ctx["date_order_evidence"] = "settled by the file's dates"
            note(ctx, f"numeric dates (such as 5/9/2020) read {'day' if found else 'month'} first: the file's "
                      "own dates settle it (one has a part above 12)")
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
    """ACLED's pre-2019 `Riots/Protests` as Riots (actor 1 coded rioters, inter 5) or Protests (6).

    The inter code may also be written as its name (`Rioters`, `Protesters`), as 2024+ exports do."""
    old = event_type.str.replace(r"\s+", "", regex=True).str.lower() == "riots/protests"
    if not old.any():
        return event_type
    inter1 = inter1.replace({"Rioters": "5", "rioters": "5", "Protesters": "6", "protesters": "6"})
    return event_type.where(~(old & (inter1 == "5")), "Riots").where(~(old & (inter1 == "6")), "Protests")
