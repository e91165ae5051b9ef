"""The user's own gazetteers (GeoNames, OCHA COD, IOM DTM, any table), places learnt from imports,
and names matched across scripts (issue 12, parts 3-5)."""
import json
import subprocess
import sys

import openpyxl
import pytest

from events import store
from geo import gazetteer as gz
from tests.conftest import ROOT
from tests.events.factory import rows

# GeoNames country dump: 19 tab-separated columns, no header (readme.txt of the download).
GEONAMES = [
    ["7000001", "Qaryat al Maftul", "Qaryat al Maftul", "Al Maftul,Maftul,قرية المفتول,گوندی مەفتول",
     "35.20000", "44.10000", "P", "PPL", "IQ", "", "13", "", "", "", "0", "", "250", "Asia/Baghdad", "2012-01-18"],
    ["7000002", "Wadi al Maftul", "Wadi al Maftul", "", "35.21000", "44.11000", "H", "WAD", "IQ", "", "13", "",
     "", "", "0", "", "250", "Asia/Baghdad", "2012-01-18"],
    ["7000003", "Al Basrah al Qadimah", "Al Basrah al Qadimah", "", "30.50000", "47.81000", "P", "PPL", "IQ", "",
     "02", "", "", "", "0", "", "2", "Asia/Baghdad", "2012-01-18"],
    ["7000004", "Tall Ward", "Tall Ward", "", "north", "44.00000", "P", "PPL", "IQ", "", "13", "", "", "", "0",
     "", "250", "Asia/Baghdad", "2012-01-18"],
]


def _geonames(path):
    path.write_text("".join("\t".join(r) + "\n" for r in GEONAMES), encoding="utf-8")
    return path


def _csv(path, header, body):
    path.write_text(",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in body), encoding="utf-8")
    return path


def geo(*args):
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_a_geonames_dump_keeps_populated_places_in_the_area_with_their_arabic_names(tmp_path):
    got = gz.import_gazetteer(tmp_path / "s.gpkg", _geonames(tmp_path / "IQ.txt"))
    assert (got["format"], got["entries"], got["outside"], got["refused"]) == ("geonames", 1, 1, 1)
    assert got["problems"] == ["IQ.txt, row 4, field 'latitude' = 'north': not a latitude (a number from -90 to 90)"]
    assert "CC BY 4.0" in got["licence"]
    entries = store.gazetteer_entries(tmp_path / "s.gpkg")
    assert list(entries["name"]) == ["Qaryat al Maftul"] and list(entries["name_ar"]) == ["قرية المفتول"]
    assert entries["file"].iloc[0] == "IQ.txt" and entries["source_id"].iloc[0] == "7000001"
    place = gz.gazetteer_for(tmp_path / "s.gpkg")
    for text in ("Qaryat al Maftul", "قرية المفتول", "Maftul village"):
        hit = place(text)
        assert (hit.found, hit.geo_precision, hit.lat, hit.lon) == (True, 1, 35.2, 44.1), text
        assert "IQ.txt" in hit.note
    assert not gz.geocode("Qaryat al Maftul").found  # the built-in gazetteer alone does not know it


def test_an_ocha_populated_places_table_is_recognised_by_its_p_codes(tmp_path):
    path = _csv(tmp_path / "irq_pplp.csv",
                ["ADM0_EN", "ADM0_PCODE", "ADM1_EN", "ADM1_PCODE", "ADM2_EN", "ADM2_PCODE", "ADM3_EN", "ADM3_PCODE",
                 "PCODE", "Name_En", "Name_Ar", "Latitude", "Longitude"],
                [["Iraq", "IQ", "Kirkuk", "IQG13", "Daquq", "IQD064", "Al-Rashad", "IQD064-B", "IQ-PPL-1",
                  "Albu Sabah", "البو صباح", "35.1200", "44.1000"],
                 ["Iraq", "IQ", "Kirkuk", "IQG13", "Hawija", "IQD063", "Al-Zab", "IQD063-C", "IQ-PPL-2",
                  "", "", "35.3", "43.6"]])
    got = gz.import_gazetteer(tmp_path / "s.gpkg", path)
    assert (got["format"], got["entries"], got["refused"]) == ("ocha", 1, 1)
    assert got["problems"][0].startswith("irq_pplp.csv, row 3, field 'Name_En'")
    entry = store.gazetteer_entries(tmp_path / "s.gpkg").iloc[0]
    assert (entry["admin2"], entry["admin3"], entry["source_id"]) == ("Daquq", "Al-Rashad", "IQ-PPL-1")
    hit = gz.gazetteer_for(tmp_path / "s.gpkg")("قرية البو صباح")
    assert hit.found and (hit.lat, hit.lon, hit.admin2) == (35.12, 44.1, "Daquq")


def test_an_iom_dtm_master_list_as_excel(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Location ID", "Governorate", "District", "Location Name in English", "Location Name in Arabic",
               "Latitude", "Longitude"])
    ws.append([21034, "Kirkuk", "Hawija", "Kharab Dawud", "خراب داود", 35.5, 43.75])
    ws.append([21035, "Kirkuk", "Hawija", "Bad point", "نقطة", 43.75, 35.5])  # swapped
    wb.save(tmp_path / "dtm_master_list.xlsx")
    got = gz.import_gazetteer(tmp_path / "s.gpkg", tmp_path / "dtm_master_list.xlsx")
    assert (got["format"], got["entries"], got["refused"]) == ("dtm", 1, 1)
    assert "row 3" in got["problems"][0] and "swapped" in got["problems"][0]
    hit = gz.gazetteer_for(tmp_path / "s.gpkg")("خراب داود")
    assert hit.found and (hit.lat, hit.lon, hit.admin1, hit.admin2) == (35.5, 43.75, "Kirkuk", "Hawija")


