"""The curated incident set the atlas opens with: a hand-checked, sourced CSV shipped in the package.

`events/data/incidents.csv` holds one row per incident with exactly the canonical columns of
`events.model` (UTF-8, comma-separated, one physical line per row so that diffs stay readable).
Every row cites the publications it comes from (title, publisher, web address, date); the sourcing
rules, how the set was built and its counts are in docs/curated.md (`find_problems` checks the rules,
`python -m events.curated --counts` regenerates the counts). The shipped file must
always be valid, so loading it refuses the whole file with a message naming the row and field of
each problem instead of silently dropping rows.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
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


# --- Sourcing rules the shipped rows must follow (docs/curated.md), checked by `find_problems`. ---

FIRST_YEAR, LAST_YEAR = 2003, 2024
# A citation shown to users names a publication: never a project-internal file, a "seed" or the project's
# "reference set", nor a bare machine host name (an IP, a cloud compute or CDN host) standing in for a publisher.
INTERNAL_SOURCE = re.compile(r"\bseeds?\b|reference set|shared/|kirkuk_incidents_reference", re.I)
MACHINE_HOST = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$|compute\.amazonaws\.com|\bec2-|cloudfront\.net|akamai|fastly|"
                          r"cdn\.|azureedge|googleusercontent", re.I)
SAME_EVENT_KM = 5.0
SAME_EVENT_DAYS = 1
COUNTS_START, COUNTS_END = "<!-- counts:start -->", "<!-- counts:end -->"
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "curated.md"


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p = math.radians
    a = (math.sin(p(lat2 - lat1) / 2) ** 2
         + math.cos(p(lat1)) * math.cos(p(lat2)) * math.sin(p(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _citation_problems(cite: dict) -> list[str]:
    publisher, url = str(cite.get("publisher") or ""), str(cite.get("url") or "")
    problems = []
    if not publisher.strip():
        problems.append("a citation names no publisher")
    if INTERNAL_SOURCE.search(publisher) or INTERNAL_SOURCE.search(url):
        problems.append(f"internal or seed source {publisher or url!r}")
    if MACHINE_HOST.search(publisher):
        problems.append(f"a machine host name is not a publisher: {publisher!r}")
    if url and not url.startswith(("http://", "https://")):
        problems.append(f"not a web address: {url!r}")
    return problems


def find_problems(frame: gpd.GeoDataFrame | pd.DataFrame) -> list[str]:
    """Every breach of the curated set's sourcing rules, as '<incident_id>: <problem>' lines (empty when clean).

    Rules: each row cites at least one publication by name with a web address, and no internal path,
    seed or reference-set file, or bare IP / cloud / CDN host as a publisher; dates inside 2003-2024;
    killed_low <= killed_best <= killed_high; date and geo precision and confidence set; and no two rows
    of the same event (same type, within a day and 5 km) unless the notes of one name the other.
    """
    problems: list[str] = []
    rows = list(frame.itertuples(index=False))
    for row in rows:
        rid = row.incident_id
        cites = model.parse_sources(row.sources)
        if not any(str(c.get("url") or "").startswith(("http://", "https://")) for c in cites):
            problems.append(f"{rid}: no citation with a web address")
        problems += [f"{rid}: {p}" for c in cites for p in _citation_problems(c)]
        start, end = pd.Timestamp(row.date_start), pd.Timestamp(row.date_end)
        if not (FIRST_YEAR <= start.year and end.year <= LAST_YEAR):
            problems.append(f"{rid}: dated {start:%Y-%m-%d}..{end:%Y-%m-%d}, outside {FIRST_YEAR}-{LAST_YEAR}")
        lo, best, hi = (pd.to_numeric(pd.Series([getattr(row, c)]), errors="coerce")[0]
                        for c in ("killed_low", "killed_best", "killed_high"))
        if (pd.notna(lo) and pd.notna(best) and lo > best) or (pd.notna(best) and pd.notna(hi) and best > hi) \
                or (pd.notna(lo) and pd.notna(hi) and lo > hi):
            problems.append(f"{rid}: killed_best must lie within killed_low..killed_high")
        for col in ("date_precision", "geo_precision", "confidence"):
            if pd.isna(getattr(row, col)) or str(getattr(row, col)).strip() == "":
                problems.append(f"{rid}: {col} not set")
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            if a.event_type != b.event_type:
                continue
            gap = max((pd.Timestamp(b.date_start) - pd.Timestamp(a.date_end)).days,
                      (pd.Timestamp(a.date_start) - pd.Timestamp(b.date_end)).days)
            if gap > SAME_EVENT_DAYS or _km(a.lat, a.lon, b.lat, b.lon) > SAME_EVENT_KM:
                continue
            if a.incident_id in str(b.notes) or b.incident_id in str(a.notes):
                continue
            problems.append(f"{a.incident_id}: looks like the same event as {b.incident_id} "
                            "(same type, within a day and 5 km); merge them or say in the notes why they differ")
    return problems


def tabulate_counts(frame: gpd.GeoDataFrame | pd.DataFrame) -> dict[str, pd.Series]:
    """Incident counts per year, district, date precision, geo precision and confidence (for docs/curated.md)."""
    years = pd.Series(0, index=range(FIRST_YEAR, LAST_YEAR + 1), dtype=int)
    years = years.add(pd.to_datetime(frame["date_start"]).dt.year.value_counts(), fill_value=0).astype(int)
    district = frame["admin2"].fillna("").replace("", "(governorate level)")
    geo = frame["geo_precision"].astype(int).map(lambda p: f"{p} ({model.GEO_PRECISIONS[p]})")
    return {
        "year": years,
        "district (admin2)": district.value_counts().sort_index(),
        "date precision": frame["date_precision"].value_counts().reindex(model.DATE_PRECISIONS, fill_value=0),
        "geo precision": geo.value_counts().sort_index(),
        "confidence": frame["confidence"].value_counts().reindex(model.CONFIDENCE, fill_value=0),
    }


def render_counts(frame: gpd.GeoDataFrame | pd.DataFrame) -> str:
    """The counts of `tabulate_counts` as the Markdown block kept in docs/curated.md."""
    parts = [COUNTS_START, f"Generated by `python -m events.curated --counts` from {len(frame)} incidents.", ""]
    for title, counts in tabulate_counts(frame).items():
        parts += [f"**Per {title}**", "", f"| {title} | incidents |", "|---|---:|"]
        parts += [f"| {key} | {int(n)} |" for key, n in counts.items()]
        parts.append("")
    parts.append(COUNTS_END)
    return "\n".join(parts)


def write_counts(*, doc: Path | str = DOC_PATH, path: Path | str = CURATED_PATH) -> str:
    """Rewrite the counts block of `doc` (between its markers) from the curated CSV; returns the new block."""
    doc = Path(doc)
    text = doc.read_text(encoding="utf-8")
    if COUNTS_START not in text or COUNTS_END not in text:
        raise CuratedDataError(f"{doc.name}: no counts block ({COUNTS_START} ... {COUNTS_END}) to rewrite")
    block = render_counts(load_curated(path=path))
    head, rest = text.split(COUNTS_START, 1)
    doc.write_text(head + block + rest.split(COUNTS_END, 1)[1], encoding="utf-8")
    return block


def main(argv: list[str] | None = None) -> int:
    """`python -m events.curated --counts` rewrites the counts in docs/curated.md; `--check` lists rule breaches."""
    parser = argparse.ArgumentParser(prog="python -m events.curated", description=main.__doc__)
    parser.add_argument("--counts", action="store_true", help="rewrite the counts block of docs/curated.md")
    parser.add_argument("--check", action="store_true", help="list every breach of the sourcing rules")
    args = parser.parse_args(argv)
    if args.counts:
        print(write_counts())
    if args.check or not args.counts:
        problems = find_problems(load_curated())
        print("\n".join(problems) if problems else "no problems")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
