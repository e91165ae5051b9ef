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
    printed = tmp_path / "print.png"
    out = geo("snapshot", "--out", str(printed), "--date", "2017-10-16", "--size", "1920x1080", "--dpi", "300",
              "--framing", "incidents", "--subtitle", "Kirkuk, October 2017")
    assert out.returncode == 0, out.stderr
    with Image.open(printed) as image:   # the same layout at twice the pixels, saying 300 dpi
        assert image.size == (3840, 2160) and round(image.info["dpi"][0]) == 300
    assert geo("snapshot", "--out", str(printed), "--framing", "world").returncode == 2
    html = tmp_path / "replay.html"
    out = geo("snapshot", "--out", str(html), "--from", "2014-01-01", "--to", "2017-12-31")
    assert out.returncode == 0 and "atlas-time-slider" in html.read_text(encoding="utf-8")
    pdf = tmp_path / "brief.pdf"
    out = geo("briefing", "--out", str(pdf), "--dates", "2014-06-15,2014-08-08,2017-10-16,2021-06-01")
    assert out.returncode == 0, out.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:"))) >= 5


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


# ---------------------------------------------------------------- issue 11: --clip for country-wide files

IRAQ_WIDE = ("id,date,lat,lon,place,event_type,source\n"
             "1,2016-10-21,35.4681,44.3922,Kirkuk,Battles,Rudaw\n"
             "2,2016-10-22,30.5085,47.7804,Basra,Battles,Rudaw\n"
             "3,2016-10-23,33.3406,44.4009,Baghdad,Battles,Rudaw\n"
             "4,2016-10-24,35.3200,43.6000,Hawija,Battles,Rudaw\n")


def events_cli(*args):
    return subprocess.run([sys.executable, "-m", "events", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_import_clipped_to_the_study_area_counts_the_rows_outside(tmp_path):
    table = tmp_path / "iraq.csv"
    table.write_text(IRAQ_WIDE, encoding="utf-8")
    out = geo("import", str(table), "--store", str(tmp_path / "a.gpkg"), "--clip", "study-area", "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert (summary["accepted"], summary["outside"], summary["rows_read"]) == (2, 2, 4) and summary["clipped"]
    text = geo("import", str(table), "--store", str(tmp_path / "b.gpkg"), "--clip", "study-area")
    assert "accepted 2" in text.stdout and "left out 2 outside the --clip area" in text.stdout
    whole = json.loads(geo("import", str(table), "--store", str(tmp_path / "c.gpkg"), "--json").stdout)
    assert (whole["accepted"], whole["outside"], whole["clipped"]) == (4, 0, False)   # the default: none
    helped = geo("import", "--help").stdout
    assert "--clip" in helped and "default" in helped and "none" in helped


def test_events_import_clips_to_a_file_and_sends_study_area_to_geo(tmp_path):
    table = tmp_path / "iraq.csv"
    table.write_text(IRAQ_WIDE, encoding="utf-8")
    mine = tmp_path / "mine.geojson"
    mine.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "south"},
        "geometry": {"type": "Polygon", "coordinates": [[[43, 29], [49, 29], [49, 34], [43, 34], [43, 29]]]}}]}),
        encoding="utf-8")
    out = events_cli("import", str(table), "--store", str(tmp_path / "a.gpkg"), "--clip", str(mine), "--json")
    assert out.returncode == 0, out.stderr
    assert (json.loads(out.stdout)["accepted"], json.loads(out.stdout)["outside"]) == (2, 2)   # Basra, Baghdad
    told = events_cli("import", str(table), "--store", str(tmp_path / "b.gpkg"), "--clip", "study-area")
    assert told.returncode == 2 and told.stderr.count("\n") == 1 and "python -m geo import" in told.stderr
    bad = events_cli("import", str(table), "--store", str(tmp_path / "b.gpkg"), "--clip", str(table))
    assert bad.returncode == 2 and bad.stderr.startswith("error: iraq.csv:") and "Traceback" not in bad.stderr
    assert str(tmp_path) not in bad.stderr and not (tmp_path / "b.gpkg").exists()


