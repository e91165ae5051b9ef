"""GTD distributions (issue 11): events without coordinates placed from city/provstate, fractional tolls,
ids rounded by Excel, and the country-aware lat/lon swap rule. Files follow the 135-column GTD layout
(GTD_HEADER) and are written here in tmp_path; rows are synthetic fixtures, not real events."""
import json

import pandas as pd
import pytest

from events import model
from events import sources as im
from tests.events.test_importers import GTD_HEADER, by_id, gtd_row, reasons, write_csv

PLACES = {"Kirkuk": (35.4681, 44.3922), "Ninawa governorate": (36.3, 42.8)}  # a caller's gazetteer, as `python -m geo` passes


def gazetteer(name):
    """A caller's geocoder: {lat, lon, found} for the names it knows."""
    if name in PLACES:
        return {"lat": PLACES[name][0], "lon": PLACES[name][1], "found": True}
    return {"found": False}


def no_coordinates(tmp_path):
    rows = [gtd_row(1, latitude="", longitude="", specificity=""),                                # city known
            gtd_row(2, latitude="", longitude="", city="Unknown", provstate="Ninawa", specificity=""),  # province
            gtd_row(3, latitude="", longitude="", city="Nowhere town", provstate="Nowhere", specificity=""),
            gtd_row(4)]                                                                            # has lat/lon
    return write_csv(tmp_path / "globalterrorismdb_2011.csv", GTD_HEADER, rows)


def test_events_without_coordinates_are_placed_from_city_then_province(tmp_path):
    res = im.read_gtd(no_coordinates(tmp_path), geocoder=gazetteer)
    town, province = by_id(res, "gtd:900000000001"), by_id(res, "gtd:900000000002")
    assert (town.lat, town.lon, town.geo_precision) == (35.4681, 44.3922, 2)
    assert (province.lat, province.lon, province.geo_precision) == (36.3, 42.8, 4)
    assert json.loads(town.original)["_geocoded_from"] == "Kirkuk"
    assert json.loads(province.original)["_geocoded_from"] == "Ninawa governorate"
    assert by_id(res, "gtd:900000000004").geo_precision == 1
    assert reasons(res) == {(4, "city"): "no coordinates, and the geocoder does not know this city or provstate"}


def test_events_without_coordinates_and_no_geocoder_say_how_to_place_them(tmp_path):
    res = im.read_gtd(no_coordinates(tmp_path))
    got = reasons(res)
    assert {row for row, _ in got} == {2, 3, 4}
    assert all("python -m geo import" in got[(row, "latitude")] for row in (2, 3, 4))
    assert len(res.accepted) == 1


def test_fractional_tolls_are_kept_with_low_and_high_rounded(tmp_path):
    rows = [gtd_row(1, nkill="1.3333333333", nwound="19.8"), gtd_row(2, nkill="4", nwound="0"),
            gtd_row(3, nkill="2.5.1")]
    res = im.read_gtd(write_csv(tmp_path / "gtd.csv", GTD_HEADER, rows))
    split, whole = by_id(res, "gtd:900000000001"), by_id(res, "gtd:900000000002")
    assert pd.isna(split.killed_best) and (split.killed_low, split.killed_high) == (1, 2)
    assert pd.isna(split.wounded) and (split.wounded_low, split.wounded_high) == (19, 20)
    original = json.loads(split.original)
    assert (original["nkill"], original["nwound"]) == ("1.3333333333", "19.8")
    assert (whole.killed_low, whole.killed_best, whole.killed_high, whole.wounded) == (4, 4, 4, 0)
    assert (json.loads(whole.original)["nkill"], json.loads(whole.original)["nwound"]) == ("4", "0")
    assert reasons(res)[(4, "nkill")] == "not a whole number"


def test_ids_rounded_by_excel_are_one_file_level_failure(tmp_path):
    rows = [gtd_row(i, eventid="2.01E+11") for i in range(1, 40)]
    path = write_csv(tmp_path / "gtd_excel.csv", GTD_HEADER, rows)
    with pytest.raises(im.ImportFailure, match=r"^gtd_excel\.csv: 39 eventid value\(s\) such as '2\.01E\+11' "
                                               r"were rounded by Excel"):
        im.read_gtd(path)


