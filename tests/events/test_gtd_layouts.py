"""GTD distributions (issue 11): events without coordinates placed from city/provstate, fractional tolls,
ids rounded by Excel, and the country-aware lat/lon swap rule. Files follow the 135-column GTD layout
(GTD_HEADER) and are written here in tmp_path; rows are synthetic fixtures, not real events."""
import json

import pandas as pd
import pytest

from events import model
from events import sources as im
from tests.events.test_importers import GTD_HEADER, by_id, gtd_row, reasons, write_csv

PLACES = {"Kirkuk": (35.4681, 44.3922), "Ninawa": (36.3, 42.8)}  # a caller's gazetteer, as `python -m geo` passes


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
    assert json.loads(province.original)["_geocoded_from"] == "Ninawa"
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
    assert "nkill" not in json.loads(whole.original)
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
