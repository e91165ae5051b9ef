"""Importers: turn an ACLED, UCDP GED or GTD export, a user's own table or a GeoJSON/GeoPackage/KML
file into the canonical incident frame (see events.model), with a rejects report for every row that
cannot be used and why.

Every importer streams: `iter_import` yields (accepted, rejects) per chunk so the store can write a
million-row export inside one transaction in bounded memory; `read_*` / `read_file` concatenate the
chunks into an `ImportResult`. Columns are matched by header name (case and spacing ignored, known
renames accepted), never by position. Rows are numbered by their line in the file (header = line 1),
features by their position in the file. The mappings of each source's codes are documented in
docs/importers.md; each source's own codes are kept in the `original` JSON column.

A file that cannot be read at all (empty, binary, not the claimed source, a broken zip) raises
ImportFailure with one line naming the file and the problem.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from events import model, textio

SOURCES = ("acled", "ucdp", "gtd", "table", "features")
KML_STYLE_FIELDS = {"altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon", "snippet"}
FEATURE_SUFFIXES = (".geojson", ".json", ".gpkg", ".kml", ".kmz", ".shp", ".fgb", ".gml")
NO_COORDINATES = "no coordinates; map a lat/lon column or geocode the place"
XY = ("lat", "lon", "geo_precision")

ACLED_CITATION_URL = "https://acleddata.com"
UCDP_CITATION = model.citation(title="UCDP Georeferenced Event Dataset (GED)",
                               publisher="Uppsala Conflict Data Program (UCDP)", url="https://ucdp.uu.se/")
GTD_CITATION = model.citation(title="Global Terrorism Database (GTD)",
                              publisher="START, University of Maryland", url="https://www.start.umd.edu/gtd")


class ImportFailure(Exception):
    """A file that cannot be imported at all; the message is one line naming the file and the problem.

    The line is folded (no newline or control character from a file's header reaches it) and cut to
    MESSAGE_MAX characters, whatever the file holds."""

    MESSAGE_MAX = 600

    def __init__(self, message: str):
        line = " ".join(str(message).split())
        super().__init__(line if len(line) <= self.MESSAGE_MAX else line[: self.MESSAGE_MAX - 1] + "…")


@dataclass
class ImportResult:
    """One imported file: accepted canonical rows, the rejects report and how many rows were read."""

    source: str
    file: str
    accepted: gpd.GeoDataFrame
    rejects: pd.DataFrame
    rows_read: int


# ---------------------------------------------------------------- header names

def _norm(name) -> str:
    """A header name for matching: lower case, BOM/space/punctuation runs as one underscore."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-./()]+", "_", text).strip("_")


