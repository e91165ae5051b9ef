"""Reading users' table files: sniff the encoding and delimiter, then stream text rows with line numbers.

Analysts bring CSVs saved by Excel on Arabic Windows (cp1256), UTF-8 with or without a BOM, UTF-16
"Unicode text", a CSV inside a zip (UCDP's downloads), and .xlsx workbooks (GTD's distribution).
Everything is decoded here once, so the importers only ever see text columns ("" for an empty cell)
and each row's line number in the file (header = line 1), for a rejects report a person can act on.
Reading is streamed (pyarrow's CSV reader, openpyxl's read-only mode): memory stays bounded by the
chunk size, never by the file size, and what a small crafted file can make us allocate is capped:
at most MAX_COLUMNS columns, a sheet's extent read from its cells (not its header), zip members
checked for size and compression ratio before they are read, XML read with entities refused
(openpyxl uses defusedxml). Bytes that do not decode never stop a file: their rows are reported.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

SAMPLE = 256 * 1024
TABLE_MEMBERS = (".csv", ".tsv", ".txt")
DELIMITERS = (",", ";", "\t", "|")
MAX_COLUMNS = 1_000               # GTD, the widest real export, has 135
MAX_UNZIPPED = 2 << 30            # bytes a zip member (or all of a workbook's parts) may expand to
MAX_RATIO = 200                   # expanded / compressed size above which a large member is a zip bomb
RATIO_FROM = 8 << 20              # members smaller than this expand harmlessly, whatever their ratio
# What reading a damaged zip member or workbook part raises.
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, KeyError)
# Undecodable bytes are read as these private-use characters (U+10FF00 + the byte) and their rows reported.
MARK_BASE = 0x10FF00
MARKED = re.compile("[\U0010ff00-\U0010ffff]")


def _mark_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    bad = error.object[error.start:error.end]
    return "".join(chr(MARK_BASE + b) for b in bad), error.end


codecs.register_error("atlas-mark", _mark_bytes)


def shown(text: str) -> str:
    """Text with the marked undecodable bytes written as \\xNN, for a rejects report."""
    return MARKED.sub(lambda m: f"\\x{ord(m.group()) - MARK_BASE:02x}", text)


class Unreadable(ValueError):
    """The file is not a table this module can read; the message says why, in one line."""


@dataclass(frozen=True)
class Layout:
    """What sniffing found out about a table file."""

    kind: str                  # "csv" or "xlsx"
    header: tuple[str, ...]    # column names as written (deduplicated, never empty)
    encoding: str = "utf-8"
    delimiter: str = ","
    header_lines: int = 1      # physical lines the header takes
    member: str | None = None  # the CSV inside a zip archive


@dataclass
class Chunk:
    """Up to `chunksize` rows: text columns, each row's first line in the file, and broken rows."""

    frame: pd.DataFrame
    lines: np.ndarray
    broken: pd.DataFrame  # row, field, value, reason: rows with the wrong field count or undecodable bytes


# ---------------------------------------------------------------- sniffing

