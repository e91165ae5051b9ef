"""The curated incident set the atlas opens with: a hand-checked, sourced CSV shipped in the package.

`events/data/incidents.csv` holds one row per incident with exactly the canonical columns of
`events.model` (UTF-8, comma-separated, one physical line per row so that diffs stay readable).
Every row cites where it comes from (the project's seed documents, the reference set, or public web
pages read for the purpose); how the set was built is in docs/curated.md. The shipped file must
always be valid, so loading it refuses the whole file with a message naming the row and field of
each problem instead of silently dropping rows.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from events import model

CURATED_PATH = Path(__file__).resolve().parent / "data" / "incidents.csv"


class CuratedDataError(ValueError):
    """The curated CSV is missing, malformed or has a row the canonical model rejects."""


def read_curated(*, path: Path | str = CURATED_PATH) -> pd.DataFrame:
    """The curated CSV as text columns ("" for an empty cell), checked to have exactly the canonical header."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise CuratedDataError(f"{path.name}: file not found at {path}") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CuratedDataError(f"{path.name}: not a readable UTF-8 CSV ({exc})") from None
    header = tuple(raw.columns)
    if header != model.COLUMNS:
        missing = [c for c in model.COLUMNS if c not in header]
        extra = [c for c in header if c not in model.COLUMNS]
        detail = "; ".join(part for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unexpected {', '.join(extra)}" if extra else "",
            "columns out of order" if not missing and not extra else "",
        ) if part)
        raise CuratedDataError(f"{path.name}: header must be the canonical columns of events.model ({detail})")
    return raw


def load_curated(*, path: Path | str = CURATED_PATH) -> gpd.GeoDataFrame:
    """The curated incidents as a canonical GeoDataFrame (EPSG:4326); raises CuratedDataError on any bad row.

    Row numbers in the message are line numbers in the file (the header is line 1).
    """
    path = Path(path)
    raw = read_curated(path=path)
    lines = pd.Series(range(2, len(raw) + 2), index=raw.index)
    accepted, rejects = model.validate(raw, file=path.name, rows=lines)
    if len(rejects):
        problems = [f"row {r.row} field {r.field}: {r.reason} (value {r.value!r})" for r in rejects.itertuples()]
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise CuratedDataError(f"{path.name}: {len(rejects)} problem(s) in the curated data:\n  " + "\n  ".join(shown))
    return accepted