def _resolve(columns, aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """{field: actual column} for each field whose name or alias is in `columns` (first alias wins)."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(_norm(col), col)
    found = {}
    for field, names in aliases.items():
        for name in names:
            if _norm(name) in by_norm:
                found[field] = by_norm[_norm(name)]
                break
    return found


ACLED_COLUMNS: dict[str, tuple[str, ...]] = {
    "event_id_cnty": ("event_id_cnty",), "event_date": ("event_date",), "time_precision": ("time_precision",),
    "event_type": ("event_type",), "sub_event_type": ("sub_event_type",),
    "actor1": ("actor1",), "actor2": ("actor2",), "civilian_targeting": ("civilian_targeting",),
    "admin1": ("admin1",), "admin2": ("admin2",), "admin3": ("admin3",), "location": ("location",),
    "latitude": ("latitude",), "longitude": ("longitude",), "geo_precision": ("geo_precision",),
    "source": ("source",), "notes": ("notes",), "fatalities": ("fatalities",),
}
ACLED_REQUIRED = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude")

UCDP_COLUMNS: dict[str, tuple[str, ...]] = {
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
UCDP_REQUIRED = ("id", "type_of_violence", "date_start", "latitude", "longitude", "best")

GTD_COLUMNS: dict[str, tuple[str, ...]] = {
    "eventid": ("eventid",), "iyear": ("iyear",), "imonth": ("imonth",), "iday": ("iday",),
    "extended": ("extended",), "resolution": ("resolution",),
    "provstate": ("provstate",), "city": ("city",), "latitude": ("latitude",), "longitude": ("longitude",),
    "specificity": ("specificity",), "vicinity": ("vicinity",), "summary": ("summary",),
    "suicide": ("suicide",), "attacktype1": ("attacktype1",), "attacktype1_txt": ("attacktype1_txt",),
    "targtype1": ("targtype1",), "targtype1_txt": ("targtype1_txt",),
    "targsubtype1_txt": ("targsubtype1_txt",), "natlty1_txt": ("natlty1_txt",),
    "targtype2_txt": ("targtype2_txt",), "targsubtype2_txt": ("targsubtype2_txt",),
    "natlty2_txt": ("natlty2_txt",),
    "targtype3_txt": ("targtype3_txt",), "targsubtype3_txt": ("targsubtype3_txt",),
    "natlty3_txt": ("natlty3_txt",),
    "gname": ("gname",), "nkill": ("nkill",), "nwound": ("nwound",),
    "scite1": ("scite1",), "scite2": ("scite2",), "scite3": ("scite3",),
}
GTD_REQUIRED = ("eventid", "iyear", "imonth", "iday", "latitude", "longitude")

# A user's table: canonical field -> header names we recognise (English and Arabic).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
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
}
# Extra keys a mapping may use besides the canonical columns: `url` (a link column for the citation).
MAPPABLE = set(model.COLUMNS) | {"url"}


# ---------------------------------------------------------------- vectorised helpers

_SHEET_QUOTE = r"^'(?=[=+\-@\t\r\uff1d\uff0b\uff0d\uff20])"


def _col(raw: pd.DataFrame, cols: Mapping[str, str], field: str) -> pd.Series:
    """The stripped text of a resolved column ("" when the file lacks it).

    The apostrophe that spreadsheet-safe CSVs (ours: `exports.sheet_safe`) put before a text starting
    with = + - @ is dropped, so such a file re-imports with the text as it was."""
    if field in cols and cols[field] in raw.columns:
        text = raw[cols[field]].fillna("").astype("str").str.strip()
        if text.str.startswith("'").any():
            text = text.str.replace(_SHEET_QUOTE, "", regex=True)
        return text
    return pd.Series("", index=raw.index, dtype="str")


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s == "")


def _nullify(s: pd.Series) -> pd.Series:
    """Text with empty cells as missing (what model.normalise and to_json expect)."""
    return s.where(~_blank(s))


ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")


def _by_unique(s: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply `fn` to the distinct values only (dates, codes and names repeat a lot) and spread back."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    out = fn(pd.Series(uniques))
    values = out.to_numpy()
    result = values.take(np.where(codes < 0, 0, codes)) if len(values) else np.full(len(s), None)
    result = pd.Series(result, index=s.index, dtype=out.dtype if len(values) else object)
    return result.where(codes >= 0)


SEP = "\x1f"


def _key(*parts: pd.Series) -> pd.Series:
    """Columns joined into one text key per row (separator characters inside values blanked)."""
    key = parts[0].fillna("").astype("str").str.replace(SEP, " ", regex=False)
    for part in parts[1:]:
        key = key + SEP + part.fillna("").astype("str").str.replace(SEP, " ", regex=False)
    return key


def _lookup(key: pd.Series, fn: Callable[[str], tuple], width: int) -> list[pd.Series]:
    """`fn` applied once per distinct key, its `width` results spread back as object columns."""
    codes, uniques = pd.factorize(key.fillna(""))
    table = np.empty((max(len(uniques), 1), width), dtype=object)
    for i, value in enumerate(uniques):
        table[i] = fn(value)
    return [pd.Series(table[codes, j], index=key.index, dtype=object) for j in range(width)]


def _parse_dates(s: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Dates from text trying each explicit format in turn (no guessing of day/month order)."""
    def parse(u: pd.Series) -> pd.Series:
        u = u.astype("str").str.strip().map(lambda v: v.translate(ARABIC_DIGITS))
        out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
        for fmt in formats:
            todo = out.isna()
            if not todo.any():
                break
            out[todo] = model.bound_dates(pd.to_datetime(u[todo], format=fmt, errors="coerce"))
        return out.dt.normalize()

    text = _nullify(s)
    if text.isna().all():
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    return _by_unique(text, parse).astype("datetime64[ns]")


def _numbers(s: pd.Series) -> pd.Series:
    """Numbers from text, Arabic-Indic digits accepted; NaN when empty or not a number."""
    text = _nullify(s)
    if text.isna().all():
        return pd.Series(np.nan, index=s.index)
    return _by_unique(text, lambda u: pd.to_numeric(u.astype("str").map(lambda v: v.translate(ARABIC_DIGITS)),
                                                    errors="coerce").astype("float64")).astype("float64")


def _code(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else value


def _digits(s: pd.Series) -> pd.Series:
    """Arabic-Indic digits and separators as ASCII, so "٣" or "٣٥٫٤" read as numbers."""
    return _lookup(s.fillna("").astype("str"), lambda v: (v.translate(ARABIC_DIGITS),), 1)[0]


def _codes(s: pd.Series) -> pd.Series:
    """Integer codes as text: '1', '2.0' (from Excel) -> '1', '2'; anything else unchanged, stripped."""
    return _lookup(s.fillna("").astype("str").str.strip(), lambda v: (_code(v),), 1)[0]


def _json_objects(frame: pd.DataFrame) -> pd.Series:
    """One compact JSON object per row, empty values left out, built at C speed by to_json.

    In to_json's output a quote inside a value is always escaped and a line break never appears, so
    `},{"` only ever separates two records and `,"key":null` is always a key without a value: plain
    text replacements on the whole output are exact.
    """
    if len(frame) == 0:
        return pd.Series([], index=frame.index, dtype=object)
    if frame.shape[1] == 0:
        return pd.Series("{}", index=frame.index, dtype=object)
    clean = frame.apply(_nullify)
    clean = clean.loc[:, clean.notna().any().to_numpy()]  # keys empty in every row need no JSON at all
    if clean.shape[1] == 0:
        return pd.Series("{}", index=frame.index, dtype=object)
    text = clean.to_json(orient="records", force_ascii=False).replace("\\/", "/")  # "\\/" only ever means "/"
    joined = "," + '\n,"'.join(text[2:-2].split('},{"'))  # one record per line, each key led by a comma
    for col in clean.columns[clean.isna().any().to_numpy()]:
        joined = joined.replace("," + model.dumps(str(col)) + ":null", "")
    return pd.Series(["{" + line[1:] + "}" for line in joined.split("\n")], index=frame.index, dtype=object)


def _citations(*parts: pd.DataFrame, fixed: dict | None = None) -> pd.Series:
    """The `sources` JSON array per row: one citation per part frame (title/publisher/url/date columns,
    empty parts dropped) followed by the dataset's own citation. Built once per distinct combination:
    exports repeat the same outlets over and over."""
    cells = [(i, name, part[name]) for i, part in enumerate(parts) for name in part.columns]
    tail = [fixed] if fixed else []

    def build(joined: str) -> tuple:
        found: dict[int, dict] = {}
        for (i, name, _), value in zip(cells, joined.split(SEP)):
            if value:
                found.setdefault(i, {})[name] = value
        return (model.dumps([model.citation(**c) for c in found.values()] + tail),)

    return _lookup(_key(*(values for _, _, values in cells)), build, 1)[0]


def _month_bounds(d: pd.Series) -> tuple[pd.Series, pd.Series]:
    first = d - pd.to_timedelta(d.dt.day - 1, unit="D")
    last = first + pd.to_timedelta(d.dt.days_in_month - 1, unit="D")
    return first, last


def _problem(problems: list, field: str, mask: pd.Series, values: pd.Series, reason: str | pd.Series,
             covers: tuple[str, ...] = ()) -> None:
    """Collect one importer check: rows where `mask` holds are rejected for `reason`; model.validate's
    complaints about the `covers` fields of those rows are then left out as mere consequences."""
    mask = mask.fillna(False).astype(bool)
    if mask.any():
        problems.append((field, mask, values, reason, (field, *covers)))


def _date_range(problems: list, field: str, dates: pd.Series, values: pd.Series, covers: tuple[str, ...] = ()
                ) -> None:
    """Reject parsed dates before 1900 or after today, showing the file's own text (9999-12-31, not a stand-in)."""
    today = pd.Timestamp.today().normalize()
    _problem(problems, field, dates < model.EARLIEST, values, "before 1900", covers)
    _problem(problems, field, dates > today, values, "in the future", covers)


def _type_key(text) -> str:
    return re.sub(r"[^a-z]", "", str(text).lower()).replace("protestors", "protesters")


SUB_BY_KEY = {_type_key(s): s for s in model.SUB_EVENT_TYPES}
TYPE_BY_KEY: dict[str, tuple[str, str | None]] = {_type_key(t): (t, None) for t in model.EVENT_TYPES}
# ACLED's event types before its 2019 revision, mapped where the new type is unambiguous.
TYPE_BY_KEY.update({
    _type_key("Battle-No change of territory"): ("Battles", "Armed clash"),
    _type_key("Battle-Government regains territory"): ("Battles", "Government regains territory"),
    _type_key("Battle-Non-state actor overtakes territory"): ("Battles", "Non-state actor overtakes territory"),
    _type_key("Remote violence"): ("Explosions/Remote violence", None),
    _type_key("Strategic development"): ("Strategic developments", None),
    _type_key("Non-violent transfer of territory"): ("Strategic developments", "Non-violent transfer of territory"),
    _type_key("Headquarters or base established"): ("Strategic developments", "Headquarters or base established"),
})
AMBIGUOUS_TYPES = {_type_key("Riots/Protests"): "ACLED's pre-2019 'Riots/Protests' does not say whether it was a "
                                               "protest or a riot; recode it as Protests or Riots"}


def _classify(et: str, sub: str) -> tuple:
    """(event type, sub-event type, problem with the type, problem with the sub-type) for one name pair."""
    kt, ks = _type_key(et), _type_key(sub)
    sub_c = SUB_BY_KEY.get(ks) if ks else None
    bad_sub = "not an ACLED sub-event type" if ks and sub_c is None else None
    if not kt:
        return model.SUB_EVENT_TYPES.get(sub_c), sub_c, None, bad_sub
    if kt in AMBIGUOUS_TYPES:
        return None, sub_c, AMBIGUOUS_TYPES[kt], bad_sub
    if kt not in TYPE_BY_KEY:
        return None, sub_c, "not an ACLED event type (" + ", ".join(model.EVENT_TYPES) + ")", bad_sub
    et_c, implied = TYPE_BY_KEY[kt]
    return et_c, sub_c or implied, None, bad_sub


def _acled_types(et: pd.Series, sub: pd.Series, problems: list, *, et_field: str, sub_field: str
                 ) -> tuple[pd.Series, pd.Series]:
    """ACLED event/sub-event type names (current, older spellings, pre-2019 types) -> the canonical pair."""
    et_c, sub_c, bad_et, bad_sub = _lookup(_key(et, sub), lambda k: _classify(*k.split(SEP)), 4)
    _problem(problems, et_field, bad_et.notna(), et, bad_et, ("sub_event_type",))
    _problem(problems, sub_field, bad_sub.notna(), sub, bad_sub, ("event_type",))
    return et_c, sub_c


def _original(raw: pd.DataFrame, exclude, extra: Mapping[str, pd.Series] | None = None) -> pd.Series:
    """JSON of the file's own values that the canonical columns do not carry verbatim."""
    skip = set(exclude)
    frame = raw[[c for c in raw.columns if c not in skip]]
    if extra:
        frame = frame.assign(**{k: v for k, v in extra.items()})
    return _json_objects(frame)


# ---------------------------------------------------------------- one converter per source
# Each takes a chunk of text columns and returns (frame with canonical columns, importer problems,
# {canonical field: file column} for naming fields in rejects).

def _acled(raw: pd.DataFrame, cols: dict, ctx: dict):
    problems: list = []
    sid = _col(raw, cols, "event_id_cnty")
    date = _parse_dates(_col(raw, cols, "event_date"), ("%d %B %Y", "%Y-%m-%d", "%d-%B-%Y", "%d %b %Y",
                                                        "%d/%m/%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"))
    given = ~_blank(_col(raw, cols, "event_date"))
    _problem(problems, "date_start", date.isna() & given, _col(raw, cols, "event_date"),
             "not a date (expected e.g. 21 March 2020 or 2020-03-21)", ("date_end",))
    _date_range(problems, "date_start", date, _col(raw, cols, "event_date"), ("date_end",))
    tp = _codes(_col(raw, cols, "time_precision"))
    precision = tp.map({"1": "day", "2": "week", "3": "month"})
    _problem(problems, "date_precision", precision.isna(), tp, "ACLED time_precision must be 1, 2 or 3")
    today = pd.Timestamp.today().normalize()
    week = precision == "week"
    month = precision == "month"
    first, last = _month_bounds(date)
    start = date.where(~week, date - pd.Timedelta(days=3)).where(~month, first)
    end = date.where(~week, date + pd.Timedelta(days=3)).where(~month, last)
    end = end.where(~(week | month) | (end <= today), today)
    gp = _codes(_col(raw, cols, "geo_precision"))
    _problem(problems, "geo_precision", ~gp.isin(["1", "2", "3"]), gp, "ACLED geo_precision must be 1, 2 or 3")
    et_raw, sub_raw = _col(raw, cols, "event_type"), _col(raw, cols, "sub_event_type")
    et, sub = _acled_types(et_raw, sub_raw, problems, et_field="event_type", sub_field="sub_event_type")
    civ = _col(raw, cols, "civilian_targeting").str.contains("civilian", case=False, regex=False)
    target = pd.Series(None, index=raw.index, dtype=object)
    target = target.where(~(civ | (et == "Violence against civilians")), "civilians")
    target = target.where(sub != "Excessive force against protesters", "protesters")
    # No citation date: ACLED's event date is not when its sources published; it is in date_start.
    sources = _citations(pd.DataFrame({"title": _col(raw, cols, "source"), "publisher": "ACLED",
                                       "url": ACLED_CITATION_URL}, index=raw.index))
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
        "place": _col(raw, cols, "location"), "admin1": _col(raw, cols, "admin1"),
        "admin2": _col(raw, cols, "admin2"), "admin3": _col(raw, cols, "admin3"),
        "lat": _col(raw, cols, "latitude"), "lon": _col(raw, cols, "longitude"), "geo_precision": gp,
        "event_type": et, "sub_event_type": sub, "target": target,
        "actor1": _col(raw, cols, "actor1"), "actor2": _col(raw, cols, "actor2"),
        "killed_best": _col(raw, cols, "fatalities"),
        "sources": sources, "notes": _col(raw, cols, "notes"), "confidence": "medium",
        "original": _original(raw, verbatim, changed),
    }, index=raw.index)
    frame.loc[_blank(sid), "incident_id"] = None
    names = {"incident_id": cols.get("event_id_cnty"), "source_id": cols.get("event_id_cnty"),
             "date_start": cols.get("event_date"), "date_end": cols.get("event_date"),
             "date_precision": cols.get("time_precision"), "place": cols.get("location"),
             "lat": cols.get("latitude"), "lon": cols.get("longitude"), "killed_best": cols.get("fatalities"),
             "killed_low": cols.get("fatalities"), "killed_high": cols.get("fatalities"),
             "sources": cols.get("source"), "geo_precision": cols.get("geo_precision"),
             "event_type": cols.get("event_type"), "sub_event_type": cols.get("sub_event_type")}
    return frame, problems, names


