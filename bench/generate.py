"""Synthetic incidents for the benchmark: ACLED-layout CSV files of N rows, deterministic per seed.

The rows are SYNTHETIC (every note says so, actors and outlets are named "synthetic …"): they exist
only to measure the atlas at scale and must never be mixed with real data. What is realistic is
their shape, which is what costs time and memory:

- places: the study area's real places from `geo.gazetteer.load_gazetteer()` (Kirkuk city and the
  district seats weigh most), jittered by location precision: ACLED geo_precision 1 (≈1 km),
  2 (≈10 km, "near"), 3 (put on the district seat, as ACLED codes a district-only location);
- time: 2003–2024, a yearly level that rises and falls, plus bursts (a third of the rows come in
  runs of days around one place and one event type);
- all six ACLED event types with their sub-types, ACLED time_precision 1–3, skewed fatalities
  (most rows 0, a long tail), notes of ACLED-like length, unique per row;
- the current (2024) 31-column ACLED header.

    python bench/generate.py 100000            # writes bench/out/acled_synthetic_100000_s2024_<hash>.csv
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from events import model  # noqa: E402
from geo import gazetteer  # noqa: E402

OUT = ROOT / "bench" / "out"
SEED = 2024
SIZES = (1_000, 10_000, 100_000, 1_000_000)
# The header of ACLED's current export layout (as in a 2024 download), in its order.
ACLED_HEADER = ("event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
                "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
                "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
                "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
                "fatalities", "tags", "timestamp")
FIRST, LAST = pd.Timestamp("2003-01-01"), pd.Timestamp("2024-12-31")
# Relative activity per year 2003..2024: a shape for the generator, not a statistic.
YEAR_LEVEL = (0.5, 0.8, 1.0, 1.3, 1.4, 0.9, 0.7, 0.6, 0.6, 0.7, 1.0, 1.8, 1.6, 1.5, 1.3, 0.6, 0.5, 0.45,
              0.4, 0.3, 0.25, 0.2)
TYPE_SHARE = {"Explosions/Remote violence": 0.35, "Battles": 0.20, "Violence against civilians": 0.15,
              "Strategic developments": 0.15, "Protests": 0.12, "Riots": 0.03}
DISORDER = {"Battles": "Political violence", "Explosions/Remote violence": "Political violence",
            "Violence against civilians": "Political violence", "Protests": "Demonstrations",
            "Riots": "Demonstrations", "Strategic developments": "Strategic developments"}
# (actor names, ACLED inter category) per role; every name says it is synthetic.
ROLES = {
    "state": ([f"Synthetic state force {i}" for i in range(1, 6)], "State forces"),
    "rebel": ([f"Synthetic armed group {i}" for i in range(1, 16)], "Rebel group"),
    "militia": ([f"Synthetic militia {i}" for i in range(1, 11)], "Political militia"),
    "identity": ([f"Synthetic tribal militia {i}" for i in range(1, 9)], "Identity militia"),
    "external": ([f"Synthetic foreign force {i}" for i in range(1, 4)], "External/Other forces"),
    "protesters": (["Protesters (synthetic)"], "Protesters"),
    "rioters": (["Rioters (synthetic)"], "Rioters"),
    "civilians": (["Civilians (synthetic)"], "Civilians"),
}
SIDES = {  # event type -> (roles of actor1, roles of actor2 or None when often empty)
    "Battles": (("state", "rebel", "militia", "identity", "external"), ("state", "rebel", "militia", "identity")),
    "Explosions/Remote violence": (("rebel", "state", "external", "militia"), ("civilians", "state", None)),
    "Violence against civilians": (("rebel", "militia", "identity", "state"), ("civilians",)),
    "Protests": (("protesters",), (None, None, "state")),
    "Riots": (("rioters",), (None, "state", "civilians")),
    "Strategic developments": (("state", "rebel", "militia", "external"), (None, "civilians", "rebel")),
}
OUTLETS = [f"Synthetic outlet {i}" for i in range(1, 25)]
SCALES = ("National", "Subnational", "Local partner-Other", "New media", "National-Regional", "Other")
PRECISION_SHARE = {"time": (0.80, 0.12, 0.08), "geo": (0.60, 0.30, 0.10)}
KIND_WEIGHT = {"governorate seat": 8.0, "district seat": 4.0, "sub-district seat": 2.0, "town": 1.0,
               "village": 0.5}
OUTSIDE_KIRKUK = 0.3
JITTER_DEG = {1: 0.012, 2: 0.08}  # standard deviation of the offset from the place, by geo_precision


def _hash() -> str:
    """Short hash of this file: a cached CSV is reused only if the generator did not change."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]


