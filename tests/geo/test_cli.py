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


def test_snapshot_and_briefing_from_the_command_line(tmp_path):
    from PIL import Image

    from tests.browser import require_chromium
    require_chromium()
    png = tmp_path / "kirkuk.png"
    out = geo("snapshot", "--out", str(png), "--date", "2017-10-16", "--size", "1920x1080")
    assert out.returncode == 0, out.stderr
    assert Image.open(png).size == (1920, 1080)
    html = tmp_path / "replay.html"
    out = geo("snapshot", "--out", str(html), "--from", "2014-01-01", "--to", "2017-12-31")
    assert out.returncode == 0 and "atlas-time-slider" in html.read_text(encoding="utf-8")
    pdf = tmp_path / "brief.pdf"
    out = geo("briefing", "--out", str(pdf), "--dates", "2014-06-15,2014-08-08,2017-10-16,2021-06-01")
    assert out.returncode == 0, out.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert any(line.split() == ["Pages:", "4"] for line in info.splitlines())


def test_kml_from_events_list(tmp_path):
    kml = tmp_path / "rashad.kml"
    out = subprocess.run([sys.executable, "-m", "events", "list", "--place", "Rashad", "--format", "kml", "--out",
                          str(kml)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    import pyogrio
    layers = [name for name, _ in pyogrio.list_layers(kml)]
    assert sum(len(pyogrio.read_dataframe(kml, layer=name)) for name in layers) >= 3


def test_hostile_stores_and_paths_are_one_line_without_a_traceback(tmp_path):
    """Issue 9: no traceback and no server path reaches the user of the command line."""
    folder = tmp_path / "secret-folder"
    folder.mkdir()
    (folder / "table.gpkg").write_text("id,name\n1,x\n")
    cases = [["snapshot", "--store", str(folder / "table.gpkg"), "--out", str(tmp_path / "x.html"),
              "--from", "2016-01-01", "--to", "2016-12-31"],
             ["snapshot", "--store", str(folder / "missing.gpkg"), "--out", str(tmp_path / "x.html"),
              "--from", "2016-01-01", "--to", "2016-12-31"],
             ["snapshot", "--store", str(folder), "--out", str(tmp_path / "x.html"), "--date", "2016-06-01"],
             ["snapshot", "--out", str(folder / "no" / "such" / "x.html"), "--date", "2017-10-16"],
             ["control", "--date", "2015-06-01", "--layers", str(folder / "table.gpkg")]]
    for args in cases:
        out = geo(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr and str(folder) not in out.stderr, out.stderr
        assert out.stderr.startswith("error: "), out.stderr
