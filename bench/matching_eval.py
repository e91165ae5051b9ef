"""The matcher against our hand labels: precision and recall on the curated set x the real UCDP GED Iraq file.

    python bench/matching_eval.py [--shared DIR] [--labels FILE] [--json]

Reads the UCDP GED Iraq file from ../shared/real at run time (never copied into the repo), matches it with
the shipped curated set (events.matching.match) and scores the result against bench/matching_labels.csv:
our own judgement, one row per pair (left: a curated incident_id, right: a UCDP incident_id), label `same`
(one incident), `part` (the UCDP row is one piece or an aggregate of the curated incident: they count the
same deaths, but a cluster holds one row per source, so only one such row can join) or `different` (close
in time and place but distinct), and a one-line reason. The pairs are every candidate pair the matcher
considers plus a sample of near misses it never pairs (within 6 days and 30 km).

Printed (pairs, not rows):
- "same event": predicted = the two rows end in one cluster; precision counts `same` and `part` as right;
  recall over `same` pairs, and over `same` + `part`.
- "possible duplicate": predicted = the pair is listed in Matching.possible (kept apart, marked); precision
  = share labelled same/part; and "seen by a reviewer" recall: same pairs merged or marked.
- the confident-wrong merges (merged, labelled different), the same pairs missed, and any candidate pair the
  labels do not cover (the labels need updating when the curated set grows).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from events import curated, matching, sources  # noqa: E402

LABELS = ROOT / "bench" / "matching_labels.csv"
KINDS = ("same", "part", "different")


def read_labels(path: Path) -> pd.DataFrame:
    """The labelled pairs (left, right, label, reason); ValueError naming the row when one is malformed."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    seen = set()
    for i, r in enumerate(rows, start=2):
        if r.get("label") not in KINDS or not r.get("left") or not r.get("right") or not r.get("reason"):
            raise ValueError(f"{path.name} row {i}: needs left, right, label ({'/'.join(KINDS)}) and reason")
        key = frozenset((r["left"], r["right"]))
        if key in seen:
            raise ValueError(f"{path.name} row {i}: the pair {r['left']} / {r['right']} is labelled twice")
        seen.add(key)
    return pd.DataFrame(rows, columns=["left", "right", "label", "reason"])


def _ratio(hit: int, total: int) -> float | None:
    return round(hit / total, 3) if total else None


def evaluate(frame: pd.DataFrame, labels: pd.DataFrame) -> dict:
    """Score events.matching.match(frame) against `labels` (see the module docstring)."""
    m = matching.match(frame)
    ids = m.frame["incident_id"].astype(str)
    cluster = dict(zip(ids, m.clusters.astype(str)))
    missing = sorted((set(labels["left"]) | set(labels["right"])) - set(cluster))
    if missing:
        raise ValueError(f"labelled ids not in the data: {', '.join(missing[:5])}")
    pos = ids.to_numpy(object)
    score = {frozenset((pos[a], pos[b])): s for a, b, s in m.pairs[["left", "right", "score"]].itertuples(index=False)}
    possible = {frozenset((pos[a], pos[b])) for a, b in m.possible[["left", "right"]].itertuples(index=False)}
    lab = labels.assign(
        key=[frozenset(p) for p in zip(labels["left"], labels["right"])],
        merged=[cluster[a] == cluster[b] for a, b in zip(labels["left"], labels["right"])])
    lab["marked"] = lab["key"].isin(possible)
    lab["candidate"] = lab["key"].isin(score.keys())
    lab["score"] = lab["key"].map(score)
    same, part, diff = (lab["label"] == k for k in KINDS)
    alike = same | part
    curated_ids = set(ids[m.frame["source_dataset"] == "curated"])
    other_ids = set(ids[m.frame["source_dataset"] == "ucdp"])
    cand = [frozenset((pos[a], pos[b])) for a, b in m.pairs[["left", "right"]].itertuples(index=False)]
    in_scope = [k for k in cand if k & curated_ids and k & other_ids]
    unlabelled = sorted(tuple(sorted(k)) for k in set(in_scope) - set(lab["key"]))

    def rows(mask) -> list[dict]:
        out = lab[mask].sort_values("left")
        return [{"left": r.left, "right": r.right, "score": None if pd.isna(r.score) else round(float(r.score), 2),
                 "label": r.label, "reason": r.reason} for r in out.itertuples()]

    return {
        "pairs_labelled": len(lab), "same": int(same.sum()), "part": int(part.sum()), "different": int(diff.sum()),
        "near_misses_labelled": int((~lab["candidate"]).sum()), "candidate_pairs": len(in_scope),
        "merged": int(lab["merged"].sum()),
        "same_event_precision": _ratio(int((lab["merged"] & alike).sum()), int(lab["merged"].sum())),
        "same_event_recall": _ratio(int((lab["merged"] & same).sum()), int(same.sum())),
        "same_event_recall_with_parts": _ratio(int((lab["merged"] & alike).sum()), int(alike.sum())),
        "possible_marked": int(lab["marked"].sum()),
        "possible_precision": _ratio(int((lab["marked"] & alike).sum()), int(lab["marked"].sum())),
        "possible_recall_of_unmerged_same": _ratio(int((lab["marked"] & same & ~lab["merged"]).sum()),
                                                   int((same & ~lab["merged"]).sum())),
        "reviewer_sees_recall": _ratio(int(((lab["merged"] | lab["marked"]) & same).sum()), int(same.sum())),
        "confident_wrong_merges": rows(lab["merged"] & diff),
        "same_missed": rows(same & ~lab["merged"]),
        "marked_but_different": rows(lab["marked"] & diff),
        "unlabelled_candidate_pairs": unlabelled,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    ged_path = args.shared / "real" / "ucdp_ged_iraq.csv"
    if not ged_path.is_file():
        print(f"ucdp_ged_iraq.csv not found under {args.shared.name}/real", file=sys.stderr)
        return 2
    ged = sources.read_ucdp(ged_path).accepted
    out = evaluate(pd.concat([curated.load_curated(), ged], ignore_index=True), read_labels(args.labels))
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    for key, value in out.items():
        if isinstance(value, list):
            print(f"{key} ({len(value)}):")
            for item in value:
                print("  " + (" / ".join(item) if isinstance(item, tuple) else
                              f"{item['left']} ~ {item['right']} score {item['score']} [{item['label']}]: {item['reason']}"))
        else:
            print(f"{key:34} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
