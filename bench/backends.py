"""The store's two backends side by side (issue 17): GeoPackage against PostGIS in the same run.

    python bench/backends.py [--n 1000000] [--out bench/out]

For N synthetic ACLED-layout rows (bench/generate.py), on each backend: the import (rows/s and the
importing process's peak memory, bench/worker.py), the load as the app holds it (store + admin areas +
controllers), and the page's first open in a new process, cold (building the columnar cache) then warm,
with three slider steps over the whole range (bench/first_open.py, AppTest). The PostGIS server is a
throw-away local cluster (tests/postgis.py: Debian's PostgreSQL 15 + PostGIS 3, fsync off, so its
writes are a best case for a server on the same machine). Prints a Markdown table; the numbers go into
bench/RESULTS.md by hand with the date and commit.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402


def _run(*args: str, env: dict | None = None) -> dict:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=3600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{args[0]} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(lines[-1])


def measure(where: str, csv: Path, *, cache_home: Path) -> dict:
    """Import, load and first open (cold, warm) of `csv` into the store at `where` (a path or a URL)."""
    env = {"XDG_CACHE_HOME": str(cache_home)}   # a URL store's columnar cache
    out = {"import": _run("bench/worker.py", "import", str(csv), where, env=env),
           "load": _run("bench/worker.py", "load", where, env=env)}
    for phase in ("cold", "warm"):
        out[phase] = _run("bench/first_open.py", where, env=env)
    return out


def _gb(n) -> str:
    return f"{n / 2**30:.2f} GB"


def table(n: int, results: dict) -> str:
    rows = ["| N = {:,} | GeoPackage | PostGIS |".format(n), "|---|---|---|"]

    def line(label, fn):
        rows.append(f"| {label} | " + " | ".join(fn(results[k]) for k in ("gpkg", "postgis")) + " |")

    line("import (rows/s; peak memory of the importer)",
         lambda r: f"{r['import']['accepted'] / r['import']['seconds']:,.0f} rows/s ({r['import']['seconds']:.1f} s); "
                   f"{_gb(r['import']['peak_rss_bytes'])}")
    line("load as the app holds it (s; peak)", lambda r: f"{r['load']['seconds']:.1f} s ({r['load']['load_s']:.1f} s "
                                                          f"reading the store); {_gb(r['load']['peak_rss_bytes'])}")
    line("page first run, cold (builds the cache)", lambda r: f"{r['cold']['first_run_s']:.1f} s; "
                                                              f"peak {_gb(r['cold']['peak_first_bytes'])}")
    line("page first run, warm (a new server, cache present)", lambda r: f"{r['warm']['first_run_s']:.1f} s; "
                                                                         f"peak {_gb(r['warm']['peak_first_bytes'])}")
    line("slider steps, whole range (AppTest, s)", lambda r: ", ".join(f"{s:.2f}" for s in r["warm"]["steps_s"]))
    line("incidents shown after the steps", lambda r: " / ".join(r["warm"]["shown"]))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=generate.OUT)
    opts = ap.parse_args(argv)
    from tests import postgis

    opts.out.mkdir(parents=True, exist_ok=True)
    csv = generate.write_csv(opts.n, out=opts.out)
    results = {}
    started = time.time()
    gpkg = opts.out / f"backends_{opts.n}.gpkg"
    for leftover in opts.out.glob(f"{gpkg.name}*"):
        leftover.unlink()
    results["gpkg"] = measure(str(gpkg), csv, cache_home=opts.out / "backends_cache")
    with postgis.running() as server:
        url = postgis.fresh_database(server)
        results["postgis"] = measure(url, csv, cache_home=opts.out / "backends_cache")
    print(json.dumps(results))
    print(f"\n{table(opts.n, results)}\n\n({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
