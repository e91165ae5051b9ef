"""Hostile tables: crafted CSV, zip and .xlsx files (generated here in tmp_path) that used to crash an
import with a traceback or exhaust memory. Each bad cell must become a reject naming row, field, value
and reason while the other rows import; a file that cannot be read at all is one clear ImportFailure
naming the file (never its server path).

Rows written by these tests are synthetic fixtures, not real events.
"""
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from events import sources as im
from tests.events.test_importers import (ACLED_2024, GTD_HEADER, UCDP_HEADER, acled_row, gtd_row, reasons,
                                         ucdp_row, write_csv)

ROOT = Path(__file__).resolve().parents[2]
TABLE_HEADER = ["id", "date", "place", "place_ar", "lat", "lon", "event_type", "killed", "sources"]


def table_row(i, **values):
    row = {"id": f"t{i}", "date": "2016-10-21", "place": "Kirkuk", "place_ar": "كركوك", "lat": "35.4681",
           "lon": "44.3922", "event_type": "Battles", "killed": "1", "sources": "Synthetic test fixture"}
    row.update(values)
    return row


def assert_one_reject(res, row, field, value, words):
    """Only `row` was rejected, once, naming the field, the file's own value and the reason."""
    bad = res.rejects[res.rejects.row == row]
    assert len(bad) == 1, res.rejects.to_string()
    got = bad.iloc[0]
    assert (got.field, got.value) == (field, value) and words in got.reason, got.to_dict()
    assert set(res.rejects.row) == {row}


# ---------------------------------------------------------------- one bad cell, the other rows import

@pytest.mark.parametrize("value,words", [("inf", "more than 100,000"), ("1e308", "more than 100,000"),
                                         ("1e19", "more than 100,000"), ("1e18", "more than 100,000"),
                                         ("100001", "more than 100,000"), ("-1", "negative"),
                                         ("-inf", "negative")])
def test_absurd_counts_are_rejected_not_stored(tmp_path, value, words):
    path = write_csv(tmp_path / "acled.csv", ACLED_2024, [acled_row(1), acled_row(2, fatalities=value), acled_row(3)])
    res = im.read_file(path)
    assert sorted(res.accepted.source_id) == ["TST1", "TST3"]
    assert_one_reject(res, 3, "fatalities", value, words)


def test_absurd_counts_in_ucdp_gtd_and_a_table(tmp_path):
    ucdp = im.read_file(write_csv(tmp_path / "ged.csv", UCDP_HEADER, [ucdp_row(1), ucdp_row(2, best="inf")]))
    assert len(ucdp.accepted) == 1 and reasons(ucdp)[(3, "best")].startswith("more than 100,000")
    gtd = im.read_file(write_csv(tmp_path / "gtd.csv", GTD_HEADER, [gtd_row(1), gtd_row(2, nwound="1e19")]))
    assert len(gtd.accepted) == 1 and reasons(gtd) == {(3, "nwound"): "more than 100,000: not a plausible toll "
                                                                      "for one incident"}
    table = im.read_file(write_csv(tmp_path / "t.csv", TABLE_HEADER, [table_row(1), table_row(2, killed="1e308")]))
    assert len(table.accepted) == 1 and list(reasons(table)) == [(3, "killed")]  # no cascade on killed_low/high


@pytest.mark.parametrize("date,words", [("9999-12-31", "in the future"), ("2262-05-01", "in the future"),
                                        ("12 April 2262", "in the future"), ("0001-01-01", "before 1900"),
                                        ("1677-01-01", "before 1900")])
def test_out_of_range_acled_dates(tmp_path, date, words):
    rows = [acled_row(1), acled_row(2, event_date=date, time_precision="3"), acled_row(3)]
    res = im.read_file(write_csv(tmp_path / "acled.csv", ACLED_2024, rows))
    assert len(res.accepted) == 2
    assert_one_reject(res, 3, "event_date", date, words)


@pytest.mark.parametrize("parts,words", [({"iyear": "5"}, "before 1900"),
                                         ({"iyear": "99999"}, "not a valid date"),
                                         ({"iday": "45"}, "not a valid date"),
                                         ({"iyear": "2262", "imonth": "0", "iday": "0"}, "in the future"),
                                         ({"iyear": "1e19"}, "not a valid date"),
                                         ({"iyear": "inf"}, "not a valid date")])
def test_out_of_range_gtd_dates(tmp_path, parts, words):
    res = im.read_file(write_csv(tmp_path / "gtd.csv", GTD_HEADER, [gtd_row(1), gtd_row(2, **parts), gtd_row(3)]))
    assert len(res.accepted) == 2
    bad = res.rejects.iloc[0]
    assert len(res.rejects) == 1 and bad.row == 3 and bad.field == "iday" and words in bad.reason


