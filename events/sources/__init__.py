"""Sources: the registry of the files the atlas imports, and the public import API.

Each source is one module in this package (acled, ucdp, gtd, table, features) declaring:
  NAME, LABEL ("an ACLED export", used in messages) and SUFFIXES (what the app's uploader offers);
and either, for a text table read by the shared pipeline (events.sources.pipeline):
  detect(keys) -> bool (is a header, its names as matched, this source's?), COLUMNS (field -> header
  names accepted), REQUIRED, and convert(raw, cols, ctx) -> (canonical frame, problems, field names),
  or columns(header, mapping=, name=) instead of COLUMNS/REQUIRED to resolve the columns itself;
or, for a source that reads its files itself:
  detect_file(path, head) -> bool and stream(path, chunksize=, mapping=, geocoder=, confidence=).
A source may do both (ucdp: its CSV through the pipeline, its GeoJSON, FlatGeobuf and headerless
files itself): the files its detect_file recognises go to its stream, any other to the pipeline.
Adding a source is one module and one `register(...)` line below. `detect_source`, the command line's
`--source` and the app's uploader all read SOURCES.

Every import streams: `iter_import` yields (accepted, rejects) per chunk so the store can write a
million-row export inside one transaction in bounded memory; `read_*` / `read_file` concatenate the
chunks into an ImportResult. A file that cannot be read at all raises ImportFailure: one line naming
the file and the problem. Mappings of each source's codes: docs/importers.md.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import pandas as pd

from events import model
from events.sources import acled, features, gtd, table, ucdp
from events.sources.pipeline import (ImportFailure, ImportResult, SeenIds, header_keys, read_head, sniff,
                                     stream_rows)
from events.sources.table import NO_COORDINATES

__all__ = ["SOURCES", "FALLBACK", "ImportFailure", "ImportResult", "SeenIds", "NO_COORDINATES", "register",
           "choices", "suffixes", "detect_source", "iter_import", "read_file", "read_acled", "read_ucdp",
           "read_gtd", "read_table", "read_features"]

SOURCES: dict[str, ModuleType] = {}  # name -> source module; detection tries them in this order
FALLBACK = "table"  # a text table whose header no source recognises


def register(source):
    """Add a source module (or any object with the same attributes) to SOURCES and return it."""
    name = getattr(source, "NAME", None)
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower() or name == "auto":
        raise ValueError(f"a source needs a lower-case NAME other than 'auto', not {name!r}")
    reads_itself = hasattr(source, "stream") and hasattr(source, "detect_file")
    table_like = hasattr(source, "convert") and (hasattr(source, "columns")
                                                 or (hasattr(source, "COLUMNS") and hasattr(source, "REQUIRED")))
    if not (hasattr(source, "LABEL") and hasattr(source, "SUFFIXES") and (reads_itself or table_like)):
        raise ValueError(f"source {name!r} lacks LABEL, SUFFIXES, or convert and COLUMNS/REQUIRED (or columns), "
                         "or stream and detect_file")
    SOURCES[name] = source
    return source


register(acled)
register(ucdp)
register(gtd)
register(table)
register(features)


def choices() -> list[str]:
    """What a user may say a file is: "auto" (detected) or a source's name."""
    return ["auto", *SOURCES]


def suffixes() -> list[str]:
    """The file name extensions (without the dot) of every source, for an upload widget."""
    return list(dict.fromkeys(s for source in SOURCES.values() for s in source.SUFFIXES))


def _by_file(path: Path, head: bytes):
    """The first source that reads its files itself and recognises this one, else None."""
    return next((s for s in SOURCES.values() if hasattr(s, "detect_file") and s.detect_file(path, head)), None)


def _reads_tables(source) -> bool:
    """Whether the shared pipeline can read text tables as this source."""
    return hasattr(source, "convert") and (hasattr(source, "columns") or hasattr(source, "COLUMNS"))


