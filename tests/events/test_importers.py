"""Importers: real ACLED/UCDP exports from ../shared (skipped without it, failing in CI), and small
files written here in tmp_path for every mapping, encoding and malformed case.

Rows written by these tests are synthetic fixtures (marked as such in their text), not real events.
"""
import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from events import sources as im
from events import model

ROOT = Path(__file__).resolve().parents[2]

ACLED_2024 = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,"
    "inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,"
    "location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp").split(",")
UCDP_HEADER = (
    "id,year,active_year,start_year,end_year,type_of_violence,conflict_new_id,conflict_name,dyad_new_id,dyad_name,"
    "side_a_new_id,gwnoa,side_a,side_b_new_id,gwnob,side_b,number_of_sources,source_article,source_office,"
    "source_date,source_headline,source_original,where_prec,where_coordinates,adm_1,adm_2,latitude,longitude,"
    "geom_wkt,priogrid_gid,country,country_id,iso3,region,event_clarity,date_prec,date_start,date_end,deaths_a,"
    "deaths_b,deaths_civilians,deaths_unknown,low,best,high").split(",")
# The Global Terrorism Database's 135 columns, in the published order (GTD codebook).
GTD_HEADER = (
    "eventid,iyear,imonth,iday,approxdate,extended,resolution,country,country_txt,region,region_txt,provstate,city,"
    "latitude,longitude,specificity,vicinity,location,summary,crit1,crit2,crit3,doubtterr,alternative,alternative_txt,"
    "multiple,success,suicide,attacktype1,attacktype1_txt,attacktype2,attacktype2_txt,attacktype3,attacktype3_txt,"
    "targtype1,targtype1_txt,targsubtype1,targsubtype1_txt,corp1,target1,natlty1,natlty1_txt,targtype2,targtype2_txt,"
    "targsubtype2,targsubtype2_txt,corp2,target2,natlty2,natlty2_txt,targtype3,targtype3_txt,targsubtype3,"
    "targsubtype3_txt,corp3,target3,natlty3,natlty3_txt,gname,gsubname,gname2,gsubname2,gname3,gsubname3,motive,"
    "guncertain1,guncertain2,guncertain3,individual,nperps,nperpcap,claimed,claimmode,claimmode_txt,claim2,claimmode2,"
    "claimmode2_txt,claim3,claimmode3,claimmode3_txt,compclaim,weaptype1,weaptype1_txt,weapsubtype1,weapsubtype1_txt,"
    "weaptype2,weaptype2_txt,weapsubtype2,weapsubtype2_txt,weaptype3,weaptype3_txt,weapsubtype3,weapsubtype3_txt,"
    "weaptype4,weaptype4_txt,weapsubtype4,weapsubtype4_txt,weapdetail,nkill,nkillus,nkillter,nwound,nwoundus,nwoundte,"
    "property,propextent,propextent_txt,propvalue,propcomment,ishostkid,nhostkid,nhostkidus,nhours,ndays,divert,"
    "kidhijcountry,ransom,ransomamt,ransomamtus,ransompaid,ransompaidus,ransomnote,hostkidoutcome,hostkidoutcome_txt,"
    "nreleased,addnotes,scite1,scite2,scite3,dbsource,INT_LOG,INT_IDEO,INT_MISC,INT_ANY,related").split(",")


def write_csv(path: Path, header, rows, *, encoding="utf-8", newline="\n") -> Path:
    """A CSV as Excel or an export tool writes it (quoted where needed)."""
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator=newline)
        w.writerow(header)
        for row in rows:
            w.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    return path


def acled_row(i, **values):
    row = {"event_id_cnty": f"TST{i}", "event_date": "10 June 2014", "year": "2014", "time_precision": "1",
           "disorder_type": "Political violence", "event_type": "Battles", "sub_event_type": "Armed clash",
           "actor1": "Test actor A", "actor2": "Test actor B", "country": "Iraq", "admin1": "Kirkuk",
           "admin2": "Hawija", "location": "Hawija", "latitude": "35.3228", "longitude": "43.7744",
           "geo_precision": "1", "source": "Test source", "notes": "Synthetic test fixture, not a real event.",
           "fatalities": "3", "timestamp": "1700000000", "iso": "368", "region": "Middle East"}
    row.update(values)
    return row


def ucdp_row(i, **values):
    row = {"id": str(900000 + i), "year": "2014", "type_of_violence": "1", "side_a": "Test side A",
           "side_b": "Test side B", "source_office": "Test office", "source_date": "2014-06-11",
           "source_headline": "Synthetic test fixture", "where_prec": "1", "where_coordinates": "Kirkuk town",
           "adm_1": "Kirkuk province", "adm_2": "Kirkuk district", "latitude": "35.4681", "longitude": "44.3922",
           "event_clarity": "1", "date_prec": "1", "date_start": "2014-06-10", "date_end": "2014-06-10",
           "low": "2", "best": "3", "high": "4"}
    row.update(values)
    return row