def places() -> pd.DataFrame:
    """The gazetteer's points usable as incident locations, with a sampling weight and their district seat."""
    g = gazetteer.load_gazetteer()
    g = g[g["lat"].notna() & g["lon"].notna() & g["kind"].ne("governorate") & g["geo_precision"].fillna(1).le(2)]
    g = g.reset_index(drop=True)
    weight = g["kind"].map(KIND_WEIGHT).fillna(0.3).to_numpy(float, copy=True)
    weight[g["name_en"].eq("Kirkuk").to_numpy()] *= 3  # the city itself: most reports
    weight[g["admin1"].ne("Kirkuk").to_numpy()] *= OUTSIDE_KIRKUK  # the disputed districts around it: fewer
    seats = g[g["kind"].isin(["district seat", "governorate seat"])].drop_duplicates("admin2").set_index("admin2")
    seat = g["admin2"].map(seats["name_en"])
    out = pd.DataFrame({"name": g["name_en"], "lat": g["lat"].astype(float), "lon": g["lon"].astype(float),
                        "admin1": g["admin1"].fillna(""), "admin2": g["admin2"].fillna(""),
                        "admin3": g["admin3"].fillna(""), "weight": weight / weight.sum(),
                        "seat": seat.fillna(g["name_en"]),
                        "seat_lat": g["admin2"].map(seats["lat"]).fillna(g["lat"]).astype(float),
                        "seat_lon": g["admin2"].map(seats["lon"]).fillna(g["lon"]).astype(float)})
    return out


def _days(rng: np.random.Generator, n: int) -> np.ndarray:
    """n day offsets from FIRST following the yearly level (uniform within a year)."""
    years = np.arange(FIRST.year, LAST.year + 1)
    level = np.array(YEAR_LEVEL, float)
    year = rng.choice(years, size=n, p=level / level.sum())
    start = (pd.to_datetime([f"{y}-01-01" for y in years]) - FIRST).days.to_numpy()
    length = np.array([366 if (y % 4 == 0 and (y % 100 or y % 400 == 0)) else 365 for y in years])
    k = year - FIRST.year
    return start[k] + rng.integers(0, length[k])


