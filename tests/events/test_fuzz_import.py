"""Fuzzing the import (issue 9): thousands of hostile inputs from tests/hostile.py through the Python API
(`events.store.import_file`) and a subset through the CLI (`python -m events import --json`).

For every input: no traceback (only ImportFailure / StoreError, with one line that shows no server
path), no hang (an alarm per input), bounded memory (RLIMIT_AS on the worker), rows read = accepted +
rejected, every reject with row, field, value and reason, nothing fetched from the network or read
from a path named in the file, nothing written beside the input, and the store's integrity check
passing with its earlier rows intact. The API inputs run in two worker processes that loop over
them (a process per input would not fit the time budget); a worker that dies or stops answering is
restarted after the input it was on, which is reported as failing.
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

from tests import hostile

ROOT = Path(__file__).resolve().parents[2]
PER_INPUT = 15            # seconds: the alarm on one input in a worker
CLI_TIMEOUT = 60          # seconds for one `python -m events import`
STALL = 60                # seconds without progress before a worker is killed as hung
MEMORY = 3 << 30          # bytes of address space for a worker / CLI process
MUTANTS = 1540            # with the 462 crafted cases: at least 2,000 inputs per run
MUTANT_SEED = 9
ROTATE = 100              # inputs per store before a worker starts a fresh (seeded) one
CLI_CASES = 40


# ---------------------------------------------------------------- the worker (runs in a subprocess)

class Listener:
    """A loopback TCP port that records the first line of every request and hangs up at once
    (so a client that reaches it fails fast instead of waiting for an answer)."""

    def __init__(self):
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.requests: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    line = conn.recv(300).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    line = "(connection without a request line)"
            self.requests.append(line or "(empty request)")

    def take(self) -> list[str]:
        """The requests seen since the last call."""
        out, self.requests[:] = list(self.requests), []
        return out


class Hang(BaseException):
    """The per-input alarm went off (a BaseException, so no `except Exception` swallows it)."""


def _alarm(signum, frame):
    raise Hang()


def _baseline_rows() -> list[dict]:
    return [{"source_id": f"B{i}", "date_start": f"2015-0{i + 1}-1{i}", "place": f"Baseline place {i}",
             "notes": "Synthetic baseline row, not a real event."} for i in range(6)]


def seed_store(path: Path) -> str:
    """A store holding a few baseline rows (an import of its own); returns their digest."""
    from events import store
    from tests.events.factory import rows

    store.import_frame(path, rows(_baseline_rows(), dataset="baseline"), file="baseline.csv", source="table")
    return _digest(path, "WHERE source_dataset='baseline'")


def _digest(path: Path, where: str = "") -> str:
    with closing(sqlite3.connect(path)) as con:
        h = hashlib.sha256()
        for row in con.execute(f"SELECT * FROM incidents {where} ORDER BY fid"):
            h.update(repr(row).encode())
        for table in ("import_log", "rejects"):
            if not where:
                h.update(repr(con.execute(f"SELECT COUNT(*), MAX(fid) FROM {table}").fetchone()).encode())
        return h.hexdigest()


def _store_facts(path: Path, import_id: int) -> dict:
    with closing(sqlite3.connect(path)) as con:
        check = [r[0] for r in con.execute("PRAGMA integrity_check")]
        cols = [r[1] for r in con.execute("PRAGMA table_info(incidents)") if r[2] in ("TEXT", "")]
        stored = con.execute(f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}' for c in cols)} "
                             "FROM incidents WHERE import_id=?", (import_id,)).fetchall()
        rejects = con.execute('SELECT file, "row", field, value, reason FROM rejects WHERE import_id=?',
                              (import_id,)).fetchall()
        logged = con.execute("SELECT COUNT(*) FROM import_log WHERE fid=?", (import_id,)).fetchone()[0]
    place = cols.index("place") if "place" in cols else None
    return {"check": check, "rows": stored, "rejects": rejects, "logged": logged,
            "places": {r[place] for r in stored} if place is not None else set()}


def _whole(value) -> bool:
    try:
        return float(value).is_integer()
    except (TypeError, ValueError):
        return False


def _reject_problems(rejects, folder: str) -> list[str]:
    """Problems with a rejects report: every line needs row, field, value and reason, and no server path."""
    out = []
    for r in rejects.itertuples(index=False):
        row, fld, value, reason = (getattr(r, k, None) for k in ("row", "field", "value", "reason"))
        if not _whole(row) or int(row) < 1:
            out.append(f"reject without a row number: {row!r}")
        if not isinstance(fld, str) or not fld.strip():
            out.append(f"reject on row {row} without a field: {fld!r}")
        if not isinstance(value, str):
            out.append(f"reject on row {row}, field {fld} without a value: {value!r}")
        if not isinstance(reason, str) or not reason.strip():
            out.append(f"reject on row {row}, field {fld} without a reason: {reason!r}")
        if any(folder in str(x) for x in (getattr(r, "file", ""), value, reason)):
            out.append(f"reject on row {row} shows the server path {folder}")
        if out:
            break
    return out


def check_one(case: hostile.Case, path: Path, store_path: Path, *, token: str, baseline: str) -> dict:
    """Import `path` into `store_path` and return {"status", "accepted", "rejected", "problems"}."""
    from events import sources, store

    folder = str(path.parent)
    before = _digest(store_path)
    problems: list[str] = []
    status, summary = "imported", None
    signal.alarm(PER_INPUT)
    try:
        summary = store.import_file(store_path, path)
    except Hang:
        status = "hang"
        problems.append(f"no answer within {PER_INPUT} s")
    except MemoryError:
        status = "memory"
        problems.append(f"MemoryError under RLIMIT_AS={MEMORY >> 30} GB")
    except (sources.ImportFailure, store.StoreError) as exc:
        status = "refused"
        message = str(exc)
        if not message.strip() or "\n" in message or "\r" in message:
            problems.append(f"refusal is not one line: {message[:300]!r}")
        if folder in message:
            problems.append(f"refusal shows the server path: {message[:300]!r}")
        if case.readable:
            problems.append(f"a readable file was refused: {message[:300]!r}")
    except Exception as exc:  # anything else would reach the user as a traceback
        status = "traceback"
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        problems.append(f"{type(exc).__module__}.{type(exc).__name__}: {first}")
    finally:
        signal.alarm(0)
    extra = sorted(p.name for p in path.parent.iterdir() if p.name != path.name)
    if extra:
        problems.append(f"wrote beside the input: {extra[:5]}")
    if summary is None:
        try:
            if _digest(store_path) != before:
                problems.append("the store changed although the import failed")
            with closing(sqlite3.connect(store_path)) as con:
                check = [r[0] for r in con.execute("PRAGMA integrity_check")]
            if check != ["ok"]:
                problems.append(f"integrity_check: {check[:3]}")
        except sqlite3.Error as exc:
            problems.append(f"store unreadable after the import: {exc}")
        return {"status": status, "accepted": 0, "rejected": 0, "problems": problems}
    facts = _store_facts(store_path, summary.import_id)
    if facts["check"] != ["ok"]:
        problems.append(f"integrity_check: {facts['check'][:3]}")
    if _digest(store_path, "WHERE source_dataset='baseline'") != baseline:
        problems.append("the store's earlier (baseline) rows changed")
    if facts["logged"] != 1:
        problems.append("the import is not in the import log")
    if summary.rows_read != summary.accepted + summary.rejected:
        problems.append(f"rows read {summary.rows_read} != accepted {summary.accepted} + rejected {summary.rejected}")
    if case.rows is not None and summary.rows_read != case.rows:
        problems.append(f"rows read {summary.rows_read}, the file has {case.rows}")
    if case.good is not None and summary.accepted != case.good:
        problems.append(f"accepted {summary.accepted} of the {case.good} good rows "
                        f"(rejects: {summary.rejects.head(3).to_dict('records')})")
    if len(facts["rows"]) != summary.accepted:
        problems.append(f"summary says {summary.accepted} accepted, the store holds {len(facts['rows'])}")
    if len(facts["rejects"]) != len(summary.rejects):
        problems.append(f"summary has {len(summary.rejects)} rejects, the store {len(facts['rejects'])}")
    problems += _reject_problems(summary.rejects, folder)
    for want in case.expect:
        hits = summary.rejects[(summary.rejects["row"] == want.row)]
        named = hits[hits["field"].isin(want.fields)]
        if named.empty or not named["value"].astype(str).str.contains(want.value, regex=False).any():
            problems.append(f"no reject on row {want.row}, field {'/'.join(want.fields)}, value {want.value!r}: "
                            f"{hits.to_dict('records')[:3]}")
    for text in case.stored:
        if text not in facts["places"]:
            problems.append(f"{text!r} is not stored verbatim (places: {sorted(map(str, facts['places']))[:3]})")
    if any(token in str(v) for r in facts["rows"] + facts["rejects"] for v in r):
        problems.append("stored the content of a local file named inside the input")
    return {"status": status, "accepted": summary.accepted, "rejected": summary.rejected, "problems": problems}


def cases_for(spec: dict) -> list[hostile.Case]:
    if spec["set"] == "crafted":
        return hostile.crafted(canary_url=spec["canary_url"], canary_file=spec["canary_file"])
    return hostile.mutants([Path(p) for p in spec["real"]], count=spec["count"], seed=spec["seed"])


def work(spec_file: str) -> None:
    """Worker entry point: import the spec's inputs one by one, one JSON line per input in `results`."""
    spec = json.loads(Path(spec_file).read_text())
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    signal.signal(signal.SIGALRM, _alarm)
    workdir = Path(spec["workdir"])
    listener = Listener()
    canary = workdir / "canary" / "canary.csv"
    canary.parent.mkdir(parents=True, exist_ok=True)
    canary.write_bytes(hostile.canary_table())
    spec |= {"canary_url": listener.url, "canary_file": str(canary)}
    cases = cases_for(spec)
    out = open(spec["results"], "a", buffering=1)
    store_path, baseline = None, ""
    for n, index in enumerate(spec["indices"]):
        case = cases[index]
        if n % ROTATE == 0:
            store_path = workdir / f"store_{index}.gpkg"
            baseline = seed_store(store_path)
        out.write(json.dumps({"start": index}) + "\n")
        folder = workdir / "in" / str(index)
        folder.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        try:
            path = hostile.write(case, folder)
            result = check_one(case, path, store_path, token=hostile.CANARY, baseline=baseline)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        fetched = listener.take()
        if fetched:
            result["problems"].append(f"made network requests: {fetched[:3]}")
        result["seconds"] = round(time.monotonic() - began, 3)
        out.write(json.dumps({"done": index, **result}) + "\n")
    out.write(json.dumps({"end": True}) + "\n")