def test_out_of_range_dates_in_ucdp_and_a_table(tmp_path):
    ucdp = im.read_file(write_csv(tmp_path / "ged.csv", UCDP_HEADER,
                                  [ucdp_row(1), ucdp_row(2, date_start="9999-12-31", date_end="9999-12-31")]))
    assert len(ucdp.accepted) == 1 and reasons(ucdp)[(3, "date_start")] == "in the future"
    rows = [table_row(1), table_row(2, date="9999-12-31"), table_row(3, date="2262"), table_row(4, date="2262-05")]
    table = im.read_file(write_csv(tmp_path / "t.csv", TABLE_HEADER, rows))
    assert len(table.accepted) == 1
    assert reasons(table) == {(3, "date"): "in the future", (4, "date"): "in the future",
                              (5, "date"): "in the future"}
    assert table.rejects.value.tolist() == ["9999-12-31", "2262", "2262-05"]  # the file's text, not a stand-in


def test_source_text_starting_with_a_bracket_is_text(tmp_path):
    cited = json.dumps([{"title": "Synthetic report", "url": "https://example.org/x"}])
    rows = [table_row(1, sources="[Reuters] synthetic report"), table_row(2, sources="[1] synthetic footnote"),
            table_row(3, sources=cited), table_row(4, sources="[not json")]
    res = im.read_file(write_csv(tmp_path / "t.csv", TABLE_HEADER, rows))
    assert res.rejects.empty, res.rejects.to_string()
    titles = [json.loads(s)[0].get("title") for s in res.accepted.sources]
    assert titles == ["[Reuters] synthetic report", "[1] synthetic footnote", "Synthetic report", "[not json"]


# ---------------------------------------------------------------- duplicates do not depend on the chunk size

def test_duplicate_ids_are_rejected_whatever_the_chunk_size(tmp_path):
    ids = [1, 2, 1, 3, 2, 4, 1, 5]
    rows = [acled_row(i, notes=f"Synthetic fixture line {n}") for n, i in enumerate(ids, start=2)]
    path = write_csv(tmp_path / "acled.csv", ACLED_2024, rows)
    outcomes = []
    for chunksize in (2, 3, 100_000):
        res = im.read_file(path, chunksize=chunksize)
        outcomes.append((sorted(res.accepted.notes), sorted(map(tuple, res.rejects[["row", "field", "reason"]]
                                                                .values.tolist()))))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    accepted, rejects = outcomes[0]
    assert accepted == [f"Synthetic fixture line {n}" for n in (2, 3, 5, 7, 9)]
    assert rejects == [(4, "event_id_cnty", "duplicate incident_id: row 2 of this file has the same id"),
                       (6, "event_id_cnty", "duplicate incident_id: row 3 of this file has the same id"),
                       (8, "event_id_cnty", "duplicate incident_id: row 2 of this file has the same id")]


def test_seen_ids_find_the_first_row_across_many_chunks():
    seen = im.SeenIds()
    firsts = []
    for start in range(0, 1000, 7):
        rows = list(range(start + 2, min(start + 7, 1000) + 2))
        ids = pd.Series([f"id{r % 300}" for r in rows], dtype=object)
        firsts.extend(seen.earlier(ids, rows).tolist())
    expected = [0 if r < 302 else (r - 2) % 300 + 2 for r in range(2, 1002)]
    assert firsts == expected
    assert seen.earlier(pd.Series([None, "", "  "], dtype=object), [2000, 2001, 2002]).tolist() == [0, 0, 0]


# ---------------------------------------------------------------- encodings

def test_one_invalid_byte_in_utf8_rejects_only_its_row(tmp_path):
    rows = [table_row(i, place_ar="الحويجة", notes="") for i in range(1, 5)]
    text = "\n".join([",".join(TABLE_HEADER)] + [",".join(r[h] for h in TABLE_HEADER) for r in rows]) + "\n"
    data = text.encode("utf-8").replace("t3,".encode(), b"t3,", 1).replace(b"Kirkuk", b"Kir\xffkuk", 3)
    data = data.replace(b"Kir\xffkuk", b"Kirkuk", 2)  # only the third row keeps the bad byte
    path = tmp_path / "almost_utf8.csv"
    path.write_bytes(data)
    res = im.read_table(path)
    assert res.accepted.place_ar.tolist() == ["الحويجة"] * 3  # not cp1252 mojibake
    assert res.rows_read == 4
    assert_one_reject(res, 4, "place", "Kir\\xffkuk", "not valid utf-8")


def test_cp1256_still_read_as_arabic(tmp_path):
    path = write_csv(tmp_path / "ar.csv", TABLE_HEADER, [table_row(1, place_ar="داقوق"), table_row(2)],
                     encoding="cp1256")
    res = im.read_table(path)
    assert res.rejects.empty and res.accepted.place_ar.tolist() == ["داقوق", "كركوك"]


# ---------------------------------------------------------------- zips

def zipped(tmp_path, name, data: bytes, *, compression=zipfile.ZIP_DEFLATED) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        zf.writestr("inner.csv", data)
    return path