UCDP_DATE_PREC = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
UCDP_WHERE_PREC = {"1": "1", "2": "2", "3": "3", "4": "4", "5": "4"}
UCDP_TYPES = {"1": ("Battles", "Armed clash"), "2": ("Battles", "Armed clash"),
              "3": ("Violence against civilians", "Attack")}


def _ucdp(raw: pd.DataFrame, cols: dict, ctx: dict):
    problems: list = []
    sid = _codes(_col(raw, cols, "id"))
    ymd = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%d/%m/%Y")
    start_raw, end_raw = _col(raw, cols, "date_start"), _col(raw, cols, "date_end")
    start, end = _parse_dates(start_raw, ymd), _parse_dates(end_raw, ymd)
    _problem(problems, "date_start", start.isna() & ~_blank(start_raw), start_raw, "not a date (expected YYYY-MM-DD)",
             ("date_end",))
    _problem(problems, "date_end", end.isna() & ~_blank(end_raw), end_raw, "not a date (expected YYYY-MM-DD)")
    _date_range(problems, "date_start", start, start_raw, ("date_end",))
    _date_range(problems, "date_end", end, end_raw)
    dp = _codes(_col(raw, cols, "date_prec"))
    precision = dp.map(UCDP_DATE_PREC)
    _problem(problems, "date_precision", precision.isna(), dp, "UCDP date_prec must be 1 to 5")
    wp = _codes(_col(raw, cols, "where_prec"))
    _problem(problems, "geo_precision", wp.isin(["6", "7"]), wp,
             "UCDP where_prec 6/7: placed only at a country centroid or over water/airspace; too coarse to map")
    _problem(problems, "geo_precision", ~wp.isin(list(UCDP_WHERE_PREC) + ["6", "7"]), wp,
             "UCDP where_prec must be 1 to 7")
    tv = _codes(_col(raw, cols, "type_of_violence"))
    kind_type, kind_sub = _lookup(tv, lambda t: UCDP_TYPES.get(t, (None, None)), 2)
    _problem(problems, "event_type", kind_type.isna(), tv, "UCDP type_of_violence must be 1, 2 or 3",
             ("sub_event_type",))
    low_raw, best_raw, high_raw = _col(raw, cols, "low"), _col(raw, cols, "best"), _col(raw, cols, "high")
    low, best, high = _numbers(low_raw), _numbers(best_raw), _numbers(high_raw)
    # Some GED rows have best outside low..high; keep best and widen the range to include it.
    trio = pd.concat([low, best, high], axis=1)
    plausible = (trio.notna() & (trio == np.floor(trio)) & (trio >= 0) & (trio <= model.MAX_COUNT)).all(axis=1)
    odd = plausible & ((low > best) | (best > high) | (low > high))
    low_out = low_raw.where(~odd, trio.min(axis=1).where(odd).astype("Int64").astype("str"))
    high_out = high_raw.where(~odd, trio.max(axis=1).where(odd).astype("Int64").astype("str"))
    note = pd.Series(None, index=raw.index, dtype=object)
    note = note.where(~odd, "UCDP low/best/high out of order (" + low_raw + "/" + best_raw + "/" + high_raw
                      + "); range widened to include best")
    headline = pd.DataFrame({"title": _col(raw, cols, "source_headline"), "publisher": _col(raw, cols, "source_office"),
                             "date": _col(raw, cols, "source_date")}, index=raw.index)
    clarity = _codes(_col(raw, cols, "event_clarity"))
    verbatim = [cols[f] for f in ("id", "side_a", "side_b", "where_coordinates", "adm_1", "adm_2", "latitude",
                                  "longitude", "date_start", "date_end", "best", "source_headline",
                                  "source_office", "source_date") if f in cols]
    frame = pd.DataFrame({
        "incident_id": "ucdp:" + sid, "source_dataset": "ucdp", "source_id": sid,
        "date_start": start, "date_end": end, "date_precision": precision,
        "place": _col(raw, cols, "where_coordinates"), "admin1": _col(raw, cols, "adm_1"),
        "admin2": _col(raw, cols, "adm_2"),
        "lat": _col(raw, cols, "latitude"), "lon": _col(raw, cols, "longitude"),
        "geo_precision": wp.map(UCDP_WHERE_PREC),
        "event_type": kind_type, "sub_event_type": kind_sub,
        "target": tv.map({"3": "civilians"}),
        "actor1": _col(raw, cols, "side_a"), "actor2": _col(raw, cols, "side_b"),
        "killed_low": low_out, "killed_best": best_raw, "killed_high": high_out,
        "sources": _citations(headline, fixed=UCDP_CITATION), "notes": note,
        "confidence": clarity.map({"2": "low"}).fillna("medium"),
        "original": _original(raw, verbatim),
    }, index=raw.index)
    frame.loc[_blank(sid), "incident_id"] = None
    names = {"incident_id": cols.get("id"), "source_id": cols.get("id"), "date_start": cols.get("date_start"),
             "date_end": cols.get("date_end"), "date_precision": cols.get("date_prec"),
             "geo_precision": cols.get("where_prec"), "event_type": cols.get("type_of_violence"),
             "sub_event_type": cols.get("type_of_violence"), "place": cols.get("where_coordinates"),
             "lat": cols.get("latitude"), "lon": cols.get("longitude"), "killed_low": cols.get("low"),
             "killed_best": cols.get("best"), "killed_high": cols.get("high"), "actor1": cols.get("side_a"),
             "actor2": cols.get("side_b"), "confidence": cols.get("event_clarity")}
    return frame, problems, names