# ---------------------------------------------------------------- the parent side

def _run_workers(spec: dict, n_cases: int, tmp: Path, *, workers: int = 2) -> dict[int, dict]:
    """Run the inputs in `workers` processes, restarting any that dies or stalls; {index: result}."""
    results: dict[int, dict] = {}
    todo = [list(range(k, n_cases, workers)) for k in range(workers)]
    procs: dict[int, tuple] = {}

    def launch(k: int, indices: list[int]):
        spec_k = dict(spec, indices=indices, workdir=str(tmp / f"w{k}_{indices[0]}"),
                      results=str(tmp / f"results_{k}.jsonl"))
        Path(spec_k["workdir"]).mkdir(parents=True)
        spec_file = tmp / f"spec_{k}_{indices[0]}.json"
        spec_file.write_text(json.dumps(spec_k))
        with open(tmp / f"stderr_{k}.txt", "ab") as err:
            proc = subprocess.Popen([sys.executable, "-c", "import sys; from tests.events.test_fuzz_import import "
                                     "work; work(sys.argv[1])", str(spec_file)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=err, start_new_session=True)
        procs[k] = (proc, indices, spec_k["results"], time.monotonic(), 0)

    for k in range(workers):
        if todo[k]:
            launch(k, todo[k])
    while procs:
        for k, (proc, indices, res_file, last, seen) in list(procs.items()):
            lines = Path(res_file).read_text().splitlines() if Path(res_file).exists() else []
            started = None
            for line in lines:
                msg = json.loads(line)
                if "done" in msg:
                    results[msg["done"]] = msg
                elif "start" in msg:
                    started = msg["start"]
            now = time.monotonic()
            if len(lines) != seen:
                procs[k] = (proc, indices, res_file, now, len(lines))
                last = now
            code = proc.poll()
            stalled = code is None and now - last > STALL
            if stalled:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                code = proc.returncode
            if code is None:
                continue
            del procs[k]
            if lines and json.loads(lines[-1]).get("end"):
                continue
            # the worker died or hung on `started` (or before its first input): report it, go on after it
            current = started if started is not None and started not in results else None
            why = f"hung (no progress for {STALL} s)" if stalled else f"worker died (exit code {code})"
            if current is not None:
                results[current] = {"done": current, "status": "died", "accepted": 0, "rejected": 0,
                                    "problems": [why]}
            remaining = [i for i in indices if i not in results]
            if current is None and remaining:  # died before it started anything: do not loop forever
                results[remaining[0]] = {"done": remaining[0], "status": "died", "accepted": 0, "rejected": 0,
                                         "problems": [why + " before its first input: "
                                                      + (tmp / f"stderr_{k}.txt").read_text()[-500:]]}
                remaining = remaining[1:]
            Path(res_file).unlink(missing_ok=True)
            if remaining:
                launch(k, remaining)
        if procs:
            time.sleep(0.2)  # polling the workers' progress files
    return results


def _report(cases: list[hostile.Case], results: dict[int, dict]) -> list[str]:
    """Print the run's summary; return one line per failing input."""
    status = Counter(r["status"] for r in results.values())
    accepted = sum(r["accepted"] for r in results.values())
    rejected = sum(r["rejected"] for r in results.values())
    failing = {i: r for i, r in results.items() if r["problems"]}
    by_class = Counter(cases[i].kind.split("+")[0] for i in failing)
    print(f"\n{len(results)} inputs: {dict(status)}; rows accepted {accepted}, rejected {rejected}; "
          f"failing inputs {len(failing)}; by class {dict(sorted(by_class.items()))}")
    slow = sorted(results.items(), key=lambda kv: -kv[1].get("seconds", 0))[:5]
    print("slowest: " + ", ".join(f"{cases[i].name[:40]} {r.get('seconds', '?')} s" for i, r in slow))
    missing = [i for i in range(len(cases)) if i not in results]
    lines = [f"{cases[i].kind} seed={cases[i].seed} file={cases[i].name[:60]!r}: {r['status']}: "
             f"{'; '.join(r['problems'])[:600]}" for i, r in sorted(failing.items())]
    lines += [f"{cases[i].kind} seed={cases[i].seed}: never run" for i in missing]
    return lines


def _fuzz(spec: dict, tmp: Path) -> tuple[int, list[str]]:
    cases = cases_for(dict(spec, canary_url="http://127.0.0.1:9/", canary_file="/nonexistent"))
    results = _run_workers(spec, len(cases), tmp)
    return len(cases), _report(cases, results)


def test_crafted_hostile_inputs_import_safely(tmp_path):
    """Every crafted class of issue 9 through store.import_file: refused in one line or imported exactly."""
    n, failures = _fuzz({"set": "crafted"}, tmp_path)
    assert n >= 400
    assert not failures, f"{len(failures)} of {n} crafted inputs fail:\n" + "\n".join(failures)


def test_mutated_real_exports_import_safely(shared, tmp_path):
    """Seeded mutants of the real ACLED and UCDP exports (truncation, flips, headers, extremes, encodings, zips)."""
    files = hostile.real_files(shared)
    assert len(files) == len(hostile.REAL_FILES), f"missing real files in {shared / 'real'}"
    spec = {"set": "mutants", "real": [str(f) for f in files], "count": MUTANTS, "seed": MUTANT_SEED}
    n, failures = _fuzz(spec, tmp_path)
    assert n + len(hostile.crafted()) >= 2000
    assert not failures, f"{len(failures)} of {n} mutated inputs fail:\n" + "\n".join(failures)


# ---------------------------------------------------------------- the CLI

def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def cli_cases(cases: list[hostile.Case], count: int = CLI_CASES) -> list[hostile.Case]:
    """A spread of the crafted cases: the first of every class, then evenly spaced others, `count` in all."""
    picked, kinds = [], set()
    for c in cases:
        if c.kind not in kinds:
            kinds.add(c.kind)
            picked.append(c)
    rest = [c for c in cases if c not in picked]
    step = max(1, len(rest) // max(1, count - len(picked)))
    picked += rest[::step][:max(0, count - len(picked))]
    return picked


def _cli_one(case: hostile.Case, tmp: Path, store_path: Path, baseline: str) -> list[str]:
    folder = tmp / "in" / str(case.seed)
    folder.mkdir(parents=True)
    path = hostile.write(case, folder)
    problems = []
    try:
        proc = subprocess.run([sys.executable, "-m", "events", "import", str(path), "--store", str(store_path),
                               "--json"], cwd=ROOT, capture_output=True, text=True, errors="replace",
                              timeout=CLI_TIMEOUT, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        return [f"no answer within {CLI_TIMEOUT} s"]
    finally:
        extra = sorted(p.name for p in folder.iterdir() if p.name != path.name)
        shutil.rmtree(folder, ignore_errors=True)
    if extra:
        problems.append(f"wrote beside the input: {extra[:5]}")
    if "Traceback" in proc.stderr:
        problems.append("traceback: " + proc.stderr.strip().splitlines()[-1][:300])
    if proc.returncode not in (0, 2):
        problems.append(f"exit code {proc.returncode}")
    if proc.returncode == 2:
        message = proc.stderr.strip()
        if "\n" in message or not message.startswith("error: "):
            problems.append(f"the error is not one line: {message[:300]!r}")
        if str(folder) in message:
            problems.append(f"the error shows the server path: {message[:300]!r}")
        if case.readable:
            problems.append(f"a readable file was refused: {message[:300]!r}")
    if proc.returncode == 0:
        try:
            summary = json.loads(proc.stdout)
        except ValueError:
            summary = None
            problems.append(f"--json printed no JSON object: {proc.stdout[:200]!r}")
        if summary is not None:
            if summary["rows_read"] != summary["accepted"] + summary["rejected"]:
                problems.append(f"rows read {summary['rows_read']} != accepted {summary['accepted']} "
                                f"+ rejected {summary['rejected']}")
            if case.rows is not None and summary["rows_read"] != case.rows:
                problems.append(f"rows read {summary['rows_read']}, the file has {case.rows}")
            if case.good is not None and summary["accepted"] != case.good:
                problems.append(f"accepted {summary['accepted']} of the {case.good} good rows")
    with closing(sqlite3.connect(store_path)) as con:
        check = [r[0] for r in con.execute("PRAGMA integrity_check")]
    if check != ["ok"]:
        problems.append(f"integrity_check: {check[:3]}")
    if _digest(store_path, "WHERE source_dataset='baseline'") != baseline:
        problems.append("the store's earlier (baseline) rows changed")
    return problems


def test_cli_imports_hostile_inputs_without_a_traceback(tmp_path):
    """A spread of the crafted inputs through `python -m events import FILE --store S --json`."""
    from concurrent.futures import ThreadPoolExecutor

    listener = Listener()
    canary = tmp_path / "canary" / "canary.csv"
    canary.parent.mkdir()
    canary.write_bytes(hostile.canary_table())
    cases = cli_cases(hostile.crafted(canary_url=listener.url, canary_file=str(canary)))
    assert len(cases) == CLI_CASES
    stores = [tmp_path / f"store_{k}.gpkg" for k in range(2)]
    baselines = [seed_store(s) for s in stores]

    def run(k: int) -> list[str]:
        lines = []
        for case in cases[k::2]:
            problems = _cli_one(case, tmp_path, stores[k], baselines[k])
            if problems:
                lines.append(f"{case.kind} seed={case.seed} file={case.name[:60]!r}: {'; '.join(problems)[:600]}")
        return lines

    with ThreadPoolExecutor(2) as pool:
        failures = [line for part in pool.map(run, range(2)) for line in part]
    fetched = listener.take()
    leaked = 0
    for s in stores:
        with closing(sqlite3.connect(s)) as con:
            leaked += con.execute("SELECT COUNT(*) FROM incidents WHERE place LIKE ? OR sources LIKE ?",
                                  (f"%{hostile.CANARY}%",) * 2).fetchone()[0]
    print(f"\n{len(cases)} CLI inputs; failing {len(failures)}")
    assert not fetched, f"the CLI made network requests: {fetched}"
    assert not leaked, "the CLI stored the content of a local file named inside an input"
    assert not failures, f"{len(failures)} of {len(cases)} CLI inputs fail:\n" + "\n".join(failures)


# ---------------------------------------------------------------- the corpus itself

def test_corpus_is_deterministic_and_covers_every_class(shared):
    first, second = hostile.crafted(), hostile.crafted()
    small = [i for i, c in enumerate(first) if c.kind not in ("zip-bomb", "huge")]
    assert [hostile.crc(first[i].build()) for i in small] == [hostile.crc(second[i].build()) for i in small]
    files = hostile.real_files(shared)
    a, b = hostile.mutants(files, count=200, seed=MUTANT_SEED), hostile.mutants(files, count=200, seed=MUTANT_SEED)
    assert [(c.name, hostile.crc(c.build())) for c in a] == [(c.name, hostile.crc(c.build())) for c in b]
    assert len({hostile.crc(c.build()) for c in a}) > 190  # mutants differ from each other
    assert hostile.classes(first) >= {"control", "number", "date", "template", "markup", "file-name", "quotes", "nul",
                                      "bom", "encoding", "huge", "empty", "binary", "zip-bomb", "zip-path",
                                      "zip-corrupt", "xlsx", "geojson", "vrt", "kml", "gml"}
    ops = {op for c in hostile.mutants(files, count=MUTANTS, seed=MUTANT_SEED) for op in c.kind[7:].split("+")}
    assert ops >= set(hostile.CELL_OPS + hostile.HEADER_OPS + hostile.BYTE_OPS + hostile.ENCODINGS
                      + hostile.CONTAINERS)
