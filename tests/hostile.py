"""The hostile-input corpus: small crafted files for every class of issue 9, and a seeded mutator over
the real exports in ../shared/real, for the fuzz tests (and any other test that wants hostile files).

Everything is deterministic: a case's bytes depend only on its seed (and, for mutants, the real
files). Cases are built lazily (`Case.build()`), so a test can list thousands and only make the
ones it runs. Rows written here are synthetic fixtures, not real events.
"""
from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import random
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REAL_FILES = ("ucdp_ged_iraq.csv", "acled_sample.csv", "acled_sample_2024_layout.csv")
CANARY = "hostile-canary-3f9a1c"  # text of the canary file: no import may ever store it


@dataclass(frozen=True)
class Expect:
    """A reject the import must report: on `row`, naming one of `fields`, its value containing `value`."""

    row: int
    fields: tuple[str, ...]
    value: str


@dataclass(frozen=True)
class Case:
    """One hostile input: its class, seed, file name and a builder of its bytes.

    `rows`: how many data rows a reader must count when it reads the file (None: not determinate);
    `readable`: the import must succeed (the file is fine apart from the rows it must reject);
    `good`: rows that must be accepted; `expect`: rejects that must be reported; `stored`: texts
    that must be stored verbatim in the accepted rows' place names; `secret`: the file points at
    the canary file or address, so nothing from it may be stored and nothing fetched.
    """

    kind: str
    seed: int
    name: str
    build: Callable[[], bytes] = field(repr=False, compare=False)
    source: str = "auto"
    rows: int | None = None
    good: int | None = None
    expect: tuple[Expect, ...] = ()
    stored: tuple[str, ...] = ()
    secret: bool = False
    readable: bool = False


def write(case: Case, folder: Path) -> Path:
    """Write the case's bytes as `folder/case.name` and return the path."""
    path = Path(folder) / case.name
    path.write_bytes(case.build())
    return path


def canary_table() -> bytes:
    """The canary file's content: a table that would import as an incident if anything read it."""
    return (f"id,date,place,lat,lon,event_type,killed,source\n"
            f"1,2016-01-01,{CANARY},35.4681,44.3922,Battles,1,{CANARY}\n").encode()


# ---------------------------------------------------------------- base tables (3 good rows)

TABLE = ("id", "date", "place", "lat", "lon", "event_type", "sub_event_type", "actor", "killed", "wounded",
         "source", "url", "notes")
ACLED = ("event_id_cnty", "event_date", "year", "time_precision", "event_type", "sub_event_type", "actor1",
         "actor2", "civilian_targeting", "admin1", "admin2", "admin3", "location", "latitude", "longitude",
         "geo_precision", "source", "notes", "fatalities")
UCDP = ("id", "year", "type_of_violence", "side_a", "side_b", "source_office", "source_date", "source_headline",
        "where_prec", "where_coordinates", "adm_1", "adm_2", "latitude", "longitude", "event_clarity", "date_prec",
        "date_start", "date_end", "low", "best", "high")
GTD = ("eventid", "iyear", "imonth", "iday", "extended", "resolution", "provstate", "city", "latitude", "longitude",
       "specificity", "vicinity", "summary", "suicide", "attacktype1", "attacktype1_txt", "targtype1",
       "targtype1_txt", "natlty1_txt", "gname", "nkill", "nwound", "scite1")
# Free-text fields of each layout: where template syntax and markup go.
TEXT_FIELDS = {"table": ("place", "actor", "source", "notes"),
               "acled": ("actor1", "actor2", "admin1", "admin2", "admin3", "location", "source", "notes"),
               "ucdp": ("side_a", "side_b", "source_office", "source_headline", "where_coordinates", "adm_1",
                        "adm_2"),
               "gtd": ("provstate", "city", "summary", "gname", "scite1")}
PLACE_FIELD = {"table": "place", "acled": "location", "ucdp": "where_coordinates", "gtd": "city"}


def _row(layout: str, i: int) -> dict[str, str]:
    lat, lon = f"{35.4681 + i % 100 / 1000:.4f}", f"{44.3922 + i % 100 / 1000:.4f}"
    day = i % 28 + 1
    if layout == "table":
        return {"id": f"H{i}", "date": f"2016-03-{day:02d}", "place": f"Fixture place {i}", "lat": lat,
                "lon": lon, "event_type": "Battles", "sub_event_type": "Armed clash", "actor": "Fixture actor",
                "killed": "1", "wounded": "2", "source": "Hostile corpus fixture", "url": "https://example.org/a",
                "notes": "Synthetic test fixture, not a real event."}
    if layout == "acled":
        return {"event_id_cnty": f"HST{i}", "event_date": f"{day} March 2016", "year": "2016",
                "time_precision": "1", "event_type": "Battles", "sub_event_type": "Armed clash",
                "actor1": "Fixture actor A", "actor2": "Fixture actor B", "civilian_targeting": "",
                "admin1": "Kirkuk", "admin2": "Kirkuk", "admin3": "", "location": f"Fixture place {i}",
                "latitude": lat, "longitude": lon, "geo_precision": "1", "source": "Hostile corpus fixture",
                "notes": "Synthetic test fixture, not a real event.", "fatalities": "1"}
    if layout == "ucdp":
        return {"id": str(990000 + i), "year": "2016", "type_of_violence": "1", "side_a": "Fixture side A",
                "side_b": "Fixture side B", "source_office": "Fixture office", "source_date": "2016-03-02",
                "source_headline": "Synthetic test fixture", "where_prec": "1",
                "where_coordinates": f"Fixture place {i}", "adm_1": "Kirkuk province", "adm_2": "Kirkuk district",
                "latitude": lat, "longitude": lon, "event_clarity": "1", "date_prec": "1",
                "date_start": f"2016-03-{day:02d}", "date_end": f"2016-03-{day:02d}", "low": "1", "best": "2",
                "high": "3"}
    return {"eventid": f"2016030{i}0001", "iyear": "2016", "imonth": "3", "iday": str(day), "extended": "0",
            "resolution": "", "provstate": "Kirkuk", "city": f"Fixture place {i}", "latitude": lat,
            "longitude": lon, "specificity": "1", "vicinity": "0",
            "summary": "Synthetic test fixture, not a real event.", "suicide": "0", "attacktype1": "3",
            "attacktype1_txt": "Bombing/Explosion", "targtype1": "14",
            "targtype1_txt": "Private Citizens & Property", "natlty1_txt": "Iraq", "gname": "Fixture group",
            "nkill": "1", "nwound": "2", "scite1": "Synthetic citation"}