def test_swap_is_suspected_only_inside_the_stated_country(tmp_path):
    rows = [gtd_row(1, country_txt="Turkey", latitude="39.9334", longitude="32.8597"),    # Ankara
            gtd_row(2, country_txt="Ukraine", latitude="46.4825", longitude="30.7233"),   # Odesa
            gtd_row(3, country_txt="Iraq", latitude="44.3922", longitude="35.4681"),      # Kirkuk swapped
            gtd_row(4, country_txt="", latitude="44.3922", longitude="35.4681"),          # no country said
            gtd_row(5, country_txt="Iraq", latitude="35.4681", longitude="44.3922")]
    res = im.read_gtd(write_csv(tmp_path / "gtd.csv", GTD_HEADER, rows))
    assert reasons(res) == {(4, "latitude"): "latitude and longitude look swapped"}
    assert sorted(res.accepted.source_id) == ["900000000001", "900000000002", "900000000004", "900000000005"]


def test_looks_swapped_by_country_name_or_code():
    lat = pd.Series([44.39, 44.39, 39.93, 44.39, 44.39])
    lon = pd.Series([35.47, 35.47, 32.86, 35.47, 35.47])
    country = pd.Series(["IRQ", "368", "Turkey", "Atlantis", None])
    assert model.looks_swapped(lat, lon, country).tolist() == [True, True, False, False, False]


# ---------------------------------------------------------------- the layouts as distributed, CSV and xlsx

# The older distributions' columns (1970-2010/2011 data, e.g. globalterrorismdb_0611dist), in their published
# order: 124 names, without latitude, longitude, specificity, targsubtype*, individual, INT_* and related, and
# with conflict and claimconf/claimconf2/claimconf3, which the 135-column layout dropped.
GTD_2011_HEADER = (
    "eventid,iyear,imonth,iday,approxdate,extended,resolution,country,country_txt,region,region_txt,provstate,city,"
    "vicinity,location,summary,crit1,crit2,crit3,doubtterr,alternative,alternative_txt,multiple,conflict,success,"
    "suicide,attacktype1,attacktype1_txt,attacktype2,attacktype2_txt,attacktype3,attacktype3_txt,targtype1,"
    "targtype1_txt,corp1,target1,natlty1,natlty1_txt,targtype2,targtype2_txt,corp2,target2,natlty2,natlty2_txt,"
    "targtype3,targtype3_txt,corp3,target3,natlty3,natlty3_txt,gname,gsubname,gname2,gsubname2,gname3,gsubname3,"
    "motive,guncertain1,guncertain2,guncertain3,nperps,nperpcap,claimed,claimmode,claimmode_txt,claimconf,claim2,"
    "claimmode2,claimmode2_txt,claimconf2,claim3,claimmode3,claimmode3_txt,claimconf3,compclaim,weaptype1,"
    "weaptype1_txt,weapsubtype1,weapsubtype1_txt,weaptype2,weaptype2_txt,weapsubtype2,weapsubtype2_txt,weaptype3,"
    "weaptype3_txt,weapsubtype3,weapsubtype3_txt,weaptype4,weaptype4_txt,weapsubtype4,weapsubtype4_txt,weapdetail,"
    "nkill,nkillus,nkillter,nwound,nwoundus,nwoundte,property,propextent,propextent_txt,propvalue,propcomment,"
    "ishostkid,nhostkid,nhostkidus,nhours,ndays,divert,kidhijcountry,ransom,ransomamt,ransomamtus,ransompaid,"
    "ransompaidus,ransomnote,hostkidoutcome,hostkidoutcome_txt,nreleased,addnotes,scite1,scite2,scite3,"
    "dbsource").split(",")
NUMERIC = {"eventid", "iyear", "imonth", "iday", "extended", "country", "region", "vicinity", "specificity",
           "latitude", "longitude", "crit1", "crit2", "crit3", "doubtterr", "multiple", "conflict", "success",
           "suicide", "attacktype1", "targtype1", "natlty1", "claimconf", "nkill", "nwound", "property"}


def gtd_2011_row(i, **values):
    """A row of the older layout: the fields of gtd_row that it has, with its own (conflict, claimconf)."""
    row = {h: v for h, v in gtd_row(i, iyear="2011", imonth="3", iday="7").items() if h in GTD_2011_HEADER}
    row.update({"conflict": "1", "claimconf": "0", "nperps": "-99"})
    row.update({k: str(v) for k, v in values.items()})
    return row