def sniff_encoding(head: bytes) -> str:
    """The text encoding of a file's first bytes: BOMs first, then UTF-8, then Windows Arabic (cp1256).

    Accented letters inside Latin words (Bogotá, São Paulo: GTD's Latin-1 CSVs) mean Windows Western
    (cp1252, a superset of Latin-1's letters), although their bytes are Arabic letters in cp1256. Then
    cp1256 is chosen when most non-ASCII characters it yields are Arabic letters (Excel on Arabic
    Windows); otherwise charset-normalizer decides, with cp1252 as the last resort.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _mostly_utf8(head):
        return "utf-8"
    if _latin_words(head):
        return "cp1252"
    wide = [c for c in head.decode("cp1256", errors="replace") if ord(c) > 127]
    if wide and sum("\u0600" <= c <= "\u06ff" for c in wide) / len(wide) >= 0.6:
        return "cp1256"
    import charset_normalizer

    best = charset_normalizer.from_bytes(head).best()
    return best.encoding if best is not None else "cp1252"


def _latin_words(head: bytes) -> bool:
    """Whether most non-ASCII bytes sit next to an ASCII letter (an accent inside a Latin word).

    Arabic written in cp1256 comes as runs of non-ASCII bytes between spaces and punctuation, so its
    bytes almost never touch an ASCII letter."""
    high = [i for i, b in enumerate(head) if b > 127]
    if not high:
        return False
    def letter(i: int) -> bool:
        return 0 <= i < len(head) and (65 <= head[i] <= 90 or 97 <= head[i] <= 122)
    touching = sum(1 for i in high if letter(i - 1) or letter(i + 1))
    return touching / len(high) >= 0.6


def _mostly_utf8(head: bytes) -> bool:
    """UTF-8 on the evidence of the whole sample: valid multi-byte characters outnumber invalid bytes 4 to 1.

    One bad byte in an otherwise UTF-8 file (a cut-and-paste, a truncated cell) must not turn every
    Arabic letter into mojibake; a cp1256 file yields almost no valid multi-byte sequences at all.
    """
    text = codecs.getincrementaldecoder("utf-8")(errors="atlas-mark").decode(head, final=False)
    invalid = len(MARKED.findall(text))
    if not invalid:
        return True
    valid = sum(1 for c in text if ord(c) > 127) - invalid
    # Text in cp1256 or cp1252 read as UTF-8 gives far more invalid bytes than valid characters.
    return valid >= 4 * invalid


def _check_text(head: bytes, encoding: str) -> str:
    """The decoded sample, or Unreadable when the bytes are not text."""
    if not encoding.startswith("utf-16") and b"\x00" in head:
        raise Unreadable("contains binary data (NUL bytes), not a text table")
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    controls = sum(1 for c in text if (ord(c) < 32 and c not in "\r\n\t\f") or c == "\ufffd")
    if text and controls / len(text) > 0.02:
        raise Unreadable("contains binary data, not a text table")
    if not text.strip():
        raise Unreadable("the file is empty")
    return text


def _sniff_delimiter(first_line: str) -> str:
    """The most frequent of , ; TAB | outside quotes in the header line (comma on a tie)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def unique_names(names) -> tuple[str, ...]:
    """Header names made usable: stripped, BOM removed, empty ones numbered, repeats suffixed .1, .2."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        name = "" if name is None else str(name).replace("\ufeff", "").strip()
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return tuple(out)


def _sniff_csv(head: bytes, member: str | None = None) -> Layout:
    encoding = sniff_encoding(head)
    text = _check_text(head, encoding).lstrip("\ufeff")
    delimiter = _sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise Unreadable(f"has no readable header line ({exc})" if str(exc) else "has no header line") from None
    if not any(h.strip() for h in header):
        raise Unreadable("the first line (the header) is empty")
    _check_width(len(header), partial="\n" not in text)
    return Layout("csv", unique_names(header), encoding, delimiter, reader.line_num, member)


def _check_width(columns: int, *, partial: bool = False) -> None:
    """Refuse a header wider than MAX_COLUMNS (`partial`: only the start of the header line was seen)."""
    if columns > MAX_COLUMNS:
        counted = f"at least {columns:,}" if partial else f"{columns:,}"
        raise Unreadable(f"has {counted} columns; a table of incidents has at most {MAX_COLUMNS:,}")


def check_zip(zf: zipfile.ZipFile, members) -> None:
    """Refuse members that would expand past MAX_UNZIPPED in all, or by more than MAX_RATIO (a zip bomb),
    from the sizes the archive declares; zipfile never returns more than a member's declared size."""
    total = 0
    for info in (zf.getinfo(m) for m in members):
        total += info.file_size
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise Unreadable(f"{info.filename} inside the zip expands {info.file_size // max(info.compress_size, 1):,} "
                             f"times ({info.file_size:,} bytes): refused as a zip bomb")
        if total > MAX_UNZIPPED:
            raise Unreadable(f"expands to more than {MAX_UNZIPPED >> 30} GB: refused")


def zip_members(path: Path) -> list[str]:
    """The file names inside a zip archive (Unreadable when it is not a readable zip)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return [n for n in zf.namelist() if not n.endswith("/") and not n.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Unreadable(f"is not a readable zip archive ({exc})") from None


def sniff(path) -> Layout:
    """Encoding, delimiter and header of a CSV/TSV (plain or the only table in a zip) or an .xlsx."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(SAMPLE)
    except OSError as exc:
        raise Unreadable(f"cannot be opened ({exc.strerror or exc})") from None
    if not head.strip():
        raise Unreadable("the file is empty")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise Unreadable("is an old Excel .xls workbook; save it as .xlsx or CSV first")
    if head.startswith(b"PK") or path.suffix.lower() in (".xlsx", ".xlsm", ".zip"):
        names = zip_members(path)
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            with zipfile.ZipFile(path) as zf:
                check_zip(zf, names)
            return Layout("xlsx", _xlsx_header(path))
        tables = [n for n in names if n.lower().endswith(TABLE_MEMBERS)]
        if len(tables) != 1:
            found = ", ".join(names[:5]) or "nothing"
            raise Unreadable(f"a zip must hold exactly one .csv/.tsv/.txt table; it holds {found}")
        try:
            with zipfile.ZipFile(path) as zf:
                check_zip(zf, tables)
                with zf.open(tables[0]) as fh:
                    head = fh.read(SAMPLE)
        except (*DAMAGED, OSError) as exc:
            raise Unreadable(f"the table {tables[0]} inside the zip is damaged ({_why(exc)})") from None
        if not head.strip():
            raise Unreadable(f"the table {tables[0]} inside the zip is empty")
        return _sniff_csv(head, tables[0])
    return _sniff_csv(head)