def _by_header(header):
    """The first source recognising a text table's header, else the fallback (a user's table)."""
    keys = header_keys(header)
    return next((s for s in SOURCES.values() if hasattr(s, "detect") and s.detect(keys)), SOURCES[FALLBACK])


def detect_source(path) -> str:
    """Which source fits the file (a name in SOURCES): by its first bytes, else by its header names."""
    path = Path(path)
    found = _by_file(path, read_head(path, path.name))
    return (found or _by_header(sniff(path, path.name).header)).NAME


def iter_import(path, *, source: str = "auto", chunksize: int = 100_000, mapping: Mapping[str, str] | None = None,
                geocoder: Callable | None = None, confidence: str = "low", dayfirst: bool | None = None
                ) -> Iterator[tuple[gpd.GeoDataFrame, pd.DataFrame]]:
    """Stream (accepted canonical rows, rejects) per chunk of at most `chunksize` rows.

    `dayfirst`: the order of day and month in numeric dates such as 5/9/2020 when the file itself
    never settles it (None: the file must settle it, else the import stops and asks).
    The file is checked before the first chunk is read: ImportFailure is raised here, eagerly, for a
    file that is empty, binary, not the claimed `source`, or whose mapping names missing columns.
    `confidence` is the value given to rows of a user's table or features file that have none.
    """
    path = Path(path)
    name = path.name
    if source not in choices():
        raise ImportFailure(f"{name}: unknown source {source!r}; use one of {', '.join(choices())}")
    if confidence not in model.CONFIDENCE:
        raise ImportFailure(f"{name}: confidence must be one of {', '.join(model.CONFIDENCE)}")
    head = read_head(path, name)
    chosen = SOURCES.get(source) or _by_file(path, head)
    if chosen is not None and hasattr(chosen, "stream"):
        if chosen.detect_file(path, head):
            return chosen.stream(path, chunksize=chunksize, mapping=mapping, geocoder=geocoder,
                                 confidence=confidence)
        if not _reads_tables(chosen):
            raise ImportFailure(f"{name}: not {chosen.LABEL}")
    layout = sniff(path, name)
    detected = _by_header(layout.header)
    return stream_rows(path, chosen or detected, layout=layout, detected=detected, chunksize=chunksize,
                       mapping=mapping, geocoder=geocoder, confidence=confidence, dayfirst=dayfirst)


def read_file(path, *, source: str = "auto", chunksize: int = 100_000, mapping: Mapping[str, str] | None = None,
              geocoder: Callable | None = None, confidence: str = "low", dayfirst: bool | None = None) -> ImportResult:
    """Import a whole file: the concatenation of `iter_import`'s chunks as one ImportResult."""
    path = Path(path)
    chosen = detect_source(path) if source == "auto" else source
    accepted, rejects, rows = [], [], 0
    chunks = iter_import(path, source=chosen, chunksize=chunksize, mapping=mapping, geocoder=geocoder,
                         confidence=confidence, dayfirst=dayfirst)
    for acc, rej in chunks:
        rows += len(acc) + rej["row"].nunique()
        if len(acc):
            accepted.append(acc)
        if len(rej):
            rejects.append(rej)
    frame = pd.concat(accepted, ignore_index=True) if accepted else model.empty()
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=model.CRS)
    report = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=list(model.REJECT_COLUMNS))
    counted = getattr(chunks, "rows_read", None)
    return ImportResult(chosen, path.name, frame, report, rows if counted is None else counted,
                        getattr(chunks, "notes", []))


def read_acled(path, **opts) -> ImportResult:
    """An ACLED export (older 31-column layout or the current one), CSV or .xlsx."""
    return read_file(path, source="acled", **opts)


def read_ucdp(path, **opts) -> ImportResult:
    """A UCDP GED or Candidate export: CSV (with or without a header row, HDX '#hashtag' row skipped),
    zipped CSV, .xlsx, GeoJSON or FlatGeobuf."""
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
