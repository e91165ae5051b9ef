import json
import subprocess
import sys

from tests.conftest import ROOT


def geo(*args):
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_geocode_json_one_object_per_text():
    out = geo("geocode", "الحويجة", "Dibiz", "30 km south-west of Kirkuk", "Xyzzyville", "--json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["found"] for r in rows] == [True, True, True, False]
    assert rows[0]["matched"] == "Hawija" and rows[2]["geo_precision"] == 2
    assert {"query", "lat", "lon", "geo_precision", "matched", "score", "found"} <= set(rows[0])
    assert rows[3]["lat"] is None


def test_control_on_a_date_as_geojson():
    out = geo("control", "--date", "2015-06-01", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    controllers = {f["properties"]["controller"] for f in data["features"]}
    assert {"ISIS", "Kurdistan Regional Government / Peshmerga"} <= controllers
    assert all(f["properties"]["sources"] for f in data["features"])


def test_changes_and_bad_date():
    out = geo("changes", "--json")
    days = [c["date"] for c in json.loads(out.stdout)]
    assert "2017-10-16" in days and days == sorted(days)
    bad = geo("control", "--date", "2015-13-45")
    assert bad.returncode != 0 and "not a date" in bad.stderr and "Traceback" not in bad.stderr