def gtd_row(i, **values):
    row = dict.fromkeys(GTD_HEADER, "")
    row.update({"eventid": f"9000000000{i:02d}", "iyear": "2014", "imonth": "6", "iday": "10", "extended": "0",
                "country": "95", "country_txt": "Iraq", "region": "10", "region_txt": "Middle East & North Africa",
                "provstate": "Kirkuk", "city": "Kirkuk", "latitude": "35.4681", "longitude": "44.3922",
                "specificity": "1", "vicinity": "0", "summary": "Synthetic test fixture, not a real event.",
                "crit1": "1", "crit2": "1", "crit3": "1", "doubtterr": "0", "multiple": "0", "success": "1",
                "suicide": "0", "attacktype1": "3", "attacktype1_txt": "Bombing/Explosion", "targtype1": "14",
                "targtype1_txt": "Private Citizens & Property", "natlty1_txt": "Iraq", "gname": "Test group",
                "nkill": "2", "nwound": "5", "scite1": "Synthetic citation one", "dbsource": "Test fixture"})
    row.update({k: str(v) for k, v in values.items()})
    return row


def by_id(result, incident_id):
    rows = result.accepted[result.accepted.incident_id == incident_id]
    assert len(rows) == 1, result.rejects.to_string()
    return rows.iloc[0]


def reasons(result):
    return {(int(r.row), r.field): r.reason for r in result.rejects.itertuples()}


# ---------------------------------------------------------------- real files from ../shared

def test_detect_source_on_the_real_exports(shared):
    real = shared / "real"
    assert im.detect_source(real / "acled_sample.csv") == "acled"
    assert im.detect_source(real / "acled_sample_2024_layout.csv") == "acled"
    assert im.detect_source(real / "ucdp_ged_iraq.csv") == "ucdp"
    assert im.detect_source(real / "irq_admbnda_adm1_cso_20190603.geojson") == "features"


def test_acled_older_layout_conformance(shared):
    res = im.read_acled(shared / "real" / "acled_sample.csv")
    assert (res.source, res.rows_read, len(res.accepted), len(res.rejects)) == ("acled", 496, 496, 0)
    acc = res.accepted
    assert acc.crs == model.CRS and list(acc.columns[:len(model.COLUMNS)]) == list(model.COLUMNS)
    first = by_id(res, "acled:AFG44631")
    assert first.date_start == first.date_end == pd.Timestamp("2020-03-21")
    assert (first.date_precision, first.geo_precision, first.killed_best, first.killed_low) == ("day", 2, 12, 12)
    assert (first.place, first.admin1, first.admin2) == ("Dawlat Abad", "Balkh", "Dawlat Abad")
    assert model.parse_sources(first.sources) == [{"title": "Xinhua; Khaama Press", "publisher": "ACLED",
                                                   "url": "https://acleddata.com"}]
    original = json.loads(first.original)
    assert original["time_precision"] == "1" and original["inter1"] == "2" and original["iso3"] == "AFG"
    assert "notes" not in original and first.notes.startswith("On 21 March 2020")
    # time_precision 2 (51 rows): a 7-day window centred on ACLED's date
    week = acc[acc.date_precision == "week"]
    assert len(week) == 51 and ((week.date_end - week.date_start) == pd.Timedelta(days=6)).all()
    assert set(acc.confidence) == {"medium"}
    assert (acc.target[acc.event_type == "Violence against civilians"] == "civilians").all()


def test_acled_current_layout_conformance(shared):
    res = im.read_file(shared / "real" / "acled_sample_2024_layout.csv")
    assert (res.source, res.rows_read, len(res.accepted), len(res.rejects)) == ("acled", 2, 2, 0)
    yem = by_id(res, "acled:YEM93235")
    assert (yem.event_type, yem.sub_event_type, yem.geo_precision) == ("Protests", "Peaceful protest", 2)
    original = json.loads(yem.original)
    assert original["tags"] == "crowd size=large" and original["disorder_type"] == "Demonstrations"
    assert original["assoc_actor_1"] == "Government of Yemen (2017-) Houthi"
    pse = by_id(res, "acled:PSE62716")
    assert (pse.sub_event_type, pse.killed_best, pse.actor2) == ("Looting/property destruction", 0,
                                                                  "Civilians (Palestine)")


