"""Downloads of the current selection: CSV, GeoJSON, KML (Google Earth) and GeoPackage (QGIS).

Every export takes a canonical incident frame (events.model / events.query) and returns the file's
bytes, so the app can offer them as downloads and the CLI can write them. All formats keep the
canonical columns; dates are YYYY-MM-DD. An empty selection raises ExportError instead of writing an
empty file. Text from data never becomes markup: the KML balloon is HTML built from escaped pieces
and then XML-escaped as a whole, so a note reading `<script>` shows as those characters.
The control areas' GeoJSON is made by geo.control.export_geojson: events never imports geo.
FORMATS is the registry (name, extension, MIME type, label, writer) that the app's buttons, the CLI's
`--format` and the tests read: adding a format is one writer and one `register` line.

LICENCES is the registry of what source datasets' terms ask: ACLED's terms of use and the GTD
end-user agreement forbid passing their raw rows to others and ask for attribution (ACLED: the
source, the access date and the filters used) on everything made from them. `credits` writes those
lines for maps, PNG, PDF and HTML; `export` refuses a raw-row file holding such rows until the caller
chose what to do with them (`restricted`: omit them, counts by district and month instead, or
include them on the user's own responsibility).
"""
from __future__ import annotations

import html
import json
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from events import labels, model
from i18n import N_
from events.errors import AtlasError

KML_NS = "http://www.opengis.net/kml/2.2"
# Google Earth's stock white icons, tinted by the style colour: a dot where the place is exact,
# a ring where it is only near a named place, a district or the governorate.
ICON_EXACT = "https://maps.google.com/mapfiles/kml/shapes/shaded_dot.png"
ICON_APPROXIMATE = "https://maps.google.com/mapfiles/kml/shapes/donut.png"
APPROXIMATE_ALPHA = 0x99  # 60 % opacity for approximate locations
# (lowest killed_high, icon scale): bigger icon for a higher reported toll; unknown counts as 0.
KILLED_SCALES = ((100, 2.2), (20, 1.7), (5, 1.35), (1, 1.0), (0, 0.8))

_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DATE_PRECISION_TEXT = {"day": "known to the day", "week": "known to the week", "month": "known to the month",
                        "year": "known to the year"}


class ExportError(AtlasError, ValueError):
    """A selection that cannot be exported (empty, or not a canonical incident frame)."""


@dataclass(frozen=True)
class Format:
    """One export format: what the app's buttons, the CLI's `--format` and the tests offer (see FORMATS)."""

    name: str  # lower case, as typed after --format
    extension: str  # with its dot
    mime: str
    label: str  # for a person choosing it
    writer: Callable[[pd.DataFrame], bytes]  # a canonical incident frame -> the file's bytes
    raw_rows: bool = True  # the file passes the incidents on row by row (licences may forbid that)


FORMATS: dict[str, Format] = {}  # name -> Format, in the order offered; filled by register() below the writers


def register(fmt: Format) -> Format:
    """Offer a format everywhere exports are offered; adding a format is one writer and one register line."""
    if not fmt.name.isidentifier() or fmt.name != fmt.name.lower() or not fmt.extension.startswith("."):
        raise ValueError(f"a format needs a lower-case name and an extension with its dot, not {fmt!r}")
    FORMATS[fmt.name] = fmt
    return fmt