GTD_ATTACKS = {  # attacktype code -> name in attacktype1_txt
    "1": "assassination", "2": "armed assault", "3": "bombing/explosion", "4": "hijacking",
    "5": "hostage taking (barricade incident)", "6": "hostage taking (kidnapping)",
    "7": "facility/infrastructure attack", "8": "unarmed assault", "9": "unknown",
}
GTD_TARGET_TYPES = {  # targtype code -> name in targtype1_txt
    "1": "business", "2": "government (general)", "3": "police", "4": "military", "5": "abortion related",
    "6": "airports & aircraft", "7": "government (diplomatic)", "8": "educational institution",
    "9": "food or water supply", "10": "journalists & media", "11": "maritime", "12": "ngo", "13": "other",
    "14": "private citizens & property", "15": "religious figures/institutions", "16": "telecommunication",
    "17": "terrorists/non-state militia", "18": "tourists", "19": "transportation", "20": "unknown",
    "21": "utilities", "22": "violent political party",
}
GTD_TARGETS = {
    "business": "civilians", "private citizens & property": "civilians", "educational institution": "civilians",
    "tourists": "civilians", "government (general)": "officials", "government (diplomatic)": "officials",
    "police": "police", "military": "security forces", "journalists & media": "journalists",
    "religious figures/institutions": "religious site", "violent political party": "political party",
    "utilities": "other", "transportation": "other", "airports & aircraft": "other", "maritime": "other",
    "telecommunication": "other", "food or water supply": "other", "ngo": "other", "abortion related": "other",
    "terrorists/non-state militia": "other", "other": "other",
}
GTD_UTILITY_SUBTYPES = {"oil": "oil infrastructure", "electricity": "energy infrastructure",
                        "gas": "energy infrastructure", "gas/oil/electric": "energy infrastructure"}
COALITION = {"united states", "united kingdom", "multinational"}
ARMED_TARGETS = {"police", "military"}


def _gtd_target(ttype: str, subtype: str, nationality: str) -> str | None:
    ttype, subtype, nationality = ttype.lower(), subtype.lower(), nationality.lower()
    if ttype == "military" and nationality in COALITION:
        return "coalition forces"
    if ttype in ("utilities", "business") and subtype in GTD_UTILITY_SUBTYPES:
        return GTD_UTILITY_SUBTYPES[subtype]
    return GTD_TARGETS.get(ttype)


def _gtd_kind(attack: str, suicide: str, ttype: str) -> tuple[str | None, str | None]:
    """GTD attack type -> ACLED (event_type, sub_event_type); see docs/importers.md."""
    if attack == "bombing/explosion":
        return ("Explosions/Remote violence", "Suicide bomb" if suicide == "1" else "Remote explosive/landmine/IED")
    if attack in ("armed assault", "assassination"):
        return ("Battles", "Armed clash") if ttype in ARMED_TARGETS else ("Violence against civilians", "Attack")
    if attack in ("hostage taking (kidnapping)", "hostage taking (barricade incident)", "hijacking"):
        return ("Violence against civilians", "Abduction/forced disappearance")
    if attack == "facility/infrastructure attack":
        return ("Strategic developments", "Looting/property destruction")
    if attack == "unarmed assault":
        return ("Violence against civilians", "Attack")
    return (None, None)