def test_ucdp_conformance_every_row_accounted_for(shared):
    path = shared / "real" / "ucdp_ged_iraq.csv"
    res = im.read_ucdp(path, chunksize=2000)
    rejected = res.rejects.row.nunique()
    assert len(res.accepted) + rejected == res.rows_read == 7473
    assert res.rejects.reason.str.len().gt(0).all() and res.rejects.file.eq("ucdp_ged_iraq.csv").all()
    assert res.accepted.incident_id.is_unique
    # Rejected rows are exactly where_prec 6/7 (country centroid / water), numbered by their line in the file
    starts, prec = {}, {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        line = 2
        for row in reader:
            starts[row["id"]], prec[row["id"]] = line, row["where_prec"]
            line = reader.line_num + 1
    expected = sorted(starts[i] for i, p in prec.items() if p in ("6", "7"))
    assert sorted(res.rejects.row.unique()) == expected and len(expected) == 141
    assert set(res.rejects.field) == {"where_prec"}
    row = by_id(res, "ucdp:114064")
    assert (row.date_start, row.date_end, row.date_precision) == (pd.Timestamp("2014-01-24"),
                                                                  pd.Timestamp("2014-01-25"), "week")
    assert (row.killed_low, row.killed_best, row.killed_high, row.actor1, row.actor2) == (8, 8, 8, "Government of Iraq",
                                                                                          "IS")
    cites = model.parse_sources(row.sources)
    assert cites[0] == {"title": "Iraq violence kills 14 as January toll tops 800",
                        "publisher": "Agence France Presse", "date": "2014-01-25"}
    assert cites[-1]["publisher"].startswith("Uppsala Conflict Data Program")
    assert json.loads(row.original)["where_prec"] == "1"
    # GED rows whose best lies outside low..high keep best and widen the range, with a note
    odd = by_id(res, "ucdp:145587")
    assert (odd.killed_low, odd.killed_best, odd.killed_high) == (33, 34, 34)
    assert "out of order (33/34/33)" in odd.notes


# ---------------------------------------------------------------- ACLED mappings

def test_acled_time_and_geo_precision_mapping(tmp_path):
    rows = [acled_row(1), acled_row(2, time_precision="2", event_date="10 June 2014", geo_precision="2"),
            acled_row(3, time_precision="3", event_date="15 February 2016", geo_precision="3"),
            acled_row(4, time_precision="4"), acled_row(5, geo_precision="5")]
    res = im.read_acled(write_csv(tmp_path / "a.csv", ACLED_2024, rows))
    day, week, month = (by_id(res, f"acled:TST{i}") for i in (1, 2, 3))
    assert (day.date_start, day.date_end, day.date_precision, day.geo_precision) == (
        pd.Timestamp("2014-06-10"), pd.Timestamp("2014-06-10"), "day", 1)
    assert (week.date_start, week.date_end, week.date_precision, week.geo_precision) == (
        pd.Timestamp("2014-06-07"), pd.Timestamp("2014-06-13"), "week", 2)
    assert (month.date_start, month.date_end, month.date_precision, month.geo_precision) == (
        pd.Timestamp("2016-02-01"), pd.Timestamp("2016-02-29"), "month", 3)
    got = reasons(res)
    assert got[(5, "time_precision")] == "ACLED time_precision must be 1, 2 or 3"
    assert got[(6, "geo_precision")] == "ACLED geo_precision must be 1, 2 or 3"
    assert res.rows_read == 5


def test_acled_event_types_old_names_and_targets(tmp_path):
    rows = [acled_row(1, event_type="Explosions/Remote violence", sub_event_type="Remote explosive/land mine/IED"),
            acled_row(2, event_type="Battle-No change of territory", sub_event_type=""),
            acled_row(3, event_type="Riots/Protests", sub_event_type=""),
            acled_row(4, event_type="Battles", sub_event_type="Ambush"),
            acled_row(5, event_type="Protests", sub_event_type="Excessive force against protestors"),
            acled_row(6, event_type="Violence against civilians", sub_event_type="Attack",
                      civilian_targeting="Civilian targeting"),
            acled_row(7, event_type="Battles", sub_event_type="Air/drone strike"),
            acled_row(8, event_type="Earthquake", sub_event_type="")]
    res = im.read_acled(write_csv(tmp_path / "types.csv", ACLED_2024, rows))
    ied = by_id(res, "acled:TST1")
    assert ied.sub_event_type == "Remote explosive/landmine/IED"
    assert json.loads(ied.original)["sub_event_type"] == "Remote explosive/land mine/IED"
    assert (by_id(res, "acled:TST2").event_type, by_id(res, "acled:TST2").sub_event_type) == ("Battles", "Armed clash")
    assert by_id(res, "acled:TST5").target == "protesters"
    assert by_id(res, "acled:TST6").target == "civilians"
    assert pd.isna(by_id(res, "acled:TST1").target)
    got = reasons(res)
    assert "Riots/Protests" in got[(4, "event_type")] and (4, "sub_event_type") not in got
    assert got[(5, "sub_event_type")] == "not an ACLED sub-event type"
    assert got[(8, "sub_event_type")] == "not a sub-type of the event type"
    assert got[(9, "event_type")].startswith("not an ACLED event type")
    assert len(res.accepted) + res.rejects.row.nunique() == res.rows_read == 8


# ---------------------------------------------------------------- UCDP mappings

def test_ucdp_precisions_types_and_hdx_hashtag_row(tmp_path):
    rows = [ucdp_row(1), ucdp_row(2, date_prec="2", date_end="2014-06-12", where_prec="2"),
            ucdp_row(3, date_prec="3", date_start="2014-06-09", date_end="2014-06-15", where_prec="3"),
            ucdp_row(4, date_prec="4", date_start="2014-06-01", date_end="2014-06-30", where_prec="4"),
            ucdp_row(5, date_prec="5", date_start="2014-01-01", date_end="2014-12-31", where_prec="5"),
            ucdp_row(6, where_prec="6"), ucdp_row(7, where_prec="7"),
            ucdp_row(8, type_of_violence="3", event_clarity="2"), ucdp_row(9, type_of_violence="4"),
            ucdp_row(10, date_start="2014-13-45")]
    hashtags = ["#event+id"] + [f"#x+{i}" for i in range(1, len(UCDP_HEADER))]
    path = tmp_path / "ged_hdx.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(UCDP_HEADER)
        w.writerow(hashtags)
        for r in rows:
            w.writerow([r.get(h, "") for h in UCDP_HEADER])
    assert im.detect_source(path) == "ucdp"
    res = im.read_file(path)
    precision = {i: by_id(res, f"ucdp:{900000 + i}") for i in range(1, 6)}
    assert [precision[i].date_precision for i in range(1, 6)] == ["day", "week", "week", "month", "year"]
    assert [precision[i].geo_precision for i in range(1, 6)] == [1, 2, 3, 4, 4]
    assert precision[4].date_end == pd.Timestamp("2014-06-30")
    one_sided = by_id(res, "ucdp:900008")
    assert (one_sided.event_type, one_sided.sub_event_type, one_sided.target, one_sided.confidence) == (
        "Violence against civilians", "Attack", "civilians", "low")
    assert (precision[1].event_type, precision[1].sub_event_type, precision[1].confidence) == (
        "Battles", "Armed clash", "medium")
    assert (precision[1].killed_low, precision[1].killed_best, precision[1].killed_high) == (2, 3, 4)
    got = reasons(res)  # line 1 header, line 2 hashtags, first data row on line 3
    assert got[(8, "where_prec")].startswith("UCDP where_prec 6/7") and (9, "where_prec") in got
    assert got[(11, "type_of_violence")] == "UCDP type_of_violence must be 1, 2 or 3"
    assert got[(12, "date_start")] == "not a date (expected YYYY-MM-DD)"
    assert res.rows_read == 10 and len(res.accepted) == 6


# ---------------------------------------------------------------- GTD (fixture with the real 135-column header)

def test_gtd_dates_places_types_targets_and_citations(tmp_path):
    rows = [gtd_row(1, suicide="1", scite2="Synthetic citation two"),
            gtd_row(2, imonth="0", iday="0"),
            gtd_row(3, iday="0", imonth="2", iyear="2016"),
            gtd_row(4, attacktype1="2", attacktype1_txt="Armed Assault", targtype1="3", targtype1_txt="Police",
                    specificity="1", vicinity="1"),
            gtd_row(5, attacktype1="6", attacktype1_txt="Hostage Taking (Kidnapping)", specificity="2",
                    extended="1", resolution="2014-06-20"),
            gtd_row(6, attacktype1="7", attacktype1_txt="Facility/Infrastructure Attack", targtype1="21",
                    targtype1_txt="Utilities", targsubtype1_txt="Oil", specificity="4"),
            gtd_row(7, attacktype1="2", attacktype1_txt="Armed Assault", targtype1="4", targtype1_txt="Military",
                    natlty1_txt="United States", targtype2="3", targtype2_txt="Police", nkill=""),
            gtd_row(8, attacktype1="9", attacktype1_txt="Unknown"),
            gtd_row(9, specificity="5", latitude="", longitude=""),
            gtd_row(10, imonth="2", iday="30")]
    path = write_csv(tmp_path / "globalterrorismdb_test.csv", GTD_HEADER, rows)
    assert len(GTD_HEADER) == 135 and im.detect_source(path) == "gtd"
    res = im.read_gtd(path)
    g = {i: by_id(res, f"gtd:9000000000{i:02d}") for i in range(1, 8)}
    assert (g[1].event_type, g[1].sub_event_type, g[1].target) == ("Explosions/Remote violence", "Suicide bomb",
                                                                   "civilians")
    assert (g[1].killed_best, g[1].wounded, g[1].actor1, g[1].admin1, g[1].place) == (2, 5, "Test group", "Kirkuk",
                                                                                      "Kirkuk")
    cites = model.parse_sources(g[1].sources)
    assert [c.get("title") for c in cites] == ["Synthetic citation one", "Synthetic citation two",
                                               "Global Terrorism Database (GTD)"]
    # imonth/iday 0 = unknown: the whole year / the whole month
    assert (g[2].date_start, g[2].date_end, g[2].date_precision) == (pd.Timestamp("2014-01-01"),
                                                                     pd.Timestamp("2014-12-31"), "year")
    assert (g[3].date_start, g[3].date_end, g[3].date_precision) == (pd.Timestamp("2016-02-01"),
                                                                     pd.Timestamp("2016-02-29"), "month")
    assert (g[4].event_type, g[4].sub_event_type, g[4].target, g[4].geo_precision) == ("Battles", "Armed clash",
                                                                                        "police", 2)
    assert (g[5].sub_event_type, g[5].geo_precision, g[5].date_end) == ("Abduction/forced disappearance", 3,
                                                                        pd.Timestamp("2014-06-20"))
    assert (g[6].sub_event_type, g[6].target, g[6].geo_precision) == ("Looting/property destruction",
                                                                      "oil infrastructure", 4)
    assert g[7].target == "coalition forces;police" and pd.isna(g[7].killed_best)
    original = json.loads(g[1].original)
    assert original["attacktype1_txt"] == "Bombing/Explosion" and original["specificity"] == "1"
    assert original["summary"] == g[1].notes and g[1].notes.startswith("Synthetic")
    got = reasons(res)
    assert got[(9, "attacktype1_txt")].startswith("GTD attack type has no ACLED equivalent")
    assert got[(10, "specificity")].startswith("GTD specificity 5") and (10, "latitude") not in got
    assert got[(11, "iday")] == "iyear/imonth/iday is not a valid date"
    assert res.rows_read == 10


def test_gtd_xlsx_as_distributed(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(GTD_HEADER)
    for i in (1, 2):
        row = gtd_row(i)
        ws.append([float(row[h]) if h in ("iyear", "imonth", "iday", "latitude", "longitude", "nkill") and row[h]
                   else row[h] for h in GTD_HEADER])
    wb.save(tmp_path / "gtd.xlsx")
    assert im.detect_source(tmp_path / "gtd.xlsx") == "gtd"
    res = im.read_file(tmp_path / "gtd.xlsx")
    assert len(res.accepted) == 2 and res.accepted.killed_best.tolist() == [2, 2]
    assert res.accepted.date_start.tolist() == [pd.Timestamp("2014-06-10")] * 2


# ---------------------------------------------------------------- encodings

ARABIC_ROWS = [["date", "place", "place_ar", "lat", "lon", "event_type", "sub_event_type", "killed", "notes"],
               ["2016-10-21", "Kirkuk", "كركوك", "35.4681", "44.3922", "Battles", "Armed clash", "5",
                "حادث تجريبي للاختبار فقط"],
               ["2014-06", "Hawija", "الحويجة", "35.3228", "43.7744", "Battles", "", "", "سطر تجريبي"]]


@pytest.mark.parametrize("encoding", ["cp1256", "utf-8-sig", "utf-8", "utf-16"])
def test_arabic_text_survives_each_encoding(tmp_path, encoding):
    path = tmp_path / f"arabic_{encoding}.csv"
    write_csv(path, ARABIC_ROWS[0], ARABIC_ROWS[1:], encoding=encoding, newline="\r\n")
    res = im.read_table(path)
    assert res.rows_read == 2 and res.rejects.empty, res.rejects.to_string()
    assert res.accepted.place_ar.tolist() == ["كركوك", "الحويجة"]
    assert res.accepted.notes.tolist() == ["حادث تجريبي للاختبار فقط", "سطر تجريبي"]
    month = res.accepted.iloc[1]
    assert (month.date_precision, month.date_start, month.date_end) == ("month", pd.Timestamp("2014-06-01"),
                                                                        pd.Timestamp("2014-06-30"))


def test_cp1256_acled_export_with_arabic_notes(tmp_path):
    path = write_csv(tmp_path / "acled_ar.csv", ACLED_2024,
                     [acled_row(1, notes="ملاحظة تجريبية: هجوم في الحويجة"), acled_row(2, location="داقوق")],
                     encoding="cp1256")
    res = im.read_file(path)
    assert res.source == "acled" and len(res.accepted) == 2
    assert by_id(res, "acled:TST1").notes == "ملاحظة تجريبية: هجوم في الحويجة"
    assert by_id(res, "acled:TST2").place == "داقوق"


# ---------------------------------------------------------------- a user's table, Excel and geocoding

def test_table_with_mapping_and_geocoder(tmp_path):
    header = ["Ref", "When", "Where", "Y", "X", "Kind", "Dead", "Link"]
    rows = [["r1", "21/10/2016", "Kirkuk", "35.4681", "44.3922", "Battles", "٣", "https://example.org/1"],
            ["r2", "2016-10-22", "Daquq", "", "", "Battles", "1", ""],
            ["r3", "2016-10-23", "Nowhere-test", "", "", "Battles", "", ""],
            ["r4", "2016-10-24", "", "", "", "Battles", "", ""],
            ["r5", "yesterday", "Kirkuk", "35.4", "44.3", "Battles", "", ""]]
    path = write_csv(tmp_path / "my incidents.csv", header, rows)
    mapping = {"source_id": "Ref", "date_start": "When", "place": "Where", "lat": "Y", "lon": "X",
               "event_type": "Kind", "killed_best": "Dead", "url": "Link"}
    asked = []

    def geocoder(name):
        asked.append(name)
        if name == "Daquq":
            return {"lat": 35.1394, "lon": 44.4469, "geo_precision": 2, "found": True}
        return {"found": False}

    res = im.read_table(path, mapping=mapping, geocoder=geocoder)
    r1, r2 = by_id(res, "my incidents:r1"), by_id(res, "my incidents:r2")
    assert (r1.date_start, r1.killed_best, r1.source_dataset, r1.confidence) == (
        pd.Timestamp("2016-10-21"), 3, "my incidents", "low")
    assert model.parse_sources(r1.sources)[0] == {"url": "https://example.org/1"}
    assert (r2.lat, r2.lon, r2.geo_precision) == (35.1394, 44.4469, 2)
    assert json.loads(r2.original)["_geocoded_from"] == "Daquq"
    assert sorted(asked) == ["Daquq", "Nowhere-test"]
    got = reasons(res)
    assert got[(4, "Where")].startswith("place not found by the geocoder")
    assert got[(5, "Y")] == im.NO_COORDINATES
    assert got[(6, "When")] == "not a date (expected YYYY-MM-DD or DD/MM/YYYY)"
    assert {f for (row, f) in got if row in (4, 5)} <= {"Where", "Y"}  # one clear reason, not a cascade


def test_table_without_geocoder_rejects_rows_without_coordinates(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["date", "place", "event_type"], [["2016-10-21", "Kirkuk", "Battles"]])
    res = im.read_table(path)
    assert reasons(res) == {(2, "lat"): "no coordinates; map a lat/lon column or geocode the place"}


def test_xlsx_table_rows_numbered_by_sheet_row(tmp_path):
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "place", "latitude", "longitude", "event_type", "fatalities"])
    ws.append([dt.datetime(2016, 10, 21), "Kirkuk", 35.4681, 44.3922, "Battles", 2])
    ws.append([None, None, None, None, None, None])
    ws.append([dt.datetime(2016, 10, 22), "Dibis", 95.0, 44.06, "Battles", 1.0])
    wb.save(tmp_path / "sheet.xlsx")
    res = im.read_file(tmp_path / "sheet.xlsx")
    assert res.source == "table" and res.rows_read == 2
    assert by_id(res, "sheet:2").date_start == pd.Timestamp("2016-10-21")
    assert reasons(res) == {(4, "latitude"): "outside -90..90"}


