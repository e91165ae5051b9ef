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

These figures are IN-SAMPLE: the labels are also the set the rules were tuned on. `cross_validate` gives the
HELD-OUT figure: the labelled pairs split into FOLDS folds by curated incident; for each fold, MATCH and the
tuned constants (TUNED) are chosen on the other folds (the highest recall with no confident-wrong merge there;
ties to the higher threshold, then the first setting), and that fold's pairs are judged by the chosen setting.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from events import curated, matching, sources  # noqa: E402

LABELS = ROOT / "bench" / "matching_labels.csv"
KINDS = ("same", "part", "different")
FOLDS, FOLD_SEED = 5, 18
THRESHOLDS = (0.9, 0.85, 0.8, 0.78, 0.76, 0.74, 0.72, 0.7, 0.68, 0.65, 0.62, 0.6)
# The constants tuned on these labels (issue 18, H27), each off (its value before the rule) or on.
TUNED = {"LATE_NEXT_DAY_POINTS": (matching.NEXT_DAY_POINTS, matching.LATE_NEXT_DAY_POINTS),
         "STATE_SIDE_COMPATIBILITY": (matching.compatibility("UCDP 1", "Violence against civilians"),
                                      matching.STATE_SIDE_COMPATIBILITY)}


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


@contextlib.contextmanager
def _constants(values: dict):
    """events.matching's tuned constants set to `values` for the block, then restored (a parameter sweep)."""
    saved = {k: getattr(matching, k) for k in values}
    try:
        for k, v in values.items():
            setattr(matching, k, v)
        yield
    finally:
        for k, v in saved.items():
            setattr(matching, k, v)


def folds(labels: pd.DataFrame, *, k: int = FOLDS, seed: int = FOLD_SEED) -> np.ndarray:
    """Each labelled pair's fold: its curated incident's (every pair of one incident in one fold)."""
    incidents = np.array(sorted(set(labels["left"])), dtype=object)
    order = np.random.default_rng(seed).permutation(len(incidents))
    fold = {inc: i % k for i, inc in zip(range(len(incidents)), incidents[order])}
    return labels["left"].map(fold).to_numpy("int64")


def cross_validate(frame: pd.DataFrame, labels: pd.DataFrame, *, k: int = FOLDS) -> dict:
    """Held-out precision and recall (see the module docstring): per fold, MATCH and the TUNED constants are
    chosen on the other folds, and the fold's pairs are judged by that choice."""
    frame = frame.reset_index(drop=True)
    ids = frame["incident_id"].astype(str)
    pairs = matching.candidate_pairs(frame)
    same = (labels["label"] == "same").to_numpy()
    alike = labels["label"].isin(["same", "part"]).to_numpy()
    merged = {}
    for setting in itertools.product(*TUNED.values()):
        values = dict(zip(TUNED, setting))
        with _constants(values):
            scored = matching.score_pairs(frame, pairs)
            for t in THRESHOLDS:
                cluster = dict(zip(ids, matching.cluster(frame, scored, threshold=t).clusters.astype(str)))
                merged[(tuple(map(str, setting)), t)] = np.array(
                    [cluster[a] == cluster[b] for a, b in zip(labels["left"], labels["right"])])
    fold = folds(labels, k=k)
    held = np.zeros(len(labels), bool)
    chosen = []
    for f in range(k):
        train, test = fold != f, fold == f

        def rank(item):
            (setting, t), m = item
            wrong = int((m & train & ~alike).sum())
            return (wrong == 0, int((m & train & same).sum()), t)
        (setting, t), m = max(merged.items(), key=rank)  # max keeps the first of equal ranks
        held[test] = m[test]
        chosen.append({"fold": f, "pairs": int(test.sum()), "match": t, **dict(zip(TUNED, setting))})
    return {"folds": k, "heldout_merged": int(held.sum()),
            "heldout_precision": _ratio(int((held & alike).sum()), int(held.sum())),
            "heldout_recall": _ratio(int((held & same).sum()), int(same.sum())),
            "heldout_confident_wrong": int((held & ~alike).sum()), "chosen": chosen}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validated (held-out) figures")
    args = parser.parse_args(argv)
    ged_path = args.shared / "real" / "ucdp_ged_iraq.csv"
    if not ged_path.is_file():
        print(f"ucdp_ged_iraq.csv not found under {args.shared.name}/real", file=sys.stderr)
        return 2
    ged = sources.read_ucdp(ged_path).accepted
    frame, labels = pd.concat([curated.load_curated(), ged], ignore_index=True), read_labels(args.labels)
    out = {"in_sample": "these labels tuned the rules", **evaluate(frame, labels)}
    if not args.no_cv:
        out["cross_validated"] = cross_validate(frame, labels)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    for key, value in out.items():
        if isinstance(value, dict):
            print(f"{key} (held out: MATCH and the tuned constants chosen on the other folds):")
            for k2, v2 in value.items():
                for line in (v2 if isinstance(v2, list) else [v2]):
                    print(f"  {k2:32} {line}")
        elif isinstance(value, list):
            print(f"{key} ({len(value)}):")
            for item in value:
                print("  " + (" / ".join(item) if isinstance(item, tuple) else
                              f"{item['left']} ~ {item['right']} score {item['score']} [{item['label']}]: {item['reason']}"))
        else:
            print(f"{key:34} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
