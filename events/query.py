"""Vectorised queries over the canonical incident frame: the filters the app and CLI share.

Every filter is a boolean mask computed column-wise (no per-row Python), so one filter over a
million rows stays well under a second. Time uses interval overlap: an incident known only to the
month (date_start..date_end spans the month) belongs to every window that touches that month.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

import numpy as np
import pandas as pd

from events import model

SEARCH_COLUMNS = ("place", "place_ar", "admin1", "admin2", "admin3", "actor1", "actor2", "target",
                  "event_type", "sub_event_type", "notes")

_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
                              "ـ": None})
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")


def fold(text: str) -> str:
    """Case-, accent- and Arabic-spelling-insensitive form of a search string."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch) or "\u0600" <= ch <= "\u06ff")
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_FOLD)
    return unicodedata.normalize("NFC", text).lower()  # as fold_series (Arrow has no casefold)


_MARKS_RE = r"[\x{0300}-\x{036f}\x{0610}-\x{061a}\x{064b}-\x{065f}\x{0670}\x{06d6}-\x{06ed}]"
_ARABIC_PAIRS = (("ٱ", "ا"), ("ة", "ه"), ("ى", "ي"), ("ـ", ""))


def fold_series(values: pd.Series) -> pd.Series:
    """`fold` over a text column, with Arrow's vectorised string kernels (same result as `fold`:
    NFKD, Latin and Arabic marks dropped, hamza/alef/ta marbuta/alef maqsura folded, lower case)."""
    import pyarrow as pa

    arr = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    return pd.Series(_fold_arrow(arr).to_numpy(zero_copy_only=False), index=values.index, dtype="str")


def _fold_arrow(arr):
    """`fold` over an Arrow string array."""
    import pyarrow.compute as pc

    arr = pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKD"), _MARKS_RE, "")
    for old, new in _ARABIC_PAIRS:
        arr = pc.replace_substring(arr, old, new)
    return pc.utf8_lower(pc.utf8_normalize(arr, "NFC"))


SEARCH_CHUNK = 100_000  # rows folded at once: the index's peak memory is the index plus one chunk