def csv_bytes(n: int) -> bytes:
    rows = [acled_row(i) for i in range(1, n + 1)]
    lines = [",".join(ACLED_2024)] + [",".join(f'"{r.get(h, "")}"' for h in ACLED_2024) for r in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("damage", ["magic", "zlib", "truncated", "crc"])
def test_corrupt_zip_member_is_one_clear_message(tmp_path, damage):
    path = zipped(tmp_path, "export.zip", csv_bytes(300))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("inner.csv")
    body = info.header_offset + 30 + len(info.filename)
    if damage == "magic":
        data[info.header_offset:info.header_offset + 4] = b"XX\x03\x04"
    elif damage == "zlib":
        data[body:body + 64] = bytes(range(200, 256)) + bytes(8)
    elif damage == "crc":
        data[info.header_offset + 14] ^= 0xFF  # the local CRC is ignored; damage the central one
        central = data.rfind(b"PK\x01\x02")
        data[central + 16] ^= 0xFF
    else:
        central = data.rfind(b"PK\x01\x02")
        data = data[:body + info.compress_size // 2] + data[central:]
    path.write_bytes(bytes(data))
    with pytest.raises(im.ImportFailure) as info_:
        im.read_file(path)
    message = str(info_.value)
    assert message.startswith("export.zip: ") and "\n" not in message and str(tmp_path) not in message


def test_zip_bomb_is_refused_before_reading(tmp_path):
    path = zipped(tmp_path, "bomb.zip", csv_bytes(2) + b"\n" * (300 << 20))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(im.ImportFailure, match=r"^bomb\.zip: inner\.csv inside the zip expands .* zip bomb"):
        im.read_file(path)


def test_too_many_columns_is_one_clear_message(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("1" for _ in range(100_000)) + "\n")
    with pytest.raises(im.ImportFailure, match=r"^wide\.csv: has at least [\d,]+ columns; a table of incidents has at most 1,000$"):
        im.read_file(path)


# ---------------------------------------------------------------- workbooks

def workbook(path: Path, rows) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


XLSX_ROWS = [TABLE_HEADER] + [[table_row(i)[h] for h in TABLE_HEADER] for i in (1, 2)]


def rewrite_member(path: Path, member: str, change) -> None:
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts[member] = change(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)


def body(xml: bytes) -> bytes:
    """An XML part without its declaration, so a DOCTYPE can be put first."""
    return xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10)) + b"]>")
XXE = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "sheet xml broken", "billion laughs in sheet",
                                    "xxe in sheet", "entity in workbook"])
def test_broken_or_hostile_workbook_is_one_clear_message(tmp_path, damage):
    path = workbook(tmp_path / "book.xlsx", XLSX_ROWS)
    sheet = "xl/worksheets/sheet1.xml"
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    elif damage == "not a zip":
        path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    elif damage == "sheet xml broken":
        rewrite_member(path, sheet, lambda x: x[:len(x) - 40])
    elif damage == "billion laughs in sheet":
        rewrite_member(path, sheet, lambda x: BILLION_LAUGHS + body(x).replace(b"Kirkuk", b"&lol9;"))
    elif damage == "xxe in sheet":
        rewrite_member(path, sheet, lambda x: XXE + body(x).replace(b"Kirkuk", b"&xxe;"))
    else:
        rewrite_member(path, "xl/workbook.xml", lambda x: BILLION_LAUGHS + body(x))
    with pytest.raises(im.ImportFailure) as info:
        im.read_file(path)
    message = str(info.value)
    assert message.startswith("book.xlsx: ") and "\n" not in message and str(tmp_path) not in message
    assert "root:" not in message


MEMORY_PROBE = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, sys.argv[1])
    limit = 600 << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from events import sources as im
    res = im.read_file(sys.argv[2])
    print(len(res.accepted), res.rows_read)
""")


def test_tiny_workbook_claiming_the_whole_sheet_stays_small(tmp_path):
    """A cell at XFD1048576 (the header claims A1:XFD1048576): the old reader padded 1M rows x 16,384 columns."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in XLSX_ROWS:
        ws.append(row)
    ws["XFD1048576"] = "far away"
    wb.save(tmp_path / "far.xlsx")
    assert (tmp_path / "far.xlsx").stat().st_size < 10_000
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(ROOT), str(tmp_path / "far.xlsx")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["2", "2"]


def test_messages_name_the_file_never_its_folder(tmp_path):
    path = tmp_path / "nested" / "secret-folder" / "data.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00\x01binary" * 100)
    with pytest.raises(im.ImportFailure) as info:
        im.read_file(path)
    assert str(info.value).startswith("data.csv: ") and "secret-folder" not in str(info.value)
    res = im.read_file(write_csv(tmp_path / "nested" / "t.csv", TABLE_HEADER, [table_row(1, lat="x")]))
    assert set(res.rejects.file) == {"t.csv"}
