"""UCDP GED and Candidate events in every form UCDP and HDX publish them (docs/importers.md).

A text table (CSV, zipped CSV or .xlsx; an HDX '#hashtag' row is skipped) goes through the shared
pipeline. This module also reads, itself, the forms the pipeline cannot: a GeoJSON or FlatGeobuf whose
features carry GED properties, and a Candidate file published without a header row (recognised by its
width and the values of its first row, then read with UCDP's published column names). Both become the
same text frame as a CSV, so one `convert` maps every form.
"""
from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from events import model, textio
from events.sources.cells import (blank, citations, codes, col, date_range, lookup, numbers, original_json,
                                  parse_dates, problem, resolve)
from events.sources.pipeline import (TABLE_SUFFIXES, Chunks, ImportFailure, SeenIds, header_keys, iter_chunks,
                                     note, read_head, split)
from i18n import N_

NAME = "ucdp"
LABEL = N_("a UCDP GED export")
SUFFIXES = (*TABLE_SUFFIXES, "fgb")  # its GeoJSON is offered by the features source's "geojson"
CITATION = model.citation(title="UCDP Georeferenced Event Dataset (GED)",
                          publisher="Uppsala Conflict Data Program (UCDP)", url="https://ucdp.uu.se/")

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ged_id", "event_id", "relid"), "type_of_violence": ("type_of_violence",),
    "side_a": ("side_a",), "side_b": ("side_b",),
    "source_article": ("source_article",), "source_office": ("source_office",),
    "source_date": ("source_date",), "source_headline": ("source_headline",),
    # where_coordinates names the place the coordinates are of; where_description (a wider description)
    # only stands in when a file lacks it: resolve() takes the first alias present.
    "where_prec": ("where_prec",), "where_coordinates": ("where_coordinates", "where_description"),
    "adm_1": ("adm_1", "adm1"), "adm_2": ("adm_2", "adm2"),
    "latitude": ("latitude", "lat"), "longitude": ("longitude", "lon", "long"),
    "event_clarity": ("event_clarity",), "date_prec": ("date_prec",),
    "date_start": ("date_start", "start_date"), "date_end": ("date_end", "end_date"),
    "low": ("low", "low_est", "deaths_low"), "best": ("best", "best_est", "deaths_best"),
    "high": ("high", "high_est", "deaths_high"),
    "country": ("country",), "code_status": ("code_status",),
}
REQUIRED = ("id", "type_of_violence", "date_start", "latitude", "longitude", "best")

DATE_PREC = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
WHERE_PREC = {"1": "1", "2": "2", "3": "3", "4": "4", "5": "4"}
TYPES = {"1": ("Battles", "Armed clash"), "2": ("Battles", "Armed clash"),
         "3": ("Violence against civilians", "Attack")}

# The 49 columns of GED 23.1 and later and of the monthly Candidate files, in UCDP's published order
# (GED codebook 23.1+, Candidate codebook 1.x); a Candidate file without a header row is read with them.
PUBLISHED = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
    "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id",
    "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources", "source_article",
    "source_office", "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt", "priogrid_gid", "country",
    "country_id", "region", "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
    "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
)
NO_HEADER = "none in the file: read with UCDP's 49 published GED/Candidate column names"
CLEAR = "clear"  # code_status of a vetted event; Candidate events may be flagged "Check ..." instead
_KEYS_JSON = (re.compile(rb'"type_of_violence"\s*:'), re.compile(rb'"where_prec"\s*:'))
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def detect(keys: set[str]) -> bool:
    """Whether a header (names as matched) is UCDP GED's."""
    return {"type_of_violence", "where_prec"} <= keys or {"type_of_violence", "date_prec", "side_a"} <= keys


def detect_file(path: Path, head: bytes) -> bool:
    """Whether UCDP reads this file itself: a GeoJSON or FlatGeobuf with GED properties, or a Candidate
    file without a header row. Any other file (a GED CSV with its header too) is left to the pipeline."""
    if head.startswith(b"fgb\x03"):
        return b"type_of_violence" in head and b"where_prec" in head  # FlatGeobuf's header names its columns
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return all(key.search(head) for key in _KEYS_JSON)
    return _headerless(head)


