"""The store under several processes at once and under SIGKILL: real processes, real files."""
import json
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing

import numpy as np
import pandas as pd
import pytest

from events import model, store
from tests.conftest import ROOT
from tests.events.factory import rows

WRITERS = 8
ROWS_EACH = 1_000
BIG = 100_000  # rows of the file imported and killed
READ = 20_000  # rows of the file imported while a reader counts


def _table_csv(path, n, *, prefix):
    """A CSV of the `table` layout with `n` rows whose ids start with `prefix` (so files never overlap)."""
    i = np.arange(n)
    pd.DataFrame({"id": np.char.add(prefix, i.astype(str)), "date": "2016-10-21",
                  "lat": 35.3 + (i % 997) / 5000, "lon": 44.2 + (i % 991) / 5000, "place": "Kirkuk",
                  "event_type": "Battles", "source": "Rudaw", "fatalities": i % 7}).to_csv(path, index=False)
    return path


def _import(csv, store_path, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "events", "import", str(csv), "--store", str(store_path), "--json"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, **kwargs)


def _earlier(path):
    """A store holding three earlier rows (and one reject); returns those rows as stored."""
    bad = pd.DataFrame([{"file": "earlier.csv", "row": 5, "field": "lat", "value": "95", "reason": "outside -90..90"}])
    store.import_frame(path, rows([{"date_start": "2015-01-30", "place": "كركوك", "killed_best": 6},
                                   {"date_start": "2016-10-21", "place": "Dibis"},
                                   {"date_start": "2021-09-05", "notes": "ملاحظة"}], dataset="earlier.csv"),
                       file="earlier.csv", source="table", rejects=bad)
    return _snapshot(path)


def _snapshot(path):
    with closing(sqlite3.connect(path)) as con:
        return (con.execute("SELECT * FROM incidents WHERE source_dataset='earlier.csv' ORDER BY fid").fetchall(),
                con.execute("SELECT * FROM rejects WHERE import_id=1").fetchall())


def _facts(path):
    with closing(sqlite3.connect(path)) as con:
        return (con.execute("PRAGMA integrity_check").fetchone()[0], con.execute("SELECT COUNT(*) FROM incidents")
                .fetchone()[0], con.execute("SELECT COUNT(*) FROM import_log").fetchone()[0])