HEADERS = {"table": TABLE, "acled": ACLED, "ucdp": UCDP, "gtd": GTD}


def _csv(header, rows, *, delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    bare_cr = any("\r" in str(v) for r in rows for v in (r.values() if isinstance(r, dict) else r))
    # Python's writer leaves a lone CR unquoted when lines end in LF: quote everything then (as Excel would)
    w = csv.writer(out, delimiter=delimiter, lineterminator=newline,
                   quoting=csv.QUOTE_ALL if bare_cr else csv.QUOTE_MINIMAL)
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    return out.getvalue()


def _three(layout: str, bad: dict[str, str] | None = None, *, i0: int = 0) -> list[dict]:
    """Rows 2 and 4 good, row 3 (the middle) with `bad` applied."""
    rows = [_row(layout, i0 + k) for k in range(3)]
    rows[1].update(bad or {})
    return rows


def _table_bytes(layout: str, bad: dict | None = None, *, encoding: str = "utf-8", i0: int = 0,
                 header=None) -> bytes:
    return _csv(header or HEADERS[layout], _three(layout, bad, i0=i0)).encode(encoding)


# ---------------------------------------------------------------- zip and xlsx containers

def _zip(members: list[tuple[str, bytes]], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, (2016, 3, 1, 0, 0, 0)), data, compress_type=method)
    return buf.getvalue()


def _zip_stream(name: str, head: bytes, unit: bytes, total: int) -> bytes:
    """A zip whose one member is `head` then `unit` repeated up to `total` bytes (a compression bomb)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        info = zipfile.ZipInfo(name, (2016, 3, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            fh.write(head)
            block = unit * max(1, (1 << 20) // len(unit))
            written = len(head)
            while written < total:
                fh.write(block)
                written += len(block)
    return buf.getvalue()


def _col_letter(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sheet(rows: list[list[str]], *, dimension: str | None = None, prolog: str = "", extra_cells: str = "") -> str:
    cells = []
    for r, row in enumerate(rows, start=1):
        cs = "".join(f'<c r="{_col_letter(c)}{r}" t="inlineStr"><is><t>{_esc(v)}</t></is></c>'
                     for c, v in enumerate(row, start=1) if v != "")
        cells.append(f'<row r="{r}">{cs}</row>')
    dim = dimension or f"A1:{_col_letter(max(len(r) for r in rows))}{len(rows)}"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dim}"/><sheetData>{"".join(cells)}{extra_cells}</sheetData></worksheet>')


def _xlsx(sheet_xml: str | bytes, *, shared: str | None = None) -> bytes:
    """A minimal valid .xlsx workbook around one sheet's XML (as Excel structures it)."""
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
          'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
          'officedocument.spreadsheetml.worksheet+xml"/>'
          + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.spreadsheetml.sharedStrings+xml"/>' if shared else '') + '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
          '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wb_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
               'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
               'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
               + ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                  'relationships/sharedStrings" Target="sharedStrings.xml"/>' if shared else '')
               + '</Relationships>')
    members = [("[Content_Types].xml", ct.encode()), ("_rels/.rels", rels.encode()), ("xl/workbook.xml", wb.encode()),
               ("xl/_rels/workbook.xml.rels", wb_rels.encode()),
               ("xl/worksheets/sheet1.xml", sheet_xml if isinstance(sheet_xml, bytes) else sheet_xml.encode())]
    if shared:
        members.append(("xl/sharedStrings.xml", shared.encode()))
    return _zip(members)


def _table_rows(layout: str, bad: dict | None = None) -> list[list[str]]:
    header = list(HEADERS[layout])
    return [header] + [[r.get(h, "") for h in header] for r in _three(layout, bad)]


def _xlsx_table(layout: str = "table", bad: dict | None = None) -> bytes:
    return _xlsx(_sheet(_table_rows(layout, bad)))