def stream(path: Path, *, chunksize: int, mapping=None, geocoder=None, confidence: str = "low"
           ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Stream (accepted, rejects) per chunk of a file `detect_file` recognised (checked before returning).

    `mapping` and `geocoder` are not used: UCDP names its columns and places every event it maps."""
    path = Path(path)
    name = path.name
    head = read_head(path, name)
    if head.startswith(b"fgb") or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _features(path, name, max(1, int(chunksize)), confidence)
    if not _headerless(head):
        raise ImportFailure(f"{name}: not {LABEL}")
    return _without_header(path, name, max(1, int(chunksize)), confidence)


def _headerless(head: bytes) -> bool:
    """Whether `head` starts a Candidate file published without a header row.

    Its first row must have the 49 published fields and look like an event: a numeric id, a year,
    type_of_violence 1-3, where_prec 1-7, date_prec 1-5, numeric coordinates and ISO dates."""
    encoding = textio.sniff_encoding(head)
    names = ",".join(PUBLISHED)
    try:  # the header line added to a private copy must read back in the file's encoding (not UTF-16)
        if names.encode(encoding.replace("-sig", "")) != names.encode("ascii"):
            return False
    except (LookupError, UnicodeError):
        return False
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if "\n" not in text:
        return False
    try:
        row = next(csv.reader(io.StringIO(text, newline="")))
    except (StopIteration, csv.Error):
        return False
    if len(row) != len(PUBLISHED):
        return False
    v = dict(zip(PUBLISHED, (cell.strip() for cell in row)))
    looks = (v["id"].isdigit() and re.fullmatch(r"(19|20)\d\d", v["year"]) is not None
             and v["type_of_violence"] in ("1", "2", "3") and v["where_prec"] in tuple("1234567")
             and v["date_prec"] in tuple("12345") and bool(_NUMBER.match(v["latitude"]))
             and bool(_NUMBER.match(v["longitude"])) and bool(_DATE.match(v["date_start"]))
             and bool(_DATE.match(v["date_end"])))
    return looks


def _columns(fields, name: str, what: str) -> dict:
    """The GED columns among `fields`; ImportFailure naming the missing ones."""
    cols = resolve(fields, COLUMNS)
    missing = [c for c in REQUIRED if c not in cols]
    if missing or not detect(header_keys(fields)):
        raise ImportFailure(f"{name}: not {LABEL}: its {what} lack {', '.join(missing) or 'where_prec'}")
    return cols


def _features(path: Path, name: str, chunksize: int, confidence: str):
    """A GeoJSON or FlatGeobuf of GED events: each feature's properties as a row of text, as in the CSV."""
    from events import vector

    try:
        source = vector.open_file(path, name=name, kinds=("geojson", "fgb"))
    except vector.Refused as exc:
        raise ImportFailure(str(exc)) from None
    except OSError as exc:
        raise ImportFailure(f"{name}: reading failed ({exc.strerror or exc})") from None
    try:
        cols = _columns(source.fields, name, "features' properties")
    except BaseException:
        source.close()
        raise
    ctx = {"name": name, "dataset": path.stem, "geocoder": None, "confidence": confidence}
    return _feature_chunks(source, cols, ctx, chunksize)


def _feature_chunks(source, cols: dict, ctx: dict, chunksize: int):
    from events import vector

    name, seen = ctx["name"], SeenIds()
    with source:
        try:
            for batch in source.batches(chunksize=chunksize):
                frame = batch.frame
                raw = pd.DataFrame({c: _text(frame[c]) for c in frame.columns if c != frame.geometry.name},
                                   index=frame.index)
                ctx["lines"] = batch.numbers
                converted, problems, names = convert(raw, cols, ctx)
                yield split(converted, problems, batch.numbers, name, names, seen=seen)
        except vector.Refused as exc:
            raise ImportFailure(str(exc)) from None
        except OSError as exc:
            raise ImportFailure(f"{name}: reading failed ({exc.strerror or exc})") from None
        except (ValueError, TypeError, ArithmeticError, LookupError, MemoryError) as exc:
            detail = str(exc).splitlines()[0][:150] if str(exc) else "no detail"
            raise ImportFailure(f"{name}: cannot be imported ({type(exc).__name__}: {detail})") from None


def _text(s: pd.Series) -> pd.Series:
    """A property column as the text a CSV export holds (whole numbers without .0, dates ISO)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        s = s.astype(object).where(s.notna(), None)
    return s.map(textio.cell_text).fillna("").astype("str")


def _without_header(path: Path, name: str, chunksize: int, confidence: str):
    """A headerless Candidate file, read with PUBLISHED as its header: a private copy with that line
    added, numbered so that rejects name the lines of the user's file."""
    tmp = tempfile.TemporaryDirectory(prefix="atlas-ucdp-")
    try:
        copy = Path(tmp.name) / name
        with path.open("rb") as src, copy.open("wb") as dst:
            first = src.read(len(codecs.BOM_UTF8))
            if first == codecs.BOM_UTF8:
                dst.write(first)
                first = b""
            dst.write((",".join(PUBLISHED) + "\n").encode("ascii"))  # _headerless checked it reads back
            dst.write(first)
            shutil.copyfileobj(src, dst, 1 << 20)
        layout = dataclasses.replace(textio.sniff(copy), header_lines=0)
        if len(layout.header) != len(PUBLISHED):
            raise ImportFailure(f"{name}: not {LABEL}")
    except textio.Unreadable as exc:
        tmp.cleanup()
        raise ImportFailure(f"{name}: {exc}") from None
    except OSError as exc:
        tmp.cleanup()
        raise ImportFailure(f"{name}: reading failed ({exc.strerror or exc})") from None
    except BaseException:
        tmp.cleanup()
        raise
    ctx = {"name": name, "dataset": path.stem, "geocoder": None, "confidence": confidence, "header": NO_HEADER}
    note(ctx, f"{name} has no header row: recognised as a UCDP Candidate/GED file by its 49 fields and their "
              "content, and read with UCDP's published column names")
    return Chunks(_cleaned(iter_chunks(copy, layout, convert, resolve(PUBLISHED, COLUMNS), ctx, chunksize), tmp), ctx)


def _cleaned(chunks, tmp):
    with tmp:
        yield from chunks


def convert(raw: pd.DataFrame, cols: dict, ctx: dict) -> tuple[pd.DataFrame, list, dict]:
    """A chunk of a UCDP GED or Candidate export -> (canonical columns, problems, {canonical field: file column}).

    Every column of the file is kept in `original`; the file's `country` is the swap hint."""
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
    status = col(raw, cols, "code_status")
    flagged = (status != "") & (status.str.lower() != CLEAR)
    flag = "UCDP candidate event, code_status '" + status + "': not yet vetted by UCDP"
    note = note.where(~flagged, (note.fillna("") + "; " + flag).str.lstrip("; "))
    headline = pd.DataFrame({"title": col(raw, cols, "source_headline"), "publisher": col(raw, cols, "source_office"),
                             "date": col(raw, cols, "source_date")}, index=raw.index)
    clarity = codes(col(raw, cols, "event_clarity"))
    extra = {"_header": pd.Series(ctx["header"], index=raw.index)} if ctx.get("header") else None
    frame = pd.DataFrame({
        "incident_id": "ucdp:" + sid, "source_dataset": "ucdp", "source_id": sid,
        "date_start": start, "date_end": end, "date_precision": precision,
        "place": col(raw, cols, "where_coordinates"), "admin1": col(raw, cols, "adm_1"),
        "admin2": col(raw, cols, "adm_2"),
        "lat": col(raw, cols, "latitude"), "lon": col(raw, cols, "longitude"),
        "geo_precision": wp.map(WHERE_PREC), model.COUNTRY_HINT: col(raw, cols, "country"),
        "event_type": kind_type, "sub_event_type": kind_sub,
        "target": tv.map({"3": "civilians"}),
        "actor1": col(raw, cols, "side_a"), "actor2": col(raw, cols, "side_b"),
        "killed_low": low_out, "killed_best": best_raw, "killed_high": high_out,
        "sources": citations(headline, fixed=CITATION), "notes": note,
        "confidence": clarity.map({"2": "low"}).fillna("medium").where(~flagged, "low"),
        "original": original_json(raw, (), extra),
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
