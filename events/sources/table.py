"""A user's own table (CSV or .xlsx): columns by a mapping or recognised names (English and Arabic).

Rows need lat/lon, or a place that the caller's `geocoder(place) -> {lat, lon, geo_precision, found}`
finds. The fallback source: a header no other source recognises is read as a table.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd

from events import model
from events.sources.cells import (acled_types, blank, citations, col, date_range, digits, lookup, month_bounds,
                                  norm, numbers, original_json, parse_dates, problem, resolve)
from events.sources.pipeline import TABLE_SUFFIXES, ImportFailure
from i18n import N_

NAME = "table"
LABEL = N_("a plain table")
SUFFIXES = TABLE_SUFFIXES
NO_COORDINATES = "no coordinates; map a lat/lon column or geocode the place"
XY = ("lat", "lon", "geo_precision")

# A user's table: canonical field -> header names we recognise (English and Arabic).
COLUMNS: dict[str, tuple[str, ...]] = {
    "incident_id": ("incident_id",), "source_dataset": ("source_dataset",),
    "source_id": ("source_id", "id", "event_id", "record_id", "رقم"),
    "date_start": ("date_start", "date", "event_date", "start_date", "date_from", "التاريخ", "تاريخ",
                   "timestamp", "begin", "when"),
    "date_end": ("date_end", "end_date", "date_to", "end"),
    "date_precision": ("date_precision", "date_prec"),
    "place": ("place", "location", "place_name", "city", "town", "village", "site", "name", "المكان", "الموقع"),
    "place_ar": ("place_ar", "name_ar", "arabic_name", "المكان_بالعربية"),
    "admin1": ("admin1", "governorate", "province", "المحافظة", "محافظة"),
    "admin2": ("admin2", "district", "qada", "القضاء", "قضاء"),
    "admin3": ("admin3", "sub_district", "subdistrict", "nahiya", "الناحية", "ناحية"),
    "lat": ("lat", "latitude", "y", "خط_العرض"), "lon": ("lon", "lng", "long", "longitude", "x", "خط_الطول"),
    "geo_precision": ("geo_precision",),
    "event_type": ("event_type", "type", "نوع_الحادث"), "sub_event_type": ("sub_event_type", "sub_type", "subtype"),
    "target": ("target", "الهدف"),
    "actor1": ("actor1", "actor", "perpetrator", "الفاعل"), "actor2": ("actor2",),
    "killed_low": ("killed_low",), "killed_best": ("killed_best", "killed", "fatalities", "deaths", "dead", "القتلى"),
    "killed_high": ("killed_high",),
    "wounded": ("wounded", "injured", "الجرحى"), "wounded_low": ("wounded_low",), "wounded_high": ("wounded_high",),
    "sources": ("sources", "source", "المصدر"), "url": ("url", "link", "source_url", "الرابط"),
    "notes": ("notes", "description", "summary", "details", "ملاحظات", "الوصف"),
    "confidence": ("confidence",),
    "country": ("country", "country_txt", "country_name", "iso3", "iso", "البلد", "الدولة"),
}
# Extra keys a mapping may use besides the canonical columns: `url` (a link column for the citation) and
# `country` (the row's country: name, ISO3 or ISO numeric code, the hint of the lat/lon swap rule).
MAPPABLE = set(model.COLUMNS) | {"url", "country"}


def resolve_columns(header, mapping: Mapping[str, str] | None, name: str) -> dict[str, str]:
    """{canonical field: file column}: the user's mapping, else recognised header names."""
    if not mapping:
        return resolve(header, COLUMNS)
    unknown = sorted(set(mapping) - MAPPABLE)
    if unknown:
        raise ImportFailure(f"{name}: the mapping names unknown field(s) {', '.join(unknown)}; "
                            f"use the canonical columns (see docs/schema.md)")
    by_norm = {norm(c): c for c in header}
    cols, missing = {}, []
    for field, column in mapping.items():
        if column in header:
            cols[field] = column
        elif norm(column) in by_norm:
            cols[field] = by_norm[norm(column)]
        else:
            missing.append(f"{column!r} (for {field})")
    if missing:
        raise ImportFailure(f"{name}: the file has no column {', '.join(missing)}; its columns are: "
                            + ", ".join(list(header)[:20]))
    return cols


