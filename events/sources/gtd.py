"""GTD: a Global Terrorism Database export, .xlsx or CSV, of the 0718/0522 (135-column) layout or the older
one of the 1970-2010/2011 distributions (124 columns: no latitude, longitude, specificity or targsubtype
columns; `conflict` and `claimconf*` instead). Columns are matched by name, so every layout reads the same
way; events without coordinates are placed from city/provstate by the caller's geocoder (docs/importers.md)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from events import model
from events.sources.cells import (SEP, blank, citations, codes, col, date_range, geocode_places, join_key, lookup,
                                  month_bounds, numbers, original_json, parse_dates, problem, tolls)
from events.sources.pipeline import TABLE_SUFFIXES, ImportFailure
from i18n import N_

NAME = "gtd"
LABEL = N_("a GTD export")
SUFFIXES = TABLE_SUFFIXES
CITATION = model.citation(title="Global Terrorism Database (GTD)",
                          publisher="START, University of Maryland", url="https://www.start.umd.edu/gtd")

COLUMNS: dict[str, tuple[str, ...]] = {
    "eventid": ("eventid",), "iyear": ("iyear",), "imonth": ("imonth",), "iday": ("iday",),
    "extended": ("extended",), "resolution": ("resolution",),
    "country_txt": ("country_txt",),
    "provstate": ("provstate",), "city": ("city",), "latitude": ("latitude",), "longitude": ("longitude",),
    "specificity": ("specificity",), "vicinity": ("vicinity",), "summary": ("summary",),
    "suicide": ("suicide",), "attacktype1": ("attacktype1",), "attacktype1_txt": ("attacktype1_txt",),
    "targtype1": ("targtype1",), "targtype1_txt": ("targtype1_txt",),
    "targsubtype1_txt": ("targsubtype1_txt",), "natlty1_txt": ("natlty1_txt",),
    "targtype2_txt": ("targtype2_txt",), "targsubtype2_txt": ("targsubtype2_txt",),
    "natlty2_txt": ("natlty2_txt",),
    "targtype3_txt": ("targtype3_txt",), "targsubtype3_txt": ("targsubtype3_txt",),
    "natlty3_txt": ("natlty3_txt",),
    "gname": ("gname",), "nkill": ("nkill",), "nwound": ("nwound",),
    "scite1": ("scite1",), "scite2": ("scite2",), "scite3": ("scite3",),
}
REQUIRED = ("eventid", "iyear", "imonth", "iday")  # older files have no coordinates: geocoded from city/provstate
NOT_PLACED = ("no coordinates; import with a geocoder (`python -m geo import` uses the gazetteer) to place the "
              "event from its city or provstate")
ROUNDED_ID = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)


def detect(keys: set[str]) -> bool:
    """Whether a header (names as matched) is the GTD's."""
    return {"eventid", "iyear", "imonth", "iday"} <= keys


GTD_ATTACKS = {  # attacktype code -> name in attacktype1_txt
    "1": "assassination", "2": "armed assault", "3": "bombing/explosion", "4": "hijacking",
    "5": "hostage taking (barricade incident)", "6": "hostage taking (kidnapping)",
    "7": "facility/infrastructure attack", "8": "unarmed assault", "9": "unknown",
}
GTD_TARGET_TYPES = {  # targtype code -> name in targtype1_txt
    "1": "business", "2": "government (general)", "3": "police", "4": "military", "5": "abortion related",
    "6": "airports & aircraft", "7": "government (diplomatic)", "8": "educational institution",
    "9": "food or water supply", "10": "journalists & media", "11": "maritime", "12": "ngo", "13": "other",
    "14": "private citizens & property", "15": "religious figures/institutions", "16": "telecommunication",
    "17": "terrorists/non-state militia", "18": "tourists", "19": "transportation", "20": "unknown",
    "21": "utilities", "22": "violent political party",
}
GTD_TARGETS = {
    "business": "civilians", "private citizens & property": "civilians", "educational institution": "civilians",
    "tourists": "civilians", "government (general)": "officials", "government (diplomatic)": "officials",
    "police": "police", "military": "security forces", "journalists & media": "journalists",
    "religious figures/institutions": "religious site", "violent political party": "political party",
    "utilities": "other", "transportation": "other", "airports & aircraft": "other", "maritime": "other",
    "telecommunication": "other", "food or water supply": "other", "ngo": "other", "abortion related": "other",
    "terrorists/non-state militia": "other", "other": "other",
}
GTD_UTILITY_SUBTYPES = {"oil": "oil infrastructure", "electricity": "energy infrastructure",
                        "gas": "energy infrastructure", "gas/oil/electric": "energy infrastructure"}
