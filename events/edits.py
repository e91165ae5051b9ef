"""Edits: an analyst's corrections of an incident's fields, kept as an append-only audit trail in the store.

An edit never rewrites the imported row. Each changed field is one row of the store's `incident_edits` table
(incident_id, field, old, new, reason, by, at, and the edit it reverts), and `events.store.load` applies the
latest edit of each field when the store is read, as it applies the user's actor mappings. So a weekly
re-import of the same ACLED file never silently undoes a correction, every change says who made it, when
and why, and the data version (`store.info`) and the stamp (`store.stamp`) change with every edit.

A corrected row is validated by events.model exactly as an imported row is (one error naming the field).
`seen` is what the editor saw: when another edit (or an import) changed one of those fields since, the
edit is refused with EditConflict naming the field, the value now stored, who changed it and when: the
second editor is told, never silently overwritten. On a PostGIS store the database names the editor
(`by` is its current_user; events.roles lets an analyst write only edits naming themselves).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from events import annotations, model, store
from events.errors import AtlasError

EDITABLE = ("date_start", "date_end", "date_precision", "place", "place_ar", "lat", "lon", "geo_precision",
            "killed_low", "killed_best", "killed_high", "wounded_low", "wounded_high", "actor1", "actor2",
            "sources", "notes", "confidence")
HISTORY_COLUMNS = ("id", "at", "by", "field", "old", "new", "reason", "reverts")
MAX_REASON = 500   # characters of an edit's reason
MAX_EDITOR = 100   # characters of an editor's name
_WHOLE = frozenset({*model.COUNT_COLUMNS, "geo_precision"})


class EditError(AtlasError, ValueError):
    """An edit that cannot be stored: no such incident or edit, a field that cannot be edited, an invalid value,
    no reason."""


class EditConflict(EditError):
    """A field changed since the editor saw it: names the field, the value now stored, who changed it and when."""

    def __init__(self, message: str, *, field: str, stored, by: str, at: str):
        super().__init__(message)
        self.field, self.stored, self.by, self.at = field, stored, by, at


def text_of(field: str, value) -> str | None:
    """A field's value as the edit table keeps it: YYYY-MM-DD dates, whole numbers, the float's repr for
    lat/lon, text stripped (as events.model keeps it); None for a missing value. A value that is not of
    the field's kind is kept as its text, for events.model to refuse."""
    if value is None or (not isinstance(value, str) and np.ndim(value) == 0 and pd.isna(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    if field in model.DATE_COLUMNS:
        if isinstance(value, str):
            return value
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    if field in _WHOLE or field in ("lat", "lon"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        if field in _WHOLE:
            return str(int(number)) if math.isfinite(number) and number.is_integer() else str(value)
        return repr(number)
    return str(value)


def _typed(field: str, text: str | None):
    """An edit's stored text as the value a loaded frame holds before events.model normalises it."""
    if text is None:
        return None
    if field in model.DATE_COLUMNS:
        return pd.Timestamp(text)
    if field in _WHOLE:
        return int(text)
    if field in ("lat", "lon"):
        return float(text)
    return text


def applied(frame: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """`frame` (the stored rows, before events.model.normalise) with the latest edit of each field applied.
    Edits of incidents no longer in the store are left aside (kept in the table, applied if they return)."""
    latest = edits.sort_values("id", kind="stable").drop_duplicates(["incident_id", "field"], keep="last")
    latest = latest[latest["field"].isin(EDITABLE)]
    if latest.empty or frame.empty:
        return frame
    where = pd.Index(frame["incident_id"].astype(object))
    for field, group in latest.groupby("field", sort=True):
        pos = where.get_indexer(group["incident_id"].astype(object))
        keep = pos >= 0
        if not keep.any():
            continue
        values = [_typed(field, v) for v in group["new"][keep]]
        if field in model.DATE_COLUMNS:  # dates or their text (by backend): as datetimes, so a load sorts them
            column = pd.to_datetime(frame[field], errors="coerce", format="mixed").to_numpy(copy=True)
            column[pos[keep]] = [np.datetime64("NaT") if v is None else v.to_datetime64() for v in values]
        else:
            column = frame[field].astype(object).to_numpy(copy=True)
            column[pos[keep]] = values
        frame[field] = column
    return frame


def _clean_reason(reason) -> str:
    text = annotations.clean(reason, limit=sys.maxsize)
    if not text:
        raise EditError("give the reason for the change (a required line saying why)")
    if len(text) > MAX_REASON:
        raise EditError(f"the reason has {len(text)} characters: keep it to {MAX_REASON}")
    return text


def _clean_editor(where, by) -> str:
    who = annotations.clean(by, limit=sys.maxsize)[:MAX_EDITOR]
    if not who and not store.is_url(where):  # PostGIS names the editor itself (its current_user)
        raise EditError("say who makes the change (`by`: the editor's name)")
    return who


def _state(row: dict, before: list[dict]) -> tuple[dict, dict, dict]:
    """(the stored row with its edits applied, as raw values; the values a load shows, as text;
    the last edit of each field)."""
    raw = {c: row[c] for c in model.COLUMNS}
    last: dict[str, dict] = {}
    for e in before:
        if e["field"] in EDITABLE:
            raw[e["field"]] = e["new"]
            last[e["field"]] = e
    shown = model.normalise(pd.DataFrame([raw])).iloc[0]
    return raw, {f: text_of(f, shown[f]) for f in EDITABLE}, last


def _conflict(incident_id: str, field: str, stored, saw, *, row: dict, last: dict) -> EditConflict:
    if field in last:
        by, at = last[field]["by"], last[field]["at"]
        who = f"changed by {by} on {at}"
    else:
        by, at = f"import {row['_import_id']}", row["_imported_at"]
        who = f"set by import {row['_import_id']} ({str(row['_import_file'])[:80]}) on {at}"
    return EditConflict(f"incident {incident_id[:80]}: {field} is now {stored!r} ({who}), not {saw!r} as you "
                        "saw it; nothing was changed: look at it again and redo your edit",
                        field=field, stored=stored, by=by, at=at)


def _plan(incident_id: str, changes: dict, expected: dict, *, reason: str, by: str, reverts: int | None = None):
    """The `plan` events.store.record_edits runs under the write lock: check what the editor saw, validate the
    corrected row as an import row, and give the edits of the fields that change."""
    def plan(row: dict | None, before: list[dict]) -> list[dict]:
        if row is None:
            raise EditError(f"no incident {incident_id[:80]!r} in the store; nothing was changed")
        raw, shown, last = _state(row, before)
        for field, saw in expected.items():
            if saw != shown[field]:
                raise _conflict(incident_id, field, shown[field], saw, row=row, last=last)
        candidate = {**raw, **changes}
        accepted, rejects = model.validate(pd.DataFrame([candidate]), file=incident_id)
        if len(rejects):
            bad = rejects.iloc[0]
            raise EditError(f"incident {incident_id[:80]}: {bad['field']} {str(bad['value'])[:80]!r}: "
                            f"{bad['reason']}; nothing was changed")
        out = []
        for field in changes:
            new = text_of(field, accepted.iloc[0][field])
            if new != shown[field]:
                out.append({"field": field, "old": shown[field], "new": new, "reason": reason, "by": by,
                            "reverts": reverts})
        return out
    return plan


def _checked_fields(changes: dict) -> dict:
    if not isinstance(changes, dict) or not changes:
        raise EditError("nothing to change: give at least one field and its new value")
    wrong = [str(f)[:40] for f in changes if f not in EDITABLE]
    if wrong:
        raise EditError(f"{wrong[0]!r} cannot be edited; the fields that can: {', '.join(EDITABLE)}")
    return {f: (None if v is None or (isinstance(v, str) and not v.strip()) else v) for f, v in changes.items()}


def edit(where: str | Path, incident_id: str, changes: dict, *, reason: str, by: str, seen: dict,
         lock_timeout: float = store.LOCK_TIMEOUT) -> dict:
    """Correct fields of an incident (EDITABLE -> new value; None or "" clears one) with a required reason.
    `seen` holds the value of each changed field the editor saw (e.g. the loaded row); EditConflict when
    one changed since. Returns {"incident_id", "edits": the rows appended (none when nothing changes)}."""
    incident_id = str(incident_id).strip()
    changes = _checked_fields(changes)
    missing = [f for f in changes if f not in (seen or {})]
    if missing:
        raise EditError(f"say which value of {missing[0]} you saw (`seen`): an edit is checked against it")
    expected = {f: text_of(f, seen[f]) for f in changes}
    plan = _plan(incident_id, changes, expected, reason=_clean_reason(reason), by=_clean_editor(where, by))
    stored = store.record_edits(where, incident_id, plan, lock_timeout=lock_timeout)
    return {"incident_id": incident_id, "edits": stored}


def current(where: str | Path, incident_id: str) -> dict:
    """The values of an incident's editable fields as a load shows them (text, as `text_of` gives them):
    what an editor sees, to pass as `seen`."""
    incident_id = str(incident_id).strip()
    row = store.incident_values(where, incident_id)
    if row is None:
        raise EditError(f"no incident {incident_id[:80]!r} in the store")
    return _state(row, store.edit_rows(where, incident_id=incident_id).to_dict("records"))[1]


def history(where: str | Path, incident_id: str) -> pd.DataFrame:
    """An incident's edits, oldest first: id, at (when), by (who), field, old, new, reason (why), reverts
    (the id of the edit a revert undid, else missing)."""
    rows = store.edit_rows(where, incident_id=str(incident_id).strip())
    out = rows.reindex(columns=list(HISTORY_COLUMNS)).reset_index(drop=True)
    for col in ("old", "new"):  # a missing value is None (a field cleared, or empty before)
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["id"] = out["id"].astype("int64")
    out["reverts"] = pd.to_numeric(out["reverts"]).astype("Int64")
    return out


def revert(where: str | Path, edit_id, *, by: str, reason: str, lock_timeout: float = store.LOCK_TIMEOUT) -> dict:
    """Undo edit `edit_id` by appending an edit that restores its old value (the trail keeps both).
    EditConflict when the field changed since that edit."""
    try:
        number = int(str(edit_id).strip())
    except ValueError:
        raise EditError(f"{str(edit_id)[:40]!r} is not an edit's id (a number, see `edit history`)") from None
    found = store.edit_rows(where, edit_id=number)
    if found.empty:
        raise EditError(f"no edit {number} in the store (see `edit history`)")
    e = found.iloc[0]
    incident_id, field = e["incident_id"], e["field"]
    plan = _plan(incident_id, {field: text_of(field, e["old"])}, {field: text_of(field, e["new"])},
                 reason=_clean_reason(reason),
                 by=_clean_editor(where, by), reverts=number)
    stored = store.record_edits(where, incident_id, plan, lock_timeout=lock_timeout)
    return {"incident_id": incident_id, "edits": stored}