ACLED_TWO = ("event_id_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,country,admin1,admin2,"
             "location,latitude,longitude,geo_precision,source,notes,fatalities\n"
             "IRQ101,2016-10-03,2016,1,Battles,Armed clash,Islamic State (Iraq),Iraq,Kirkuk,Hawija,Hawija,"
             "35.3275,43.7747,1,Rudaw,Clash near Hawija,2\n"
             "IRQ102,2016-10-04,2016,1,Explosions/Remote violence,Suicide bomb,Islamic State (Iraq),Iraq,Kirkuk,"
             "Kirkuk,Kirkuk,35.4681,44.3922,1,AFP,Blast in Kirkuk,3\n")


def test_raw_rows_of_acled_wait_for_a_choice_in_geo_list_and_the_html(tmp_path):
    table = tmp_path / "acled.csv"
    table.write_text(ACLED_TWO, encoding="utf-8")
    store_path = str(tmp_path / "s.gpkg")
    assert geo("import", str(table), "--store", store_path).returncode == 0
    window = ("--from", "2016-10-01", "--to", "2016-10-31")
    refused = geo("list", "--store", store_path, *window)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "--restricted" in refused.stderr
    assert "ACLED" in refused.stderr and refused.stdout == ""
    omitted = geo("list", "--store", store_path, *window, "--restricted", "omit", "--format", "json")
    assert omitted.returncode == 2 and "--restricted counts" in omitted.stderr   # nothing would be left
    counted = geo("list", "--store", store_path, *window, "--restricted", "counts")
    assert counted.returncode == 0 and "IRQ101" not in counted.stdout and "Hawija" in counted.stdout
    included = geo("list", "--store", store_path, *window, "--restricted", "include", "--format", "json")
    assert sum(r["source_dataset"] == "acled" for r in json.loads(included.stdout)) == 2
    html = tmp_path / "v.html"
    held = geo("snapshot", "--store", store_path, *window, "--out", str(html))
    assert held.returncode == 2 and "--restricted" in held.stderr and not html.exists()
    emptied = geo("snapshot", "--store", store_path, *window, "--out", str(html), "--restricted", "omit")
    assert emptied.returncode == 2 and "no incidents" in emptied.stderr and not html.exists()
    made = geo("snapshot", "--store", store_path, *window, "--out", str(html), "--restricted", "include")
    assert made.returncode == 0, made.stderr
    page = html.read_text(encoding="utf-8")
    assert "IRQ101" in page and "Data: ACLED (acleddata.com), accessed 20" in page


def test_geocode_says_ambiguous_with_the_candidates():
    out = geo("geocode", "Hamrin")
    assert out.returncode == 0, out.stderr
    assert "\tambiguous" in out.stdout and "candidates:" in out.stdout and "not found" not in out.stdout


def test_geo_list_is_fused_by_default_and_raw_on_request(tmp_path):
    """Issue 18: an event reported by the curated set and UCDP GED is one row of `geo list`, joined with the
    boundaries at its best place; --raw lists both rows."""
    from events import store
    from tests.events.test_cli import write_ged_kirkuk_bombing
    path = store.open_store(tmp_path / "s.gpkg")
    store.import_file(path, write_ged_kirkuk_bombing(tmp_path / "GEDEvent_v23_1.csv"))
    day = ("--from", "2013-01-16", "--to", "2013-01-16", "--format", "json", "--store", str(path))
    fused = geo("list", *day)
    assert fused.returncode == 0, fused.stderr
    rows = {r["incident_id"]: r for r in json.loads(fused.stdout)}
    assert set(rows) == {"cur-2013-001", "cur-2013-002"} and rows["cur-2013-001"]["admin2"] == "Kirkuk"
    raw = geo("list", *day, "--raw")
    assert raw.returncode == 0, raw.stderr
    assert sorted(r["incident_id"] for r in json.loads(raw.stdout)) == ["cur-2013-001", "cur-2013-002", "ucdp:51556"]
    linked = geo("list", "--view", "mode=window&window=2013-01-16&window=2013-01-16&raw=true", "--format", "json",
                 "--store", str(path))
    assert linked.returncode == 0, linked.stderr
    assert len(json.loads(linked.stdout)) == 3   # a shared link's raw=true lists the rows as imported