def incidents(n: int, *, seed: int = SEED) -> pd.DataFrame:
    """n synthetic incidents as an ACLED-layout table (text and numbers as ACLED writes them)."""
    rng = np.random.default_rng(seed)
    spots = places()
    types = list(TYPE_SHARE)
    share = np.array(list(TYPE_SHARE.values()))
    # Bursts: a third of the rows in runs of days around one place with one event type.
    n_burst = n // 3
    n_runs = max(3, n_burst // 60)
    run_day = _days(rng, n_runs)
    run_place = rng.choice(len(spots), size=n_runs, p=spots["weight"].to_numpy())
    run_type = rng.choice(len(types), size=n_runs, p=share)
    which = rng.integers(0, n_runs, size=n_burst)
    day = np.concatenate([_days(rng, n - n_burst),
                          run_day[which] + np.rint(rng.exponential(4.0, n_burst)).astype(int)])
    place = np.concatenate([rng.choice(len(spots), size=n - n_burst, p=spots["weight"].to_numpy()),
                            run_place[which]])
    etype = np.concatenate([rng.choice(len(types), size=n - n_burst, p=share), run_type[which]])
    order = rng.permutation(n)  # bursts are not contiguous in the file
    day, place, etype = day[order], place[order], etype[order]
    day = np.clip(day, 0, (LAST - FIRST).days)
    date = FIRST + pd.to_timedelta(day, unit="D")

    et = np.array(types, dtype=object)[etype]
    sub = np.empty(n, dtype=object)
    for i, t in enumerate(types):
        rows = etype == i
        subs = model.EVENT_TYPES[t]
        w = np.linspace(2.0, 1.0, len(subs))
        sub[rows] = np.array(subs, dtype=object)[rng.choice(len(subs), size=int(rows.sum()), p=w / w.sum())]

    time_prec = rng.choice([1, 2, 3], size=n, p=PRECISION_SHARE["time"])
    geo_prec = rng.choice([1, 2, 3], size=n, p=PRECISION_SHARE["geo"])
    s = spots.iloc[place].reset_index(drop=True)
    lat, lon = s["lat"].to_numpy(), s["lon"].to_numpy()
    for g, sd in JITTER_DEG.items():
        rows = geo_prec == g
        lat = np.where(rows, lat + rng.normal(0, sd, n), lat)
        lon = np.where(rows, lon + rng.normal(0, sd, n), lon)
    district = geo_prec == 3
    lat = np.where(district, s["seat_lat"].to_numpy(), lat)
    lon = np.where(district, s["seat_lon"].to_numpy(), lon)
    location = np.where(district, s["seat"].to_numpy(object), s["name"].to_numpy(object))

    violent = np.isin(et, ["Battles", "Explosions/Remote violence", "Violence against civilians"])
    killed = np.floor(rng.lognormal(0.6, 1.1, n)).astype(int)
    killed = np.where(rng.random(n) < np.where(violent, 0.55, 0.97), 0, np.minimum(killed + 1, 300))

    actor1, inter1, actor2, inter2 = (np.full(n, "", dtype=object) for _ in range(4))
    for t, (first, second) in SIDES.items():
        rows = np.flatnonzero(et == t)
        for names, inters, roles in ((actor1, inter1, first), (actor2, inter2, second)):
            role = np.array(roles, dtype=object)[rng.integers(0, len(roles), len(rows))]
            for r in set(roles) - {None}:
                hit = rows[role == r]
                pool, inter = ROLES[r]
                names[hit] = np.array(pool, dtype=object)[rng.integers(0, len(pool), len(hit))]
                inters[hit] = inter
    interaction = np.where(inter2 == "", inter1 + " only", inter1 + "-" + inter2)
    civ = np.where((et == "Violence against civilians") | ((et == "Explosions/Remote violence") & (actor2 == "Civilians (synthetic)")),
                   "Civilian targeting", "")

    uniq_days, inv = np.unique(day, return_inverse=True)
    stamp = FIRST + pd.to_timedelta(uniq_days, unit="D")
    event_date = np.asarray(stamp.strftime("%d %B %Y"), dtype=object)[inv]
    iso_day = np.asarray(stamp.strftime("%Y-%m-%d"), dtype=object)[inv]
    outlet = np.array(OUTLETS, dtype=object)
    source = np.where(rng.random(n) < 0.7, outlet[rng.integers(0, len(OUTLETS), n)],
                      outlet[rng.integers(0, len(OUTLETS), n)] + "; " + outlet[rng.integers(0, len(OUTLETS), n)])
    ids = np.char.add("SYN", np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object)
    notes = ("SYNTHETIC benchmark row, not a real event (bench/generate.py, seed " + str(seed) + "): on " + iso_day
             + ", " + sub + " near " + location + " (" + s["admin2"].to_numpy(object) + "); "
             + killed.astype(str).astype(object) + " reported killed. Generated to measure the atlas at scale; "
             "actors, outlets and figures are invented, the place is a gazetteer point. [" + ids + "]")
    tags = np.where(np.isin(et, ["Protests", "Riots"]), "crowd size=no report", "")
    return pd.DataFrame({
        "event_id_cnty": ids, "event_date": event_date, "year": date.year.to_numpy(), "time_precision": time_prec,
        "disorder_type": pd.Series(et).map(DISORDER).to_numpy(), "event_type": et, "sub_event_type": sub,
        "actor1": actor1, "assoc_actor_1": "", "inter1": inter1, "actor2": actor2, "assoc_actor_2": "",
        "inter2": inter2, "interaction": interaction, "civilian_targeting": civ, "iso": 368,
        "region": "Middle East", "country": "Iraq", "admin1": s["admin1"].to_numpy(), "admin2": s["admin2"].to_numpy(),
        "admin3": np.where(district, "", s["admin3"].to_numpy(object)), "location": location,
        "latitude": np.round(lat, 4), "longitude": np.round(lon, 4), "geo_precision": geo_prec, "source": source,
        "source_scale": np.array(SCALES, dtype=object)[rng.integers(0, len(SCALES), n)], "notes": notes,
        "fatalities": killed, "tags": tags, "timestamp": 1_700_000_000 + np.arange(n) % 30_000_000,
    }, columns=list(ACLED_HEADER))


def csv_path(n: int, *, seed: int = SEED, out: Path = OUT) -> Path:
    return Path(out) / f"acled_synthetic_{n}_s{seed}_{_hash()}.csv"


def write_csv(n: int, *, seed: int = SEED, out: Path = OUT) -> Path:
    """The CSV of n synthetic rows (generated once per n, seed and generator version, then reused)."""
    path = csv_path(n, seed=seed, out=out)
    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    incidents(n, seed=seed).to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=list(SIZES), help="row counts (default: 1k 10k 100k 1M)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--store", type=Path, help="also import each file into this store (events.store.import_file)")
    args = ap.parse_args(argv)
    for n in args.sizes:
        path = write_csv(n, seed=args.seed, out=args.out)
        line = f"{path}  ({path.stat().st_size / 1e6:.1f} MB)"
        if args.store:
            from events import store
            summary = store.import_file(args.store, path, source="acled")
            line += f"  imported: {summary.accepted:,} accepted, {summary.rejected:,} rejected"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