def test_any_table_with_named_columns_and_a_reimport_replaces_it(tmp_path):
    path = _csv(tmp_path / "villages.csv", ["Village", "Y", "X"], [["Kharabat Sultanah", "35.2", "44.0"]])
    with pytest.raises(gz.GazetteerFileError, match="villages.csv: no name column found"):
        gz.import_gazetteer(tmp_path / "s.gpkg", path)
    with pytest.raises(gz.GazetteerFileError, match="no column 'Dorf'"):
        gz.import_gazetteer(tmp_path / "s.gpkg", path, name="Dorf")
    got = gz.import_gazetteer(tmp_path / "s.gpkg", path, name="Village", lat="Y", lon="X", licence="mine")
    assert (got["format"], got["entries"], got["licence"]) == ("table", 1, "mine")
    _csv(path, ["Village", "Y", "X"], [["Kharabat Sultanah", "35.2", "44.0"], ["Tall Ward", "35.25", "44.05"]])
    again = gz.import_gazetteer(tmp_path / "s.gpkg", path, name="Village", lat="Y", lon="X")
    assert again["replaced"] == 1 and len(store.gazetteer_entries(tmp_path / "s.gpkg")) == 2
    place = gz.gazetteer_for(tmp_path / "s.gpkg")
    assert place("Tall Ward").found
    # Part 1's rules hold for the user's places: a respelling that is not near-exact is not precision 1,
    # a look-alike that does not agree word by word is not placed.
    loose = place("Kherabat Soltanah")
    assert loose.found and loose.geo_precision == 2
    assert not place("Kharaba Sultana").found


def test_namesakes_in_a_users_gazetteer_are_ambiguous(tmp_path):
    path = _csv(tmp_path / "villages.csv", ["name", "lat", "lon"],
                [["Umm Dhiban", "35.20", "44.00"], ["Umm Dhiban", "35.60", "43.70"], ["Tall Ward", "35.25", "44.05"],
                 ["Tall Ward", "35.26", "44.06"]])
    gz.import_gazetteer(tmp_path / "s.gpkg", path)
    place = gz.gazetteer_for(tmp_path / "s.gpkg")
    hit = place("Umm Dhiban village")
    assert not hit.found and hit.ambiguous and len(hit.candidates) == 2
    assert place("Tall Ward").found  # two entries 1.4 km apart are one place


def test_an_import_teaches_the_places_it_gives_exactly(tmp_path):
    """Rows with a place and a point at precision 1 become evidence; a later name-only row is placed from it;
    one name at points > 5 km apart is ambiguous."""
    path = tmp_path / "s.gpkg"
    day = "2016-10-21"
    store.import_frame(path, rows([{"place": "Zanqar village", "lat": 35.301, "lon": 44.152, "date_start": day},
                                   {"place": "Zanqar village", "lat": 35.301, "lon": 44.152, "date_start": day},
                                   {"place": "Kan'an village", "lat": 35.0, "lon": 44.0, "geo_precision": 2,
                                    "date_start": day},
                                   {"place": "Bir Ahmad", "lat": 35.1, "lon": 44.3, "date_start": day},
                                   {"place": "Bir Ahmad", "lat": 35.6, "lon": 43.9, "date_start": day}],
                                  dataset="ucdp"),
                       file="ucdp.csv", source="ucdp")
    assert not gz.geocode("Zanqar").found
    place = gz.gazetteer_for(path)
    hit = place("Zanqar")
    assert hit.found and (hit.lat, hit.lon, hit.geo_precision) == (35.301, 44.152, 1)
    assert "learnt from imports: ucdp (2 rows)" in hit.note
    assert not place("Kan'an village").found           # precision 2 teaches nothing
    assert place("Bir Ahmad").ambiguous                # conflicting evidence
    assert not place("Zanqari").found                  # learnt names match only exactly
    table = tmp_path / "later.csv"
    table.write_text("id,date,place,event_type,source\n1,2016-10-21,Zanqar,Battles,Rudaw\n", encoding="utf-8")
    summary = store.import_file(path, table, source="table", geocoder=gz.gazetteer_for(path))
    assert summary.accepted == 1
    later = store.load(path).set_index("incident_id").loc["later:1"]
    assert (later["lat"], later["lon"]) == (35.301, 44.152)
    # the row our geocoder placed is no evidence of its own
    assert set(store.place_evidence(path)["source"]) == {"ucdp"}