COALITION = {"united states", "united kingdom", "multinational"}
ARMED_TARGETS = {"police", "military"}


def _gtd_target(ttype: str, subtype: str, nationality: str) -> str | None:
    ttype, subtype, nationality = ttype.lower(), subtype.lower(), nationality.lower()
    if ttype == "military" and nationality in COALITION:
        return "coalition forces"
    if ttype in ("utilities", "business") and subtype in GTD_UTILITY_SUBTYPES:
        return GTD_UTILITY_SUBTYPES[subtype]
    return GTD_TARGETS.get(ttype)


def _gtd_kind(attack: str, suicide: str, ttype: str) -> tuple[str | None, str | None]:
    """GTD attack type -> ACLED (event_type, sub_event_type); see docs/importers.md."""
    if attack == "bombing/explosion":
        return ("Explosions/Remote violence", "Suicide bomb" if suicide == "1" else "Remote explosive/landmine/IED")
    if attack in ("armed assault", "assassination"):
        return ("Battles", "Armed clash") if ttype in ARMED_TARGETS else ("Violence against civilians", "Attack")
    if attack in ("hostage taking (kidnapping)", "hostage taking (barricade incident)", "hijacking"):
        return ("Violence against civilians", "Abduction/forced disappearance")
    if attack == "facility/infrastructure attack":
        return ("Strategic developments", "Looting/property destruction")
    if attack == "unarmed assault":
        return ("Violence against civilians", "Attack")
    return (None, None)