def _gtd(raw: pd.DataFrame, cols: dict, ctx: dict):
    problems: list = []
    sid = _codes(_col(raw, cols, "eventid"))
    year, month, day = (_numbers(_col(raw, cols, f)) for f in ("iyear", "imonth", "iday"))
    # Out-of-range parts (year 99999, 1e19, inf, day 45) become missing before pandas sees them.
    year = year.where(year.between(1, 9999) & (year == np.floor(year)))
    month = month.where(month.between(0, 12) & (month == np.floor(month)))
    day = day.where(day.between(0, 31) & (day == np.floor(day)))
    no_month = month == 0
    no_day = (day == 0) & ~no_month
    parts = pd.DataFrame({"year": year, "month": month.where(~no_month, 1), "day": day.where(~(no_month | no_day), 1)})
    start = model.bound_dates(pd.to_datetime(parts, errors="coerce"))
    ymd = _col(raw, cols, "iyear") + "-" + _col(raw, cols, "imonth") + "-" + _col(raw, cols, "iday")
    _problem(problems, "date_start", start.isna(), ymd, "iyear/imonth/iday is not a valid date", ("date_end",))
    _date_range(problems, "date_start", start, ymd, ("date_end",))
    first, last = _month_bounds(start)
    year_end = start + pd.offsets.YearEnd(0)
    end = start.where(~no_day, last).where(~no_month, year_end)
    resolution = _parse_dates(_col(raw, cols, "resolution"), ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S"))
    extended = (_codes(_col(raw, cols, "extended")) == "1") & resolution.notna() & (resolution >= end)
    _date_range(problems, "resolution", resolution.where(extended), _col(raw, cols, "resolution"), ("date_end",))
    end = end.where(~extended, resolution)
    precision = pd.Series("day", index=raw.index, dtype=object).where(~no_day, "month").where(~no_month, "year")
    spec = _codes(_col(raw, cols, "specificity"))
    vicinity = _codes(_col(raw, cols, "vicinity")) == "1"
    geo = spec.map({"1": "1", "2": "3", "3": "3", "4": "4"})
    geo = geo.where(~((spec == "1") & vicinity), "2")
    _problem(problems, "geo_precision", spec == "5", spec,
             "GTD specificity 5: no place below the country; no coordinates", ("lat", "lon"))
    _problem(problems, "geo_precision", ~spec.isin(["1", "2", "3", "4", "5"]), spec, "GTD specificity must be 1 to 5")
    attack = _col(raw, cols, "attacktype1_txt").str.lower()
    attack = attack.where(attack != "", _codes(_col(raw, cols, "attacktype1")).map(GTD_ATTACKS).fillna(""))
    ttypes = []
    for i in ("1", "2", "3"):
        t = _col(raw, cols, f"targtype{i}_txt").str.lower() if f"targtype{i}_txt" in cols else None
        if i == "1":
            code = _codes(_col(raw, cols, "targtype1")).map(GTD_TARGET_TYPES).fillna("")
            t = code if t is None else t.where(t != "", code)
        if t is not None:
            ttypes.append((t, _col(raw, cols, f"targsubtype{i}_txt"), _col(raw, cols, f"natlty{i}_txt")))
    suicide = _codes(_col(raw, cols, "suicide"))
    kind_type, kind_sub = _lookup(_key(attack, suicide, ttypes[0][0]), lambda k: _gtd_kind(*k.split(SEP)), 2)
    attack_given = _col(raw, cols, "attacktype1_txt")
    attack_given = attack_given.where(attack_given != "", _col(raw, cols, "attacktype1"))
    _problem(problems, "event_type", kind_type.isna(), attack_given,
             "GTD attack type has no ACLED equivalent (Unknown or missing)", ("sub_event_type",))
    combos = _key(*(column for triple in ttypes for column in triple))
    (target,) = _lookup(combos, lambda c: (_gtd_targets(c),), 1)
    scites = [pd.DataFrame({"title": _col(raw, cols, f)}, index=raw.index) for f in ("scite1", "scite2", "scite3")]
    city = _col(raw, cols, "city")
    verbatim = [cols[f] for f in ("eventid", "provstate", "city", "latitude", "longitude", "gname", "nkill",
                                  "nwound", "summary", "scite1", "scite2", "scite3") if f in cols]
    frame = pd.DataFrame({
        "incident_id": "gtd:" + sid, "source_dataset": "gtd", "source_id": sid,
        "date_start": start, "date_end": end, "date_precision": precision,
        "place": city.where(city.str.lower() != "unknown", ""), "admin1": _col(raw, cols, "provstate"),
        "lat": _col(raw, cols, "latitude"), "lon": _col(raw, cols, "longitude"), "geo_precision": geo,
        "event_type": kind_type, "sub_event_type": kind_sub, "target": target,
        "actor1": _col(raw, cols, "gname"),
        "killed_best": _col(raw, cols, "nkill"), "wounded": _col(raw, cols, "nwound"),
        "sources": _citations(*scites, fixed=GTD_CITATION), "notes": _col(raw, cols, "summary"),
        "confidence": "medium", "original": _original(raw, verbatim),
    }, index=raw.index)
    frame.loc[_blank(sid), "incident_id"] = None
    names = {"incident_id": cols.get("eventid"), "source_id": cols.get("eventid"), "date_start": cols.get("iday"),
             "date_end": cols.get("iday"), "geo_precision": cols.get("specificity"),
             "event_type": cols.get("attacktype1_txt", cols.get("attacktype1")),
             "sub_event_type": cols.get("attacktype1_txt", cols.get("attacktype1")), "place": cols.get("city"),
             "admin1": cols.get("provstate"), "lat": cols.get("latitude"), "lon": cols.get("longitude"),
             "actor1": cols.get("gname"), "killed_best": cols.get("nkill"), "killed_low": cols.get("nkill"),
             "killed_high": cols.get("nkill"), "wounded": cols.get("nwound"), "wounded_low": cols.get("nwound"),
             "wounded_high": cols.get("nwound"), "notes": cols.get("summary")}
    return frame, problems, names


def _gtd_targets(combo: str) -> str | None:
    """targtype/targsubtype/natlty triples (joined by SEP) -> our `;`-separated targets."""
    values = combo.split(SEP)
    found: list[str] = []
    for t, s, n in zip(values[0::3], values[1::3], values[2::3]):
        name = _gtd_target(t, s, n)
        if name and name not in found:
            found.append(name)
    return ";".join(found) or None


# ---------------------------------------------------------------- a user's own table

def _table_columns(header, mapping: Mapping[str, str] | None, name: str) -> dict[str, str]:
    """{canonical field: file column}: the user's mapping, else recognised header names."""
    if not mapping:
        return _resolve(header, TABLE_COLUMNS)
    unknown = sorted(set(mapping) - MAPPABLE)
    if unknown:
        raise ImportFailure(f"{name}: the mapping names unknown field(s) {', '.join(unknown)}; "
                            f"use the canonical columns (see docs/schema.md)")
    by_norm = {_norm(c): c for c in header}
    cols, missing = {}, []
    for field, column in mapping.items():
        if column in header:
            cols[field] = column
        elif _norm(column) in by_norm:
            cols[field] = by_norm[_norm(column)]
        else:
            missing.append(f"{column!r} (for {field})")
    if missing:
        raise ImportFailure(f"{name}: the file has no column {', '.join(missing)}; its columns are: "
                            + ", ".join(list(header)[:20]))
    return cols


TABLE_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %B %Y", "%d %b %Y",
                      "%B %d, %Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ",
                      "%Y-%m", "%Y")