def test_mapping_to_a_missing_column_fails_clearly(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["date", "lat", "lon"], [["2016-10-21", "35", "44"]])
    with pytest.raises(im.ImportFailure, match=r"^t\.csv: the file has no column 'Datum' \(for date_start\)"):
        im.read_table(path, mapping={"date_start": "Datum", "lat": "lat", "lon": "lon"})
    with pytest.raises(im.ImportFailure, match=r"^t\.csv: the mapping names unknown field\(s\) when"):
        im.read_table(path, mapping={"when": "date"})


# ---------------------------------------------------------------- GeoJSON, GeoPackage, KML

def features_frame():
    return gpd.GeoDataFrame(
        {"name": ["Kirkuk", "Hawija district (test)", "Road (test)"],
         "date": ["2016-10-21", "2014-06-10", "2015-01-05"],
         "event_type": ["Battles", "Battles", "Explosions/Remote violence"],
         "sub_event_type": ["Armed clash", "Armed clash", "Remote explosive/landmine/IED"],
         "killed": [1, None, 0], "notes": ["Synthetic test fixture", "", ""]},
        geometry=[shapely.Point(44.3922, 35.4681), shapely.box(43.6, 35.2, 43.9, 35.5),
                  shapely.LineString([(44.0, 35.0), (44.2, 35.2)])], crs="EPSG:4326")


