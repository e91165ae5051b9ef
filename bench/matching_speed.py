"""Matching an import against a store at scale (issue 18): incoming rows of one data set against stored rows of
another, the way an import runs it (`events.matching.match_new`), and the naive way (everything from scratch,
`events.matching.match`) in the same run.

    python bench/matching_speed.py [--stored 1000000] [--incoming 100000] [--naive-stored N] [--json]

SYNTHETIC data (bench/generate.py, every row says so): the stored rows are the generator's ACLED-layout file
of --stored rows (seed 2024) imported as data set "acled"; the incoming rows are another generated file (seed
2025) imported as data set "import-b", over the same area and years, of which DUPLICATE_SHARE are re-reports
of stored rows (the same event a day apart or not, 0-3 km away, the toll off by up to a death). Both go through
the ACLED importer (events.sources.iter_import); `sources` and `original` (unused by the matcher) are dropped
to keep the store's frame small, as the app's page does.

Timed: `match_new(stored matching, incoming)`: candidate pairs holding an incoming row, their scores and the
clusters of all stored + incoming rows (the stored matching, `match(stored)`, is the earlier import's work
and timed apart). Naive: `match(stored + incoming)` from scratch, with --naive-stored rows of the stored ones
(default: all of them), checked to give the same clusters when it runs at full size. Prints one JSON line;
`candidate_pairs` is what match_new keeps (the candidate pairs scoring from POSSIBLE), `incoming_merged` the
incoming rows that joined a stored row's cluster, peak RSS is VmHWM. Results: docs/matching.md.
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

from bench import generate  # noqa: E402
from events import matching, sources  # noqa: E402

DUPLICATE_SHARE = 0.3
DROPPED = ("sources", "original", "geometry")


def vm_hwm_mb() -> float:
    """Peak resident memory of this process so far (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def imported(n: int, *, seed: int, dataset: str, out: Path = generate.OUT) -> pd.DataFrame:
    """n generated rows (bench/generate.py, CSV cached under `out`) through the ACLED importer, as `dataset`."""
    path = generate.write_csv(n, seed=seed, out=out)
    parts = []
    for accepted, _ in sources.iter_import(path, source="acled", chunksize=100_000):
        parts.append(pd.DataFrame(accepted.drop(columns=[c for c in DROPPED if c in accepted.columns])))
    frame = pd.concat(parts, ignore_index=True)
    frame["source_dataset"] = dataset
    frame["incident_id"] = dataset + ":" + frame["source_id"].astype(str)
    return frame


def with_duplicates(incoming: pd.DataFrame, stored: pd.DataFrame, *, share: float, seed: int = 18) -> pd.DataFrame:
    """`incoming` with its first `share` of rows turned into re-reports of random stored rows (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    k = int(len(incoming) * share)
    src = stored.iloc[rng.integers(0, len(stored), k)].reset_index(drop=True)
    out = incoming.copy()
    cols = ["date_start", "date_end", "date_precision", "place", "admin1", "admin2", "admin3", "lat", "lon",
            "geo_precision", "event_type", "sub_event_type", "actor1", "actor2", "killed_low", "killed_best",
            "killed_high"]
    for c in cols:
        out.loc[: k - 1, c] = src[c].to_numpy()
    shift = pd.to_timedelta(rng.integers(0, 2, k), unit="D")
    out.loc[: k - 1, "date_start"] = src["date_start"].to_numpy() + shift
    out.loc[: k - 1, "date_end"] = src["date_end"].to_numpy() + shift
    out.loc[: k - 1, "lat"] = src["lat"].to_numpy() + rng.uniform(-0.02, 0.02, k)
    out.loc[: k - 1, "lon"] = src["lon"].to_numpy() + rng.uniform(-0.02, 0.02, k)
    killed = src["killed_best"].astype("float64").to_numpy() + rng.integers(0, 2, k)
    for c in ("killed_low", "killed_best", "killed_high"):
        out[c] = out[c].astype("Int64")
        out.loc[: k - 1, c] = pd.array(np.where(np.isnan(killed), np.nan, killed), dtype="Int64")
    return out


def merged_incoming(m: matching.Matching, n_stored: int) -> int:
    """Incoming rows that ended in a cluster with a stored row."""
    cids = m.clusters.to_numpy(object)
    stored_clusters = set(cids[:n_stored])
    return int(sum(c in stored_clusters for c in cids[n_stored:]))


def run(n_stored: int, n_incoming: int, *, naive_stored: int | None = None, out: Path = generate.OUT) -> dict:
    """The measurements (see the module docstring) as one dict."""
    t = time.perf_counter()
    stored = imported(n_stored, seed=generate.SEED, dataset="acled", out=out)
    incoming = with_duplicates(imported(n_incoming, seed=generate.SEED + 1, dataset="import-b", out=out), stored,
                               share=DUPLICATE_SHARE)
    import_s = time.perf_counter() - t
    t = time.perf_counter()
    prior = matching.match(stored)
    stored_s = time.perf_counter() - t
    t = time.perf_counter()
    m = matching.match_new(prior, incoming)
    new_s = time.perf_counter() - t
    out = {"stored_rows": n_stored, "incoming_rows": n_incoming, "synthetic": True,
           "match_new_s": round(new_s, 2), "candidate_pairs": len(m.pairs),
           "match_pairs": int((m.pairs["score"] >= matching.MATCH).sum()),
           "incoming_merged": merged_incoming(m, n_stored), "possible_pairs": len(m.possible),
           "peak_rss_mb_after_match_new": vm_hwm_mb(), "import_s": round(import_s, 1),
           "stored_match_s": round(stored_s, 2)}
    full = naive_stored is None or naive_stored >= n_stored
    base = stored if full else stored.iloc[:naive_stored]
    clusters = m.clusters.to_numpy(object)
    del m, prior
    if not full:  # the incremental way at the naive size too, for a like-for-like ratio
        t = time.perf_counter()
        matching.match_new(matching.match(base), incoming)
        out["match_new_s_at_naive_size"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    naive = matching.match(pd.concat([base, incoming], ignore_index=True))
    naive_s = time.perf_counter() - t
    out.update(naive_stored_rows=len(base), naive_s=round(naive_s, 2),
               ratio_naive_over_new=round(naive_s / max(out.get("match_new_s_at_naive_size", new_s), 1e-9), 2),
               peak_rss_mb=vm_hwm_mb())
    if full:
        out["same_clusters_as_naive"] = bool(np.array_equal(clusters, naive.clusters.to_numpy(object)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--incoming", type=int, default=100_000)
    parser.add_argument("--naive-stored", type=int, default=None, metavar="N",
                        help="stored rows for the naive run (default: all)")
    parser.add_argument("--json", action="store_true", help="(the output is always one JSON line)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.stored, args.incoming, naive_stored=args.naive_stored)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
