"""Annotations: a user's note on a date ("16 Oct 2017: federal forces enter Kirkuk"), kept in the store.

A note is a date, a line of text, who wrote it and when. It is shown in the PDF briefing (on the page of
its date, or the next page after it), on the animation's frames and in the standalone HTML export,
always as escaped text. The text is validated here, at the boundary: control characters and bidi
overrides stripped, whitespace collapsed to one line, at most MAX_TEXT characters.

The notes live in the store's `annotations` table (made, when missing, inside the write transaction), in a
GeoPackage or a PostGIS store alike (events.store chooses the backend).
The DEFAULT notes are the control-change descriptions; events never imports geo, so geo passes them in
(`defaults(changes)`), and `combined` merges them with the user's.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from events import store
from events.errors import AtlasError

COLUMNS = ("id", "date", "text", "author", "created")
MAX_TEXT = 300     # characters of a note: one line under a map, a caption on a frame
MAX_AUTHOR = 100   # characters of an author's name
# Bidi embeddings, overrides and isolates: they can make a note read as something else.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

class AnnotationError(AtlasError, ValueError):
    """A note that cannot be stored or found (empty, too long, not a date, no such id)."""


def clean(value, *, limit: int = MAX_TEXT, what: str = "text") -> str:
    """`value` as one line of plain text: control characters and bidi overrides removed, whitespace
    collapsed; AnnotationError when it is longer than `limit` characters."""
    text = "" if value is None else str(value)
    text = _BIDI.sub("", text)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    text = " ".join(text.split())
    if len(text) > limit:
        raise AnnotationError(f"the note's {what} has {len(text)} characters: keep it to {limit}")
    return text


def check_date(value) -> pd.Timestamp:
    """A note's date (YYYY-MM-DD, or a date) as a day; AnnotationError otherwise."""
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        day = pd.NaT
    if pd.isna(day) or not 1900 <= day.year <= 2100:
        raise AnnotationError(f"the note's date {str(value)[:40]!r} is not a date (expected YYYY-MM-DD)")
    return day.normalize()


def add(path: str | Path, *, date, text: str, author: str = "", lock_timeout: float = store.LOCK_TIMEOUT) -> dict:
    """Store a note on `date`; returns it as stored (with its id). Empty or overlong text is refused."""
    day = check_date(date)
    words = clean(text)
    if not words:
        raise AnnotationError("the note is empty: give its text")
    who = clean(author, limit=MAX_AUTHOR, what="author")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    number = store.add_annotation(path, date=f"{day:%Y-%m-%d}", text=words, author=who, created=now,
                                  lock_timeout=lock_timeout)
    return {"id": number, "date": day, "text": words, "author": who, "created": now}


def remove(path: str | Path, annotation_id, *, lock_timeout: float = store.LOCK_TIMEOUT) -> int:
    """Remove the note `annotation_id`; returns how many were removed (0: no such note)."""
    try:
        number = int(str(annotation_id).strip())
    except ValueError:
        raise AnnotationError(f"{str(annotation_id)[:40]!r} is not a note's id (a number, see `annotate list`)") from None
    return store.remove_annotation(path, number, lock_timeout=lock_timeout)


def read(path: str | Path, *, start=None, end=None) -> pd.DataFrame:
    """The store's notes from `start` to `end` (both included; None: open), by date then id (COLUMNS;
    `date` a Timestamp). A store without notes gives an empty frame."""
    lo = f"{check_date(start):%Y-%m-%d}" if start is not None else "0000-00-00"
    hi = f"{check_date(end):%Y-%m-%d}" if end is not None else "9999-99-99"
    rows = store.annotation_rows(path, lo=lo, hi=hi)
    return _frame([dict(zip(COLUMNS, row)) for row in rows])


def defaults(changes: pd.DataFrame) -> pd.DataFrame:
    """The default notes: one per control change (a frame with `date` and `description`, as
    geo.control.control_changes gives it), no id, no author."""
    rows = [{"id": None, "date": row.date, "text": clean(row.description, limit=10 * MAX_TEXT), "author": "",
             "created": ""} for row in changes.itertuples()]
    return _frame(rows)


def combined(*frames: pd.DataFrame) -> pd.DataFrame:
    """Notes of several frames in one, by date; the same text on the same date is kept once."""
    parts = [f for f in frames if f is not None and not f.empty]
    if not parts:
        return _frame([])
    out = pd.concat(parts, ignore_index=True)
    out = out.drop_duplicates(subset=["date", "text"], keep="first")
    return out.sort_values("date", kind="stable").reset_index(drop=True)


def placed(notes: pd.DataFrame, days, *, since=None) -> list[pd.DataFrame]:
    """The notes each of `days` (ascending) shows: those after the previous day up to its own, so a
    note is on the page or frame of its date or the next one after it; the first day's run from
    `since` (included; default: that day only). Notes after the last day are on none."""
    out, previous = [], None
    for day in days:
        day = pd.Timestamp(day)
        if previous is None:
            first = pd.Timestamp(since) if since is not None else day
            mask = (notes["date"] >= first) & (notes["date"] <= day)
        else:
            mask = (notes["date"] > previous) & (notes["date"] <= day)
        out.append(notes[mask].reset_index(drop=True))
        previous = day
    return out


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["date"] = pd.to_datetime(frame["date"])
    return frame