def write_gtd(path, header, rows, *, encoding="utf-8"):
    """A GTD file as distributed: CSV (text as GTD writes it) or .xlsx (numbers as numeric cells, dates as dates)."""
    if path.suffix == ".csv":
        return write_csv(path, header, rows, encoding=encoding)
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(header)
    for row in rows:
        cells = []
        for h in header:
            v = row.get(h, "")
            if h in NUMERIC and v:
                v = int(v) if v.lstrip("-").isdigit() else float(v)
            elif h == "resolution" and v:
                v = pd.Timestamp(v).to_pydatetime()
            cells.append(v if v != "" else None)
        ws.append(cells)
    wb.save(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_older_layout_is_placed_from_city_and_province(tmp_path, suffix):
    rows = [gtd_2011_row(1),                                                 # Kirkuk: a town the geocoder knows
            gtd_2011_row(2, city="Unknown", provstate="Ninawa"),             # only the province
            gtd_2011_row(3, city="Unknown", provstate="Unknown"),            # nothing to place it from
            gtd_2011_row(4, extended="1", resolution="2011-03-09", attacktype1="6",
                         attacktype1_txt="Hostage Taking (Kidnapping)")]
    path = write_gtd(tmp_path / f"gtd_1970-2011{suffix}", GTD_2011_HEADER, rows)
    assert len(GTD_2011_HEADER) == 124 and im.detect_source(path) == "gtd"
    res = im.read_gtd(path, geocoder=gazetteer)
    town, province, kidnap = (by_id(res, f"gtd:9000000000{i:02d}") for i in (1, 2, 4))
    assert (town.lat, town.lon, town.geo_precision, town.date_start) == (35.4681, 44.3922, 2,
                                                                         pd.Timestamp("2011-03-07"))
    assert (province.lat, province.lon, province.geo_precision) == (36.3, 42.8, 4)
    assert (kidnap.sub_event_type, kidnap.date_end) == ("Abduction/forced disappearance", pd.Timestamp("2011-03-09"))
    original = json.loads(town.original)
    assert (original["conflict"], original["claimconf"], original["eventid"]) == ("1", "0", "900000000001")
    assert reasons(res) == {(4, "city"): "no coordinates, and neither city nor provstate names a place"}
    assert res.rows_read == 4


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_older_layout_without_a_geocoder_names_the_place_to_geocode(tmp_path, suffix):
    path = write_gtd(tmp_path / f"gtd_1970-2011{suffix}", GTD_2011_HEADER, [gtd_2011_row(1)])
    res = im.read_gtd(path)
    assert res.rejects[["field", "value"]].values.tolist() == [["city", "Kirkuk"]]
    assert "python -m geo import" in res.rejects.reason.iloc[0]


LAYOUTS = {  # release -> (file name as distributed, encoding of its CSV)
    "0718": ("globalterrorismdb_0718dist", "latin-1"),  # the 0718 CSV is Latin-1, not UTF-8
    "0522": ("globalterrorismdb_0522dist", "utf-8"),
}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("release", sorted(LAYOUTS))
def test_the_135_column_layouts_import_as_csv_and_xlsx(tmp_path, release, suffix):
    stem, encoding = LAYOUTS[release]
    rows = [gtd_row(1, summary="03/15/2014: A synthetic bombing in the city.", INT_LOG="-9"),
            gtd_row(2, iday="0", extended="1", resolution="2014-06-20", nkill="1.3333333333", nwound="19.8",
                    attacktype1="6", attacktype1_txt="Hostage Taking (Kidnapping)", specificity="2"),
            gtd_row(3, country_txt="Turkey", latitude="39.9334", longitude="32.8597", provstate="Ankara",
                    city="Ankara")]
    path = write_gtd(tmp_path / f"{stem}{suffix}", GTD_HEADER, rows, encoding=encoding)
    assert im.detect_source(path) == "gtd"
    res = im.read_gtd(path)
    assert res.rejects.empty, res.rejects.to_string()
    bomb, kidnap, ankara = (by_id(res, f"gtd:9000000000{i:02d}") for i in (1, 2, 3))
    assert bomb.notes == "03/15/2014: A synthetic bombing in the city." and bomb.killed_best == 2
    assert (kidnap.date_start, kidnap.date_end, kidnap.date_precision) == (
        pd.Timestamp("2014-06-01"), pd.Timestamp("2014-06-30"), "month")  # a resolution inside the month
    assert (kidnap.killed_low, kidnap.killed_high, kidnap.geo_precision) == (1, 2, 3)
    assert (ankara.lat, ankara.lon) == (39.9334, 32.8597)
    original = json.loads(bomb.original)
    given = {h for h, v in rows[0].items() if v != ""}
    assert set(original) == given  # every column the file has a value in: nothing lost
    assert (original["summary"], original["INT_LOG"], original["nkill"]) == (bomb.notes, "-9", "2")


def test_the_0718_csv_keeps_its_latin_1_accents(tmp_path):
    text = "Synthetic: a café in Bogotá, São Paulo and Medellín."
    path = write_gtd(tmp_path / "globalterrorismdb_0718dist.csv", GTD_HEADER, [gtd_row(1, summary=text)],
                     encoding="latin-1")
    assert im.read_gtd(path).accepted.notes.tolist() == [text]
