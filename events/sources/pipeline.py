"""The import pipeline every text-table source shares: the file checked before anything is read, then
read in chunks (events.textio), each converted by its source and validated (`split`), with repeated ids
caught across chunks (SeenIds) and a rejects report naming file, row, field, value and reason.

A file that cannot be read at all raises ImportFailure: one line naming the file (never a server path).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from events import model, textio
from events.errors import AtlasError
from events.sources.cells import norm, problem, resolve

TABLE_SUFFIXES = ("csv", "txt", "xlsx")  # what the app's uploader offers for a text table


class ImportFailure(AtlasError):
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


def read_head(path: Path, name: str) -> bytes:
    """The file's first bytes (to recognise its kind); ImportFailure when missing, a folder or empty."""
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


def sniff(path: Path, name: str) -> textio.Layout:
    """Encoding, delimiter and header of a text table or workbook; ImportFailure when unreadable."""
    try:
        return textio.sniff(path)
    except textio.Unreadable as exc:
        raise ImportFailure(clean(f"{name}: {exc}", path)) from None


def header_keys(header) -> set[str]:
    """The header's names as matched (see cells.norm), for sources recognising their layout."""
    return {norm(h) for h in header}


def stream_rows(path: Path, source, *, layout: textio.Layout, detected, chunksize: int,
                mapping: Mapping[str, str] | None, geocoder: Callable | None, confidence: str,
                dayfirst: bool | None = None) -> Iterator[tuple[gpd.GeoDataFrame, pd.DataFrame]]:
    """A text table read as `source` (a source module): its columns resolved and checked now, then chunks.

    `detected` is the source module the header looks like, named in the message when required
    columns are missing. A source with its own `columns(header, mapping=, name=)` resolves them
    itself (a user's table: mapping, recognised names); otherwise COLUMNS and REQUIRED are used.
    """
    name = path.name
    if hasattr(source, "columns"):
        cols = source.columns(layout.header, mapping=mapping, name=name)
    else:
        cols = resolve(layout.header, source.COLUMNS)
        missing = [c for c in source.REQUIRED if c not in cols]
        if missing:
            hint = f"; it looks like {detected.LABEL}" if detected is not source else ""
            raise ImportFailure(f"{name}: not {source.LABEL}: missing column(s) {', '.join(missing)}{hint}")
    ctx = {"name": name, "dataset": path.stem, "geocoder": geocoder, "confidence": confidence, "dayfirst": dayfirst}
    return iter_chunks(path, layout, source.convert, cols, ctx, chunksize)


def iter_chunks(path: Path, layout: textio.Layout, convert: Callable, cols: dict, ctx: dict, chunksize: int):
    """Stream a text table through a source's `convert(raw, cols, ctx)`: (accepted, rejects) per chunk.

    Rows the reader could not split (too few or too many fields) are rejected whole; whatever a crafted
    file provokes while reading ends as one ImportFailure line."""
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
            accepted, rejects = split(frame, problems, chunk.lines, name, names, seen=seen)
            if len(broken):
                rejects = pd.concat([rejects, broken], ignore_index=True).sort_values("row", kind="stable")
            yield accepted, rejects.reset_index(drop=True)
    except textio.Unreadable as exc:
        raise ImportFailure(clean(f"{name}: {exc}", path)) from None
    except OSError as exc:
        raise ImportFailure(clean(f"{name}: reading failed ({exc.strerror or exc})", path)) from None
    except (ValueError, TypeError, ArithmeticError, LookupError, MemoryError) as exc:
        # A last line of defence: whatever a crafted file provokes, the user gets one line, not a traceback.
        raise ImportFailure(clean(f"{name}: cannot be imported ({type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0][:150] if str(exc) else 'no detail'})", path)) from None


def clean(message: str, path: Path) -> str:
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


def split(frame: pd.DataFrame, problems: list, lines: np.ndarray, name: str, names: Mapping[str, str], *,
          seen: SeenIds | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Validate a converted chunk: the importer's own problems first, then model.validate's rules.

    Reject `field` names the file's column where one corresponds (fatalities, not killed_best).
    With `seen` (one per file), an incident_id met on an earlier row of the file, in this chunk or
    an earlier one, is rejected: the outcome does not depend on the chunk size.
    """
    rows = pd.Series(lines, index=frame.index)
    if seen is not None:
        earlier = pd.Series(seen.earlier(frame["incident_id"], lines), index=frame.index)
        problem(problems, "incident_id", earlier > 0, frame["incident_id"],
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
