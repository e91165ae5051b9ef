"""The source and export-format registries: adding one is one module (or writer) and one line.

A fake source (a field-report log with its own header) is registered in the test, then detected,
imported through `store.import_file` and chosen with the command line's `--source`; a fake export
format is offered by `exports.export` and `python -m events list --format`.
"""
from __future__ import annotations

import types

import pandas as pd
import pytest

from events import exports, model, query, sources, store
from events.__main__ import load_incidents, main
from events.sources import cells
from events.sources.pipeline import TABLE_SUFFIXES

REPORT = ("report_ref,reported_on,y_deg,x_deg,killed,what\n"
          "R-1,2016-05-02,35.47,44.39,2,Battles\n"
          "R-2,not a day,35.50,44.40,0,Battles\n"
          "R-3,2017-01-09,35.33,44.28,,Skirmish\n")


def _convert(raw: pd.DataFrame, cols: dict, ctx: dict):
    """The fake source's converter, written as a real one would be: shared cells helpers only."""
    problems: list = []
    ref = cells.col(raw, cols, "ref")
    when_text = cells.col(raw, cols, "when")
    when = cells.parse_dates(when_text, ("%Y-%m-%d",))
    cells.problem(problems, "date_start", when.isna() & ~cells.blank(when_text), when_text,
                  "not a date (expected YYYY-MM-DD)", ("date_end",))
    frame = pd.DataFrame({
        "incident_id": "report:" + ref, "source_dataset": "report", "source_id": ref,
        "date_start": when, "date_end": when, "date_precision": "day",
        "lat": cells.col(raw, cols, "lat"), "lon": cells.col(raw, cols, "lon"), "geo_precision": "1",
        "event_type": cells.col(raw, cols, "what"), "killed_best": cells.col(raw, cols, "killed"),
        "sources": model.dumps([model.citation(title=ctx["name"], publisher="field reports")]),
        "confidence": "low", "original": cells.original_json(raw, cols.values()),
    }, index=raw.index)
    names = {"date_start": cols.get("when"), "date_end": cols.get("when"), "event_type": cols.get("what"),
             "killed_best": cols.get("killed")}
    return frame, problems, names


def _fake_source() -> types.ModuleType:
    """What a new file `events/sources/report.py` would hold."""
    fake = types.ModuleType("report")
    fake.NAME, fake.LABEL, fake.SUFFIXES = "report", "a field-report log", (*TABLE_SUFFIXES, "log")
    fake.COLUMNS = {"ref": ("report_ref",), "when": ("reported_on",), "lat": ("y_deg",), "lon": ("x_deg",),
                    "killed": ("killed",), "what": ("what",)}
    fake.REQUIRED = ("ref", "when", "lat", "lon", "what")
    fake.detect = lambda keys: {"report_ref", "reported_on"} <= keys
    fake.convert = _convert
    return fake


@pytest.fixture
def registered(monkeypatch):
    """The fake source registered for one test (the registry restored afterwards)."""
    monkeypatch.setattr(sources, "SOURCES", dict(sources.SOURCES))
    return sources.register(_fake_source())


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "field_reports.csv"
    path.write_text(REPORT, encoding="utf-8")
    return path


def test_the_builtin_sources_are_the_registry():
    assert list(sources.SOURCES) == ["acled", "ucdp", "gtd", "table", "features"]
    assert sources.choices() == ["auto", "acled", "ucdp", "gtd", "table", "features"]
    assert sources.suffixes() == ["csv", "txt", "xlsx", "fgb", "geojson", "json", "gpkg", "kml"]


def test_a_registered_source_is_detected_and_imported_through_the_store(registered, report, tmp_path):
    assert sources.detect_source(report) == "report"
    assert sources.choices()[-1] == "report" and "log" in sources.suffixes()
    summary = store.import_file(tmp_path / "atlas.gpkg", report)
    assert (summary.source, summary.accepted, summary.rejected) == ("report", 1, 2)
    reasons = {(r.row, r.field): r.reason for r in summary.rejects.itertuples()}
    assert reasons == {(3, "reported_on"): "not a date (expected YYYY-MM-DD)",
                       (4, "what"): "not an ACLED event type"}
    stored = store.load(tmp_path / "atlas.gpkg")
    row = stored.loc[stored["incident_id"] == "report:R-1"].iloc[0]
    assert (row["killed_best"], row["date_start"]) == (2, pd.Timestamp("2016-05-02"))