def export(frame: pd.DataFrame, fmt: str, *, restricted: str | None = None) -> tuple[bytes, str, str]:
    """(content, file extension with its dot, MIME type) of `frame` in format `fmt` (see FORMATS).

    A raw-row format of a frame holding rows whose licence forbids passing them on (ACLED, GTD)
    needs `restricted`, the user's choice (see RESTRICTED_CHOICES): "omit" leaves those rows out,
    "counts" writes counts by district and month instead, "include" writes them anyway. Without a
    choice such an export raises RestrictedRows, whose message says so; nothing is written."""
    key = str(fmt).strip().lower().lstrip(".")
    if key not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if restricted is not None and restricted not in RESTRICTED_CHOICES:
        raise ValueError(f"unknown choice for restricted rows {restricted!r}; one of: {', '.join(RESTRICTED_CHOICES)}")
    chosen = FORMATS[key]
    if chosen.raw_rows and isinstance(frame, pd.DataFrame) and "source_dataset" in frame and restricted_rows(frame).any():
        if restricted is None:
            raise RestrictedRows(restricted_note(frame) + " Choose: " + "; ".join(
                f"{k} ({v})" for k, v in RESTRICTED_CHOICES.items()) + ".")
        if restricted == "omit":
            frame = without_restricted(frame)
            if frame.empty:
                raise ExportError("every incident in the selection comes from a data set whose licence forbids "
                                  "passing its rows on: leaving them out leaves nothing; export counts instead")
        elif restricted == "counts":
            chosen = FORMATS["counts"]
    return chosen.writer(frame), chosen.extension, chosen.mime


# -- licences ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Licence:
    """What a source dataset's terms ask of everything made from its rows."""

    dataset: str  # the rows' source_dataset
    name: str  # the data set as its publisher names it
    terms: str  # the document the terms are in
    raw_rows: bool  # False: its raw rows may not be passed on to others
    attribution: str  # the credit asked for on every map and file; {accessed} and {filters} are filled in


LICENCES: dict[str, Licence] = {licence.dataset: licence for licence in (
    Licence("acled", "ACLED", "ACLED's terms of use", raw_rows=False,
            attribution="Data: ACLED (acleddata.com), accessed {accessed}; filters: {filters}. Armed Conflict "
                        "Location & Event Data, used under ACLED's terms of use."),
    Licence("gtd", "GTD", "the GTD end-user agreement", raw_rows=False,
            attribution="Data: Global Terrorism Database (GTD), National Consortium for the Study of Terrorism "
                        "and Responses to Terrorism (START), University of Maryland (start.umd.edu/gtd), "
                        "accessed {accessed}; filters: {filters}. Used under the GTD end-user agreement."),
    Licence("ucdp", "UCDP GED", "CC BY 4.0", raw_rows=True,
            attribution="Data: UCDP Georeferenced Event Dataset (GED), Uppsala Conflict Data Program "
                        "(ucdp.uu.se), CC BY 4.0 (Sundberg & Melander 2013; Davies, Pettersson & Öberg 2023)."),
)}
RESTRICTED_CHOICES = {
    "omit": N_("leave those rows out"),
    "counts": N_("export counts by district and month instead"),
    "include": N_("export them anyway, on your own responsibility under the data's terms"),
}
NOT_RECORDED = "(access date not recorded)"


class RestrictedRows(ExportError):
    """A raw-row export of rows whose licence forbids passing them on, with no choice made about them."""


