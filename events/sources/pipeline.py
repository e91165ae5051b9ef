"""The import pipeline every text-table source shares: the file checked before anything is read, then
read in chunks (events.textio), each converted by its source and validated (`split`), with repeated ids
caught across chunks (SeenIds) and a rejects report naming file, row, field, value and reason.

A source whose files may give one incident on several rows (ACLED's monadic exports: one row per actor)
declares `merge_key(cols)` (the file column whose repeated values are one incident's rows, or None for a
file that does not merge) and `merge(raw, cols, ctx)` (the chunk's rows of one incident as one row, and the
rows it rejects). The pipeline keeps the rows of a chunk's last incident for the next chunk, so an incident
is never cut in two whatever the chunk size (`regroup`).

A file that cannot be read at all raises ImportFailure: one line naming the file (never a server path).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
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
    notes: list[str] = field(default_factory=list)  # what the summary must say (date order, no header row)


class Chunks:
    """An import's (accepted, rejects) chunks, iterated once, with what its summary reports as they pass:
    `rows_read`, the file's data rows however they were merged (None when the source does not count
    them), and `notes`, lines the user must see (how numeric dates were read, a missing header row)."""

    def __init__(self, chunks: Iterator, ctx: dict | None = None):
        self._chunks = iter(chunks)
        self._ctx = ctx if ctx is not None else {}

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._chunks)

    @property
    def rows_read(self) -> int | None:
        return self._ctx.get("rows_read")

    @property
    def notes(self) -> list[str]:
        return list(self._ctx.get("notes", ()))


def note(ctx: dict, line: str) -> None:
    """Add a line to the import's summary notes, once."""
    notes = ctx.setdefault("notes", [])
    if line not in notes:
        notes.append(line)


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
    key = source.merge_key(cols) if hasattr(source, "merge_key") else None
    return Chunks(iter_chunks(path, layout, source.convert, cols, ctx, chunksize,
                              merge=(source.merge, key) if key else None), ctx)


def iter_chunks(path: Path, layout: textio.Layout, convert: Callable, cols: dict, ctx: dict, chunksize: int, *,
                merge: tuple[Callable, str] | None = None):
    """Stream a text table through a source's `convert(raw, cols, ctx)`: (accepted, rejects) per chunk.

    With `merge` = (the source's merge function, the file column keying an incident's rows), each chunk's
    rows of one incident are merged first (see the module's docstring); a row repeating the key of an
    incident already yielded (not next to its other rows, an earlier chunk) is rejected, saying so.
    Rows the reader could not split (too few or too many fields) are rejected whole; whatever a crafted
    file provokes while reading ends as one ImportFailure line."""
    name = ctx["name"]
    seen = SeenIds()
    repeat = DUPLICATE if merge is None else (
        "row ", f" has the same {merge[1]} and was imported already: the rows of one incident are merged only "
                "when they are next to each other (sort the file by it)")
    try:
        chunks = _counted(textio.iter_rows(path, layout, chunksize=chunksize), ctx)
        for chunk in chunks if merge is None else regroup(chunks, merge[1], limit=max(chunksize, HOLD_MIN)):
            broken = chunk.broken.assign(file=name)[list(model.REJECT_COLUMNS)]
            if len(chunk.frame) == 0:
                if len(broken):
                    yield model.empty(), broken
                continue
            raw, lines = chunk.frame, chunk.lines
            if merge is not None:
                ctx["lines"] = lines
                raw, gone = merge[0](raw, cols, ctx)
                if len(gone):
                    gone = gone.assign(file=name, row=lines[gone.index.to_numpy()],
                                       value=gone["value"].astype("str").str.slice(0, 200))
                    gone = gone[list(model.REJECT_COLUMNS)]
                    broken = pd.concat([broken, gone], ignore_index=True)
                lines = lines[raw.index.to_numpy()]
                raw = raw.reset_index(drop=True)
            ctx["lines"] = lines
            frame, problems, names = convert(raw, cols, ctx)
            accepted, rejects = split(frame, problems, lines, name, names, seen=seen, repeat=repeat)
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


def _counted(chunks: Iterator[textio.Chunk], ctx: dict) -> Iterator[textio.Chunk]:
    """The reader's chunks, counting the file's data rows in ctx["rows_read"] as they are read."""
    ctx["rows_read"] = 0
    for chunk in chunks:
        ctx["rows_read"] += len(chunk.frame) + len(chunk.broken)
        yield chunk


HOLD_MIN = 10_000  # rows of one incident held for the next chunk even when chunks are smaller


def regroup(chunks: Iterator[textio.Chunk], key: str, *, limit: int) -> Iterator[textio.Chunk]:
    """The reader's chunks with the rows of each chunk's last incident (its `key` value, wherever they are
    in the chunk) held back and put before the next chunk, so an incident's rows always meet in one chunk.

    An incident with more than `limit` rows (the caller's: max(chunk size, HOLD_MIN)) is let through as it
    is, so memory stays bounded; its later rows are then rejected as already imported."""
    held: textio.Chunk | None = None
    for chunk in chunks:
        if held is not None:
            chunk = textio.Chunk(pd.concat([held.frame, chunk.frame], ignore_index=True),
                                 np.concatenate([held.lines, chunk.lines]), chunk.broken)
            held = None
        ids = chunk.frame[key].fillna("").astype("str").str.strip() if len(chunk.frame) else pd.Series(dtype=str)
        hold = (ids == ids.iloc[-1]).to_numpy() if len(ids) and ids.iloc[-1] != "" else np.zeros(len(ids), bool)
        if hold.any() and hold.sum() <= limit:
            held = textio.Chunk(chunk.frame[hold].reset_index(drop=True), chunk.lines[hold],
                                chunk.broken.iloc[0:0])
            chunk = textio.Chunk(chunk.frame[~hold].reset_index(drop=True), chunk.lines[~hold], chunk.broken)
        if len(chunk.frame) or len(chunk.broken):
            yield chunk
    if held is not None:
        yield held


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


DUPLICATE = ("duplicate incident_id: row ", " of this file has the same id")


def split(frame: pd.DataFrame, problems: list, lines: np.ndarray, name: str, names: Mapping[str, str], *,
          seen: SeenIds | None = None, repeat: tuple[str, str] = DUPLICATE) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Validate a converted chunk: the importer's own problems first, then model.validate's rules.

    Reject `field` names the file's column where one corresponds (fatalities, not killed_best).
    With `seen` (one per file), an incident_id met on an earlier row of the file, in this chunk or
    an earlier one, is rejected: the outcome does not depend on the chunk size. `repeat` is the reason's
    text before and after that earlier row's number.
    """
    rows = pd.Series(lines, index=frame.index)
    if seen is not None:
        earlier = pd.Series(seen.earlier(frame["incident_id"], lines), index=frame.index)
        problem(problems, "incident_id", earlier > 0, frame["incident_id"],
                repeat[0] + earlier.astype("str") + repeat[1])
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
