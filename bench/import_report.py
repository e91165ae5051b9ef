"""Per-file import report: rows read, accepted, rejected and the reasons, for real third-party files.

    .venv/bin/python -m bench.import_report ../shared/real/*.csv [--markdown]

Each file is imported as the atlas would (source detected from the file, default options) into
memory, never into a store; the table it prints is what issue reports quote.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from events.sources import ImportFailure, detect_source, read_file


def report(path: Path) -> dict:
    """One file's numbers: source, rows read, accepted, rejected, and reject reasons with their counts."""
    try:
        source = detect_source(path)
        result = read_file(path, source=source)
    except ImportFailure as exc:
        return {"file": path.name, "source": "-", "rows": 0, "accepted": 0, "rejected": 0, "reasons": {str(exc): 1}}
    rejects = result.rejects
    rows_rejected = rejects["row"].nunique() if len(rejects) else 0
    reasons = (rejects.drop_duplicates("row").groupby(["field", "reason"]).size().sort_values(ascending=False)
               if len(rejects) else {})
    return {"file": path.name, "source": source, "rows": result.rows_read, "accepted": len(result.accepted),
            "rejected": rows_rejected,
            "reasons": {f"{field}: {reason}": int(n) for (field, reason), n in dict(reasons).items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args(argv)
    rows = [report(p) for p in args.files]
    if args.markdown:
        print("| file | source | rows | accepted | rejected | reasons (rows) |\n|---|---|---|---|---|---|")
        for r in rows:
            reasons = "; ".join(f"{k} ({v})" for k, v in r["reasons"].items()) or "–"
            print(f"| {r['file']} | {r['source']} | {r['rows']} | {r['accepted']} | {r['rejected']} | {reasons} |")
    else:
        for r in rows:
            print(f"{r['file']}: {r['source']}, {r['rows']} rows, {r['accepted']} accepted, {r['rejected']} rejected")
            for reason, n in r["reasons"].items():
                print(f"    {n:6d}  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