def _dataset_codes(frame: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Each row's code into a list of data-set tuples: every member's for a fused row (its `datasets`,
    ';'-joined, from events.matching.fuse), else its own `source_dataset`. Split and judged once per
    distinct value, never per row: at a million rows every rerun asks (1M rows: 1 s -> 0.05 s)."""
    own_codes, own = pd.factorize(frame["source_dataset"])
    table = [(str(v),) if str(v) else () for v in own] + [()]   # code -1 (missing) -> the last, empty tuple
    codes = np.where(own_codes < 0, len(table) - 1, own_codes)
    if "datasets" in frame.columns:
        joined_codes, joined = pd.factorize(frame["datasets"])
        members = [tuple(x for x in str(v).split(";") if x) if isinstance(v, str) else () for v in joined]
        usable = np.array([bool(m) for m in members] + [False])   # a missing or empty `datasets`: the row's own
        codes = np.where(usable[joined_codes], len(table) + joined_codes, codes)
        table += members
    return codes, table


def member_datasets(frame: pd.DataFrame) -> pd.Series:
    """Each row's data sets as a tuple: every member's for a fused row (its `datasets`, ';'-joined, from
    events.matching.fuse), else its own `source_dataset`. A fused row is made of all its members' data."""
    codes, table = _dataset_codes(frame)
    values = np.empty(len(table), dtype=object)
    values[:] = table
    return pd.Series(values[codes], index=frame.index, dtype=object)


def datasets_of(frame: pd.DataFrame) -> list[str]:
    """Every data set whose rows `frame` holds, fused members included (for `credits`)."""
    if not len(frame):
        return []
    codes, table = _dataset_codes(frame)
    return sorted({d for code in np.unique(codes) for d in table[code]})


def _restricted_codes(table: list[tuple[str, ...]]) -> np.ndarray:
    keys = {k for k, licence in LICENCES.items() if not licence.raw_rows}
    return np.array([bool(keys.intersection(members)) for members in table], dtype=bool)


def restricted_rows(frame: pd.DataFrame) -> pd.Series:
    """True for each row whose data set's licence forbids passing its raw rows on (ACLED, GTD); a fused
    row holding such a member is restricted even when its primary source is not (its tolls, dates and
    citations come from all of them)."""
    codes, table = _dataset_codes(frame)
    return pd.Series(_restricted_codes(table)[codes], index=frame.index, dtype=bool)


def without_restricted(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` without the rows whose raw redistribution is forbidden."""
    return frame[~restricted_rows(frame).to_numpy()]


def restricted_note(frame: pd.DataFrame) -> str:
    """What a user must know before a raw-row file of `frame` is made ('' when nothing is restricted)."""
    codes, table = _dataset_codes(frame)
    per_code = np.bincount(codes, minlength=len(table))
    counts: dict[str, int] = {}
    for code in np.flatnonzero(per_code * _restricted_codes(table)):
        for d in set(table[code]):
            counts[d] = counts.get(d, 0) + int(per_code[code])
    held = [(LICENCES[k], counts[k]) for k in LICENCES if not LICENCES[k].raw_rows and k in counts]
    if not held:
        return ""
    rows = " and ".join(f"{n:,} {licence.name} row{'s' if n != 1 else ''}" for licence, n in held)
    terms = " and ".join(licence.terms for licence, _ in held)
    return f"This selection holds {rows}: under {terms}, those raw rows may not be passed on to others."


def access_dates(log: pd.DataFrame) -> dict[str, str]:
    """When each licensed data set was imported (the store's import log: `events.store.import_log`):
    dataset -> 'YYYY-MM-DD', several imports as 'YYYY-MM-DD, YYYY-MM-DD' (or first – last of many)."""
    out = {}
    if log is None or log.empty:
        return out
    for key in LICENCES:
        rows = log[(log["source"] == key) & (pd.to_numeric(log["accepted"], errors="coerce") > 0)]
        stamps = pd.to_datetime(rows["imported_at"], errors="coerce", utc=True).dropna().sort_values()
        days = list(dict.fromkeys(f"{t:%Y-%m-%d}" for t in stamps))
        if days:
            out[key] = ", ".join(days) if len(days) <= 3 else f"{days[0]} – {days[-1]} ({len(days)} imports)"
    return out


def credits(datasets, *, accessed: dict | None = None, filters: str = "") -> list[str]:
    """The attribution lines owed for the data sets present (`datasets`: the shown rows'
    source_dataset, or `datasets_of` a frame; a fused row's ';'-joined `datasets` names each), in LICENCES
    order; `accessed` from `access_dates`, `filters` from
    `events.labels.filters_text`. Plain text: escape it for HTML, JSON-encode it for JavaScript."""
    present = {d for v in pd.unique(pd.Series(datasets, dtype=object).dropna()) for d in str(v).split(";")}
    accessed = accessed or {}
    return [licence.attribution.format(accessed=accessed.get(key) or NOT_RECORDED, filters=filters or "not recorded")
            for key, licence in LICENCES.items() if key in present]


def to_csv(frame: pd.DataFrame) -> bytes:
    """The canonical columns as CSV, UTF-8 with a BOM so that Excel shows Arabic text correctly.

    `sources` and `original` stay JSON text, so the file re-imports as a canonical table.
    """
    records = sheet_safe(model.to_records(_checked(frame)))
    return records.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig", "replace")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def sheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas (`=HYPERLINK(…)`, `+cmd|…`, `@SUM`):
    a text starting with = + - @ (or their full-width forms), a tab or a carriage return gets a
    leading apostrophe, as Excel, LibreOffice and Google Sheets expect. Numbers stay numbers; the
    atlas's importers drop that apostrophe again, so an exported CSV re-imports unchanged."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            text = out[col]
            risky = np.fromiter((isinstance(v, str) and v.startswith(FORMULA_START) for v in text),
                                dtype=bool, count=len(text))
            if risky.any():
                out[col] = text.astype(object).where(~risky, "'" + text.astype(str))
    return out


def to_geojson(frame: pd.DataFrame) -> bytes:
    """A GeoJSON FeatureCollection (EPSG:4326, RFC 7946) with the canonical columns as properties.

    Dates are YYYY-MM-DD strings, `sources` a JSON array and `original` a JSON object (not text);
    missing values are null. Arabic is written as UTF-8, not \\u escapes. The ACLED/UCDP/GTD citations
    go into a top-level `attribution` member when those rows are present.
    """
    frame = _checked(frame)
    columns = _json_columns(model.to_records(frame))
    features = []
    for i in range(len(frame)):
        props = {col: columns[col][i] for col in model.COLUMNS}
        features.append({"type": "Feature", "id": props["incident_id"], "properties": props,
                         "geometry": {"type": "Point", "coordinates": [props["lon"], props["lat"]]}})
    collection: dict = {"type": "FeatureCollection"}
    notes = credits(datasets_of(frame))
    if notes:
        collection["attribution"] = notes
    collection["features"] = features
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8", "replace")


def to_kml(frame: pd.DataFrame, *, name: str = "Kirkuk incidents") -> bytes:
    """KML 2.2 for Google Earth: a Folder per event type, one styled Placemark per incident.

    Each Placemark has the place as name, a readable description (date with its precision, type,
    actors, casualties as a range, linked sources, notes), a TimeSpan date_start..date_end for the
    time slider, and the canonical fields as ExtendedData. Styles are shared per (event type, toll
    size, exact/approximate place): colour from the map legend, size by killed_high, a faded ring
    instead of a dot where the location is approximate (geo_precision >= 2).
    """
    frame = _checked(frame).reset_index(drop=True)
    records = model.to_records(frame)
    ET.register_namespace("", KML_NS)
    root = ET.Element(_k("kml"))
    doc = ET.SubElement(root, _k("Document"))
    _text(doc, "name", name)
    _text(doc, "open", "1")
    _text(doc, "description", _document_description(frame))

    recs = records.to_dict("records")  # plain dicts: per-row pandas access costs ~2 ms a row
    raw = frame[list(model.DATE_COLUMNS) + list(model.COUNT_COLUMNS)].to_dict("records")
    keys = [_style_key(rec) for rec in recs]
    for key in sorted(set(keys)):
        _style(doc, key, labels.EVENT_COLOURS.get(key[0], labels.OTHER_COLOUR))
    for event_type in dict.fromkeys([*model.EVENT_TYPES, *records["event_type"]]):
        rows = [i for i, rec in enumerate(recs) if rec["event_type"] == event_type]
        if not rows:
            continue
        folder = ET.SubElement(doc, _k("Folder"))
        _text(folder, "name", f"{event_type} ({len(rows)})")
        for i in rows:
            rec, row = recs[i], raw[i]
            when = labels.date_label(row["date_start"], row["date_end"], rec["date_precision"])
            killed = labels.killed_text(row["killed_low"], row["killed_best"], row["killed_high"])
            wounded = labels.killed_text(row["wounded_low"], row["wounded"], row["wounded_high"])
            _placemark(folder, rec, style=_style_id(keys[i]), when=when,
                       description=_description(rec, when=when, killed=killed, wounded=wounded))
    body = ET.tostring(root, encoding="unicode")
    return ("<?xml version='1.0' encoding='UTF-8'?>\n" + body + "\n").encode("utf-8")


def to_gpkg(frame: pd.DataFrame, *, layer: str = "incidents") -> bytes:
    """A GeoPackage (EPSG:4326) with one point layer of the canonical columns, for QGIS.

    Dates are DATE fields, counts nullable INTEGERs; the ACLED/UCDP/GTD citations, when those rows
    are present, are the layer's description.
    """
    frame = _checked(frame)
    out = gpd.GeoDataFrame({c: frame[c] for c in model.COLUMNS},
                           geometry=shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)),
                           crs=model.CRS)
    for col in model.DATE_COLUMNS:  # Arrow date32 makes GDAL create DATE rather than DATETIME fields
        out[col] = out[col].astype("date32[pyarrow]")
    description = " ".join(credits(datasets_of(frame)))
    with tempfile.TemporaryDirectory(prefix="atlas-export-") as tmp:
        path = Path(tmp) / "incidents.gpkg"
        pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG", use_arrow=True,
                                layer_options={"DESCRIPTION": description} if description else None)
        return path.read_bytes()


COUNT_COLUMNS = ("district", "month", "incidents", "killed_low", "killed_high", "wounded_low", "wounded_high",
                 "toll_unknown", "datasets")


def to_counts(frame: pd.DataFrame) -> bytes:
    """Incidents and tolls by district (admin2) and month (of date_start) as CSV, UTF-8 with a BOM:
    aggregates, not rows, for data whose licence forbids passing its rows on. Tolls sum the low and
    high figures (an unknown toll counts 0; `toll_unknown` counts those incidents); `datasets` names
    the data sets counted; a district left blank is an incident placed only at governorate level."""
    frame = _checked(frame)
    district = frame["admin2"].astype(object).where(frame["admin2"].notna(), "")
    work = pd.DataFrame({
        "district": district.astype(str), "month": frame["date_start"].dt.strftime("%Y-%m"),
        **{c: frame[c].astype("float64").fillna(0) for c in ("killed_low", "killed_high", "wounded_low",
                                                             "wounded_high")},
        "toll_unknown": frame["killed_high"].isna().astype(int),
        "dataset": member_datasets(frame).map(";".join).to_numpy(object)})
    groups = work.groupby(["district", "month"], sort=True)
    out = groups.agg(incidents=("month", "size"), killed_low=("killed_low", "sum"), killed_high=("killed_high", "sum"),
                     wounded_low=("wounded_low", "sum"), wounded_high=("wounded_high", "sum"),
                     toll_unknown=("toll_unknown", "sum"),
                     datasets=("dataset", lambda v: "; ".join(sorted({d for x in v for d in x.split(";") if d})))
                     ).reset_index()
    for col in ("killed_low", "killed_high", "wounded_low", "wounded_high"):
        out[col] = out[col].astype("int64")
    out = sheet_safe(out[list(COUNT_COLUMNS)])
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig", "replace")


register(Format("csv", ".csv", "text/csv", N_("CSV (Excel, UTF-8 with BOM)"), to_csv))
register(Format("geojson", ".geojson", "application/geo+json", N_("GeoJSON"), to_geojson))
register(Format("kml", ".kml", "application/vnd.google-earth.kml+xml", N_("KML (Google Earth)"), to_kml))
register(Format("gpkg", ".gpkg", "application/geopackage+sqlite3", N_("GeoPackage (QGIS)"), to_gpkg))
register(Format("counts", ".csv", "text/csv", N_("Counts by district and month (CSV)"), to_counts, raw_rows=False))


# -- helpers -------------------------------------------------------------------------------------

def _checked(frame) -> pd.DataFrame:
    """The frame if it is a non-empty canonical incident frame; ExportError otherwise."""
    if not isinstance(frame, pd.DataFrame):
        raise ExportError(f"expected the incident table, got {type(frame).__name__}")
    missing = [c for c in model.COLUMNS if c not in frame.columns]
    if missing:
        raise ExportError("not a canonical incident table: missing column(s) " + ", ".join(missing))
    if len(frame) == 0:
        raise ExportError("no incidents in the selection: widen the filters (dates, types, places) and try again")
    for col in model.DATE_COLUMNS:
        if not pd.api.types.is_datetime64_any_dtype(frame[col]):
            raise ExportError(f"not a canonical incident table: column {col} holds {frame[col].dtype}, not dates")
    return frame


def _json_columns(records: pd.DataFrame) -> dict[str, list]:
    """Each canonical column as plain JSON values: None for missing, ints for counts, parsed JSON."""
    out = {}
    for col in model.COLUMNS:
        values = records[col].to_numpy(dtype=object, na_value=None).tolist()
        if col in ("sources", "original"):
            parsed = {v: _parse_json(v) for v in set(values) if v is not None}  # citations repeat a lot
            values = [None if v is None else parsed[v] for v in values]
        elif col in model.COUNT_COLUMNS or col == "geo_precision":
            values = [None if v is None else int(v) for v in values]
        elif col in ("lat", "lon"):
            values = [None if v is None else float(v) for v in values]
        else:
            values = [None if v is None else str(v) for v in values]
        out[col] = values
    return out


def _parse_json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text  # not JSON after all: keep the text rather than lose it


def _k(tag: str) -> str:
    return f"{{{KML_NS}}}{tag}"


def _xml_safe(text: str) -> str:
    """Text XML 1.0 can carry: control characters and lone surrogates become U+FFFD."""
    return _XML_INVALID.sub("\ufffd", text)


def _text(parent: ET.Element, tag: str, text: str, **attrs) -> ET.Element:
    el = ET.SubElement(parent, _k(tag), attrs)
    el.text = _xml_safe(str(text))
    return el


def _kml_colour(hex_colour: str, alpha: int = 0xFF) -> str:
    """'#rrggbb' as KML's aabbggrr."""
    rgb = hex_colour.lstrip("#")
    return f"{alpha:02x}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".lower()


def _style_key(rec: dict) -> tuple[str, int, bool]:
    """(event type, toll size class 0..4, exact place) of one incident: what its icon looks like."""
    killed = 0 if pd.isna(rec["killed_high"]) else int(rec["killed_high"])
    size = len(KILLED_SCALES) - 1 - next(i for i, (low, _) in enumerate(KILLED_SCALES) if killed >= low)
    exact = pd.notna(rec["geo_precision"]) and int(rec["geo_precision"]) == 1
    return str(rec["event_type"]), size, bool(exact)


def _style_id(key: tuple[str, int, bool]) -> str:
    event_type, size, exact = key
    slug = re.sub(r"[^a-z0-9]+", "-", event_type.lower()).strip("-")
    return f"{slug}-k{size}-{'exact' if exact else 'approx'}"


def _style(doc: ET.Element, key: tuple[str, int, bool], colour: str) -> None:
    _, size, exact = key
    style = ET.SubElement(doc, _k("Style"), {"id": _style_id(key)})
    icon_style = ET.SubElement(style, _k("IconStyle"))
    _text(icon_style, "color", _kml_colour(colour, 0xFF if exact else APPROXIMATE_ALPHA))
    _text(icon_style, "scale", f"{KILLED_SCALES[len(KILLED_SCALES) - 1 - size][1]:g}")
    icon = ET.SubElement(icon_style, _k("Icon"))
    _text(icon, "href", ICON_EXACT if exact else ICON_APPROXIMATE)
    label = ET.SubElement(style, _k("LabelStyle"))
    _text(label, "scale", "0")  # names would crowd the map around Kirkuk city; they stay in the Places list


def _placemark(folder: ET.Element, rec: dict, *, style: str, when: str, description: str) -> None:
    pm = ET.SubElement(folder, _k("Placemark"))
    _text(pm, "name", _first(rec["place"], rec["place_ar"], rec["incident_id"]))
    _text(pm, "Snippet", f"{when} · {rec['event_type']}", maxLines="1")
    _text(pm, "description", description)
    span = ET.SubElement(pm, _k("TimeSpan"))
    _text(span, "begin", rec["date_start"])
    _text(span, "end", rec["date_end"])
    _text(pm, "styleUrl", f"#{style}")
    data = ET.SubElement(pm, _k("ExtendedData"))
    for col in model.COLUMNS:
        item = ET.SubElement(data, _k("Data"), {"name": col})
        value = rec[col]
        _text(item, "value", "" if pd.isna(value) else _plain(col, value))
    point = ET.SubElement(pm, _k("Point"))
    _text(point, "coordinates", f"{float(rec['lon'])!r},{float(rec['lat'])!r}")


def _plain(col: str, value) -> str:
    if col in model.COUNT_COLUMNS or col == "geo_precision":
        return str(int(value))
    if col in ("lat", "lon"):
        return repr(float(value))
    return str(value)


def _first(*values) -> str:
    return next((str(v) for v in values if isinstance(v, str) and v.strip()), "")


def _description(rec: dict, *, when: str, killed: str, wounded: str) -> str:
    """The balloon: HTML made only of escaped data, so no value can become markup."""
    e = html.escape
    precision_text = _DATE_PRECISION_TEXT.get(rec["date_precision"], str(rec["date_precision"]))
    lines = [f"<b>Date:</b> {e(when)} ({e(precision_text)})"]
    place = e(_first(rec["place"]))
    if _first(rec["place_ar"]):
        place += f' / <span dir="rtl">{e(rec["place_ar"])}</span>'
    admin = ", ".join(str(rec[c]) for c in ("admin3", "admin2", "admin1") if _first(rec[c]))
    lines.append(f"<b>Place:</b> {place}" + (f" ({e(admin)})" if admin else ""))
    precision = int(rec["geo_precision"]) if pd.notna(rec["geo_precision"]) else None
    located = model.GEO_PRECISIONS.get(precision, "unknown")
    if precision is None or precision >= 2:
        located += " — approximate location, drawn as a faded ring: the incident was not at this exact point"
    lines.append(f"<b>Location:</b> {e(located)}")
    kind = " — ".join(str(rec[c]) for c in ("event_type", "sub_event_type") if _first(rec[c]))
    lines.append(f"<b>Type:</b> {e(kind)}")
    if _first(rec["target"]):
        lines.append(f"<b>Target:</b> {e(rec['target'])}")
    actors = "; ".join(str(rec[c]) for c in ("actor1", "actor2") if _first(rec[c])) or "not reported"
    lines.append(f"<b>Actors:</b> {e(actors)}")
    lines.append(f"<b>Killed:</b> {e(killed)}; <b>wounded:</b> {e(wounded)}")
    cites = [_citation_html(c) for c in model.parse_sources(rec["sources"])]
    if cites:
        lines.append("<b>Sources:</b><ol>" + "".join(f"<li>{c}</li>" for c in cites) + "</ol>")
    if _first(rec["notes"]):
        lines.append('<b>Notes:</b> <span dir="auto">' + e(rec["notes"]).replace("\n", "<br>") + "</span>")
    lines.append(f"<b>Confidence:</b> {e(str(rec['confidence']))}; <b>record:</b> {e(str(rec['incident_id']))} "
                 f"({e(str(rec['source_dataset']))})")
    return "<br>".join(lines)


def _citation_html(cite: dict) -> str:
    """One source as HTML; only http(s) addresses become links, any other is shown as text."""
    e = html.escape
    title, publisher, url, date = (str(cite.get(k) or "") for k in ("title", "publisher", "url", "date"))
    linked = url.lower().startswith(("http://", "https://"))
    label = e(title or (url if linked else "") or publisher or url)
    if linked:
        label = f'<a href="{e(url, quote=True)}">{label}</a>'
    extra = [publisher if title or linked else "", "" if linked or label == e(url) else url, date]
    extra = [e(x) for x in extra if x]
    return label + (f" ({', '.join(extra)})" if extra else "")


def _document_description(frame: pd.DataFrame) -> str:
    """The Document's description: what the file holds, the legend, and the attribution owed."""
    start, end = frame["date_start"].min(), frame["date_end"].max()
    text = (f"{len(frame)} incident(s), {start:%Y-%m-%d} to {end:%Y-%m-%d}, exported from the Kirkuk incident "
            "atlas.<br>Icon colour: event type; size: highest reported number killed; faded ring: approximate "
            "location. Use the time slider to step through the dates.")
    notes = credits(datasets_of(frame))
    if notes:
        text += "<br><b>Data sources:</b><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
    return text