def _poll(condition, *, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def writer_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("writers")
    return [_table_csv(folder / f"writer{k}.csv", ROWS_EACH, prefix=f"w{k}-") for k in range(WRITERS)]


def _check_writers(procs, errs):
    for proc, err in zip(procs, errs):
        out, _ = proc.communicate(timeout=120)
        text = err.read_text()
        assert proc.returncode == 0 and "Traceback" not in text, text
        assert json.loads(out)["new"] == ROWS_EACH


def test_eight_writers_create_a_new_store_at_once(tmp_path, writer_files):
    path = tmp_path / "new" / "atlas.gpkg"
    errs = [tmp_path / f"err{k}.txt" for k in range(WRITERS)]
    procs = [_import(csv, path, stderr=err.open("w")) for csv, err in zip(writer_files, errs)]
    _check_writers(procs, errs)
    assert _facts(path) == ("ok", WRITERS * ROWS_EACH, WRITERS)
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["atlas.gpkg"]


def test_eight_writers_wait_their_turn_while_another_process_holds_the_store(tmp_path, writer_files):
    path = tmp_path / "atlas.gpkg"
    earlier = _earlier(path)
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys\n"
                               "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                               "con.execute('BEGIN IMMEDIATE'); print('locked', flush=True)\n"
                               "sys.stdin.readline(); con.execute('COMMIT')", str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        errs = [tmp_path / f"err{k}.txt" for k in range(WRITERS)]
        procs = [_import(csv, path, stderr=err.open("w")) for csv, err in zip(writer_files, errs)]
        _poll(lambda: all("waiting for another import to finish" in e.read_text() for e in errs)
              or any(p.poll() is not None for p in procs), timeout=60, what="all writers to report waiting")
        assert all(p.poll() is None for p in procs), [e.read_text() for e in errs]
    finally:
        holder.communicate("release\n", timeout=30)
    _check_writers(procs, errs)
    assert _facts(path) == ("ok", 3 + WRITERS * ROWS_EACH, 1 + WRITERS)
    assert _snapshot(path) == earlier


def test_the_store_is_not_locked_while_a_file_is_parsed(tmp_path):
    path = tmp_path / "atlas.gpkg"
    _earlier(path)
    free = []

    def chunks():
        for k in range(3):
            with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as other:
                other.execute("BEGIN IMMEDIATE")  # 'database is locked' if the import held the store
                other.execute("ROLLBACK")
            free.append(k)
            yield (rows([{"source_id": f"p{k}", "date_start": "2017-10-16"}], dataset="parsed.csv"),
                   pd.DataFrame(columns=list(model.REJECT_COLUMNS)))

    summary = store.import_chunks(path, chunks(), file="parsed.csv", sha256="1" * 64, source="table")
    assert free == [0, 1, 2] and summary.new == 3


def test_an_import_that_cannot_get_the_lock_gives_up_with_one_store_error(tmp_path):
    path = tmp_path / "atlas.gpkg"
    earlier = _earlier(path)
    said = []
    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(store.StoreError, match=r"^atlas.gpkg: another import has held the store for over 2 s; "
                                                   "nothing was imported"):
            store.import_chunks(path, iter([(rows([{"source_id": "x", "date_start": "2017-10-16"}], dataset="late.csv"),
                                             pd.DataFrame(columns=list(model.REJECT_COLUMNS)))]),
                                file="late.csv", sha256="2" * 64, source="table", lock_timeout=2, notify=said.append)
        holder.execute("ROLLBACK")
    assert said and said[0] == "waiting for another import to finish…"
    assert _facts(path) == ("ok", 3, 1) and _snapshot(path) == earlier
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["atlas.gpkg"]


@pytest.fixture(scope="session")
def big_csv(tmp_path_factory):
    """A 100,000-row table, generated once per test session."""
    return _table_csv(tmp_path_factory.mktemp("big") / "big.csv", BIG, prefix="b")


def _stderr_lines(proc):
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    return lines


def _wait_for_line(lines, proc, text, *, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if text in lines.get(timeout=0.05):
                return True
        except queue.Empty:
            if proc.poll() is not None:
                return False
    pytest.fail(f"no {text!r} line from the import within {timeout} s")


def test_sigkill_at_random_moments_leaves_whole_imports_only(tmp_path, big_csv):
    """Trial 0 runs to the end (and times the phases); in each later trial the import is killed either at a
    random moment of its life or at a random moment after it starts writing to the store."""
    rng = random.Random(9)
    timing = {}
    for trial in range(11):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        path = folder / "atlas.gpkg"
        earlier = _earlier(path)
        started = time.monotonic()
        proc = _import(big_csv, path, stderr=subprocess.PIPE)
        lines = _stderr_lines(proc)
        if trial == 0:
            _wait_for_line(lines, proc, "storing", timeout=120)
            writing = time.monotonic()
            assert proc.wait(timeout=120) == 0
            timing = {"life": time.monotonic() - started, "write": time.monotonic() - writing}
        elif trial % 3 == 1:  # any moment, parsing included
            kill_at = started + rng.uniform(0, timing["life"])
            _poll(lambda: proc.poll() is not None or time.monotonic() >= kill_at, timeout=120, what="the kill moment")
        else:  # while it writes to the store
            if _wait_for_line(lines, proc, "storing", timeout=120):
                kill_at = time.monotonic() + rng.uniform(0, timing["write"])
                _poll(lambda: proc.poll() is not None or time.monotonic() >= kill_at, timeout=120,
                      what="the kill moment")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        check, count, imports = _facts(path)
        assert check == "ok", (trial, check)
        assert (count, imports) in {(3, 1), (3 + BIG, 2)}, (trial, count, imports)
        assert _snapshot(path) == earlier, trial
    # a killed import's spool is swept by the next import, which stores normally
    summary = store.import_file(path, _table_csv(tmp_path / "after.csv", 10, prefix="a"), source="table")
    assert summary.new == 10
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["atlas.gpkg"]


def test_a_reader_never_sees_half_an_import(tmp_path):
    path = tmp_path / "atlas.gpkg"
    _earlier(path)
    csv = _table_csv(tmp_path / "read.csv", READ, prefix="r")
    reader = subprocess.Popen([sys.executable, "-c", "import json, sqlite3, sys, time\n"
                               "con = sqlite3.connect(sys.argv[1])\n"
                               "seen, target, after = set(), int(sys.argv[2]), 0\n"
                               "deadline = time.monotonic() + 120\n"
                               "while after < 50 and time.monotonic() < deadline:\n"
                               "    n = con.execute('SELECT COUNT(*) FROM incidents').fetchone()[0]\n"
                               "    if not seen: print('reading', flush=True)\n"
                               "    seen.add(n); after += n == target\n"
                               "print(json.dumps(sorted(seen)), flush=True)", str(path), str(3 + READ)],
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "reading"
    summary = store.import_file(path, csv, source="table")
    assert summary.new == READ
    out, _ = reader.communicate(timeout=120)
    assert json.loads(out) == [3, 3 + READ]