def convert(raw: pd.DataFrame, cols: dict, ctx: dict) -> tuple[pd.DataFrame, list, dict]:
    """A chunk of a GTD export -> (canonical columns, problems, {canonical field: file column})."""
    problems: list = []
    given_id = col(raw, cols, "eventid")
    sid = codes(given_id)
    rounded = given_id.str.match(ROUNDED_ID)
    if rounded.any():
        raise ImportFailure(f"{ctx['name']}: {int(rounded.sum())} eventid value(s) such as "
                            f"{given_id[rounded].iloc[0][:20]!r} "
                            "were rounded by Excel (scientific notation), so events can no longer be told apart; "
                            "use the file as GTD distributes it, or format eventid as a whole number before saving")
    year, month, day = (numbers(col(raw, cols, f)) for f in ("iyear", "imonth", "iday"))
    # Out-of-range parts (year 99999, 1e19, inf, day 45) become missing before pandas sees them.
    year = year.where(year.between(1, 9999) & (year == np.floor(year)))
    month = month.where(month.between(0, 12) & (month == np.floor(month)))
    day = day.where(day.between(0, 31) & (day == np.floor(day)))
    no_month = month == 0
    no_day = (day == 0) & ~no_month
    parts = pd.DataFrame({"year": year, "month": month.where(~no_month, 1), "day": day.where(~(no_month | no_day), 1)})
    start = model.bound_dates(pd.to_datetime(parts, errors="coerce"))
    ymd = col(raw, cols, "iyear") + "-" + col(raw, cols, "imonth") + "-" + col(raw, cols, "iday")
    problem(problems, "date_start", start.isna(), ymd, "iyear/imonth/iday is not a valid date", ("date_end",))
    date_range(problems, "date_start", start, ymd, ("date_end",))
    first, last = month_bounds(start)
    year_end = start + pd.offsets.YearEnd(0)
    end = start.where(~no_day, last).where(~no_month, year_end)
    resolution = parse_dates(col(raw, cols, "resolution"), ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S"))
    extended = (codes(col(raw, cols, "extended")) == "1") & resolution.notna() & (resolution >= end)
    date_range(problems, "resolution", resolution.where(extended), col(raw, cols, "resolution"), ("date_end",))
    end = end.where(~extended, resolution)
    precision = pd.Series("day", index=raw.index, dtype=object).where(~no_day, "month").where(~no_month, "year")
    spec = codes(col(raw, cols, "specificity"))
    vicinity = codes(col(raw, cols, "vicinity")) == "1"
    geo = spec.map({"1": "1", "2": "3", "3": "3", "4": "4"})
    geo = geo.where(~((spec == "1") & vicinity), "2")
    lat, lon = col(raw, cols, "latitude"), col(raw, cols, "longitude")
    city = col(raw, cols, "city")
    town = city.where(~city.str.lower().isin(["", "unknown"]) & (spec != "5"), "")
    province = col(raw, cols, "provstate")
    province = province.where(province.str.lower() != "unknown", "")
    no_xy = blank(lat) & blank(lon)
    geocoded = pd.Series(None, index=raw.index, dtype=object)
    if ctx.get("geocoder") is not None and no_xy.any():
        lat, lon, geo = lat.astype(object), lon.astype(object), geo.astype(object)
        # The province with its designator: a bare "Salah ad Din" is also a sub-district's name (ambiguous).
        governorate = (province + " governorate").where(province != "", "")
        for names, precision_earned in ((town, "2"), (governorate, "4")):
            todo = no_xy & (names != "") & geocoded.isna()
            if todo.any():
                found = geocode_places(names[todo], ctx)
                idx = found.index[found["found"].to_numpy()]
                lat.loc[idx], lon.loc[idx] = found.loc[idx, "lat"], found.loc[idx, "lon"]
                geo.loc[idx] = precision_earned
                geocoded.loc[idx] = names.loc[idx]
    placed = ~no_xy | geocoded.notna()
    named = (town != "") | (province != "")
    problem(problems, "geo_precision", (spec == "5") & ~placed, spec,
            "GTD specificity 5: no place below the country; no coordinates", ("lat", "lon"))
    unplaced = no_xy & ~placed & named & (spec != "5")  # reported once below, as lacking coordinates
    nowhere = no_xy & ~named & ("specificity" not in cols)  # older layout: no coordinates, no place named
    problem(problems, "place", nowhere, city, "no coordinates, and neither city nor provstate names a place",
            ("lat", "lon", "geo_precision"))
    problem(problems, "geo_precision", ~spec.isin(["1", "2", "3", "4", "5"]) & ~geocoded.notna() & ~unplaced
            & ~nowhere, spec, "GTD specificity must be 1 to 5")
    if ctx.get("geocoder") is None and "latitude" not in cols:  # the older layout: name the place to geocode
        problem(problems, "place", unplaced, town.where(town != "", province), NOT_PLACED,
                ("lat", "lon", "geo_precision"))
    elif ctx.get("geocoder") is None:
        problem(problems, "lat", unplaced, lat, NOT_PLACED, ("lon", "geo_precision"))
    else:
        problem(problems, "place", unplaced, town.where(town != "", province),
                "no coordinates, and the geocoder does not know this city or provstate",
                ("lat", "lon", "geo_precision"))
    attack = col(raw, cols, "attacktype1_txt").str.lower()
    attack = attack.where(attack != "", codes(col(raw, cols, "attacktype1")).map(GTD_ATTACKS).fillna(""))
    ttypes = []
    for i in ("1", "2", "3"):
        t = col(raw, cols, f"targtype{i}_txt").str.lower() if f"targtype{i}_txt" in cols else None
        if i == "1":
            code = codes(col(raw, cols, "targtype1")).map(GTD_TARGET_TYPES).fillna("")
            t = code if t is None else t.where(t != "", code)
        if t is not None:
            ttypes.append((t, col(raw, cols, f"targsubtype{i}_txt"), col(raw, cols, f"natlty{i}_txt")))
    suicide = codes(col(raw, cols, "suicide"))
    kind_type, kind_sub = lookup(join_key(attack, suicide, ttypes[0][0]), lambda k: _gtd_kind(*k.split(SEP)), 2)
    attack_given = col(raw, cols, "attacktype1_txt")
    attack_given = attack_given.where(attack_given != "", col(raw, cols, "attacktype1"))
    problem(problems, "event_type", kind_type.isna(), attack_given,
            "GTD attack type has no ACLED equivalent (Unknown or missing)", ("sub_event_type",))
    combos = join_key(*(column for triple in ttypes for column in triple))
    (target,) = lookup(combos, lambda c: (_gtd_targets(c),), 1)
    scites = [pd.DataFrame({"title": col(raw, cols, f)}, index=raw.index) for f in ("scite1", "scite2", "scite3")]
    killed, killed_low, killed_high, _ = tolls(col(raw, cols, "nkill"))
    wounded, wounded_low, wounded_high, _ = tolls(col(raw, cols, "nwound"))
    extra = {"_geocoded_from": geocoded}  # `original` keeps every column of the file (a fractional toll as given)
    frame = pd.DataFrame({
        "incident_id": "gtd:" + sid, "source_dataset": "gtd", "source_id": sid,
        "date_start": start, "date_end": end, "date_precision": precision,
        "place": city.where(city.str.lower() != "unknown", ""), "admin1": col(raw, cols, "provstate"),
        "lat": lat, "lon": lon, "geo_precision": geo, model.COUNTRY_HINT: col(raw, cols, "country_txt"),
        "event_type": kind_type, "sub_event_type": kind_sub, "target": target,
        "actor1": col(raw, cols, "gname"),
        "killed_best": killed, "killed_low": killed_low, "killed_high": killed_high,
        "wounded": wounded, "wounded_low": wounded_low, "wounded_high": wounded_high,
        "sources": citations(*scites, fixed=CITATION), "notes": col(raw, cols, "summary"),
        "confidence": "medium", "original": original_json(raw, (), extra),
    }, index=raw.index)
    frame.loc[blank(sid), "incident_id"] = None
    names = {"incident_id": cols.get("eventid"), "source_id": cols.get("eventid"), "date_start": cols.get("iday"),
             "date_end": cols.get("iday"), "geo_precision": cols.get("specificity"),
             "event_type": cols.get("attacktype1_txt", cols.get("attacktype1")),
             "sub_event_type": cols.get("attacktype1_txt", cols.get("attacktype1")), "place": cols.get("city"),
             "admin1": cols.get("provstate"), "lat": cols.get("latitude"), "lon": cols.get("longitude"),
             "actor1": cols.get("gname"), "killed_best": cols.get("nkill"), "killed_low": cols.get("nkill"),
             "killed_high": cols.get("nkill"), "wounded": cols.get("nwound"), "wounded_low": cols.get("nwound"),
             "wounded_high": cols.get("nwound"), "notes": cols.get("summary")}
    return frame, problems, names


def _gtd_targets(combo: str) -> str | None:
    """targtype/targsubtype/natlty triples (joined by SEP) -> our `;`-separated targets."""
    values = combo.split(SEP)
    found: list[str] = []
    for t, s, n in zip(values[0::3], values[1::3], values[2::3]):
        name = _gtd_target(t, s, n)
        if name and name not in found:
            found.append(name)
    return ";".join(found) or None