def _table(raw: pd.DataFrame, cols: dict, ctx: dict):
    problems: list = []
    lines = ctx["lines"]
    g = lambda f: _col(raw, cols, f)  # noqa: E731
    dataset = g("source_dataset").where(g("source_dataset") != "", ctx["dataset"])
    sid = g("source_id")
    sid = sid.where(sid != "", pd.Series(lines, index=raw.index).astype("str"))
    incident = g("incident_id")
    incident = incident.where(incident != "", dataset + ":" + sid)
    date_text = g("date_start")
    start = _parse_dates(date_text, TABLE_DATE_FORMATS)
    _problem(problems, "date_start", start.isna() & (date_text != ""), date_text,
             "not a date (expected YYYY-MM-DD or DD/MM/YYYY)", ("date_end", "date_precision"))
    _date_range(problems, "date_start", start, date_text, ("date_end", "date_precision"))
    digits = _digits(date_text).astype("str")
    only_year = digits.str.fullmatch(r"\d{4}")
    only_month = digits.str.fullmatch(r"\d{4}-\d{1,2}")
    end_text = g("date_end")
    end = _parse_dates(end_text, TABLE_DATE_FORMATS)
    _problem(problems, "date_end", end.isna() & (end_text != ""), end_text, "not a date (expected YYYY-MM-DD)")
    _date_range(problems, "date_end", end, end_text)
    first, last = _month_bounds(start)
    implied_end = start.where(~only_month, last).where(~only_year, start + pd.offsets.YearEnd(0))
    end = end.where(end.notna(), implied_end)
    precision = g("date_precision").str.lower()
    inferred = pd.Series("day", index=raw.index, dtype=object).where(~only_month, "month").where(~only_year, "year")
    precision = precision.where(precision != "", inferred)

    et, sub = _acled_types(g("event_type"), g("sub_event_type"), problems,
                           et_field="event_type", sub_field="sub_event_type")
    lat_text, lon_text = _digits(g("lat")), _digits(g("lon"))
    lat, lon = _numbers(lat_text), _numbers(lon_text)
    has_xy = lat.notna() & lon.notna()
    no_xy = _blank(lat_text) & _blank(lon_text)
    geo = _digits(g("geo_precision"))
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
        _problem(problems, "place", failed & (where != ""), where,
                 looked["reason"].reindex(raw.index).fillna("place not found by the geocoder"), XY)
        _problem(problems, "lat", failed & (where == ""), lat_text, NO_COORDINATES, XY)
    else:
        _problem(problems, "lat", no_xy, lat_text, NO_COORDINATES, XY)

    text_sources = g("sources")
    is_json = _lookup(text_sources, lambda v: (_is_citations(v),), 1)[0].astype(bool)
    is_url = text_sources.str.match(r"https?://")
    url = g("url").where(g("url") != "", text_sources.where(is_url, ""))
    cite = pd.DataFrame({"title": text_sources.where(~is_url & ~is_json, ""), "url": url}, index=raw.index)
    built = _citations(cite, pd.DataFrame({"title": ctx["name"], "publisher": "imported file"}, index=raw.index))
    sources = text_sources.where(is_json, built)
    mapped = set(cols.values())
    extra = {"_geocoded_from": geocoded, "_geo_precision_assumed": pd.Series(None, index=raw.index, dtype=object)
             .where(~assumed, "2: no precision given with the coordinates")}
    is_object = _lookup(g("original"), lambda v: (_is_json_object(v),), 1)[0].astype(bool)
    original = g("original").where(is_object, _original(raw, mapped, extra))
    confidence = g("confidence").str.lower()
    frame = pd.DataFrame({
        "incident_id": incident, "source_dataset": dataset, "source_id": sid,
        "date_start": start, "date_end": end, "date_precision": precision,
        "place": place, "place_ar": g("place_ar"), "admin1": g("admin1"), "admin2": g("admin2"),
        "admin3": g("admin3"), "lat": lat_text, "lon": lon_text, "geo_precision": geo,
        "event_type": et, "sub_event_type": sub, "target": g("target"), "actor1": g("actor1"), "actor2": g("actor2"),
        **{c: _digits(g(c)) for c in model.COUNT_COLUMNS},
        "sources": sources, "notes": notes, "confidence": confidence.where(confidence != "", ctx["confidence"]),
        "original": original,
    }, index=raw.index)
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


# ---------------------------------------------------------------- detection and the chunk loop

def _is_features(path: Path, head: bytes) -> bool:
    suffix = path.suffix.lower()
    if head.startswith(b"SQLite format 3\x00"):
        return True
    if suffix in FEATURE_SUFFIXES:
        return True
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<") and b"<kml" in head[:2048]:
        return True
    if text.startswith(b"{") and b'"type"' in head[:4096]:
        return True
    if head.startswith(b"PK") and suffix == ".zip":
        try:
            names = textio.zip_members(path)
        except textio.Unreadable:
            return False
        return any(n.lower().endswith((".shp", ".gpkg", ".geojson", ".kml")) for n in names)
    return False


def _source_of(header) -> str:
    keys = {_norm(h) for h in header}
    if {"event_id_cnty", "event_date", "event_type"} <= keys:
        return "acled"
    if {"type_of_violence", "where_prec"} <= keys or {"type_of_violence", "date_prec", "side_a"} <= keys:
        return "ucdp"
    if {"eventid", "iyear", "imonth", "iday"} <= keys:
        return "gtd"
    return "table"