@pytest.mark.parametrize("suffix,driver", [(".geojson", "GeoJSON"), (".gpkg", "GPKG"), (".kml", "KML")])
def test_features_points_and_polygons(tmp_path, suffix, driver):
    path = tmp_path / f"layer{suffix}"
    frame = features_frame()
    if driver == "KML":  # KML keeps Name/Description, other attributes as extended data
        frame = frame.rename(columns={"name": "Name", "notes": "Description"})
    frame.to_file(path, driver=driver)
    assert im.detect_source(path) == "features"
    res = im.read_features(path)
    assert res.rows_read == 3 and res.rejects.empty, res.rejects.to_string()
    point, poly, line = (res.accepted.iloc[i] for i in range(3))
    assert (point.lat, point.lon, point.geo_precision, point.killed_best) == (35.4681, 44.3922, 2, 1)
    assert (point.place, point.date_start, point.event_type) == ("Kirkuk", pd.Timestamp("2016-10-21"), "Battles")
    assert point.notes == "Synthetic test fixture"
    assert poly.geo_precision == 3 and "representative point" in poly.notes
    assert shapely.box(43.6, 35.2, 43.9, 35.5).contains(shapely.Point(poly.lon, poly.lat))
    assert line.geo_precision == 3 and pd.isna(poly.killed_best)


