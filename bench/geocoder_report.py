"""How often the geocoder is right, on place names with true coordinates it was not built from.

    python bench/geocoder_report.py [--shared DIR] [--json] [--misses N]

The held-out set is built at run time from public files beside the checkout (never copied into the
repo): every distinct UCDP GED place string at ``where_prec`` 1 inside the study box (the text of
``where_coordinates``; truth = the row's latitude/longitude, UCDP's own point); every distinct ACLED
``location`` at ``geo_precision`` 1 inside the study box in the ACLED sample (truth = its
latitude/longitude); and every OCHA COD-AB (CSO 2019) sub-district whose representative point is
inside the study box, by its English and its Arabic name (the truth is the polygon: an answer
inside it is 0 km off, one outside it is off by its distance to the polygon). Printed per
script and per kind: rows, answers given (found), the share of answers within 5 km and within
25 km, the confident-wrong share (answers more than 25 km off that claim precision 1 or 2), and
recall (rows answered within 5 km / all rows). The last lines split the answers by the precision they
claim (1 exact place, 2 within ~25 km, 3 district or sub-district, 4 governorate).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
import shapely.ops  # noqa: E402
from pyproj import Geod  # noqa: E402

from geo import gazetteer as gz  # noqa: E402

GEOD = Geod(ellps="WGS84")
UCDP = "real/ucdp_ged_iraq.csv"
ACLED = "real/acled_sample.csv"
ADM3 = "real/irq_admbnda_adm3_cso_20190603.geojson"


def _in_box(lat, lon) -> bool:
    south, west, north, east = gz.STUDY_BOUNDS
    return south <= lat <= north and west <= lon <= east


def _script(text: str) -> str:
    return "arabic" if re.search("[\u0600-\u06ff]", text) else "latin"


def _ucdp_kind(text: str) -> str:
    last = text.strip().split()[-1].lower() if text.strip() else ""
    return {"town": "town", "village": "village"}.get(last, "site")


def build_testset(shared: Path) -> pd.DataFrame:
    """The held-out rows: query, lat, lon, kind, script, polygon (None for UCDP points)."""
    ucdp = pd.read_csv(shared / UCDP, low_memory=False,
                       usecols=["where_prec", "where_coordinates", "latitude", "longitude"])
    ucdp = ucdp[(ucdp["where_prec"] == 1) & ucdp["where_coordinates"].notna()]
    ucdp = ucdp[[_in_box(a, b) for a, b in zip(ucdp["latitude"], ucdp["longitude"])]]
    ucdp = ucdp.drop_duplicates(["where_coordinates", "latitude", "longitude"])
    rows = [{"query": q, "lat": float(a), "lon": float(b), "kind": _ucdp_kind(q), "script": _script(q),
             "origin": "UCDP GED where_prec 1", "polygon": None}
            for q, a, b in zip(ucdp["where_coordinates"], ucdp["latitude"], ucdp["longitude"])]
    rows += acled_rows(shared)
    adm3 = gpd.read_file(shared / ADM3)
    points = adm3.geometry.representative_point()
    for rec, pt in zip(adm3.itertuples(index=False), points):
        if not _in_box(pt.y, pt.x):
            continue
        for name in (rec.ADM3_EN, rec.ADM3_AR):
            if isinstance(name, str) and name.strip():
                rows.append({"query": name.strip(), "lat": pt.y, "lon": pt.x, "kind": "sub-district name",
                             "script": _script(name), "origin": f"OCHA COD-AB adm3 {rec.ADM3_PCODE}",
                             "polygon": rec.geometry})
    return pd.DataFrame(rows)


def acled_rows(shared: Path) -> list[dict]:
    """The ACLED sample's distinct `location` strings at geo_precision 1 inside the study box (none
    when the file is missing or holds no such row), kind "ACLED location"."""
    path = shared / ACLED
    if not path.is_file():
        return []
    acled = pd.read_csv(path, low_memory=False, dtype=str, keep_default_na=False)
    if not {"location", "latitude", "longitude", "geo_precision"} <= set(acled.columns):
        return []
    for col in ("latitude", "longitude", "geo_precision"):
        acled[col] = pd.to_numeric(acled[col], errors="coerce")
    acled = acled[(acled["geo_precision"] == 1) & (acled["location"].str.strip() != "")]
    acled = acled[[_in_box(a, b) for a, b in zip(acled["latitude"], acled["longitude"])]]
    acled = acled.drop_duplicates(["location", "latitude", "longitude"])
    return [{"query": q.strip(), "lat": float(a), "lon": float(b), "kind": "ACLED location", "script": _script(q),
             "origin": "ACLED geo_precision 1", "polygon": None}
            for q, a, b in zip(acled["location"], acled["latitude"], acled["longitude"])]


def _error_km(rec, lat: float, lon: float) -> float:
    """Geodesic km from the truth: a point, or a polygon (0 inside; else to its nearest edge point)."""
    if rec.polygon is None:
        return GEOD.inv(rec.lon, rec.lat, lon, lat)[2] / 1000.0
    if shapely.contains_xy(rec.polygon, lon, lat):
        return 0.0
    near, _ = shapely.ops.nearest_points(rec.polygon, shapely.Point(lon, lat))
    return GEOD.inv(near.x, near.y, lon, lat)[2] / 1000.0


def learn_half(shared: Path, folder: Path):
    """Import the UCDP rows with an even id into a fresh store in `folder` (their exact places become
    evidence) and return its Gazetteer and the held-out set: the distinct where_prec 1 strings in the
    study box of the rows with an odd id (origin "seen" when the string is also in the learnt half)."""
    from events import store
    ucdp = pd.read_csv(shared / UCDP, low_memory=False, dtype=str, keep_default_na=False)
    odd = pd.to_numeric(ucdp["id"], errors="coerce") % 2 == 1
    ucdp[~odd].to_csv(folder / "ucdp_even_ids.csv", index=False)
    store.import_file(folder / "learnt.gpkg", folder / "ucdp_even_ids.csv")
    seen = set(ucdp.loc[~odd, "where_coordinates"])
    test = ucdp[odd].copy()
    for col in ("latitude", "longitude", "where_prec"):
        test[col] = pd.to_numeric(test[col], errors="coerce")
    test = test[(test["where_prec"] == 1) & (test["where_coordinates"] != "")]
    test = test[[_in_box(a, b) for a, b in zip(test["latitude"], test["longitude"])]]
    test = test.drop_duplicates(["where_coordinates", "latitude", "longitude"])
    rows = [{"query": q, "lat": a, "lon": b, "kind": _ucdp_kind(q), "script": _script(q),
             "origin": "name seen in the learnt half" if q in seen else "name not seen", "polygon": None}
            for q, a, b in zip(test["where_coordinates"], test["latitude"], test["longitude"])]
    return gz.gazetteer_for(folder / "learnt.gpkg"), pd.DataFrame(rows)


def score(testset: pd.DataFrame, gazetteer=None) -> pd.DataFrame:
    """Geocode every row; add found, precision, error_km, within5, within25, confident_wrong."""
    out = []
    for rec in testset.itertuples(index=False):
        hit = gz.geocode(rec.query, gazetteer=gazetteer)
        row = {**rec._asdict(), "found": bool(hit.found), "precision": hit.geo_precision,
               "matched": hit.matched, "error_km": None}
        if hit.found:
            row["error_km"] = _error_km(rec, hit.lat, hit.lon)
        out.append(row)
    frame = pd.DataFrame(out)
    err = pd.to_numeric(frame["error_km"], errors="coerce")
    frame["within5"] = frame["found"] & (err <= 5)
    frame["within25"] = frame["found"] & (err <= 25)
    frame["confident_wrong"] = frame["found"] & (err > 25) & frame["precision"].isin([1, 2])
    return frame


def summarise(frame: pd.DataFrame) -> list[dict]:
    """One line per group: all, each script, each kind."""
    groups = [("all", frame)]
    if not frame["origin"].str.startswith("name ").all():
        groups += [(f"source={k}", g) for k, g in frame.groupby(frame["origin"].str.split().str[0])]
    groups += [(f"script={k}", g) for k, g in frame.groupby("script")]
    groups += [(f"kind={k}", g) for k, g in frame.groupby("kind")]
    if frame["origin"].str.startswith("name ").all():
        groups += [(k, g) for k, g in frame.groupby("origin")]
    answered = frame[frame["found"]]
    groups += [(f"answers at precision {int(k)}", g) for k, g in answered.groupby("precision")]
    lines = []
    for label, g in groups:
        found = int(g["found"].sum())
        share = (lambda col: round(float(g[col].sum()) / found, 3) if found else None)
        lines.append({"group": label, "rows": len(g), "found": found,
                      "within_5km_of_found": share("within5"), "within_25km_of_found": share("within25"),
                      "beyond_25km_of_found": round(1 - share("within25"), 3) if found else None,
                      "confident_wrong_of_found": share("confident_wrong"),
                      "recall_within_5km": round(float(g["within5"].sum()) / len(g), 3) if len(g) else None})
    return lines


def _table(lines: list[dict]) -> str:
    head = ("group", "rows", "found", "within 5 km", "within 25 km", "beyond 25 km", "confident wrong",
            "recall (5 km)")
    pct = (lambda v: "–" if v is None else f"{100 * v:.1f} %")
    body = [f"| {' | '.join(head)} |", "|" + "---|" * len(head)]
    for d in lines:
        body.append(f"| {d['group']} | {d['rows']} | {d['found']} | {pct(d['within_5km_of_found'])} | "
                    f"{pct(d['within_25km_of_found'])} | {pct(d['beyond_25km_of_found'])} | "
                    f"{pct(d['confident_wrong_of_found'])} | {pct(d['recall_within_5km'])} |")
    return "\n".join(body)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                   help="the folder holding real/ucdp_ged_iraq.csv and real/irq_admbnda_adm3_cso_20190603.geojson")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--misses", type=int, default=0, help="also list up to N answers more than 5 km off")
    p.add_argument("--learn-half", action="store_true",
                   help="learn places from the UCDP rows with an even id (a store import), test on the odd ids, "
                        "without and with the learnt places")
    args = p.parse_args(argv)
    for rel in (UCDP, ADM3):
        if not (args.shared / rel).is_file():
            print(f"error: {Path(rel).name} not found in the --shared folder", file=sys.stderr)
            return 2
    started = time.perf_counter()
    if args.learn_half:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            learnt, held_out = learn_half(args.shared, Path(tmp))
            for label, gazetteer in (("without the learnt places", None), ("with the learnt places", learnt)):
                lines = summarise(score(held_out, gazetteer))
                print(json.dumps(lines, ensure_ascii=False, indent=1) if args.json
                      else f"\n### {label}\n\n{_table(lines)}")
        return 0
    frame = score(build_testset(args.shared))
    lines = summarise(frame)
    if args.json:
        print(json.dumps(lines, ensure_ascii=False, indent=1))
    else:
        print(_table(lines))
        acled = int((frame["origin"] == "ACLED geo_precision 1").sum())
        print(f"\n{len(frame)} rows in {time.perf_counter() - started:.1f} s; ACLED sample: {acled} distinct "
              f"geo_precision-1 locations inside the study box")
    if args.misses:
        wrong = frame[frame["found"] & ~frame["within5"]].sort_values("error_km", ascending=False)
        for rec in wrong.head(args.misses).itertuples(index=False):
            print(f"  {rec.query!r} -> {rec.matched} (p{rec.precision}) {rec.error_km:.0f} km off")
    return 0


if __name__ == "__main__":
    sys.exit(main())