def test_other_sources_are_still_detected_with_a_new_one_registered(registered, tmp_path):
    acled = tmp_path / "acled.csv"
    acled.write_text("event_id_cnty,event_date,event_type,latitude,longitude\nIRQ1,2016-05-02,Battles,35.4,44.3\n")
    table = tmp_path / "mine.csv"
    table.write_text("date,lat,lon\n2016-05-02,35.4,44.3\n")
    assert (sources.detect_source(acled), sources.detect_source(table)) == ("acled", "table")


def test_a_file_forced_to_a_registered_source_it_does_not_fit_gets_one_line(registered, tmp_path):
    acled = tmp_path / "acled.csv"
    acled.write_text("event_id_cnty,event_date,event_type,latitude,longitude\nIRQ1,2016-05-02,Battles,35.4,44.3\n")
    with pytest.raises(sources.ImportFailure, match=r"^acled.csv: not a field-report log: missing column\(s\) "
                                                    r"ref, when, lat, lon, what; it looks like an ACLED export$"):
        sources.iter_import(acled, source="report")


def test_the_command_line_offers_exactly_the_registered_sources(report, tmp_path, monkeypatch, capsys):
    argv = ["import", str(report), "--source", "report", "--store", str(tmp_path / "atlas.gpkg"), "--json"]
    with pytest.raises(SystemExit):  # not registered: argparse refuses the choice
        main(argv)
    assert "invalid choice: 'report'" in capsys.readouterr().err
    monkeypatch.setattr(sources, "SOURCES", dict(sources.SOURCES))
    sources.register(_fake_source())
    assert main(argv) == 0
    assert '"accepted": 1' in capsys.readouterr().out


@pytest.mark.parametrize("bad", [types.SimpleNamespace(NAME="auto", LABEL="x", SUFFIXES=(), convert=None,
                                                       COLUMNS={}, REQUIRED=()),
                                 types.SimpleNamespace(NAME="Bad Name", LABEL="x", SUFFIXES=()),
                                 types.SimpleNamespace(NAME="halfdone", LABEL="x", SUFFIXES=("csv",))])
def test_a_source_missing_its_parts_is_refused(bad, monkeypatch):
    monkeypatch.setattr(sources, "SOURCES", dict(sources.SOURCES))
    with pytest.raises(ValueError, match="a source needs|lacks"):
        sources.register(bad)
    assert bad.NAME not in sources.SOURCES


# ---------------------------------------------------------------- export formats

def test_the_builtin_formats_carry_what_the_app_and_the_cli_show():
    assert {f.name: (f.extension, f.label) for f in exports.FORMATS.values()} == {
        "csv": (".csv", "CSV (Excel, UTF-8 with BOM)"), "geojson": (".geojson", "GeoJSON"),
        "kml": (".kml", "KML (Google Earth)"), "gpkg": (".gpkg", "GeoPackage (QGIS)"),
        "counts": (".csv", "Counts by district and month (CSV)")}


def _tsv(frame: pd.DataFrame) -> bytes:
    return exports.sheet_safe(model.to_records(frame)).to_csv(sep="\t", index=False).encode("utf-8")


def test_a_registered_format_is_exported_and_offered_by_the_command_line(monkeypatch, tmp_path, capsys):
    out = tmp_path / "kirkuk.tsv"
    argv = ["list", "--place", "Hawija", "--format", "tsv", "--out", str(out)]
    with pytest.raises(SystemExit):
        main(argv)
    assert "invalid choice: 'tsv'" in capsys.readouterr().err
    monkeypatch.setattr(exports, "FORMATS", dict(exports.FORMATS))
    exports.register(exports.Format("tsv", ".tsv", "text/tab-separated-values", "TSV", _tsv))
    assert main(argv) == 0
    assert out.read_text(encoding="utf-8").startswith("incident_id\tsource_dataset\tsource_id\t")
    content, extension, mime = exports.export(query.select(load_incidents(None), places=["Hawija"]), ".TSV")
    assert (extension, mime) == (".tsv", "text/tab-separated-values") and content == out.read_bytes()


def test_a_format_without_a_dotted_extension_is_refused(monkeypatch):
    monkeypatch.setattr(exports, "FORMATS", dict(exports.FORMATS))
    with pytest.raises(ValueError, match="extension with its dot"):
        exports.register(exports.Format("tsv", "tsv", "text/tab-separated-values", "TSV", _tsv))
    assert "tsv" not in exports.FORMATS
