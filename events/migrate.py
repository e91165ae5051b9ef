"""Moving a store: copy every table of one store into another, GeoPackage or PostGIS either way.

`python -m events migrate --from atlas.gpkg --to postgresql://…` (and back) copies the incidents with
their import ids, the import log, the rejects, the user's gazetteers, the place evidence, the review
decisions, the actor mappings and the notes, keeping every id so the links between them hold. The
target is written in one transaction; then its rows are counted table by table against the source's.
A target that already holds data is refused unless `replace` is given (its rows are then replaced).
Imports into the source should wait until the copy is done (tables are read one after another).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from events import store
from events.errors import AtlasError


class MigrateError(AtlasError):
    """A copy that cannot be made or did not come out whole (one line naming the stores)."""


def migrate(source: str | Path, target: str | Path, *, replace: bool = False,
            notify: Callable[[str], None] | None = None) -> dict[str, dict[str, int]]:
    """Copy the store at `source` into `target` (paths or postgresql:// URLs); returns, per table, the rows
    of the source and of the target after the copy (always equal: a difference is a MigrateError)."""
    src, dst = store.location(source), store.location(target)
    if str(src) == str(dst) or (not store.is_url(src) and not store.is_url(dst)
                                and Path(src).resolve() == Path(dst).resolve()):
        raise MigrateError(f"{store.label(src)}: the source and the target are the same store")
    if not store.is_url(src) and not Path(src).exists():
        raise MigrateError(f"{store.label(src)}: no such store")
    counts = store.table_counts(src)
    if notify:
        notify(f"reading {sum(counts.values()):,} rows of {len(counts)} tables from {store.label(src)}…")
    frames = {table: store.dump_table(src, table) for table in store.TABLES}
    moved = {t: len(f) for t, f in frames.items()}
    if moved != counts:
        raise MigrateError(f"{store.label(src)} changed while it was read (an import ran?); nothing was copied, "
                           "try again")
    store.create(dst)
    held = {t: n for t, n in store.table_counts(dst).items() if n}
    if held and not replace:
        raise MigrateError(f"{store.label(dst)} already holds data ({', '.join(f'{t}: {n:,}' for t, n in held.items())})"
                           "; nothing was copied: give --replace to replace it, or name an empty store")
    if notify:
        notify(f"writing {sum(moved.values()):,} rows into {store.label(dst)}…")
    store.restore_tables(dst, frames, replace=replace)
    after = store.table_counts(dst)
    wrong = [t for t in store.TABLES if after[t] != moved[t]]
    if wrong:
        raise MigrateError(f"{store.label(dst)}: the copy does not match the source in "
                           + ", ".join(f"{t} ({after[t]:,} rows, not {moved[t]:,})" for t in wrong))
    return {t: {"source": moved[t], "target": after[t]} for t in store.TABLES}