def columns(header, *, mapping: Mapping[str, str] | None, name: str) -> dict[str, str]:
    """The table's columns (see resolve_columns), checked: a date column and coordinates or a place."""
    cols = resolve_columns(header, mapping, name)
    if not ({"lat", "lon"} <= cols.keys() or "place" in cols or "place_ar" in cols):
        raise ImportFailure(f"{name}: no coordinate or place column found; map lat/lon or a place column "
                            f"(its columns are: {', '.join(header[:20])})")
    if "date_start" not in cols:
        raise ImportFailure(f"{name}: no date column found; map date_start "
                            f"(its columns are: {', '.join(header[:20])})")
    return cols


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %B %Y", "%d %b %Y",
                "%B %d, %Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ",
                "%Y-%m", "%Y")


def convert(raw: pd.DataFrame, cols: dict, ctx: dict) -> tuple[pd.DataFrame, list, dict]:
    """A chunk of a user's table -> (canonical columns, problems, {canonical field: file column}).

    `ctx` gives the file's `name` and `dataset` (its stem), `lines`, the `geocoder` (or None), the
    default `confidence` and, optionally, `derived`: columns the caller added to `raw` (not the file's,
    so left out of `original`)."""
    problems: list = []
    lines = ctx["lines"]
    g = lambda f: col(raw, cols, f)  # noqa: E731
    dataset = g("source_dataset").where(g("source_dataset") != "", ctx["dataset"])
    sid = g("source_id")
    sid = sid.where(sid != "", pd.Series(lines, index=raw.index).astype("str"))
    incident = g("incident_id")
    incident = incident.where(incident != "", dataset + ":" + sid)
    date_text = g("date_start")
    start = parse_dates(date_text, DATE_FORMATS)
    problem(problems, "date_start", start.isna() & (date_text != ""), date_text,
            "not a date (expected YYYY-MM-DD or DD/MM/YYYY)", ("date_end", "date_precision"))
    date_range(problems, "date_start", start, date_text, ("date_end", "date_precision"))
    ascii_date = digits(date_text).astype("str")
    only_year = ascii_date.str.fullmatch(r"\d{4}")
    only_month = ascii_date.str.fullmatch(r"\d{4}-\d{1,2}")
    end_text = g("date_end")
    end = parse_dates(end_text, DATE_FORMATS)
    problem(problems, "date_end", end.isna() & (end_text != ""), end_text, "not a date (expected YYYY-MM-DD)")
    date_range(problems, "date_end", end, end_text)
    first, last = month_bounds(start)
    implied_end = start.where(~only_month, last).where(~only_year, start + pd.offsets.YearEnd(0))
    end = end.where(end.notna(), implied_end)
    precision = g("date_precision").str.lower()
    inferred = pd.Series("day", index=raw.index, dtype=object).where(~only_month, "month").where(~only_year, "year")
    precision = precision.where(precision != "", inferred)

    et, sub = acled_types(g("event_type"), g("sub_event_type"), problems,
                          et_field="event_type", sub_field="sub_event_type")
    lat_text, lon_text = digits(g("lat")), digits(g("lon"))
    lat, lon = numbers(lat_text), numbers(lon_text)
    has_xy = lat.notna() & lon.notna()
    no_xy = blank(lat_text) & blank(lon_text)
    geo = digits(g("geo_precision"))
    assumed = (geo == "") & has_xy
    geo = geo.where(~assumed, "2")
    place = g("place")
    notes = g("notes")
    geocoded = pd.Series(None, index=raw.index, dtype=object)
    if ctx.get("geocoder") is not None and no_xy.any():
        where = place.where(place != "", g("place_ar"))
        looked = _geocode(where[no_xy], ctx)
        hit = looked["found"].fillna(False).astype(bool).to_numpy()
        idx = looked.index[hit]
        lat_text = lat_text.astype(object)
        lon_text = lon_text.astype(object)
        lat_text.loc[idx], lon_text.loc[idx] = looked.loc[idx, "lat"], looked.loc[idx, "lon"]
        geo = geo.astype(object)
        geo.loc[idx] = looked.loc[idx, "geo_precision"]
        geocoded.loc[idx] = where.loc[idx]
        failed = pd.Series(False, index=raw.index)
        failed.loc[looked.index[~hit]] = True
        problem(problems, "place", failed & (where != ""), where,
                looked["reason"].reindex(raw.index).fillna("place not found by the geocoder"), XY)
        problem(problems, "lat", failed & (where == ""), lat_text, NO_COORDINATES, XY)
    else:
        problem(problems, "lat", no_xy, lat_text, NO_COORDINATES, XY)

    text_sources = g("sources")
    is_json = lookup(text_sources, lambda v: (_is_citations(v),), 1)[0].astype(bool)
    is_url = text_sources.str.match(r"https?://")
    url = g("url").where(g("url") != "", text_sources.where(is_url, ""))
    cite = pd.DataFrame({"title": text_sources.where(~is_url & ~is_json, ""), "url": url}, index=raw.index)
    built = citations(cite, pd.DataFrame({"title": ctx["name"], "publisher": "imported file"}, index=raw.index))
    sources = text_sources.where(is_json, built)
    extra = {"_geocoded_from": geocoded, "_geo_precision_assumed": pd.Series(None, index=raw.index, dtype=object)
             .where(~assumed, "2: no precision given with the coordinates")}
    is_object = lookup(g("original"), lambda v: (_is_json_object(v),), 1)[0].astype(bool)
    original = g("original").where(is_object, original_json(raw, ctx.get("derived", ()), extra))  # every column
    confidence = g("confidence").str.lower()
    frame = pd.DataFrame({
        "incident_id": incident, "source_dataset": dataset, "source_id": sid,
        "date_start": start, "date_end": end, "date_precision": precision,
        "place": place, "place_ar": g("place_ar"), "admin1": g("admin1"), "admin2": g("admin2"),
        "admin3": g("admin3"), "lat": lat_text, "lon": lon_text, "geo_precision": geo,
        "event_type": et, "sub_event_type": sub, "target": g("target"), "actor1": g("actor1"), "actor2": g("actor2"),
        **{c: digits(g(c)) for c in model.COUNT_COLUMNS},
        "sources": sources, "notes": notes, "confidence": confidence.where(confidence != "", ctx["confidence"]),
        "original": original,
    }, index=raw.index)
    if "country" in cols:  # the file says where each row is: a swap is suspected only against that country
        frame[model.COUNTRY_HINT] = g("country")
    return frame, problems, dict(cols)