def _corrupt_member(data: bytes, member: str, how: str) -> bytes:
    """The zip `data` with one member damaged: `magic` (local header signature), `deflate` (stream bytes)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    raw = bytearray(data)
    offset = info.header_offset
    if how == "magic":
        raw[offset:offset + 4] = b"PK\x09\x09"
    else:
        name_len = int.from_bytes(raw[offset + 26:offset + 28], "little")
        extra_len = int.from_bytes(raw[offset + 28:offset + 30], "little")
        start = offset + 30 + name_len + extra_len
        for k in range(4, min(info.compress_size, 40), 3):
            raw[start + k] ^= 0xA5
    return bytes(raw)


# ---------------------------------------------------------------- GeoJSON / KML / VRT

def _features(props: list[dict], geoms: list[dict | None] | None = None, **top) -> dict:
    geoms = geoms or [{"type": "Point", "coordinates": [44.3922 + k / 1000, 35.4681 + k / 1000]} for k in range(3)]
    return {"type": "FeatureCollection", **top,
            "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in zip(props, geoms)]}


def _geo_props(bad: dict | None = None) -> list[dict]:
    rows = _three("table", bad)
    return [{k: r[k] for k in ("id", "date", "place", "event_type", "killed", "source")} for r in rows]


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def _deep(depth: int, *, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + "1" + closer * depth


def _kml(body: str, *, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f'{body}</Document></kml>').encode()


def _placemark(name: str, desc: str = "2016-03-01", lon: float = 44.3922, lat: float = 35.4681) -> str:
    return (f"<Placemark><name>{name}</name><ExtendedData><Data name=\"date\"><value>{desc}</value></Data>"
            f"<Data name=\"source\"><value>Hostile corpus fixture</value></Data></ExtendedData>"
            f"<Point><coordinates>{lon},{lat}</coordinates></Point></Placemark>")


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">' for k in range(1, 10))
          + "]>")


def _vrt(source: str) -> bytes:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="canary"><SrcDataSource>{source}</SrcDataSource>'
            '<GeometryType>wkbPoint</GeometryType><LayerSRS>EPSG:4326</LayerSRS>'
            '<GeometryField encoding="PointFromColumns" x="lon" y="lat"/></OGRVRTLayer></OGRVRTDataSource>').encode()


# ---------------------------------------------------------------- the crafted classes

NUMBERS_COUNT = ("inf", "-inf", "Infinity", "1e308", "-1e308", "1e19", "1000000000000000000", "-5", "NaN",
                 "99999999999999999999999", "0x1F", "1e-320", "2.5")
NUMBERS_COORD = ("inf", "-inf", "1e308", "-1e308", "1e19", "NaN", "-1e19", "")  # "" -> 91 (lat), 181 (lon)
COUNT_FIELDS = {"table": {"killed": ("killed", "killed_best"), "wounded": ("wounded",)},
                "acled": {"fatalities": ("fatalities", "killed_best")},
                "ucdp": {"best": ("best", "killed_best"), "low": ("low", "killed_low"),
                         "high": ("high", "killed_high")},
                "gtd": {"nkill": ("nkill", "killed_best"), "nwound": ("nwound", "wounded")}}
COORD_FIELDS = {"table": {"lat": ("lat",), "lon": ("lon",)},
                "acled": {"latitude": ("latitude", "lat"), "longitude": ("longitude", "lon")},
                "ucdp": {"latitude": ("latitude", "lat"), "longitude": ("longitude", "lon")},
                "gtd": {"latitude": ("latitude", "lat"), "longitude": ("longitude", "lon")}}
DATES = {  # layout -> (column, acceptable reject fields, values, extra cells)
    "table": [("date", ("date", "date_start", "date_end"), v, {}) for v in
              ("9999-12-31", "2262-04-12", "2262-04-11", "0000-00-00", "1677-09-21", "0001-01-01", "1899-12-31",
               "2016-02-30", "99999-01-01", "-2016-01-01", "2016-13-01", "+275760-09-13")],
    "acled": [("event_date", ("event_date", "date_start", "date_end"), v, extra) for v, extra in
              (("31 December 9999", {}), ("9999-12-31", {}), ("12 April 2262", {}), ("0000-00-00", {}),
               ("1 January 0001", {}), ("15 April 2262", {"time_precision": "3"}),
               ("10 April 2262", {"time_precision": "2"}), ("10 December 9999", {"time_precision": "3"}),
               ("1 January 1677", {"time_precision": "3"}))],
    "ucdp": [(col, (col, "date_start", "date_end", "date_prec", "date_precision"), v, extra) for col, v, extra in
             (("date_start", "9999-12-31", {"date_end": "9999-12-31"}), ("date_end", "9999-12-31", {}),
              ("date_start", "2262-04-12", {"date_end": "2262-04-12"}), ("date_start", "0000-00-00", {}),
              ("date_end", "1677-09-21", {}), ("date_start", "2262-04-11", {"date_prec": "4"}))],
    "gtd": [(col, (col, "iyear", "imonth", "iday", "date_start", "date_end", "resolution"), v, extra)
            for col, v, extra in
            (("iyear", "5", {}), ("iyear", "0", {}), ("iyear", "9999", {}), ("iyear", "2262", {"imonth": "12"}),
             ("iyear", "99999999999", {}), ("imonth", "13", {}), ("iday", "32", {}),
             ("iyear", "inf", {}), ("iyear", "1e308", {}), ("iyear", "2262", {"imonth": "0", "iday": "0"}),
             ("resolution", "9999-12-31", {"extended": "1"}))],
}
TEMPLATES = ("{{ 7*7 }}", "{%", "{#", "{{", "}}{{", "{% for x in y %}",
             "{{ cycler.__init__.__globals__.os.system('id') }}", "{% raw %}", "{{ config }}{#")
MARKUP = ("<script>alert(1)</script>", "![x](http://127.0.0.1:9/beacon.png)", "=HYPERLINK(\"http://x\",\"y\")",
          "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\u202etxt.exe", "a\u200bb\ufeffc", "[Reuters] 2016, p. 3",
          "[{\"title\": \"x\"}", "\\u0000", "' OR 1=1; DROP TABLE incidents; --")
NAMES = ("{{ 7*7 }}.csv", "{% if x %}.csv", "{#x.csv", "<script>alert(1)<>.csv", "a\"b'c.csv", "x" * 240 + ".csv",
         "a\nb.csv", "..csv", "-h.csv", "; rm -rf ~.csv", "كركوك.csv", "%s%n%x.csv", "$(id).csv", "CON.csv",
         ".hidden.csv", "a\\b.csv", "a b  c .csv", "\u202egpj.csv")


def crafted(*, canary_url: str = "http://127.0.0.1:9/", canary_file: str = "/nonexistent/canary.csv") -> list[Case]:
    """Every class of issue 9 as small files; `canary_url`/`canary_file` are what SSRF/VRT/XXE cases point at."""
    cases: list[Case] = []

    def add(kind: str, name: str, build: Callable[[], bytes], **kw) -> None:
        cases.append(Case(kind, len(cases), name, build, **kw))

    def p(fn, *args, **kw):
        return functools.partial(fn, *args, **kw)

    ok = dict(rows=3, good=3, readable=True)
    # controls: plain good files of each layout must import whole (the harness is not broken)
    for layout in HEADERS:
        add("control", f"control_{layout}.csv", p(_table_bytes, layout), **ok)
    add("control", "control.xlsx", p(_xlsx_table), **ok)
    add("control", "control.geojson", lambda: _json_bytes(_features(_geo_props())), **ok)

    # (a) extreme numbers in counts and coordinates; (b) extreme dates
    for layout, fields in COUNT_FIELDS.items():
        for col, accepted_fields in fields.items():
            for v in NUMBERS_COUNT:
                if layout == "gtd" and v == "2.5":
                    continue  # GTD's fractional tolls are a low..high range (issue 11; test_gtd_layouts)
                add("number", f"count_{layout}_{col}.csv", p(_table_bytes, layout, {col: v}), rows=3, good=2,
                    readable=True, expect=(Expect(3, accepted_fields, v),))
    for layout, fields in COORD_FIELDS.items():
        for col, accepted_fields in fields.items():
            for v in NUMBERS_COORD:
                v = v or ("91" if col.startswith("lat") else "181")
                add("number", f"coord_{layout}_{col}.csv", p(_table_bytes, layout, {col: v}), rows=3, good=2,
                    readable=True, expect=(Expect(3, accepted_fields, v),))
    for layout, items in DATES.items():
        for col, accepted_fields, v, extra in items:
            add("date", f"date_{layout}_{col}.csv", p(_table_bytes, layout, {col: v, **extra}), rows=3, good=2,
                readable=True, expect=(Expect(3, accepted_fields, v),))
    for v in ("inf", "1e19", "9999-12-31"):
        add("number", "count.xlsx", p(_xlsx_table, "table", {"killed" if v != "9999-12-31" else "date": v}),
            rows=3, good=2, readable=True,
            expect=(Expect(3, ("killed", "killed_best", "date", "date_start", "date_end"), v),))

    # (c) template syntax and markup in every text field, in the id, in header and file names
    for layout, fields in TEXT_FIELDS.items():
        for t in TEMPLATES + MARKUP:
            add("template" if t in TEMPLATES else "markup", f"text_{layout}.csv",
                p(_table_bytes, layout, dict.fromkeys(fields, t)), rows=3, good=3, stored=(t,), readable=True)
    for t in TEMPLATES[:4]:
        add("template", "id.csv", p(_table_bytes, "table", {"id": t}), rows=3)
        add("template", "header.csv", p(_table_bytes, "table", header=TABLE + (t,)), **ok)
        add("template", "text.geojson", lambda t=t: _json_bytes(_features(_geo_props({"place": t}))), rows=3, good=3,
            stored=(t,))
        add("template", "text.xlsx", p(_xlsx_table, "table", {"place": t}), rows=3, good=3, stored=(t,))
    for name in NAMES:
        add("file-name", name, p(_table_bytes, "table"), **ok)

    # (d) quotes, NULs, BOMs and encodings
    good = _table_bytes("table")
    lines = good.split(b"\n")
    add("quotes", "quote_row.csv", lambda: b"\n".join(lines[:2] + [b'"' + lines[2]] + lines[3:]))
    add("quotes", "quote_mid.csv", lambda: good.replace(b"Fixture place 1", b'Fixture "place 1'))
    add("quotes", "quote_header.csv", lambda: b'"' + good)
    add("quotes", "quote_end.csv", lambda: good + b'"')
    add("quotes", "quote_many.csv", lambda: good.replace(b",", b'","', 7))
    add("quotes", "quote_long.csv", lambda: b"\n".join(lines[:2] + [b'"' + lines[2]] + lines[3:] * 2000))
    add("nul", "nul_cell.csv", lambda: good.replace(b"Fixture place 1", b"Fixture\x00place 1"))
    add("nul", "nul_header.csv", lambda: good.replace(b"place", b"pl\x00ace", 1))
    add("nul", "nul_only.csv", lambda: b"\x00" * 4096)
    add("nul", "nul_late.csv", lambda: good + b"\n".join(lines[1:4] * 9000) + b"\x00\n")
    add("bom", "bom_utf8.csv", lambda: codecs.BOM_UTF8 + good, **ok)
    add("bom", "bom_double.csv", lambda: codecs.BOM_UTF8 * 2 + good)
    add("bom", "bom_mid.csv", lambda: good.replace(b"Fixture place 1", codecs.BOM_UTF8 + b"Fixture place 1"))
    add("bom", "bom_utf16le.csv", lambda: codecs.BOM_UTF16_LE + good.decode().encode("utf-16-le"), **ok)
    add("bom", "bom_utf16be.csv", lambda: codecs.BOM_UTF16_BE + good.decode().encode("utf-16-be"), **ok)
    add("bom", "bom_utf32.csv", lambda: good.decode().encode("utf-32"))
    add("bom", "bom_only.csv", lambda: codecs.BOM_UTF8)
    arabic = {"place": "كركوك", "actor": "مسلحون مجهولون", "notes": "حادث تجريبي"}
    add("encoding", "cp1256.csv", p(_table_bytes, "table", arabic, encoding="cp1256"), rows=3, good=3,
        stored=("كركوك",), readable=True)
    add("encoding", "utf16_nobom.csv", lambda: good.decode().encode("utf-16-le"))
    add("encoding", "utf8_arabic.csv", p(_table_bytes, "table", arabic), rows=3, good=3, stored=("كركوك",),
        readable=True)

    def invalid_byte(rows: int) -> bytes:
        body = [_row("table", k) | {"place": f"كركوك {k}"} for k in range(rows)]
        raw = _csv(TABLE, body).encode()
        cut = raw.rindex("كركوك".encode())  # the last row's place
        return raw[:cut] + b"\xff" + raw[cut:]

    add("encoding", "invalid_byte.csv", p(invalid_byte, 3), rows=3, good=2, stored=("كركوك 0", "كركوك 1"), readable=True,
        expect=(Expect(4, ("place", "(row)"), "كركوك"),))
    add("encoding", "invalid_byte_late.csv", p(invalid_byte, 3000), rows=3000, good=2999, readable=True,
        stored=("كركوك 0", "كركوك 1"), expect=(Expect(3001, ("place", "(row)"), "كركوك"),))

    def mixed() -> bytes:
        head = _csv(TABLE, [_row("table", 0) | {"place": "كركوك"}]).encode()
        tail = _csv(TABLE, [_row("table", 1) | {"place": "الحويجة"}]).encode("cp1256").split(b"\n", 1)[1]
        return head + tail

    add("encoding", "mixed.csv", mixed, rows=2)

    # (e) size: huge fields, 10,000 columns, header only, empty, garbage with a .csv name
    add("huge", "huge_field.csv", lambda: _table_bytes("table", {"notes": "x" * (8 << 20)}), rows=3)
    add("huge", "huge_header.csv", lambda: _table_bytes("table", header=TABLE + ("h" * (2 << 20),)), rows=3)
    add("huge", "huge_place.csv", lambda: _table_bytes("table", {"place": "ك" * (1 << 20)}), rows=3)
    add("huge", "wide_10000.csv", lambda: _csv(TABLE + tuple(f"c{k}" for k in range(10_000)),
                                               _three("table")).encode(), rows=3, good=3)
    add("huge", "wide_60000.csv", lambda: (",".join(f"c{k}" for k in range(60_000)) + "\n"
                                           + ",".join("1" for _ in range(60_000)) + "\n").encode())
    add("huge", "wide.geojson", lambda: _json_bytes(_features([pr | {f"p{k}": "v" for k in range(10_000)}
                                                               for pr in _geo_props()])), rows=3, good=3)
    add("empty", "header_only.csv", lambda: (",".join(TABLE) + "\n").encode(), rows=0, good=0)
    add("empty", "header_only_acled.csv", lambda: (",".join(ACLED) + "\n").encode(), rows=0, good=0)
    add("empty", "empty.csv", lambda: b"")
    add("empty", "blank.csv", lambda: b" \r\n\t\n")
    add("empty", "newline.csv", lambda: b"\n")
    add("empty", "empty.xlsx", lambda: b"")
    add("empty", "empty.geojson", lambda: b"")
    add("empty", "no_features.geojson", lambda: _json_bytes(_features([])), rows=0, good=0)
    add("binary", "garbage.csv", lambda: random.Random(1).randbytes(20_000))
    add("binary", "png.csv", lambda: b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(5000))
    add("binary", "gzip.csv", lambda: __import__("gzip").compress(good, mtime=0))
    add("binary", "elf.csv", lambda: b"\x7fELF\x02\x01\x01" + bytes(2000))
    add("binary", "pdf.csv", lambda: b"%PDF-1.7\n" + random.Random(3).randbytes(3000))
    add("binary", "xls.csv", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(3000))
    add("binary", "sqlite.csv", lambda: b"SQLite format 3\x00" + random.Random(4).randbytes(4000))
    add("binary", "garbage.geojson", lambda: random.Random(5).randbytes(20_000))
    add("binary", "garbage.xlsx", lambda: random.Random(6).randbytes(20_000))
    add("binary", "garbage.zip", lambda: b"PK\x03\x04" + random.Random(7).randbytes(20_000))
    add("binary", "garbage.gpkg", lambda: b"SQLite format 3\x00" + random.Random(8).randbytes(8192))
    add("binary", "garbage.kml", lambda: b"<kml>" + random.Random(10).randbytes(5000))

    # (f) zips: bombs, path traversal, corrupt members, odd archives
    row = _csv(TABLE, [_row("table", 1)]).encode().split(b"\n", 1)[1]
    add("zip-bomb", "bomb.zip", p(_zip_stream, "bomb.csv", (",".join(TABLE) + "\n").encode(), row, 160 << 20))
    add("zip-bomb", "bomb_rejects.zip", p(_zip_stream, "rejects.csv", (",".join(TABLE) + "\n").encode(),
                                          b"x,y,z,,,,,,,,,,\n", 40 << 20))
    add("zip-bomb", "bomb_zeros.zip", p(_zip_stream, "zeros.csv", b"id,date\n", b"\x00" * 4096, 300 << 20))
    add("zip-bomb", "bomb_line.zip", p(_zip_stream, "line.csv", (",".join(TABLE) + "\n").encode(), b"a" * 4096,
                                       120 << 20))
    for name in ("../../evil.csv", "/tmp/evil.csv", "..\\..\\evil.csv", "a/../../evil.csv", "C:/evil.csv"):
        add("zip-path", "traversal.zip", lambda name=name: _zip([(name, good)]))
    add("zip-corrupt", "bad_magic.zip", lambda: _corrupt_member(_zip([("t.csv", good * 50)]), "t.csv", "magic"))
    add("zip-corrupt", "bad_deflate.zip", lambda: _corrupt_member(_zip([("t.csv", good * 50)]), "t.csv", "deflate"))
    add("zip-corrupt", "truncated.zip", lambda: _zip([("t.csv", good * 50)])[:300])
    add("zip-corrupt", "bad_crc.zip", lambda: _zip([("t.csv", good)], method=zipfile.ZIP_STORED)
        .replace(b"Fixture place 1", b"Fixture place X"))
    add("zip-odd", "empty.zip", lambda: _zip([]))
    add("zip-odd", "many.zip", lambda: _zip([(f"m{k}.txt", b"") for k in range(10_000)] + [("t.csv", good)]))
    add("zip-odd", "nested.zip", lambda: _zip([("inner.zip", _zip([("t.csv", good)]))]))
    add("zip-odd", "two.zip", lambda: _zip([("a.csv", good), ("b.csv", good)]))
    add("zip-odd", "dir.zip", lambda: _zip([("d/", b"")]))
    add("zip-odd", "binary_member.zip", lambda: _zip([("t.csv", random.Random(11).randbytes(5000))]))
    add("zip-odd", "ok.zip", lambda: _zip([("t.csv", good)]), **ok)
    add("zip-odd", "geo.zip", lambda: _zip([("x.geojson", _json_bytes(_features(_geo_props())))]))
    add("zip-odd", "vrt.zip", lambda: _zip([("x.geojson", _vrt(canary_file))]), secret=True)

    # (g) XLSX: truncated, garbled, DOCTYPE entities, far cells
    add("xlsx", "truncated.xlsx", lambda: _xlsx_table()[:len(_xlsx_table()) // 2])
    add("xlsx", "garbled.xlsx", lambda: _xlsx(_sheet(_table_rows("table")).replace("<row", "<row <<", 2)))
    add("xlsx", "bad_deflate.xlsx", lambda: _corrupt_member(_xlsx_table(), "xl/worksheets/sheet1.xml", "deflate"))
    add("xlsx", "bad_magic.xlsx", lambda: _corrupt_member(_xlsx_table(), "xl/worksheets/sheet1.xml", "magic"))
    add("xlsx", "no_sheet.xlsx", lambda: _zip([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<x/>")]))
    add("xlsx", "laughs.xlsx", lambda: _xlsx(_sheet([["id", "date", "place", "lat", "lon"],
                                                     ["1", "2016-03-01", "&lol9;", "35.4", "44.3"]],
                                                    prolog=LAUGHS).replace("&amp;lol9;", "&lol9;")))
    add("xlsx", "doctype.xlsx", lambda: _xlsx(_sheet(_table_rows("table"), prolog="<!DOCTYPE x []>")))
    add("xlsx", "xxe.xlsx", lambda: _xlsx(_sheet(_table_rows("table", {"place": "&xxe;"}),
                                                 prolog=f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{canary_file}">]>'
                                                 ).replace("&amp;xxe;", "&xxe;")), secret=True)
    add("xlsx", "xxe_http.xlsx", lambda: _xlsx(_sheet(_table_rows("table", {"place": "&xxe;"}),
                                                      prolog=f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{canary_url}x">]>'
                                                      ).replace("&amp;xxe;", "&xxe;")), secret=True)
    add("xlsx", "laughs_shared.xlsx", lambda: _xlsx(
        _sheet([["id"]]).replace('t="inlineStr"><is><t>id</t></is>', 't="s"><v>0</v>'),
        shared=f'<?xml version="1.0"?>{LAUGHS}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
               'main"><si><t>&lol9;</t></si></sst>'))
    add("xlsx", "far_cell.xlsx", lambda: _xlsx(_sheet(_table_rows("table"), dimension="A1:XFD1048576",
                                                      extra_cells='<row r="1048576"><c r="XFD1048576" '
                                                                  't="inlineStr"><is><t>x</t></is></c></row>')))
    add("xlsx", "far_dimension.xlsx", lambda: _xlsx(_sheet(_table_rows("table"), dimension="A1:XFD1048576")),
        rows=3, good=3)
    add("xlsx", "far_column.xlsx", lambda: _xlsx(_sheet(_table_rows("table"), extra_cells=(
        '<row r="5"><c r="XFD5" t="inlineStr"><is><t>x</t></is></c></row>'))))
    add("xlsx", "far_row.xlsx", lambda: _xlsx(_sheet(_table_rows("table"), extra_cells=(
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'))))
    add("xlsx", "huge_shared_index.xlsx", lambda: _xlsx(_sheet(_table_rows("table")).replace(
        't="inlineStr"><is><t>Fixture place 1</t></is>', 't="s"><v>99999999</v>')))
    add("xlsx", "not_a_zip.xlsx", lambda: good)

    # (h) GeoJSON: crs link, 10,000 properties (above), empty GeometryCollection, deep nesting
    link = {"type": "link", "properties": {"href": canary_url + "crs.wkt", "type": "ogcwkt"}}
    add("geojson", "crs_link.geojson", lambda: _json_bytes(_features(_geo_props(), crs=link)), secret=True)
    add("geojson", "crs_link_feature.json", lambda: _json_bytes(_features(_geo_props(), crs={
        "type": "name", "properties": {"name": canary_url + "crs"}})), secret=True)
    empty_gc = {"type": "GeometryCollection", "geometries": []}
    pt = {"type": "Point", "coordinates": [44.3922, 35.4681]}
    add("geojson", "empty_gc.geojson", lambda: _json_bytes(_features(_geo_props(), [pt, empty_gc, pt])),
        rows=3, good=2, expect=(Expect(2, ("geometry",), ""),))
    add("geojson", "only_empty_gc.geojson", lambda: _json_bytes(_features(_geo_props(), [empty_gc] * 3)))
    add("geojson", "nested_gc.geojson", lambda: _json_bytes(_features(_geo_props(), [
        pt, {"type": "GeometryCollection", "geometries": [empty_gc, {"type": "Point", "coordinates": []}]}, pt])))
    add("geojson", "deep_props.geojson", lambda: (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"place":'
        + _deep(100_000, opener='{"a":', closer="}") + '},"geometry":{"type":"Point","coordinates":[44.39,35.46]}}]}'
    ).encode())
    add("geojson", "deep_coords.geojson", lambda: (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
        '{"type":"Polygon","coordinates":' + _deep(200_000) + '}}]}').encode())
    add("geojson", "deep_top.json", lambda: _deep(500_000).encode())
    add("geojson", "nan_coords.geojson", lambda: _json_bytes(_features(_geo_props(), [
        pt, {"type": "Point", "coordinates": [float("nan"), float("inf")]}, pt])).replace(b"Infinity", b"1e999"))
    add("geojson", "huge_coords.geojson", lambda: _json_bytes(_features(_geo_props(), [
        pt, {"type": "Point", "coordinates": [1e308, -1e308]}, pt])))
    add("geojson", "null_geom.geojson", lambda: _json_bytes(_features(_geo_props(), [pt, None, pt])), rows=3, good=2)
    add("geojson", "big_polygon.geojson", lambda: _json_bytes(_features(_geo_props(), [pt, {
        "type": "Polygon", "coordinates": [[[44 + k * 1e-5, 35 + (k % 2) * 1e-3] for k in range(200_000)]
                                           + [[44, 35]]]}, pt])))
    add("geojson", "truncated.geojson", lambda: _json_bytes(_features(_geo_props()))[:300])
    add("geojson", "not_json.geojson", lambda: b'{"type": "FeatureCollection", "features": [' + b"{" * 5000)
    add("geojson", "dates.geojson", lambda: _json_bytes(_features(_geo_props({"date": "9999-12-31",
                                                                              "killed": "1e19"}))), rows=3, good=2)

    # (i) VRT disguised as other formats; KML and GML entities and remote schemas
    for suffix in (".geojson", ".json", ".kml", ".gpkg", ".gml", ".fgb", ".shp"):
        add("vrt", f"vrt{suffix}", p(_vrt, f"CSV:{canary_file}"), secret=True)
        add("vrt", f"vrt_plain{suffix}", p(_vrt, canary_file), secret=True)
    add("vrt", "vrt_curl.geojson", p(_vrt, f"/vsicurl/{canary_url}vrt.csv"), secret=True)
    add("vrt", "vrt_curl.kml", p(_vrt, f"CSV:/vsicurl/{canary_url}vrt.csv"), secret=True)
    add("vrt", "vrt_bom.geojson", lambda: codecs.BOM_UTF8 + b"  \n" + _vrt(canary_file), secret=True)
    add("vrt", "vrt_xmlhead.json", lambda: b'<?xml version="1.0"?>\n' + _vrt(canary_file), secret=True)
    add("vrt", "vsi_in_geojson.geojson",
        lambda: _json_bytes(_features(_geo_props({"source": f"/vsicurl/{canary_url}"}))), rows=3, good=3)
    add("kml", "laughs.kml", lambda: _kml(_placemark("&lol9;"), prolog=LAUGHS))
    add("kml", "xxe.kml", lambda: _kml(_placemark("&xxe;"), prolog=f'<!DOCTYPE kml [<!ENTITY xxe SYSTEM '
                                                                     f'"file://{canary_file}">]>'), secret=True)
    add("kml", "xxe_http.kml", lambda: _kml(_placemark("&xxe;"), prolog=f'<!DOCTYPE kml [<!ENTITY xxe SYSTEM '
                                                                          f'"{canary_url}kml">]>'), secret=True)
    add("kml", "template.kml", lambda: _kml(_placemark("{{ 7*7 }}") + _placemark("{%")), rows=2)
    add("kml", "truncated.kml", lambda: _kml(_placemark("x"))[:120])
    add("kml", "network_link.kml", lambda: _kml(f"<NetworkLink><Link><href>{canary_url}nl.kml</href></Link>"
                                                "</NetworkLink>" + _placemark("x")), secret=True)
    add("gml", "remote_schema.gml", lambda: (
        '<?xml version="1.0"?><ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" '
        'xmlns:gml="http://www.opengis.net/gml" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="http://ogr.maptools.org/ {canary_url}schema.xsd"><gml:featureMember><ogr:x>'
        '<ogr:geometryProperty><gml:Point><gml:coordinates>44.39,35.46</gml:coordinates></gml:Point>'
        '</ogr:geometryProperty><ogr:date>2016-03-01</ogr:date><ogr:source>fixture</ogr:source></ogr:x>'
        '</gml:featureMember></ogr:FeatureCollection>').encode(), secret=True)
    add("gml", "xlink.gml", lambda: (
        '<?xml version="1.0"?><ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" '
        'xmlns:gml="http://www.opengis.net/gml" xmlns:xlink="http://www.w3.org/1999/xlink"><gml:featureMember>'
        f'<ogr:x><ogr:geometryProperty xlink:href="{canary_url}geom.gml"/><ogr:date>2016-03-01</ogr:date>'
        '</ogr:x></gml:featureMember></ogr:FeatureCollection>').encode(), secret=True)
    return cases


# ---------------------------------------------------------------- the seeded mutator over real exports

@functools.lru_cache(maxsize=None)
def _real(path: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return tuple(rows[0]), tuple(tuple(r) for r in rows[1:] if any(c.strip() for c in r))


def real_files(shared: Path = SHARED) -> list[Path]:
    """The real exports the mutator samples (those present)."""
    return [shared / "real" / n for n in REAL_FILES if (shared / "real" / n).is_file()]


EXTREME_NUMBERS = NUMBERS_COUNT + ("1e400", "-0", "1" * 60, "٣e٣٠٨", "")
EXTREME_DATES = ("9999-12-31", "2262-04-12", "0000-00-00", "1677-09-21", "31 December 9999", "12 April 2262",
                 "5", "0001-01-01", "2016-02-30", "9" * 40)
HOSTILE_TEXT = TEMPLATES + MARKUP + ("\"", "\"\"\"", "\r", "\n\n", "\t", "\\", "ك" * 5000, "x" * 100_000)
CELL_OPS = ("number", "date", "text", "blank", "swap")
HEADER_OPS = ("upper", "drop", "duplicate", "rename", "template", "shuffle", "extra")
BYTE_OPS = ("truncate", "flip", "quote", "nul", "crlf", "bom")
ENCODINGS = ("utf-16", "utf-16-le", "cp1256", "latin-1", "utf-8-sig", "mixed")
CONTAINERS = ("zip", "xlsx", "zipzip", "delimiter")


def mutants(files: list[Path], *, count: int, seed: int = 0) -> list[Case]:
    """`count` seeded mutants of samples of `files` (header + a few rows, so each input is small)."""
    if not files:
        return []
    out = []
    for k in range(count):
        s = seed * 1_000_003 + k
        rng = random.Random(s)
        src = files[k % len(files)]
        ops = _pick_ops(rng)
        stable = not any(o in BYTE_OPS[:3] or o == "mixed" for o in ops) and "drop" not in ops
        n = min(rng.randint(1, 25), len(_real(str(src))[1]))
        ext = ".xlsx" if "xlsx" in ops else ".zip" if ("zip" in ops or "zipzip" in ops) else ".csv"
        out.append(Case("mutant/" + "+".join(ops), s, f"{src.stem}_{s}{ext}",
                        functools.partial(_mutant, str(src), s, ops, n), rows=n if stable else None))
    return out


def _pick_ops(rng: random.Random) -> tuple[str, ...]:
    ops = [rng.choice(CELL_OPS) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.35:
        ops.append(rng.choice(HEADER_OPS))
    if rng.random() < 0.3:
        ops.append(rng.choice(BYTE_OPS))
    if rng.random() < 0.25:
        ops.append(rng.choice(ENCODINGS))
    if rng.random() < 0.2:
        ops.append(rng.choice(CONTAINERS))
    return tuple(ops) or ("sample",)


def _mutant(src: str, seed: int, ops: tuple[str, ...], n: int) -> bytes:
    rng = random.Random(seed)
    header, rows = _real(src)
    rows = [list(r) for r in rng.sample(rows, min(n, len(rows)))]
    header = list(header)
    width = len(header)
    for op in ops:
        r, c = rng.randrange(len(rows)), rng.randrange(width)
        if op == "number":
            rows[r][c] = rng.choice(EXTREME_NUMBERS)
        elif op == "date":
            rows[r][c] = rng.choice(EXTREME_DATES)
        elif op == "text":
            rows[r][c] = rng.choice(HOSTILE_TEXT)
        elif op == "blank":
            rows[r][c] = ""
        elif op == "swap":
            c2 = rng.randrange(width)
            rows[r][c], rows[r][c2] = rows[r][c2], rows[r][c]
        elif op == "upper":
            header = [h.upper() if rng.random() < 0.5 else h.title() for h in header]
        elif op == "drop":
            for row in rows:
                del row[c]
            del header[c]
            width -= 1
        elif op == "duplicate":
            header[rng.randrange(width)] = header[c]
        elif op == "rename":
            header[c] = rng.choice(("", " ", "lat", "id", "date", "place", "event_type", "source", "#x", "ك"))
        elif op == "template":
            header[c] = rng.choice(TEMPLATES)
        elif op == "shuffle":
            order = list(range(width))
            rng.shuffle(order)
            header = [header[i] for i in order]
            rows = [[row[i] for i in order] for row in rows]
        elif op == "extra":
            header.append(rng.choice(TEMPLATES + ("extra",)))
            for row in rows:
                row.append(rng.choice(HOSTILE_TEXT[:10]))
            width += 1
    delimiter = rng.choice((";", "\t", "|")) if "delimiter" in ops else ","
    text = _csv(header, rows, delimiter=delimiter, newline="\r\n" if "crlf" in ops else "\n")
    data = text.encode()
    for op in ops:
        if op == "truncate":
            data = data[:rng.randrange(len(data))]
        elif op == "flip":
            raw = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            data = bytes(raw)
        elif op == "quote":
            at = rng.randrange(len(data))
            data = data[:at] + b'"' + data[at:]
        elif op == "nul":
            at = rng.randrange(len(data))
            data = data[:at] + b"\x00" * rng.randint(1, 4) + data[at:]
        elif op == "bom":
            data = codecs.BOM_UTF8 + data
        elif op in ("utf-16", "utf-16-le", "cp1256", "latin-1", "utf-8-sig"):
            data = data.decode("utf-8", errors="replace").encode(op, errors="replace")
        elif op == "mixed":
            lines = data.split(b"\n")
            k = rng.randrange(len(lines))
            lines[k] = lines[k].decode("utf-8", errors="replace").encode("cp1256", errors="replace")
            data = b"\n".join(lines)
    if "xlsx" in ops:
        table = list(csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""),
                                delimiter=delimiter))
        data = _xlsx(_sheet([[cell.replace("\x00", "") for cell in row] for row in table if row] or [["x"]]))
    if "zip" in ops or "zipzip" in ops:
        data = _zip([(Path(src).name, data)])
        if "zipzip" in ops:
            data = _zip([("inner.zip", data)])
    return data


def classes(cases: list[Case]) -> set[str]:
    """The distinct classes in a list of cases (mutants by their first operation)."""
    return {c.kind.split("+")[0] for c in cases}


def crc(data: bytes) -> int:
    """A short fingerprint of bytes (for determinism checks)."""
    return zlib.crc32(data)