def _text_arrow(values: pd.Series):
    """A text column as Arrow strings, empty for missing: the column's own Arrow data when it has some
    (no Python object per value), else each value's `str`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = values.array
    got = arr.__arrow_array__() if hasattr(arr, "__arrow_array__") else None
    if got is None or not (pa.types.is_string(got.type) or pa.types.is_large_string(got.type)):
        got = pa.array(values.fillna("").astype(str).to_numpy(dtype=object), type=pa.large_string())
    return pc.fill_null(got.cast(pa.large_string()), "")


def search_text(frame: pd.DataFrame, *, chunk: int = SEARCH_CHUNK) -> pd.Series:
    """One folded text per row joining the searchable columns, for free-text search.

    Built in chunks of `chunk` rows into one Arrow-backed column, so a million rows never hold every
    intermediate joined string at once (nor a Python object per row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = []
    for lo in range(0, len(frame), chunk):
        part = frame.iloc[lo:lo + chunk]
        joined = pc.binary_join_element_wise(*(_text_arrow(part[col]) for col in SEARCH_COLUMNS),
                                             pa.scalar(" | ", pa.large_string()))
        folded = _fold_arrow(joined)
        chunks.extend(folded.chunks if isinstance(folded, pa.ChunkedArray) else [folded])
    text = pa.chunked_array(chunks, type=pa.large_string())
    return pd.Series(text.to_pandas().array, index=frame.index, dtype="str", copy=False)


def _as_list(values) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return [v for v in values if v is not None and str(v) != ""]


def mask(frame: pd.DataFrame, *, start=None, end=None, event_types: Iterable[str] | str | None = None,
         sub_event_types: Iterable[str] | str | None = None, actors: Iterable[str] | str | None = None,
         places: Iterable[str] | str | None = None, admin2: Iterable[str] | str | None = None,
         admin3: Iterable[str] | str | None = None, min_killed: int | None = None,
         text: str | None = None, datasets: Iterable[str] | str | None = None,
         actor_names: Iterable[str] | str | None = None, controllers: Iterable[str] | str | None = None,
         actor_ids: Iterable[str] | str | None = None, search: pd.Series | None = None) -> pd.Series:
    """Boolean mask of the incidents matching every given filter (an omitted filter matches all).

    - start/end: the window (inclusive dates); an incident matches when its interval overlaps it.
    - actors / places: case-insensitive substring match on actor1/actor2, or on place, place_ar,
      admin2, admin3 (any of the given values): the CLI's --actor / --place.
    - datasets: rows of these data sets; a fused row matches when any of its members does.
    - actor_names: exact actor1/actor2 names (the app's Actor list); controllers: exact names in the
      `controller` column (present once the frame is joined with the areas of control).
    - actor_ids: canonical actors (events.actors) on either side, by actor1_id/actor2_id (computed from the
      list alone when the frame has no such columns).
    - min_killed: at least this many killed by the highest reported figure (killed_high), so an
      incident reported as 3–15 killed passes min_killed=10; unknown tolls never pass.
    - text: free text (English or Arabic, spelling-folded) across places, actors, types, notes.
      Pass `search` (from `search_text`, computed once) to avoid rebuilding it per query. An incident
      also matches when the text is part of any name or alias of its canonical actors (events.actors),
      in any script: داعش finds the rows whose source wrote "Islamic State".
    """
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= (frame["date_end"] >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        keep &= (frame["date_start"] <= pd.Timestamp(end)).to_numpy()
    for col, wanted in (("event_type", event_types), ("sub_event_type", sub_event_types),
                        ("admin2", admin2), ("admin3", admin3), ("controller", controllers)):
        wanted = _as_list(wanted)
        if wanted:
            keep &= frame[col].isin(wanted).to_numpy()
    if wanted := _as_list(datasets):
        keep &= dataset_mask(frame, wanted)
    if names := _as_list(actor_names):
        keep &= (frame["actor1"].isin(names) | frame["actor2"].isin(names)).to_numpy()
    if wanted := _as_list(actor_ids):
        keep &= _actor_hit(frame, wanted)
    for cols, wanted in ((("actor1", "actor2"), actors), (("place", "place_ar", "admin2", "admin3"), places)):
        wanted = _as_list(wanted)
        if wanted:
            pattern = "|".join(re.escape(fold(w)) for w in wanted)
            hit = np.zeros(len(frame), dtype=bool)
            for col in cols:
                hit |= fold_series(frame[col]).str.contains(pattern, regex=True).fillna(False).to_numpy(bool)
            keep &= hit
    if min_killed is not None and min_killed > 0:
        # 'at least N' (a floor, no ceiling) passes when its floor does
        keep &= (frame["killed_high"].fillna(frame["killed_low"]) >= int(min_killed)).fillna(False).to_numpy(bool)
    if text and text.strip():
        haystack = search if search is not None else search_text(frame)
        needle = fold(text.strip())
        hit = haystack.str.contains(needle, regex=False).fillna(False).to_numpy(bool, copy=True)
        from events import actors
        if named := actors.matching_ids(needle):
            hit |= actors.mention_mask(frame, named)
        keep &= hit
    return pd.Series(keep, index=frame.index)


def _actor_hit(frame: pd.DataFrame, actor_ids: list[str]) -> np.ndarray:
    """Rows whose actor1_id or actor2_id is one of `actor_ids`."""
    from events import actors
    one, two = actors.ids_of(frame)
    return (one.isin(actor_ids) | two.isin(actor_ids)).to_numpy(bool)


def dataset_mask(frame: pd.DataFrame, datasets: Iterable[str]) -> np.ndarray:
    """True for the rows holding data of any of `datasets`: a fused row (events.matching.fuse, whose
    `datasets` joins its members' with ';') when any member's data set is wanted, else by source_dataset."""
    wanted = [str(d) for d in datasets]
    keep = frame["source_dataset"].isin(wanted).to_numpy(bool)
    if "datasets" in frame.columns and len(frame):
        pattern = "(?:^|;)(?:" + "|".join(re.escape(d) for d in wanted) + ")(?:;|$)"
        keep = keep | frame["datasets"].astype(object).fillna("").astype(str).str.contains(pattern, regex=True) \
            .fillna(False).to_numpy(bool)
    return keep


def select(frame: pd.DataFrame, **filters) -> pd.DataFrame:
    """The rows of `frame` matching `filters` (see `mask`)."""
    return frame[mask(frame, **filters).to_numpy()]


def monthly_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Incidents per month (by start date) and event type: rows are months, columns types."""
    if frame.empty:
        return pd.DataFrame(columns=list(model.EVENT_TYPES), dtype="int64")
    month = frame["date_start"].dt.to_period("M").dt.to_timestamp()
    counts = pd.crosstab(month, frame["event_type"]).reindex(columns=list(model.EVENT_TYPES), fill_value=0)
    counts.index.name = "month"
    return counts


def totals(frame: pd.DataFrame) -> dict:
    """Headline counts: incidents, killed and wounded as low–high sums. `*_unknown`: incidents with no
    figure at all; `*_open`: incidents reported as 'at least N' (their floor counts at both ends, so the
    range stays ordered, and the text says 'or more': events.labels.toll_range)."""
    out = {"incidents": int(len(frame))}
    for word in ("killed", "wounded"):
        low, high = frame[f"{word}_low"], frame[f"{word}_high"]
        out[f"{word}_low"] = int(low.sum(skipna=True)) if len(frame) else 0
        out[f"{word}_high"] = int(high.fillna(low).sum(skipna=True)) if len(frame) else 0
        out[f"{word}_unknown"] = int((high.isna() & low.isna()).sum())
        out[f"{word}_open"] = int((high.isna() & low.notna()).sum())
    return out