def test_features_in_another_crs_are_reprojected(tmp_path):
    frame = features_frame().iloc[:1].to_crs(32638)
    frame.to_file(tmp_path / "utm.gpkg", driver="GPKG")
    row = im.read_features(tmp_path / "utm.gpkg").accepted.iloc[0]
    assert row.lat == pytest.approx(35.4681, abs=1e-6) and row.lon == pytest.approx(44.3922, abs=1e-6)


# ---------------------------------------------------------------- malformed input

def test_files_that_cannot_be_read_fail_with_one_clear_line(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "blank.csv").write_bytes(b"  \r\n\n")
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 nor is this a workbook")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    expected = {"empty.csv": "the file is empty", "blank.csv": "the file is empty",
                "junk.csv": "binary data", "broken.zip": "not a readable zip archive",
                "broken.xlsx": "not a readable zip archive", "old.xls": "old Excel .xls workbook",
                "missing.csv": "no such file"}
    for name, words in expected.items():
        with pytest.raises(im.ImportFailure) as info:
            im.read_file(tmp_path / name)
        message = str(info.value)
        assert message.startswith(f"{name}: ") and words in message and "\n" not in message


def test_wrong_header_for_the_forced_source(tmp_path):
    path = write_csv(tmp_path / "ged.csv", UCDP_HEADER, [ucdp_row(1)])
    with pytest.raises(im.ImportFailure, match=r"^ged\.csv: not an ACLED export: missing column\(s\) event_id_cnty, "
                                               r"event_date, event_type; it looks like a UCDP GED export$"):
        im.read_acled(path)
    with pytest.raises(im.ImportFailure, match=r"^ged\.csv: not a GeoJSON, GeoPackage, KML"):
        im.read_features(path)
    with pytest.raises(im.ImportFailure, match=r"^ged\.csv: unknown source 'acld'"):
        im.read_file(path, source="acld")