def _is_citations(text: str) -> bool:
    """A `sources` cell that is a JSON array of citation objects (our own export), not text such as "[1] Reuters"."""
    if not text.startswith("["):
        return False
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _is_json_object(text: str) -> bool:
    """An `original` cell holding a JSON object (our own export) rather than free text."""
    if not text.startswith("{"):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def _geocode(places: pd.Series, ctx: dict) -> pd.DataFrame:
    """lat, lon, geo_precision, found, reason for each place, asking the geocoder once per distinct name."""
    cache: dict = ctx.setdefault("geocache", {})
    geocoder = ctx["geocoder"]
    for text in places.unique():
        if text in cache:
            continue
        if not text:
            cache[text] = (None, None, None, False, NO_COORDINATES)
            continue
        try:
            res = geocoder(text)
        except Exception as exc:  # a geocoder bug must not abort the whole import
            cache[text] = (None, None, None, False, f"geocoder failed: {type(exc).__name__}: {exc}"[:200])
            continue
        get = (lambda k: res.get(k)) if isinstance(res, Mapping) else (lambda k: getattr(res, k, None))
        found = bool(res is not None and get("found") and get("lat") is not None and get("lon") is not None)
        cache[text] = (get("lat") if found else None, get("lon") if found else None,
                       get("geo_precision") if found else None, found,
                       None if found else "place not found by the geocoder; add lat/lon or check the spelling")
    rows = [cache[t] for t in places]
    return pd.DataFrame(rows, index=places.index, columns=["lat", "lon", "geo_precision", "found", "reason"])