def _head(path: Path, name: str) -> bytes:
    if not path.exists():
        raise ImportFailure(f"{name}: no such file")
    if path.is_dir():
        raise ImportFailure(f"{name}: is a folder, not a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(textio.SAMPLE)
    except OSError as exc:
        raise ImportFailure(f"{name}: cannot be opened ({exc.strerror or exc})") from None
    if not head.strip():
        raise ImportFailure(f"{name}: the file is empty")
    return head


def _layout(path: Path, name: str) -> textio.Layout:
    try:
        return textio.sniff(path)
    except textio.Unreadable as exc:
        raise ImportFailure(_clean(f"{name}: {exc}", path)) from None


def detect_source(path) -> str:
    """Which importer fits the file: "acled", "ucdp", "gtd", "table" or "features" (by header names)."""
    path = Path(path)
    head = _head(path, path.name)
    if _is_features(path, head):
        return "features"
    return _source_of(_layout(path, path.name).header)


CONVERTERS = {"acled": (_acled, ACLED_COLUMNS, ACLED_REQUIRED, "an ACLED export"),
              "ucdp": (_ucdp, UCDP_COLUMNS, UCDP_REQUIRED, "a UCDP GED export"),
              "gtd": (_gtd, GTD_COLUMNS, GTD_REQUIRED, "a GTD export")}


def iter_import(path, *, source: str = "auto", chunksize: int = 100_000, mapping: Mapping[str, str] | None = None,
                geocoder: Callable | None = None, confidence: str = "low"
                ) -> Iterator[tuple[gpd.GeoDataFrame, pd.DataFrame]]:
    """Stream (accepted canonical rows, rejects) per chunk of at most `chunksize` rows.

    The file is checked before the first chunk is read: ImportFailure is raised here, eagerly, for a
    file that is empty, binary, not the claimed `source`, or whose mapping names missing columns.
    `confidence` is the value given to rows of a user's table or features file that have none.
    """
    path = Path(path)
    name = path.name
    if source not in ("auto", *SOURCES):
        raise ImportFailure(f"{name}: unknown source {source!r}; use one of auto, {', '.join(SOURCES)}")
    if confidence not in model.CONFIDENCE:
        raise ImportFailure(f"{name}: confidence must be one of {', '.join(model.CONFIDENCE)}")
    head = _head(path, name)
    features = _is_features(path, head)
    if source == "features" or (source == "auto" and features):
        if not features:
            raise ImportFailure(f"{name}: not a GeoJSON, GeoPackage, KML or zipped shapefile")
        return _iter_features(path, chunksize=chunksize, mapping=mapping, confidence=confidence)
    layout = _layout(path, name)
    detected = _source_of(layout.header)
    source = detected if source == "auto" else source
    if source == "table":
        cols = _table_columns(layout.header, mapping, name)
        if not ({"lat", "lon"} <= cols.keys() or "place" in cols or "place_ar" in cols):
            raise ImportFailure(f"{name}: no coordinate or place column found; map lat/lon or a place column "
                                f"(its columns are: {', '.join(layout.header[:20])})")
        if "date_start" not in cols:
            raise ImportFailure(f"{name}: no date column found; map date_start "
                                f"(its columns are: {', '.join(layout.header[:20])})")
        ctx = {"name": name, "dataset": path.stem, "geocoder": geocoder, "confidence": confidence}
        return _iter_chunks(path, layout, _table, cols, ctx, chunksize)
    convert, aliases, required, label = CONVERTERS[source]
    cols = _resolve(layout.header, aliases)
    missing = [c for c in required if c not in cols]
    if missing:
        looks = CONVERTERS[detected][3] if detected in CONVERTERS else "a plain table"
        hint = f"; it looks like {looks}" if detected != source else ""
        raise ImportFailure(f"{name}: not {label}: missing column(s) {', '.join(missing)}{hint}")
    return _iter_chunks(path, layout, convert, cols, {"name": name}, chunksize)


def _iter_chunks(path: Path, layout: textio.Layout, convert, cols: dict, ctx: dict, chunksize: int):
    name = ctx["name"]
    seen = SeenIds()
    try:
        for chunk in textio.iter_rows(path, layout, chunksize=chunksize):
            broken = chunk.broken.assign(file=name)[list(model.REJECT_COLUMNS)]
            if len(chunk.frame) == 0:
                if len(broken):
                    yield model.empty(), broken
                continue
            ctx["lines"] = chunk.lines
            frame, problems, names = convert(chunk.frame, cols, ctx)
            accepted, rejects = _split(frame, problems, chunk.lines, name, names, seen=seen)
            if len(broken):
                rejects = pd.concat([rejects, broken], ignore_index=True).sort_values("row", kind="stable")
            yield accepted, rejects.reset_index(drop=True)
    except textio.Unreadable as exc:
        raise ImportFailure(_clean(f"{name}: {exc}", path)) from None
    except OSError as exc:
        raise ImportFailure(_clean(f"{name}: reading failed ({exc.strerror or exc})", path)) from None
    except (ValueError, TypeError, ArithmeticError, LookupError, MemoryError) as exc:
        # A last line of defence: whatever a crafted file provokes, the user gets one line, not a traceback.
        raise ImportFailure(_clean(f"{name}: cannot be imported ({type(exc).__name__}: "
                                   f"{str(exc).splitlines()[0][:150] if str(exc) else 'no detail'})", path)) from None


def _clean(message: str, path: Path) -> str:
    """A message with the server's folders taken out: users see the file's name, never where it is stored."""
    for place in {str(path.resolve()), str(path.absolute()), str(path)}:
        message = message.replace(place, path.name)
    for folder in {str(path.resolve().parent), str(path.absolute().parent)}:
        if len(folder) > 1:
            message = message.replace(folder + "/", "")
    return " ".join(message.split())


class SeenIds:
    """The incident ids already met in one file, so a repeated id is rejected whatever chunk it falls in.

    Kept compact for files of millions of rows: a 64-bit hash of each id and the row it came from
    (16 bytes an id, not a Python string), in a few sorted runs merged as they grow. Two different
    ids share a hash with a chance of about n^2 / 2^65 (1e-8 for a million rows).
    """

    def __init__(self):
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def earlier(self, ids: pd.Series, rows: np.ndarray) -> np.ndarray:
        """For each id, the row where it appeared first when that was an earlier row (else 0); then remember them.

        `rows` must be increasing and after every row given before. Missing ids are never duplicates.
        """
        rows = np.asarray(rows, dtype=np.int64)
        given = ids.notna().to_numpy() & (ids.fillna("").astype("str").str.strip() != "").to_numpy()
        first = np.zeros(len(ids), dtype=np.int64)
        if not given.any():
            return first
        hashes = pd.util.hash_pandas_object(ids[given].astype("str").str.strip(), index=False).to_numpy()
        where = rows[given]
        found = np.zeros(len(hashes), dtype=np.int64)
        for keys, at in self._runs:
            pos = np.searchsorted(keys, hashes).clip(max=len(keys) - 1)
            found = np.where((found == 0) & (keys[pos] == hashes), at[pos], found)
        frame = pd.DataFrame({"h": hashes, "row": where})
        within = frame.duplicated("h", keep="first").to_numpy()
        found = np.where((found == 0) & within, frame.groupby("h")["row"].transform("first").to_numpy(), found)
        new = found == 0
        if new.any():
            order = np.argsort(hashes[new], kind="stable")
            self._runs.append((hashes[new][order], where[new][order]))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            (k1, r1), (k2, r2) = self._runs.pop(), self._runs.pop()
            keys, at = np.concatenate([k2, k1]), np.concatenate([r2, r1])
            order = np.argsort(keys, kind="stable")
            self._runs.append((keys[order], at[order]))
        first[given] = found
        return first


def _split(frame: pd.DataFrame, problems: list, lines: np.ndarray, name: str, names: Mapping[str, str], *,
           seen: SeenIds | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Validate a converted chunk: the importer's own problems first, then model.validate's rules.

    Reject `field` names the file's column where one corresponds (fatalities, not killed_best).
    With `seen` (one per file), an incident_id met on an earlier row of the file, in this chunk or
    an earlier one, is rejected: the outcome does not depend on the chunk size.
    """
    rows = pd.Series(lines, index=frame.index)
    if seen is not None:
        earlier = pd.Series(seen.earlier(frame["incident_id"], lines), index=frame.index)
        _problem(problems, "incident_id", earlier > 0, frame["incident_id"],
                 "duplicate incident_id: row " + earlier.astype("str") + " of this file has the same id")
    bad = pd.Series(False, index=frame.index)
    parts, covered = [], []
    for field, mask, values, reason, covers in problems:
        reason = reason[mask] if isinstance(reason, pd.Series) else reason
        parts.append(pd.DataFrame({"file": name, "row": rows[mask], "field": field,
                                   "value": values[mask].astype("str").str.slice(0, 200).fillna(""),
                                   "reason": reason}))
        covered += [pd.DataFrame({"row": rows[mask], "field": f}) for f in covers]
        bad |= mask
    good = ~bad
    if good.all():
        accepted, rejects = model.validate(frame, file=name, rows=rows)
    else:
        accepted, rejects = model.validate(frame[good], file=name, rows=rows[good])
    parts.append(rejects)
    if bad.any():
        consequences = model.validate(frame[bad], file=name, rows=rows[bad])[1]
        drop = pd.concat(covered, ignore_index=True).drop_duplicates()
        keep = consequences.merge(drop, on=["row", "field"], how="left", indicator=True)["_merge"] == "left_only"
        parts.append(consequences[keep.to_numpy()])
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else pd.DataFrame(columns=list(model.REJECT_COLUMNS))
    out["field"] = out["field"].map(lambda f: names.get(f) or f)
    out = out.drop_duplicates(["row", "field"], keep="first")  # killed_low/best/high all from `fatalities`
    out["row"] = out["row"].astype("int64")
    return accepted, out.sort_values(["row", "field"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- GeoJSON / GeoPackage / KML

def _iter_features(path: Path, *, chunksize: int, mapping, confidence: str):
    """Check the file with events.vector (real type from its bytes; VRT, GML, links refused) and stream it."""
    from events import vector

    name = path.name
    try:
        source = vector.open_file(path, name=name)
    except vector.Refused as exc:
        raise ImportFailure(str(exc)) from None
    except OSError as exc:
        raise ImportFailure(f"{name}: reading failed ({exc.strerror or exc})") from None
    try:
        cols = _table_columns(source.fields, mapping, name)
    except BaseException:
        source.close()
        raise
    ctx = {"name": name, "dataset": path.stem, "geocoder": None, "confidence": confidence, "seen": SeenIds()}
    return _feature_chunks(source, cols, ctx, max(1, int(chunksize)))


def _feature_chunks(source, cols: dict, ctx: dict, chunksize: int):
    from events import vector

    with source:
        try:
            for batch in source.batches(chunksize=chunksize):
                yield _features_chunk(batch.frame, cols, ctx, batch.numbers, bad=batch.problems)
        except vector.Refused as exc:
            raise ImportFailure(str(exc)) from None
        except OSError as exc:
            raise ImportFailure(f"{ctx['name']}: reading failed ({exc.strerror or exc})") from None


def _spots(geoms: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of a point inside each usable geometry (NaN where there is none: empty, or GEOS cannot find one)."""
    x, y = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
    idx = np.flatnonzero(ok)
    try:
        with np.errstate(invalid="ignore"):
            spots = shapely.point_on_surface(geoms[idx])
    except shapely.errors.ShapelyError:  # one odd geometry fails the whole call: find which, one by one
        spots = np.empty(len(idx), dtype=object)
        for k, g in enumerate(geoms[idx]):
            try:
                spots[k] = shapely.point_on_surface(g)
            except shapely.errors.ShapelyError:
                spots[k] = None
    usable = ~(shapely.is_missing(spots) | shapely.is_empty(spots)) if len(idx) else np.zeros(0, dtype=bool)
    x[idx[usable]], y[idx[usable]] = shapely.get_x(spots[usable]), shapely.get_y(spots[usable])
    return x, y


def _features_chunk(gdf: gpd.GeoDataFrame, cols: dict, ctx: dict, lines: np.ndarray, *,
                    bad: Mapping[int, tuple[str, str]] | None = None):
    """Features as table rows: the geometry at a point inside it; a geometry that was unusable in the file
    (`bad`: position -> (value, reason)) or has no inside point rejects its feature alone."""
    gdf = gdf.reset_index(drop=True)
    if gdf.crs is not None and not gdf.crs.equals(model.CRS):
        try:
            gdf = gdf.to_crs(model.CRS)
        except Exception as exc:  # pyproj raises several types for impossible transformations
            raise ImportFailure(f"{ctx['name']}: cannot convert its coordinates to WGS 84 "
                                f"({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})") from None
    geom = gdf.geometry
    kinds = geom.geom_type.fillna("").astype("str")
    shapes = np.asarray(geom.to_numpy(), dtype=object)
    has_geom = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    x, y = _spots(shapes, has_geom)
    unplaced = has_geom & np.isnan(x)
    has_geom = has_geom & ~unplaced
    area = pd.Series(has_geom & ~kinds.isin(["Point", "MultiPoint"]).to_numpy(), index=gdf.index)
    raw = pd.DataFrame({c: _feature_text(gdf[c]) for c in gdf.columns
                        if c != gdf.geometry.name and c not in KML_STYLE_FIELDS}, index=gdf.index)
    raw["__lat"] = pd.Series(y, index=gdf.index).map(_fmt)
    raw["__lon"] = pd.Series(x, index=gdf.index).map(_fmt)
    raw["__geo"] = pd.Series("", index=gdf.index, dtype="str").where(~area, "3")
    fcols = {k: v for k, v in cols.items() if k not in ("lat", "lon")} | {"lat": "__lat", "lon": "__lon"}
    fcols.setdefault("geo_precision", "__geo")
    ctx = dict(ctx, lines=lines)
    frame, problems, names = _table(raw, fcols, ctx)
    if area.any():
        gp = pd.to_numeric(frame["geo_precision"], errors="coerce")
        frame["geo_precision"] = frame["geo_precision"].astype(object).where(~area, np.fmax(gp, 3).astype("Int64")
                                                                            .astype(object))
        what = kinds.str.lower().str.replace("multi", "", regex=False)
        note = "drawn at a representative point inside the feature's " + what
        frame["notes"] = frame["notes"].where(~area, (frame["notes"].fillna("") + " [" + note + "]").str.strip())
    bad = dict(bad or {})
    broken = pd.Series([k in bad for k in range(len(gdf))], index=gdf.index, dtype=bool)
    values = pd.Series([bad[k][0] if k in bad else v for k, v in enumerate(kinds)], index=gdf.index, dtype=object)
    reasons = pd.Series([bad[k][1] if k in bad else "" for k in range(len(gdf))], index=gdf.index, dtype=object)
    _problem(problems, "geometry", broken, values, reasons, XY)
    _problem(problems, "geometry", pd.Series(unplaced, index=gdf.index), kinds,
             "no point can be found inside this geometry (is it valid?)", XY)
    _problem(problems, "geometry", pd.Series(~has_geom, index=gdf.index) & ~broken, kinds, "feature has no geometry",
             XY)
    names = {k: v for k, v in names.items() if not str(v).startswith("__")} | {"lat": "geometry", "lon": "geometry"}
    problems = [p for p in problems if p[3] is not NO_COORDINATES]
    return _split(frame, problems, lines, ctx["name"], names, seen=ctx.get("seen"))


def _fmt(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else repr(float(v))


def _feature_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").fillna("").astype("str")
    return s.map(textio.cell_text).fillna("").astype("str")


# ---------------------------------------------------------------- whole-file readers

def read_file(path, *, source: str = "auto", chunksize: int = 100_000, mapping: Mapping[str, str] | None = None,
              geocoder: Callable | None = None, confidence: str = "low") -> ImportResult:
    """Import a whole file: the concatenation of `iter_import`'s chunks as one ImportResult."""
    path = Path(path)
    chosen = detect_source(path) if source == "auto" else source
    accepted, rejects, rows = [], [], 0
    for acc, rej in iter_import(path, source=chosen, chunksize=chunksize, mapping=mapping, geocoder=geocoder,
                                confidence=confidence):
        rows += len(acc) + rej["row"].nunique()
        if len(acc):
            accepted.append(acc)
        if len(rej):
            rejects.append(rej)
    frame = pd.concat(accepted, ignore_index=True) if accepted else model.empty()
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=model.CRS)
    report = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=list(model.REJECT_COLUMNS))
    return ImportResult(chosen, path.name, frame, report, rows)


def read_acled(path, **opts) -> ImportResult:
    """An ACLED export (older 31-column layout or the current one), CSV or .xlsx."""
    return read_file(path, source="acled", **opts)


def read_ucdp(path, **opts) -> ImportResult:
    """A UCDP GED export (CSV, zipped CSV or .xlsx; HDX '#hashtag' row skipped)."""
    return read_file(path, source="ucdp", **opts)


def read_gtd(path, **opts) -> ImportResult:
    """A Global Terrorism Database export (the 135-column .xlsx or a CSV of it)."""
    return read_file(path, source="gtd", **opts)


def read_table(path, *, mapping: Mapping[str, str] | None = None, geocoder: Callable | None = None,
               **opts) -> ImportResult:
    """A user's CSV or .xlsx; `mapping` is {canonical field: the file's column} (else names are recognised).

    Rows need lat/lon, or a place that `geocoder(place) -> {lat, lon, geo_precision, found}` finds.
    """
    return read_file(path, source="table", mapping=mapping, geocoder=geocoder, **opts)


def read_features(path, **opts) -> ImportResult:
    """A GeoJSON, GeoPackage, KML or zipped shapefile; polygons are drawn at a representative point."""
    return read_file(path, source="features", **opts)