def test_bad_rows_are_rejected_with_file_row_field_and_reason(tmp_path):
    header = ACLED_2024
    good = acled_row(1)
    lines = [",".join(header),
             ",".join(f'"{good.get(h, "")}"' for h in header),                                   # line 2
             ",".join(f'"{acled_row(2, event_date="31 February 2014").get(h, "")}"' for h in header),  # 3
             ",".join(f'"{acled_row(3, latitude="135.3").get(h, "")}"' for h in header),         # 4
             ",".join(f'"{acled_row(4, latitude="43.7744", longitude="35.3228").get(h, "")}"' for h in header),  # 5
             ",".join(f'"{acled_row(5, notes="first line" + chr(10) + "second line").get(h, "")}"' for h in header),
             ",".join(f'"{acled_row(6, fatalities="many").get(h, "")}"' for h in header),      # 8 (7 was inside 6-7)
             '"TST7","10 June 2014","2014"',                                                       # 9 truncated
             ",".join(f'"{acled_row(8).get(h, "")}"' for h in header) + ',"extra","fields"',       # 10 too many
             "",                                                                                    # 11 blank line
             ",".join(f'"{acled_row(9, event_date="2099-01-01").get(h, "")}"' for h in header)]    # 12
    path = tmp_path / "acled_bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = im.read_file(path)
    got = reasons(res)
    assert got[(3, "event_date")] == "not a date (expected e.g. 21 March 2020 or 2020-03-21)"
    assert got[(4, "latitude")] == "outside -90..90"
    assert got[(5, "latitude")] == "latitude and longitude look swapped"
    assert got[(8, "fatalities")] == "not a whole number"
    assert got[(9, "(row)")] == "has 3 fields, the header has 31 (too few: truncated or broken row)"
    assert got[(10, "(row)")] == "has 33 fields, the header has 31 (too many: truncated or broken row)"
    assert got[(12, "event_date")] == "in the future"
    assert sorted(res.accepted.source_id) == ["TST1", "TST5"]
    assert by_id(res, "acled:TST5").notes == "first line\nsecond line"
    assert res.rows_read == 9 and set(res.rejects.file) == {"acled_bad.csv"}
    for r in res.rejects.itertuples():
        assert r.reason and r.field


