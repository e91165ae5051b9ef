"""The cross-source matcher on real data, and its speed against the naive all-pairs way, in one run.

    python bench/matching_report.py [--shared DIR] [--synthetic N] [--json]

Reads the UCDP GED Iraq file from ../shared/real at run time (never copied into the repo) and the shipped
curated set, matches them (events.matching) and prints: rows, candidate pairs, clusters (incidents after
fusion), clusters of several sources, possible-duplicate pairs, and the seconds per 10,000 rows of the
candidate search (sort-and-sweep) against the naive way (every pair tested, in numpy blocks), with their
ratio. With --synthetic N, also the whole matcher (candidates, scores, clusters, fusion) on N rows resampled
from the real ones into four data sets with shifted dates and jittered points (SYNTHETIC: a load test only).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from events import curated, matching, sources  # noqa: E402

BLOCK = 2_000  # rows per block of the naive all-pairs test


def naive_pairs(frame: pd.DataFrame) -> set[tuple[int, int]]:
    """Candidate pairs by testing every pair (the same rule as matching.candidate_pairs), block by block."""
    pad = frame["date_precision"].map(matching.DATE_PAD_DAYS).fillna(7).to_numpy("int64")
    day = pd.Timedelta(days=1)
    s = ((frame["date_start"] - matching.model.EARLIEST) // day).to_numpy("int64") - pad
    e = ((frame["date_end"] - matching.model.EARLIEST) // day).to_numpy("int64") + pad
    lat, lon = frame["lat"].to_numpy(), frame["lon"].to_numpy()
    prec = frame["geo_precision"].astype("float64").fillna(4).to_numpy().astype("int64")
    reach = matching.reach_km(frame)
    ds = pd.factorize(frame["source_dataset"])[0]
    admin = {col: pd.factorize(frame[col].map(matching.place_key, na_action="ignore").replace("", None))[0]
             for col in ("admin2", "admin1")}
    out: set[tuple[int, int]] = set()
    n = len(frame)
    for lo in range(0, n, BLOCK):
        i = np.arange(lo, min(n, lo + BLOCK))[:, None]
        j = np.arange(n)[None, :]
        ok = (j > i) & (ds[i] != ds[j]) & (s[i] <= e[j]) & (s[j] <= e[i])
        km = matching._haversine(lat[i], lon[i], lat[j], lon[j])
        near = km <= reach[i] + reach[j]
        top = np.maximum(prec[i], prec[j])
        for level, col in ((3, "admin2"), (4, "admin1")):
            a = admin[col]
            near |= (top >= level) & (a[i] >= 0) & (a[i] == a[j])
        rows, cols = np.nonzero(ok & near)
        out.update(zip((rows + lo).tolist(), cols.tolist()))
    return out


def synthetic(base: pd.DataFrame, n: int, *, seed: int = 18) -> pd.DataFrame:
    """SYNTHETIC rows for a load test: real rows resampled into four data sets, dates shifted, points jittered."""
    rng = np.random.default_rng(seed)
    f = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True).copy()
    f["source_dataset"] = np.array(["synthetic-a", "synthetic-b", "synthetic-c", "synthetic-d"])[rng.integers(0, 4, n)]
    f["incident_id"] = f["source_dataset"] + ":" + pd.Series(np.arange(n)).astype(str)
    shift = pd.to_timedelta(rng.integers(-400, 400, n), unit="D")
    f["date_start"], f["date_end"] = f["date_start"] + shift, f["date_end"] + shift
    f["lat"] = f["lat"] + rng.normal(0, 0.02, n)
    f["lon"] = f["lon"] + rng.normal(0, 0.02, n)
    return f


def report(shared: Path, *, synthetic_rows: int = 0) -> dict:
    ged = sources.read_ucdp(shared / "real" / "ucdp_ged_iraq.csv").accepted
    frame = pd.concat([curated.load_curated(), ged], ignore_index=True)
    t = time.perf_counter()
    pairs = matching.candidate_pairs(frame)
    sweep_s = time.perf_counter() - t
    m = matching.cluster(frame, matching.score_pairs(frame, pairs))
    total_s = time.perf_counter() - t
    fused, members = matching.fuse(m)
    t = time.perf_counter()
    naive = naive_pairs(frame)
    naive_s = time.perf_counter() - t
    same = naive == set(zip(pairs["left"].tolist(), pairs["right"].tolist()))
    per10k = 10_000 / len(frame)
    out = {"rows": len(frame), "curated": int((frame["source_dataset"] == "curated").sum()),
           "ucdp": len(ged), "candidate_pairs": len(pairs), "same_pairs_as_naive": same,
           "match_pairs": int((m.pairs["score"] >= matching.MATCH).sum()),
           "clusters": len(fused), "multi_source_clusters": int((fused["n_sources"] > 1).sum()),
           "rows_merged_away": len(frame) - len(fused), "possible_pairs": len(m.possible),
           "curated_matched": int(members.loc[members["source_dataset"] == "curated", "incident_id"].nunique()),
           "candidates_s_per_10k": round(sweep_s * per10k, 4), "naive_s_per_10k": round(naive_s * per10k, 4),
           "ratio_naive_over_sweep": round(naive_s / max(sweep_s, 1e-9), 1),
           "whole_matcher_s_per_10k": round(total_s * per10k, 4)}
    if synthetic_rows:
        big = synthetic(frame, synthetic_rows)
        t = time.perf_counter()
        mm = matching.match(big)
        fused_big, _ = matching.fuse(mm)
        out.update(synthetic_rows=synthetic_rows, synthetic_pairs=len(mm.pairs),
                   synthetic_clusters=len(fused_big), synthetic_s=round(time.perf_counter() - t, 2))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--synthetic", type=int, default=0, metavar="N")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.shared / "real" / "ucdp_ged_iraq.csv").is_file():
        print(f"ucdp_ged_iraq.csv not found under {args.shared.name}/real", file=sys.stderr)
        return 2
    out = report(args.shared, synthetic_rows=args.synthetic)
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