def _why(exc: Exception) -> str:
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---------------------------------------------------------------- CSV streaming

class _Utf8Reader(io.RawIOBase):
    """A byte stream re-encoded to UTF-8 from `encoding`, undecodable bytes replaced by U+FFFD.

    pyarrow parses UTF-8 only; decoding here, block by block, lets cp1256 or UTF-16 files stream too.
    Undecodable bytes become marker characters (see MARK_BASE) and `marked` turns true, so their rows
    can be reported; a damaged zip member raises Unreadable.
    """

    def __init__(self, raw, encoding: str):
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="atlas-mark")
        self._buf = b""
        self._eof = False
        self.marked = False

    def _decode(self, data: bytes, final: bool = False) -> bytes:
        text = self._decoder.decode(data, final=final)
        if not self.marked and MARKED.search(text):
            self.marked = True
        return text.encode("utf-8")

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buf and not self._eof:
            try:
                data = self._raw.read(1 << 20)
            except DAMAGED as exc:
                raise Unreadable(f"is damaged: the data stops being readable ({_why(exc)})") from None
            if data:
                self._buf = self._decode(data)
            else:
                self._eof = True
                self._buf = self._decode(b"", final=True)
        n = min(len(target), len(self._buf))
        target[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def _open_bytes(path: Path, layout: Layout):
    if layout.member is None:
        return path.open("rb")
    zf = zipfile.ZipFile(path)
    member = zf.open(layout.member)
    original_close = member.close

    def close():  # closing the member closes the archive too
        original_close()
        zf.close()

    member.close = close
    return member


def _newlines(batch: pa.RecordBatch) -> np.ndarray:
    """Line breaks inside each row's quoted values, so rows can be numbered by their line in the file."""
    total = np.zeros(batch.num_rows, dtype=np.int64)
    for col in batch.columns:
        counts = pc.count_substring(col, "\n")
        if pc.max(counts).as_py():
            total += counts.to_numpy(zero_copy_only=False)
    return total


class _Numberer:
    """Gives each parsed row its first physical line, accounting for skipped (broken) rows.

    pyarrow numbers records (header = 1) and reports broken records through a callback; rows with
    quoted line breaks take several lines. Both are folded into a running line cursor.
    """

    def __init__(self, first_record: int, first_line: int):
        self.next_record = first_record
        self.cursor = first_line
        self.pending: list[tuple[int, int, str]] = []  # (record, fields, text) reported by pyarrow

    def handler(self, row) -> str:
        self.pending.append((row.number if row.number is not None else -1, row.actual_columns, row.text or ""))
        return "skip"

    def number(self, batch: pa.RecordBatch | None) -> tuple[np.ndarray, list[tuple[int, int, str]]]:
        """Line numbers of the batch's rows and the broken rows that came before its last row."""
        k = 0 if batch is None else batch.num_rows
        pending = sorted(p for p in self.pending if p[0] >= self.next_record)
        numbers = np.array([p[0] for p in pending], dtype=np.int64)
        span = np.arange(self.next_record, self.next_record + k + len(pending), dtype=np.int64)
        records = span[~np.isin(span, numbers)][:k]
        last = records[-1] if k else (numbers[-1] if len(numbers) else self.next_record - 1)
        broken = [p for p in pending if p[0] <= last]
        self.pending = [p for p in pending if p[0] > last]
        order_rec = np.concatenate([records, np.array([p[0] for p in broken], dtype=np.int64)])
        spans = np.concatenate([1 + (_newlines(batch) if k else np.zeros(0, dtype=np.int64)),
                                np.array([1 + p[2].count("\n") for p in broken], dtype=np.int64)])
        order = np.argsort(order_rec, kind="stable")
        starts = np.empty_like(spans)
        starts[order] = self.cursor + np.cumsum(spans[order]) - spans[order]
        self.cursor += int(spans.sum())
        self.next_record = int(last) + 1
        return starts[:k], [(int(s), f, t) for s, (_, f, t) in zip(starts[k:], broken)]


def _broken_frame(broken: list[tuple[int, int, str]], width: int) -> pd.DataFrame:
    rows = []
    for line, fields, text in broken:
        what = "too few" if fields < width else "too many"
        rows.append({"row": line, "field": "(row)", "value": shown(text[:200]),
                     "reason": f"has {fields} field{'s' * (fields != 1)}, the header has {width} "
                               f"({what}: truncated or broken row)"})
    return pd.DataFrame(rows, columns=["row", "field", "value", "reason"])


def _unmark(chunk: Chunk, encoding: str) -> Chunk:
    """Take the rows holding undecodable bytes out of a chunk and report each: row, column, value (bytes as \\xNN)."""
    frame = chunk.frame
    hit = pd.DataFrame({c: frame[c].str.contains(MARKED) for c in frame.columns}, index=frame.index)
    rows = hit.any(axis=1).to_numpy()
    if not rows.any():
        return chunk
    first = hit.to_numpy()[rows].argmax(axis=1)  # the first column with bad bytes names the field
    bad = pd.DataFrame({
        "row": chunk.lines[rows], "field": [frame.columns[i] for i in first],
        "value": [shown(str(frame.iat[r, c])[:200]) for r, c in zip(np.flatnonzero(rows), first)],
        "reason": f"holds bytes that are not valid {encoding} (shown as \\xNN); the row is left out"})
    keep = ~rows
    broken = pd.concat([chunk.broken, bad], ignore_index=True) if len(chunk.broken) else bad
    return Chunk(frame[keep].reset_index(drop=True), chunk.lines[keep],
                 broken.sort_values("row", kind="stable").reset_index(drop=True))


def _iter_csv(path: Path, layout: Layout, chunksize: int) -> Iterator[Chunk]:
    names = list(layout.header)
    width = len(names)
    numberer = _Numberer(first_record=2, first_line=1 + layout.header_lines)
    decoded = _Utf8Reader(_open_bytes(path, layout), layout.encoding)
    stream = io.BufferedReader(decoded, 1 << 20)
    try:
        reader = pcsv.open_csv(
            stream,
            read_options=pcsv.ReadOptions(use_threads=False, block_size=4 << 20, column_names=names, skip_rows=1),
            parse_options=pcsv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=True,
                                            invalid_row_handler=numberer.handler, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        stream.close()
        if "Empty CSV file" in str(exc):
            return
        raise Unreadable(f"cannot be parsed as a table ({_arrow_message(exc)})") from None
    batches: list[pa.RecordBatch] = []
    lines: list[np.ndarray] = []
    broken: list[tuple[int, int, str]] = []
    held = 0
    try:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise Unreadable(f"cannot be parsed near line {numberer.cursor} ({_arrow_message(exc)})") from None
            starts, bad = numberer.number(batch)
            batches.append(batch)
            lines.append(starts)
            broken.extend(bad)
            held += batch.num_rows
            while held >= chunksize:
                chunk = _emit(batches, lines, broken, chunksize, width)
                yield _unmark(chunk, layout.encoding) if decoded.marked else chunk
                held = sum(b.num_rows for b in batches)
        _, bad = numberer.number(None)
        broken.extend(bad)
        if held or broken:
            chunk = _emit(batches, lines, broken, held, width, final=True)
            yield _unmark(chunk, layout.encoding) if decoded.marked else chunk
    finally:
        stream.close()


def _arrow_message(exc: Exception) -> str:
    return str(exc).split("\n")[0][:200]


def _emit(batches: list, lines: list, broken: list, size: int, width: int, *, final: bool = False) -> Chunk:
    """Take `size` rows off the front of the held batches (mutating the lists) as one Chunk."""
    table = pa.Table.from_batches(batches) if batches else None
    all_lines = np.concatenate(lines) if lines else np.zeros(0, dtype=np.int64)
    if table is None:
        frame = pd.DataFrame()
        rest_batches, rest_lines = [], []
    else:
        frame = table.slice(0, size).to_pandas()
        rest = table.slice(size)
        rest_batches = rest.to_batches() if rest.num_rows else []
        rest_lines = [all_lines[size:]] if rest.num_rows else []
    cut = all_lines[:size]
    last = cut[-1] if len(cut) and not final else np.iinfo(np.int64).max
    mine = [b for b in broken if b[0] <= last]
    broken[:] = [b for b in broken if b[0] > last]
    batches[:] = rest_batches
    lines[:] = rest_lines
    return Chunk(frame, cut, _broken_frame(mine, width))


# ---------------------------------------------------------------- Excel streaming

def _xlsx_header(path: Path) -> tuple[str, ...]:
    ws, wb = _first_sheet(path)
    try:
        for row in _sheet_rows(ws, max_row=1):
            if len(row) > MAX_COLUMNS:  # styled but empty cells far to the right do not count
                row = row[:max((i + 1 for i, v in enumerate(row) if v not in (None, "")), default=0)]
            _check_width(len(row))
            if any(v not in (None, "") for v in row):
                return unique_names(cell_text(v) for v in row)
        raise Unreadable("the first sheet's first row (the header) is empty")
    finally:
        wb.close()


def _sheet_rows(ws, *, max_row: int | None = None, max_col: int | None = None) -> Iterator[tuple]:
    """A read-only sheet's rows as value tuples, its extent taken from its cells, not its header.

    The header's `dimension` can claim A1:XFD1048576 in a 5 KB file; openpyxl would then pad every
    row to 16,384 columns and yield a million rows. Damaged or hostile XML (a DOCTYPE with entities,
    refused by defusedxml) raises Unreadable naming the row where reading stopped.
    """
    ws.reset_dimensions()
    number = 0
    try:
        for number, row in enumerate(ws.iter_rows(values_only=True, max_row=max_row, max_col=max_col), start=1):
            yield row
    except Unreadable:
        raise
    except Exception as exc:  # ParseError, EntitiesForbidden, zlib and zip errors, bad cell values ...
        raise Unreadable(f"the sheet cannot be read after row {number} ({_why(exc)})") from None


def _first_sheet(path: Path):
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged workbooks
        raise Unreadable(f"is not a readable .xlsx workbook ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not wb.worksheets:
        wb.close()
        raise Unreadable("the workbook has no sheet")
    return wb.worksheets[0], wb


def cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV export would hold: whole floats without .0, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value != value:  # NaN: an empty cell
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _iter_xlsx(path: Path, layout: Layout, chunksize: int) -> Iterator[Chunk]:
    names = list(layout.header)
    width = len(names)
    ws, wb = _first_sheet(path)
    try:
        rows: list[tuple] = []
        lines: list[int] = []
        blank = None  # openpyxl yields one shared tuple for every missing row: skipped by identity, cheaply
        for number, row in enumerate(_sheet_rows(ws, max_col=width), start=1):
            if number == 1 or row is blank:
                continue
            if all(v is None or v == "" for v in row):
                blank = row
                continue
            rows.append(row)
            lines.append(number)
            if len(rows) >= chunksize:
                yield _xlsx_chunk(rows, lines, names, width)
                rows, lines = [], []
        if rows:
            yield _xlsx_chunk(rows, lines, names, width)
    finally:
        wb.close()


def _xlsx_chunk(rows: list[tuple], lines: list[int], names: list[str], width: int) -> Chunk:
    padded = [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows]
    columns = list(zip(*padded)) if padded else [()] * width
    frame = pd.DataFrame({n: pd.array([cell_text(v) for v in col], dtype="str") for n, col in zip(names, columns)})
    return Chunk(frame, np.asarray(lines, dtype=np.int64), _broken_frame([], width))


# ---------------------------------------------------------------- the public streaming entry point

def iter_rows(path, layout: Layout, *, chunksize: int = 100_000) -> Iterator[Chunk]:
    """Stream a sniffed table as Chunks of text rows, dropping blank rows and an HDX '#hashtag' row 2."""
    path = Path(path)
    reader = _iter_xlsx if layout.kind == "xlsx" else _iter_csv
    first = True
    for chunk in reader(path, layout, max(1, int(chunksize))):
        frame, lines = chunk.frame, chunk.lines
        if len(frame.columns):
            filled = frame.ne("") & frame.notna()
            keep = filled.any(axis=1).to_numpy().copy()
            if first and len(frame) and lines[0] == 1 + layout.header_lines and _is_hashtag_row(frame.iloc[0]):
                keep[0] = False
            if not keep.all():
                frame, lines = frame[keep].reset_index(drop=True), lines[keep]
        first = False
        yield Chunk(frame, lines, chunk.broken)


def _is_hashtag_row(row: pd.Series) -> bool:
    """HDX exports put HXL tags (#event+id, #date ...) in row 2: every filled cell starts with '#'."""
    values = [str(v).strip() for v in row if isinstance(v, str) and v.strip()]
    return bool(values) and all(v.startswith("#") for v in values)