def test_semicolon_delimited_zip_and_chunks(tmp_path):
    import zipfile

    rows = [acled_row(i) for i in range(1, 8)]
    csv_path = tmp_path / "inner.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(ACLED_2024)
        for r in rows:
            w.writerow([r.get(h, "") for h in ACLED_2024])
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as zf:
        zf.write(csv_path, "acled-export.csv")
    assert im.detect_source(tmp_path / "export.zip") == "acled"
    chunks = list(im.iter_import(tmp_path / "export.zip", chunksize=3))
    assert [len(acc) for acc, _ in chunks] == [3, 3, 1]
    whole = im.read_file(tmp_path / "export.zip")
    assert pd.concat([acc for acc, _ in chunks]).incident_id.tolist() == whole.accepted.incident_id.tolist()
    assert len(whole.accepted) == 7


def test_iter_import_checks_eagerly(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(im.ImportFailure):
        im.iter_import(tmp_path / "e.csv")  # raised on the call, before the store opens a transaction


# ---------------------------------------------------------------- bounded memory on a large file

MEMORY_PROBE = textwrap.dedent("""
    import json, resource, sys
    sys.path.insert(0, sys.argv[1])
    from events import sources as im
    path, small = sys.argv[2], sys.argv[3]
    for _ in im.iter_import(small, chunksize=50):   # warm up lazy imports and caches
        pass
    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    base = peak()
    rows = 0
    for acc, rej in im.iter_import(path, chunksize=10_000):
        rows += len(acc) + rej.row.nunique()
    chunked = peak() - base
    whole = im.read_file(path, chunksize=10**9)
    print(json.dumps({"rows": rows, "chunked": chunked, "whole": peak() - base, "accepted": len(whole.accepted)}))
""")


def write_acled_like(path: Path, n: int) -> None:
    """n synthetic ACLED-like rows (current layout), varied enough not to flatter caches."""
    rng = np.random.default_rng(7)
    kinds = [("Battles", "Armed clash"), ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
             ("Violence against civilians", "Attack"), ("Protests", "Peaceful protest")]
    k = rng.integers(0, len(kinds), n)
    dates = (pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")).strftime("%d %B %Y")
    place = rng.integers(0, 500, n)
    frame = pd.DataFrame({
        "event_id_cnty": [f"TST{i}" for i in range(n)], "event_date": dates, "year": "2016",
        "time_precision": rng.choice(["1", "1", "2", "3"], n), "disorder_type": "Political violence",
        "event_type": [kinds[i][0] for i in k], "sub_event_type": [kinds[i][1] for i in k],
        "actor1": "Test actor A", "assoc_actor_1": "", "inter1": "Rebel group", "actor2": "Test actor B",
        "assoc_actor_2": "", "inter2": "State forces", "interaction": "State forces-Rebel group",
        "civilian_targeting": np.where(k == 2, "Civilian targeting", ""), "iso": "368", "region": "Middle East",
        "country": "Iraq", "admin1": "Kirkuk", "admin2": "Hawija", "admin3": "",
        "location": [f"Test place {i}" for i in place], "latitude": (35.0 + place / 1000).round(4),
        "longitude": (43.5 + place / 800).round(4), "geo_precision": rng.choice(["1", "2", "3"], n),
        "source": [f"Test source {i}" for i in rng.integers(0, 300, n)], "source_scale": "National",
        "notes": [f"Synthetic test fixture {i}, not a real event; a sentence of typical length follows here." for i
                  in range(n)], "fatalities": rng.integers(0, 12, n), "tags": "", "timestamp": "1700000000"})
    frame.to_csv(path, index=False)


def test_chunked_import_memory_stays_bounded(tmp_path):
    """200k rows in chunks of 10k: peak memory growth well below what reading the whole file needs."""
    big, small = tmp_path / "acled_big.csv", tmp_path / "acled_small.csv"
    write_acled_like(big, 200_000)
    write_acled_like(small, 200)
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(ROOT), str(big), str(small)],
                         capture_output=True, text=True, timeout=300, check=True)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["rows"] == probe["accepted"] == 200_000
    size = big.stat().st_size
    assert probe["chunked"] < 4 * size, probe          # bounded: ~2.5x a 83 MB file, not growing with it
    assert probe["whole"] > 2 * probe["chunked"], probe  # the whole-file read would not fit that bound