def test_names_match_across_scripts_through_the_transliteration_key(tmp_path):
    assert gz.translit_key(gz.name_key("Qaryat al Maftul")) == gz.translit_key(gz.name_key("قرية المفتول")) == "mftl"
    path = _csv(tmp_path / "latin_only.csv", ["name", "lat", "lon"], [["Qaryat al Maftul", "35.2", "44.1"],
                                                                       ["Tall Ali", "35.3", "44.2"],
                                                                       ["Sulaymaniyah", "35.9", "43.9"]])
    gz.import_gazetteer(tmp_path / "s.gpkg", path)
    arabic = _csv(tmp_path / "arabic_only.csv", ["name_ar", "lat", "lon"], [["تل سطيح", "35.4", "44.0"]])
    gz.import_gazetteer(tmp_path / "s.gpkg", arabic)
    place = gz.gazetteer_for(tmp_path / "s.gpkg")
    hit = place("قرية المفتول")
    assert hit.found and (hit.lat, hit.lon, hit.geo_precision) == (35.2, 44.1, 1)
    assert "across scripts" in hit.note
    back = place("Tall Sutayh")
    assert back.found and (back.lat, back.lon) == (35.4, 44.0)
    assert not place("تل علي").found            # a key of 3 consonants is too short to trust
    # a place whose Arabic name is known is not reached through the key: السلماني is not السليمانية
    assert not place("قرية السلماني").found


def test_namesakes_across_scripts_are_ambiguous(tmp_path):
    path = _csv(tmp_path / "latin_only.csv", ["name", "lat", "lon"], [["Maftul", "35.2", "44.1"],
                                                                       ["Maftool", "35.7", "43.7"]])
    gz.import_gazetteer(tmp_path / "s.gpkg", path)
    hit = gz.gazetteer_for(tmp_path / "s.gpkg")("قرية المفتول")
    assert not hit.found and hit.ambiguous


def test_the_gazetteer_of_a_store_follows_its_version(tmp_path):
    path = _csv(tmp_path / "v.csv", ["name", "lat", "lon"], [["Qaryat al Maftul", "35.2", "44.1"]])
    gz.import_gazetteer(tmp_path / "s.gpkg", path)
    first = gz.gazetteer_for(tmp_path / "s.gpkg")
    assert gz.gazetteer_for(tmp_path / "s.gpkg") is first and first("Maftul").found
    store.remove_gazetteer(tmp_path / "s.gpkg", "v.csv")
    assert not gz.gazetteer_for(tmp_path / "s.gpkg")("Maftul").found
    assert not gz.gazetteer_for(tmp_path / "other.gpkg")("Maftul").found


def test_the_command_line_imports_lists_geocodes_and_removes(tmp_path):
    s = str(tmp_path / "s.gpkg")
    out = geo("gazetteer", "import", str(_geonames(tmp_path / "IQ.txt")), "--store", s, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["entries"] == 1
    listed = geo("gazetteer", "list", "--store", s, "--json")
    assert [g["file"] for g in json.loads(listed.stdout)] == ["IQ.txt"]
    found = geo("geocode", "قرية المفتول", "--store", s, "--json")
    assert json.loads(found.stdout)["lat"] == 35.2
    assert json.loads(geo("geocode", "قرية المفتول", "--json").stdout)["found"] is False
    bad = geo("gazetteer", "import", str(_csv(tmp_path / "x.csv", ["a", "b"], [["1", "2"]])), "--store", s)
    assert bad.returncode == 2 and bad.stderr.strip() == "error: x.csv: no name column found; name it with --name (or --name-ar)"
    assert str(tmp_path) not in bad.stderr
    gone = geo("gazetteer", "remove", "IQ.txt", "--store", s)
    assert gone.returncode == 0 and "1 places" in gone.stdout
    again = geo("gazetteer", "remove", "IQ.txt", "--store", s)
    assert again.returncode == 2 and "no gazetteer 'IQ.txt'" in again.stderr
