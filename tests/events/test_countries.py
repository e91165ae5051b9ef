"""Country outlines (Natural Earth, from the installed PyPI package) and the lat/lon swap check built on them."""
import pandas as pd

from events import countries, model


def test_names_and_codes_find_the_same_country():
    iraq = countries.outline("Iraq")
    assert iraq is not None
    for name in ("IRQ", "iraq", "368", "368.0", " Iraq "):
        assert countries.outline(name) is iraq
    assert countries.outline("Türkiye") is countries.outline("Turkey") is countries.outline("792")
    assert countries.outline("Syrian Arab Republic") is countries.outline("Syria")
    assert countries.outline("Narnia") is None


def test_points_in_their_countries():
    names = pd.Series(["Iraq", "Iraq", "Turkey", "Ukraine", "Iraq", "", "Narnia"])
    lat = pd.Series([35.47, 33.31, 39.93, 46.48, 39.93, 35.47, 35.47])   # Kirkuk, Baghdad, Ankara, Odesa, Ankara
    lon = pd.Series([44.39, 44.36, 32.86, 30.72, 32.86, 44.39, 44.39])
    got = countries.contain(names, lat, lon)
    assert got.iloc[:5].tolist() == [True, True, True, True, False]
    assert got.iloc[5:].isna().all()   # no country named, or none known: nothing to test against


def test_swap_suspected_only_against_the_files_country():
    # Real points in Turkey and Ukraine are accepted; Kirkuk written lon-first in an Iraq file is caught.
    lat = pd.Series([39.93, 41.01, 46.48, 44.39, 35.47, 44.39])
    lon = pd.Series([32.86, 28.98, 30.72, 35.47, 44.39, 35.47])
    country = pd.Series(["Turkey", "Turkey", "Ukraine", "Iraq", "Iraq", "Narnia"])
    assert model.looks_swapped(lat, lon, country).tolist() == [False, False, False, True, False, False]
