"""Matching: the same incident reported by several sources (ACLED, UCDP GED, GTD, the curated set, a user's
files), found, scored, grouped into clusters and fused into one row each, so it is counted once.

Plain functions on the canonical frame (events.model), in the order they run (docs/matching.md):

- `candidate_pairs`: pairs of rows of different `source_dataset` whose dates overlap (each interval
  widened by its date precision, DATE_PAD_DAYS) and whose places lie within their location uncertainty
  (REACH_KM by geo_precision; precision 3 also by the same admin2, 4 by the same admin1). A sweep over
  rows sorted by (grid cell, start day), no all-pairs loop.
- `score_pairs`: evidence points per pair from the date gap, distance, type compatibility
  (TYPE_COMPATIBILITY, data), actors (ACTOR_ALIASES, data), killed ranges and place names, summed and
  mapped to a score in 0..1.
- `cluster`: pairs at or above MATCH joined best first, never two rows of one source in a cluster, never
  a member that is not at least a POSSIBLE match of every other (chains are cut); pairs from POSSIBLE to
  MATCH that stay apart are "possible duplicate". Review decisions (confirm, split, merge, keyed by
  incident_id so they survive a re-import) apply first.
- `fuse`: one canonical row per cluster (killed range over its sources, never their sum; date and place
  from the most precise source; every citation; every member's incident_id) and a members table;
  `annotate`: the raw rows with `cluster_id` and `match`.

`match(frame, decisions=...)` runs the three first steps; `match_new(stored, incoming)` does the same for an
import, sweeping only the pairs that hold an incoming row. Rows of one data set are never paired: each
source, a user's file included, is taken to list distinct events (its author decided); two copies of one
file imported under two names are two data sets, and match row for row.
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz

from events import model, query

MATCH = 0.72     # a pair at or above this is the same event (chosen on the labels: docs/fusion.md)
POSSIBLE = 0.5   # from this up to MATCH: kept apart, marked "possible duplicate"
BIAS = 3.0       # evidence points at which the score is 0.5 (POSSIBLE)
TOLL_SLACK_DEATHS, TOLL_SLACK_SHARE = 2, 0.2  # killed figures this close agree (3 vs 4, 25 vs 28)
TOLL_CLOSE_POINTS = 0.5  # close, not equal: half the points of overlapping ranges
NEXT_DAY_POINTS = 0.5  # date points of two day-precision rows one day apart (the same day: 2)
# ... when the earlier row's text says the event was late in the day or at night: the other source dates it
# by the next day's report ("shot late Sunday", UCDP: Monday), so the gap is no gap
LATE_NEXT_DAY_POINTS = 2.0
LATE_TEXT = re.compile(r"\b(?:late|night|overnight|midnight)\b", re.IGNORECASE)

# How far each row's interval is widened on both sides when looking for candidates: sources date an event
# by its day, by the report's day (often the next) or to the week/month, so a day is not exact.
DATE_PAD_DAYS = {"day": 1, "week": 2, "month": 3, "year": 7}
# How far a row's point may lie from the event, by geo_precision (1 exact, 2 near a named place,
# 3 district, 4 governorate): two rows can be one event when they lie within the sum of their reaches.
REACH_KM = {1: 2.0, 2: 25.0, 3: 40.0, 4: 100.0}
# A point placed at a city itself (no site named) may be anywhere in it: the city's radius in km, by place_key.
# Sources put city events at the town's point (UCDP's "Kirkūk town"); a bombing in west Kirkuk lies 11 km off.
TOWN_REACH_KM = {"kirkuk": 10.0, "mosul": 12.0, "mawsil": 12.0, "baghdad": 15.0, "erbil": 10.0, "arbil": 10.0,
                 "sulaymaniyah": 8.0, "assulaymaniyah": 8.0, "sulaimaniya": 8.0, "tikrit": 5.0,
                 "tuzkhurmatu": 5.0, "hawija": 4.0, "hawijah": 4.0, "daquq": 3.0, "dibis": 3.0}
_CELL_DEG = 0.5  # grid cell (latitude degrees) for rows of precision 1-2: 2 x 25 km fits in one cell

SOURCE_RANK = {"curated": 0, "acled": 1, "gtd": 3, "ucdp": 4}  # others (user files): 2; lower describes better
_USER_RANK = 2
_DATE_RANK = {p: i for i, p in enumerate(model.DATE_PRECISIONS)}
_CONFIDENCE_RANK = {c: i for i, c in enumerate(model.CONFIDENCE)}

# Type compatibility, 0 (cannot be one event) .. 1 (the same kind), between the kinds rows carry: ACLED's
# event types (the curated set, ACLED, GTD and users' files use them; GTD's attack types arrive mapped as in
# docs/importers.md: bombing -> Explosions/Remote violence, armed assault on police/military -> Battles,
# on others -> Violence against civilians, kidnapping -> VAC, facility attack -> Strategic developments) and
# UCDP's type_of_violence (1 state-based, 2 non-state, 3 one-sided), which UCDP rows carry in `original`.
# A UCDP state-based death is as often a bombing as a clash (IS bombings of security forces are type 1).
# Pairs not listed: 0.0; a kind with itself: 1.0.
_B, _E, _V, _P, _R, _S = ("Battles", "Explosions/Remote violence", "Violence against civilians", "Protests",
                          "Riots", "Strategic developments")
TYPE_COMPATIBILITY: dict[frozenset, float] = {frozenset(k): v for k, v in (
    ((_B, _E), 0.6), ((_B, _V), 0.5), ((_E, _V), 0.6), ((_B, _R), 0.2), ((_E, _R), 0.1), ((_V, _R), 0.4),
    ((_V, _P), 0.3), ((_P, _R), 0.7), ((_S, _B), 0.3), ((_S, _E), 0.4), ((_S, _V), 0.3), ((_S, _R), 0.3),
    ((_S, _P), 0.1),
    (("UCDP 1", _B), 1.0), (("UCDP 1", _E), 0.9), (("UCDP 1", _V), 0.6), (("UCDP 1", _R), 0.2),
    (("UCDP 1", _P), 0.1), (("UCDP 1", _S), 0.2),
    (("UCDP 2", _B), 1.0), (("UCDP 2", _E), 0.8), (("UCDP 2", _V), 0.5), (("UCDP 2", _R), 0.5),
    (("UCDP 2", _P), 0.1), (("UCDP 2", _S), 0.2),
    (("UCDP 3", _V), 1.0), (("UCDP 3", _E), 0.9), (("UCDP 3", _B), 0.4), (("UCDP 3", _R), 0.4),
    (("UCDP 3", _P), 0.5), (("UCDP 3", _S), 0.2),
    (("UCDP 1", "UCDP 2"), 0.5), (("UCDP 1", "UCDP 3"), 0.4), (("UCDP 2", "UCDP 3"), 0.4),
)}
_UCDP_FALLBACK = {_B: "UCDP 1", _V: "UCDP 3"}  # a UCDP row without type_of_violence in `original`
# Violence against civilians whose target is on the government's side (police, army, Peshmerga, PMF, Sahwa
# and other security forces, officials such as village mukhtars): UCDP counts those deaths as state-based
# (type 1), so the pair is as compatible as a bombing and a state-based death
STATE_SIDE_TARGETS = frozenset({"police", "federal police", "army", "peshmerga", "pmf", "security forces",
                                "officials"})
STATE_SIDE_COMPATIBILITY = 0.9

# Actors: canonical name -> the names sources give it (folded, as `_fold_name` leaves them). A row's actor
# names are searched for these phrases as whole words, longest first, so "Suspected Islamic State (claimed)"
# is IS. UCDP codes al-Qaeda in Iraq and the Islamic State of Iraq as IS throughout, hence those forms here.
ACTOR_ALIASES: dict[str, tuple[str, ...]] = {
    "IS": ("is", "isis", "isil", "isi", "islamic state", "islamic state of iraq", "islamic state of iraq and syria",
           "islamic state of iraq and the levant", "islamic state of iraq and al sham", "daesh", "da esh", "daish",
           "al qaeda in iraq", "al qaida in iraq", "aqi", "داعش", "الدوله الاسلاميه", "تنظيم الدوله",
           "دوله العراق الاسلاميه"),
    "Government of Iraq": ("government of iraq", "iraqi government", "iraqi army", "iraqi security forces", "isf",
                           "military forces of iraq", "police forces of iraq", "iraqi police", "federal police",
                           "iraqi counter terrorism service", "cts", "الجيش العراقي", "الشرطه الاتحاديه"),
    "PMF": ("pmf", "pmu", "popular mobilization forces", "popular mobilisation forces", "popular mobilization units",
            "hashd", "al hashd al shaabi", "hashd al shaabi", "الحشد الشعبي", "الحشد"),
    "Peshmerga": ("peshmerga", "kurdish peshmerga", "military forces of iraq kurdistan regional government",
                  "البيشمركه"),
    "KDP": ("kdp", "kurdistan democratic party", "الحزب الديمقراطي الكردستاني"),
    "PUK": ("puk", "patriotic union of kurdistan", "الاتحاد الوطني الكردستاني"),
    "PKK": ("pkk", "kurdistan workers party", "kurdistan workers  party", "hpg", "حزب العمال الكردستاني"),
    "Government of Turkey": ("government of turkey", "military forces of turkey", "turkish army",
                             "turkish armed forces", "turkish military"),
    "Government of Iran": ("government of iran", "military forces of iran", "iranian army", "irgc",
                           "islamic revolutionary guard corps"),
    "United States": ("united states", "us forces", "us army", "us military", "coalition forces",
                      "military forces of the united states", "government of united states of america",
                      "cjtf oir", "international coalition"),
    "Ansar al-Islam": ("ansar al islam", "ansar al sunna", "jamaat ansar al sunna"),
    "JRTN": ("jrtn", "naqshbandi army", "jaysh rijal al tariqa al naqshbandia"),
    "al-Mahdi Army": ("al mahdi army", "mahdi army", "jaysh al mahdi", "saraya al salam", "sadrists"),
    "Asaib Ahl al-Haq": ("aah", "asaib ahl al haq", "asa ib ahl al haq", "عصائب اهل الحق"),
    "Kataib Hezbollah": ("kataib hezbollah", "kata ib hizballah", "kataib hizbollah", "كتائب حزب الله"),
}
# Names that say nothing about who acted: never evidence for or against a match.
GENERIC_ACTORS = re.compile(
    r"^(unidentified|unknown|unnamed|suspected|armed|gunmen|gunman|attackers?|bombers?|militants?|insurgents?|"
    r"civilians?|suicide|car|truck|bomb|bomber|group|men|assailants?|fighters?|people|residents?|\s)*$")

MATCH_TEXT = "same event as"
POSSIBLE_TEXT = "possible duplicate of"
DECISIONS = ("confirm", "split", "merge")
PAIR_COLUMNS = ("left", "right", "days_apart", "km", "killed_gap", "type", "actors", "tolls", "place", "points",
                "score")
MEMBER_COLUMNS = ("cluster_id", "incident_id", "source_dataset", "source_id", "role", "score", "decision",
                  "date_start", "date_end", "place", "killed_low", "killed_best", "killed_high", "sources")
_EARTH_KM = 6371.0088
_SPAN = 1 << 18  # > any day number (days since 1900) in a combined (cell, day) sort key


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision on two incidents, by incident_id: "confirm" (the matcher's match or possible
    match is right), "merge" (join them although the matcher did not), "split" (never one event)."""

    left: str
    right: str
    decision: str


@dataclass
class Matching:
    """The matcher's result over one frame (rows by position in it).

    pairs: the scored candidate pairs (PAIR_COLUMNS; left/right are positions); clusters: each row's cluster
    id (an incident_id of one member); possible: pairs from POSSIBLE that ended in different clusters;
    applied / unapplied: the review decisions used, and those not usable with the reason."""

    frame: pd.DataFrame
    pairs: pd.DataFrame
    clusters: pd.Series
    possible: pd.DataFrame
    applied: list = field(default_factory=list)
    unapplied: list = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Normalising names
# ---------------------------------------------------------------------------------------------
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_WORD = re.compile(r"[^0-9a-z\u0620-\u064a\u0660-\u0669\u06a9\u06af\u06cc]+")
_PLACE_WORDS = re.compile(
    r"\b(town|city|village|villages|province|governorate|district|sub ?district|subdistrict|qada|qadha|qadaa|"
    r"nahiya|nahia|nahiyat|muhafazat|qarya|qaryat|qariat|qaryah|center|centre|area|region|near|outskirts|of|the|in|"
    r"and|al|el|ال|قريه|قريت)\b")
# "X near Y": the place is X (Y is only the landmark it is near)
_NEAR = re.compile(r"\snear\s.*$", re.IGNORECASE)
_ADMIN_ALIASES = {"tamim": "kirkuk", "attamim": "kirkuk", "tameem": "kirkuk", "tooz": "tuzkhurmatu",
                  "tuz": "tuzkhurmatu", "tuzkhurmato": "tuzkhurmatu"}


def _fold_name(text) -> str:
    """Folded words of a name: case, accents and Arabic spellings folded, punctuation to spaces."""
    if not isinstance(text, str) or not text.strip():
        return ""
    return " ".join(_NOT_WORD.sub(" ", query.fold(text).replace("'", " ").replace("’", " ")).split())


def _first_place(text: str) -> str:
    """The place a name names: before the first comma, without bracketed remarks, "X near Y" read as X."""
    head = _PARENS.sub(" ", text.split(",")[0])
    return _NEAR.sub("", head) or head


def place_key(text) -> str:
    """A place name as compared: folded, without bracketed remarks or words like town/district/al, spaces
    removed ("Ţūzkhūrmātū town" and "Tuz Khurmatu (near the PUK office)" are both 'tuzkhurmatu')."""
    if not isinstance(text, str):
        return ""
    words = _PLACE_WORDS.sub(" ", _fold_name(_first_place(text)))
    key = "".join(words.split())
    return _ADMIN_ALIASES.get(key, key)


# Consonant keys: letters Latin transliterations write differently merged, vowels and glides dropped, so
# spellings of one name agree ("Sulaiman Bek", "Sulaymān Bak" and "سليمان بك" -> 'slmnbk').
_LATIN_CONSONANTS = (("kh", "k"), ("gh", "k"), ("dh", "d"), ("th", "t"), ("sh", "s"), ("ch", "j"), ("zh", "j"),
                     ("ph", "f"), ("q", "k"), ("c", "k"), ("x", "k"), ("g", "k"), ("z", "s"), ("v", "f"),
                     ("p", "b"), ("e", "a"))
_ARABIC_CONSONANTS = str.maketrans({
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "k", "د": "d", "ذ": "d", "ر": "r", "ز": "s",
    "س": "s", "ش": "s", "ص": "s", "ض": "d", "ط": "t", "ظ": "d", "ع": "", "غ": "k", "ف": "f", "ق": "k",
    "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "", "ي": "", "ا": "", "ء": "", "ی": "", "ک": "k",
    "گ": "k", "ئ": "", "ؤ": "", "ى": ""})
CONSONANT_POINTS = 0.6  # place points of two names with one consonant skeleton (as similar names)
MIN_CONSONANTS = 4  # a shorter skeleton ("hj", "krk") says too little to call two names one
SHORT_CONSONANTS = 3  # ... unless both rows name the same district ("Jassemiya", "Qaryat al Jāsimīyah": jsm)


def consonant_key(text, *, minimum: int = MIN_CONSONANTS) -> str:
    """A place name's consonant skeleton, the same for its Latin spellings and its Arabic one ('' when it
    has fewer than `minimum` consonants): words as `place_key` keeps them, then per word the Arabic
    article and a final -ah/ه dropped, letters transliterations merge (q/k/g/kh, s/sh/z ...) merged, vowels,
    w/y, و/ي and ayn dropped, doubled letters single."""
    if not isinstance(text, str):
        return ""
    out = []
    for word in _PLACE_WORDS.sub(" ", _fold_name(_first_place(text))).split():
        if word.isascii():
            word = re.sub(r"(?<=[aeiou])h$", "", word)
            for a, b in _LATIN_CONSONANTS:
                word = word.replace(a, b)
            word = re.sub(r"[^a-z]", "", re.sub(r"[aeiouyw]", "", word))
        else:
            word = re.sub(r"ه$", "", re.sub(r"^ال(?=..)", "", word)).translate(_ARABIC_CONSONANTS)
            word = re.sub(r"[^a-z]", "", word)
        out.append(word)
    key = re.sub(r"(.)\1+", r"\1", "".join(out))
    return key if len(key) >= minimum else ""


def actor_names(text) -> frozenset[str]:
    """The canonical actors (ACTOR_ALIASES keys) a source's actor name mentions; empty for generic names."""
    text = _PARENS.sub(lambda m: " " + m.group(0)[1:-1] + " ", text) if isinstance(text, str) else ""
    words = f" {_fold_name(text)} "
    found = set()
    for phrase, canonical in _PHRASES:
        hit = f" {phrase} "
        if hit in words:
            found.add(canonical)
            words = words.replace(hit, " | ")
    return frozenset(found)


_PHRASES = sorted(((_fold_name(a), c) for c, names in ACTOR_ALIASES.items() for a in names),
                  key=lambda p: -len(p[0]))
_ACTOR_BITS = {name: 1 << i for i, name in enumerate(ACTOR_ALIASES)}
# Actors one source counts inside another's: UCDP's "Government of Iraq" includes the PMF (state forces by
# law since 2016), so a PMF row against a UCDP government row is no evidence either way (0, never -0.7)
ALLIED_ACTORS = (("PMF", "Government of Iraq"),)


def _actor_key(text) -> str:
    """A whole actor name as compared when no alias names it (generic names: '')."""
    words = _fold_name(_PARENS.sub(" ", text)) if isinstance(text, str) else ""
    return "" if GENERIC_ACTORS.match(words) else words


def type_kind(frame: pd.DataFrame) -> pd.Series:
    """Each row's kind for TYPE_COMPATIBILITY: 'UCDP 1/2/3' for UCDP rows, else its ACLED event type."""
    kind = frame["event_type"].astype(object).where(frame["event_type"].notna(), "")
    ucdp = (frame["source_dataset"] == "ucdp").fillna(False).to_numpy(bool)
    if ucdp.any():
        tv = frame.loc[ucdp, "original"].astype("str").str.extract(r'"type_of_violence"\s*:\s*"?([123])\b')[0]
        fallback = frame.loc[ucdp, "event_type"].map(_UCDP_FALLBACK)
        kind.loc[ucdp] = ("UCDP " + tv).where(tv.notna(), fallback).fillna(kind.loc[ucdp])
    return kind.astype(str)


def compatibility(a: str, b: str) -> float:
    """How compatible two kinds (see `type_kind`) are: 1 the same, 0 never one event."""
    return 1.0 if a == b else TYPE_COMPATIBILITY.get(frozenset((a, b)), 0.0)


# ---------------------------------------------------------------------------------------------
# 1. Candidate pairs
# ---------------------------------------------------------------------------------------------
def _days(values: pd.Series) -> np.ndarray:
    return ((values - model.EARLIEST) // pd.Timedelta(days=1)).to_numpy(dtype="int64")


def _ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(which probe, which position) for every position in [lo[i], hi[i]) of every probe i."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    probe = np.repeat(np.arange(len(lo)), counts)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return probe, starts + np.arange(total)


def _sweep(probe_key, probe_s, probe_e, build_key, build_s) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (probe, build) with the same key and the build's start day within the probe's [start, end]."""
    comb = build_key * _SPAN + build_s
    order = np.argsort(comb, kind="stable")
    comb = comb[order]
    lo = np.searchsorted(comb, probe_key * _SPAN + probe_s, side="left")
    hi = np.searchsorted(comb, probe_key * _SPAN + probe_e, side="right")
    probe, at = _ranges(lo, hi)
    return probe, order[at]


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _keys(values: pd.Series, fn) -> pd.Series:
    """`fn` of each text value, computed once per distinct value ('' for empty cells)."""
    values = values.astype(object)
    unique = values.dropna().unique()
    return values.map(dict(zip(unique, map(fn, unique)))).astype(object).fillna("").astype(str)


def _reach(prec: np.ndarray) -> np.ndarray:
    """REACH_KM of each geo_precision (an unknown one as 4)."""
    table = np.array([REACH_KM[4], REACH_KM[1], REACH_KM[2], REACH_KM[3], REACH_KM[4]])
    return table[np.where((prec >= 1) & (prec <= 4), prec, 0)]


def reach_km(frame: pd.DataFrame) -> np.ndarray:
    """How far each row's point may lie from its event (km): REACH_KM by geo_precision, but a precision-1 row
    placed at a city itself (its place is the city's name, as UCDP's "Kirkūk town") reaches the city's
    extent (TOWN_REACH_KM): such a point stands for anywhere in the town."""
    prec = frame["geo_precision"].astype("float64").fillna(4).to_numpy().astype("int64")
    reach = _reach(prec)
    town = _keys(frame["place"], place_key).map(TOWN_REACH_KM).astype("float64").to_numpy()
    at_town = (prec == 1) & ~np.isnan(town)
    return np.where(at_town, np.fmax(town, reach), reach)


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a text column, -1 for an empty value."""
    keys = values.astype(object).where(values.notna(), "").astype(str)  # any dtype, an all-empty column too
    codes, uniques = pd.factorize(keys)
    empty = np.flatnonzero(uniques == "")
    return np.where(np.isin(codes, empty), -1, codes)


def candidate_pairs(frame: pd.DataFrame, *, new: np.ndarray | None = None, max_pairs: int = 5_000_000
                    ) -> pd.DataFrame:
    """Pairs (left < right, positions in `frame`) of rows of different data sets that may be one event;
    with `new` (a boolean per row), only the pairs holding at least one new row (an import against a store).

    Time: the date intervals overlap once each is widened by DATE_PAD_DAYS of its precision. Space: the
    points lie within the sum of their REACH_KM, or both name the same admin2 (one of them precision 3) or
    the same admin1 (one of them precision 4). Rows of precision 1-2 are swept per grid cell and its
    neighbours; rows of precision 3-4 against every row in their time window."""
    n = len(frame)
    if n < 2:
        return pd.DataFrame({"left": np.array([], "int64"), "right": np.array([], "int64")})
    pad = frame["date_precision"].map(DATE_PAD_DAYS).fillna(DATE_PAD_DAYS["year"]).to_numpy("int64")
    s = _days(frame["date_start"]) - pad
    e = _days(frame["date_end"].fillna(frame["date_start"])) + pad
    prec = frame["geo_precision"].astype("float64").fillna(4).to_numpy().astype("int64")
    lat, lon = frame["lat"].to_numpy("float64"), frame["lon"].to_numpy("float64")
    wide = prec >= 3
    # Each sweep pairs one data set's rows with the other data sets' only: one big data set (a million ACLED
    # rows) never lists its own same-source pairs (110M+ at 1M rows, more than 16 GB) only to drop them.
    dataset = _codes(frame["source_dataset"])
    key = np.zeros(n, "int64")
    local = np.flatnonzero(~wide)
    if len(local):
        cos = max(math.cos(math.radians(min(80.0, float(np.nanmax(np.abs(lat[local])))))), 0.17)
        key[local] = ((np.floor(lat[local] / _CELL_DEG).astype("int64") + 400) * 10_000
                      + np.floor(lon[local] / (_CELL_DEG / cos)).astype("int64") + 4000)
    # Two intervals overlap when one starts inside the other: each probe finds the builds starting inside
    # its interval. With `new`, a probe of stored rows only looks for new builds (stored pairs are known).
    fresh = np.ones(n, bool) if new is None else np.asarray(new, bool)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for d in np.unique(dataset):
        mine, others = dataset == d, dataset != d
        for probe_mask, build_mask, local in ((mine & ~wide, others & ~wide, True), (mine & wide, others, False),
                                               (mine, others & wide, False)):
            for probe, build in ((np.flatnonzero(probe_mask & fresh), np.flatnonzero(build_mask)),
                                 (np.flatnonzero(probe_mask & ~fresh), np.flatnonzero(build_mask & fresh))):
                if not (len(probe) and len(build)):
                    continue
                if local:  # precision 1-2: the grid cell and its neighbours
                    for dy in (-1, 0, 1):
                        for dx in (-1, 0, 1):
                            p, b = _sweep(key[probe] + dy * 10_000 + dx, s[probe], e[probe], key[build], s[build])
                            parts.append((probe[p], build[b]))
                else:  # precision 3-4: every row of the time window
                    p, b = _sweep(np.zeros(len(probe), "int64"), s[probe], e[probe],
                                  np.zeros(len(build), "int64"), s[build])
                    parts.append((probe[p], build[b]))
    left = np.concatenate([p for p, _ in parts]) if parts else np.zeros(0, "int64")
    right = np.concatenate([b for _, b in parts]) if parts else np.zeros(0, "int64")
    if len(left) > max_pairs * 4:
        raise ValueError(f"{len(left):,} candidate pairs: too many rows share one place and time to match")
    a, b = np.minimum(left, right), np.maximum(left, right)
    reach = reach_km(frame)
    near = _haversine(lat[a], lon[a], lat[b], lon[b]) <= reach[a] + reach[b]
    top = np.maximum(prec[a], prec[b])
    for level, col in ((3, "admin2"), (4, "admin1")):
        admin = _codes(_keys(frame[col], place_key))
        near |= (top >= level) & (admin[a] >= 0) & (admin[a] == admin[b])
    pair = np.unique(a[near] * n + b[near])
    return pd.DataFrame({"left": pair // n, "right": pair % n})


# ---------------------------------------------------------------------------------------------
# 2. Scores
# ---------------------------------------------------------------------------------------------
def score_pairs(frame: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Each candidate pair's evidence (points per aspect), their sum and the score (0..1).

    days_apart: days between the two (unwidened) intervals; km: distance; type: 2 x (compatibility - 0.5);
    actors: +1 a shared actor, -0.7 both name known actors and none is shared; tolls: +1 overlapping killed
    ranges, down to -2.5 for far-apart ones; place: +1 the same name, +0.6 similar, -0.5 different names of
    exact places. Score = logistic(points - BIAS)."""
    a, b = pairs["left"].to_numpy("int64"), pairs["right"].to_numpy("int64")
    start, end = _days(frame["date_start"]), _days(frame["date_end"].fillna(frame["date_start"]))
    gap = np.maximum(0, np.maximum(start[a], start[b]) - np.minimum(end[a], end[b]))
    longest = np.maximum(end[a] - start[a], end[b] - start[b]) + 1
    # two rows dated to the day, one day apart: sources date by the event's day or the report's (the next
    # morning's), so that is nearly as good as the same day, not a contradiction
    daily = (frame["date_precision"] == "day").fillna(False).to_numpy(bool)
    next_day = (gap == 1) & daily[a] & daily[b] & (longest <= 1)
    late = _late_first(frame, a, b, start, next_day)
    time = np.select([late, next_day, gap > 0, longest <= 1, longest <= 7, longest <= 31],
                     [LATE_NEXT_DAY_POINTS, NEXT_DAY_POINTS, -0.5 * gap, 2.0, 1.5, 1.0], 0.3)

    prec = frame["geo_precision"].astype("float64").fillna(4).to_numpy().astype("int64")
    reach = reach_km(frame)
    lat, lon = frame["lat"].to_numpy("float64"), frame["lon"].to_numpy("float64")
    km = _haversine(lat[a], lon[a], lat[b], lon[b])
    radius = reach[a] + reach[b]
    space = 1.5 * np.clip(1 - km / radius, 0, 1) * np.minimum(1.0, 30.0 / radius)

    codes, kinds = pd.factorize(type_kind(frame))
    table = np.array([[compatibility(x, y) for y in kinds] for x in kinds], dtype="float64").reshape(
        len(kinds), len(kinds))
    kind_points = 2 * (table[codes[a], codes[b]] - 0.5) if len(a) else np.zeros(0)
    kind = np.asarray(kinds, dtype=object)[codes] if len(codes) else np.zeros(0, object)
    state_side = (kind == _V) & _keys(frame["target"], _state_side).to_numpy(object).astype(bool)
    ucdp1 = kind == "UCDP 1"
    official = (state_side[a] & ucdp1[b]) | (ucdp1[a] & state_side[b])
    kind_points = np.where(official, np.maximum(kind_points, 2 * (STATE_SIDE_COMPATIBILITY - 0.5)), kind_points)

    actors = _actor_points(frame, a, b)
    tolls = _toll_points(frame, a, b)
    place = _place_points(frame, a, b, prec)
    points = time + space + kind_points + actors + tolls + place
    score = 1 / (1 + np.exp(-(points - BIAS)))
    best = frame["killed_best"].astype("float64").fillna(frame["killed_low"].astype("float64")).to_numpy()
    killed_gap = np.abs(best[a] - best[b])  # NaN when either gives no figure: only a tie-break in `cluster`
    return pd.DataFrame({"left": a, "right": b, "days_apart": gap, "km": km.round(2), "killed_gap": killed_gap,
                         "type": kind_points,
                         "actors": actors, "tolls": tolls, "place": place, "points": points.round(3),
                         "score": score.round(4)})


def _late_first(frame: pd.DataFrame, a: np.ndarray, b: np.ndarray, start: np.ndarray,
                next_day: np.ndarray) -> np.ndarray:
    """Of the pairs one day apart, those whose earlier row's notes say late or night (LATE_TEXT)."""
    late = np.zeros(len(a), bool)
    at = np.flatnonzero(next_day)
    if len(at):
        earlier = np.where(start[a[at]] <= start[b[at]], a[at], b[at])
        rows, back = np.unique(earlier, return_inverse=True)
        said = frame["notes"].iloc[rows].astype(object).str.contains(LATE_TEXT, na=False).to_numpy(bool)
        late[at] = said[back]
    return late


def _state_side(target: str) -> str:
    """'1' when a row's targets (';'-separated) include the government's side (STATE_SIDE_TARGETS), else ''."""
    return "1" if {t.strip().lower() for t in target.split(";")} & STATE_SIDE_TARGETS else ""


def _actor_points(frame: pd.DataFrame, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    names = pd.concat([frame["actor1"], frame["actor2"]]).dropna().unique()
    bits = {n: sum(_ACTOR_BITS[c] for c in actor_names(n)) for n in names}
    keys = {n: _actor_key(n) for n in names}
    mask = np.zeros(len(frame), "int64")
    own = []
    for col in ("actor1", "actor2"):
        mask |= frame[col].map(bits).fillna(0).to_numpy("int64")
        own.append(_codes(frame[col].map(keys)))
    shared = (mask[a] & mask[b]) != 0
    for x in own:
        for y in own:
            shared |= (x[a] >= 0) & (x[a] == y[b])
    disjoint = (mask[a] != 0) & (mask[b] != 0) & ~shared
    ucdp = (frame["source_dataset"] == "ucdp").fillna(False).to_numpy(bool)
    for part, whole in ALLIED_ACTORS:  # the part against a UCDP row naming the whole: no evidence
        p, w = _ACTOR_BITS[part], _ACTOR_BITS[whole]
        allied = ((mask[a] & p) != 0) & ((mask[b] & w) != 0) & ucdp[b]
        allied |= ((mask[b] & p) != 0) & ((mask[a] & w) != 0) & ucdp[a]
        disjoint &= ~allied
    return np.where(shared, 1.0, np.where(disjoint, -0.7, 0.0))


def _toll_points(frame: pd.DataFrame, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    low = frame["killed_low"].astype("float64").to_numpy()
    high = frame["killed_high"].astype("float64").to_numpy()
    high = np.where(np.isnan(high) & ~np.isnan(low), np.inf, high)  # "at least N": no upper figure
    known = ~np.isnan(low[a]) & ~np.isnan(low[b])
    gap = np.maximum(low[a], low[b]) - np.minimum(high[a], high[b])
    larger = np.maximum(np.fmax(low[a], low[b]), 1)
    relative = np.where(known, gap, 0) / larger
    # sources routinely differ by a death or two (or a fifth): that agrees
    close = (gap <= TOLL_SLACK_DEATHS) | (relative <= TOLL_SLACK_SHARE)
    # an "at least N" (no upper figure) above the other's figures: a lower bound of one count (militants,
    # say) is no evidence against another source's count of the day's dead
    open_above = np.where(low[a] > low[b], np.isinf(high[a]), np.isinf(high[b]))
    disjoint = -np.minimum(2.5, 0.3 + 2.5 * relative)
    return np.where(~known, 0.0, np.where(gap <= 0, 1.0, np.where(close, TOLL_CLOSE_POINTS,
                                                                   np.where(open_above, 0.0, disjoint))))


def _place_points(frame: pd.DataFrame, a: np.ndarray, b: np.ndarray, prec: np.ndarray) -> np.ndarray:
    points = np.zeros(len(a))
    exact = (prec[a] <= 2) & (prec[b] <= 2)
    for col in ("place", "place_ar"):
        key = _keys(frame[col], place_key).to_numpy(object)
        ka, kb = key[a], key[b]
        named = (ka != "") & (kb != "")
        same = named & (ka == kb)
        differ = named & ~same
        todo = pd.DataFrame({"x": ka[differ], "y": kb[differ]})
        unique = todo.drop_duplicates()
        unique["sim"] = [max(fuzz.ratio(x, y), fuzz.partial_ratio(x, y) if min(len(x), len(y)) >= 5 else 0)
                         for x, y in unique.itertuples(index=False)]
        sim = np.zeros(len(a))
        sim[differ] = todo.merge(unique, on=["x", "y"], how="left")["sim"].to_numpy("float64")
        here = np.where(same, 1.0, np.where(named & (sim >= 85), 0.6, np.where(named & exact, -0.5, 0.0)))
        points = np.where(points > 0, np.maximum(points, here), np.where(here != 0, here, points))
    # one name in two transliterations, or in Latin and Arabic letters: the same consonant skeleton
    skeletons = [_keys(frame[col], consonant_key).to_numpy(object) for col in ("place", "place_ar")]
    alike = np.zeros(len(a), bool)
    for x in skeletons:
        for y in skeletons:
            alike |= (x[a] != "") & (x[a] == y[b])
    # a three-consonant name ("Jassemiya", "Qaryat al Jāsimīyah": jsm) only when both name one district
    district = [_keys(frame["admin2"], fn).to_numpy(object) for fn in (place_key, _district_key)]
    one_district = np.zeros(len(a), bool)
    for d in district:
        one_district |= (d[a] != "") & (d[a] == d[b])
    if one_district.any():
        short = [_keys(frame[col], _short_key).to_numpy(object) for col in ("place", "place_ar")]
        for x in short:
            for y in short:
                alike |= one_district & (x[a] != "") & (x[a] == y[b])
    # a row placed at a city itself ("Kirkūk town") and a place in that city ("K1 area, west Kirkuk")
    alike |= _town_named(frame, a, b, prec)
    return np.where(alike, np.maximum(points, CONSONANT_POINTS), points)


def _district_key(text) -> str:
    return consonant_key(text, minimum=1)


def _short_key(text) -> str:
    return consonant_key(text, minimum=SHORT_CONSONANTS)


def _town_named(frame: pd.DataFrame, a: np.ndarray, b: np.ndarray, prec: np.ndarray) -> np.ndarray:
    """Pairs where one row is placed at a TOWN_REACH_KM city itself and the other's whole place text (every
    part, "X near Y" and "X, west Y" included) names that city."""
    key = _keys(frame["place"], place_key).to_numpy(object)
    town = (prec == 1) & np.isin(key, list(TOWN_REACH_KM))
    out = np.zeros(len(a), bool)
    for x, y in ((a, b), (b, a)):
        at = np.flatnonzero(town[x] & ~town[y])
        if len(at):
            text = _keys(frame["place"], _whole_place).to_numpy(object)
            out[at] |= [k in t for k, t in zip(key[x[at]], text[y[at]])]
    return out


def _whole_place(text) -> str:
    """All the words of a place text, folded and joined (place words dropped), to find a city's name in it."""
    words = _PLACE_WORDS.sub(" ", _fold_name(_PARENS.sub(" ", text))) if isinstance(text, str) else ""
    return "".join(words.split())


# ---------------------------------------------------------------------------------------------
# 3. Clusters and review decisions
# ---------------------------------------------------------------------------------------------
def read_decisions(decisions: Iterable) -> list[Decision]:
    """Decisions as given (Decision, mappings with left/right/decision, or (left, right, decision) tuples),
    checked: ValueError naming the first one that is not a decision on two different incident ids."""
    out = []
    for i, item in enumerate(decisions, 1):
        if isinstance(item, Decision):
            left, right, what = item.left, item.right, item.decision
        elif isinstance(item, Mapping):
            left, right, what = item.get("left"), item.get("right"), item.get("decision")
        else:
            try:
                left, right, what = item
            except (TypeError, ValueError):
                raise ValueError(f"decision {i}: expected (left, right, decision)") from None
        if not (isinstance(left, str) and isinstance(right, str) and left.strip() and right.strip()):
            raise ValueError(f"decision {i}: left and right must be incident ids")
        if what not in DECISIONS:
            raise ValueError(f"decision {i}: {str(what)[:40]!r} is not one of {', '.join(DECISIONS)}")
        if left.strip() == right.strip():
            raise ValueError(f"decision {i}: an incident cannot be matched with itself")
        out.append(Decision(left.strip(), right.strip(), what))
    return out


def cluster(frame: pd.DataFrame, pairs: pd.DataFrame, *, decisions: Iterable = (), threshold: float = MATCH
            ) -> Matching:
    """Clusters from scored pairs: review decisions first (the last decision on a pair wins; a split is
    never undone by the matcher), then pairs from `threshold` (MATCH) down, best first, ties nothing breaks
    left apart (`_tied`), joining two clusters only when they hold no
    two rows of one data set and every member of one is at least a POSSIBLE match of every member of the
    other (so a chain A~B~C whose ends disagree stays split)."""
    n = len(frame)
    ids = frame["incident_id"].astype(str).to_numpy(object)
    position = {v: i for i, v in enumerate(ids)}
    dataset = _codes(frame["source_dataset"])
    likely = pairs["score"].to_numpy() >= POSSIBLE
    score = set((pairs["left"].to_numpy("int64")[likely] * n + pairs["right"].to_numpy("int64")[likely]).tolist())
    parent = list(range(n))
    members: dict[int, list[int]] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def group(r: int) -> list[int]:
        return members.get(r, [r])

    last: dict[frozenset, Decision] = {}
    applied, unapplied = [], []
    for d in read_decisions(decisions):
        if d.left not in position or d.right not in position:
            missing = d.left if d.left not in position else d.right
            unapplied.append((d, f"{missing} is not among the incidents"))
            continue
        last[frozenset((d.left, d.right))] = d
    apart = {frozenset((position[d.left], position[d.right])) for d in last.values() if d.decision == "split"}

    def kept_apart(x: list[int], y: list[int]) -> bool:
        return any(frozenset((i, j)) in apart for i in x for j in y)

    def join(x: int, y: int) -> None:
        rx, ry = root(x), root(y)
        members[rx] = group(rx) + group(ry)
        parent[ry] = rx
        members.pop(ry, None)

    for d in last.values():
        if d.decision == "split":
            applied.append(d)
            continue
        x, y = position[d.left], position[d.right]
        rx, ry = root(x), root(y)
        if rx == ry:
            applied.append(d)
        elif kept_apart(group(rx), group(ry)):
            unapplied.append((d, "a split decision keeps these incidents' clusters apart"))
        else:
            join(x, y)
            applied.append(d)

    # best first; equal scores (a range holding both figures scores both alike) by the closer killed figures
    # (best, else low), then the date gap, then the distance
    strong = pairs[pairs["score"] >= threshold].sort_values(
        ["score", "killed_gap", "days_apart", "km", "left", "right"],
        ascending=[False, True, True, True, True, True], na_position="last", kind="stable")
    tied = _tied(strong, dataset)
    for x, y, s in strong.loc[~tied, ["left", "right", "score"]].itertuples(index=False):
        rx, ry = root(int(x)), root(int(y))
        if rx == ry:
            continue
        gx, gy = group(rx), group(ry)
        if set(dataset[gx]) & set(dataset[gy]) or kept_apart(gx, gy):
            continue
        if all(min(i, j) * n + max(i, j) in score for i in gx for j in gy):
            join(int(x), int(y))

    roots = np.array([root(i) for i in range(n)], dtype="int64")
    clusters = pd.Series(ids[roots] if n else [], index=frame.index, dtype=object, name="cluster_id")
    if members:  # the cluster's id: its best-described member's incident_id
        rank = _describe_rank(frame)
        for group_rows in members.values():
            clusters.iloc[group_rows] = ids[min(group_rows, key=rank.__getitem__)]
    maybe = pairs[(pairs["score"] >= POSSIBLE)]
    if len(maybe):
        ca = roots[maybe["left"].to_numpy("int64")]
        cb = roots[maybe["right"].to_numpy("int64")]
        kept = [frozenset((x, y)) not in apart for x, y in maybe[["left", "right"]].itertuples(index=False)] \
            if apart else np.ones(len(maybe), bool)
        maybe = maybe[(ca != cb) & np.asarray(kept, bool)]
    return Matching(frame=frame, pairs=pairs, clusters=clusters, possible=maybe.reset_index(drop=True),
                    applied=applied, unapplied=unapplied)


def _tied(strong: pd.DataFrame, dataset: np.ndarray) -> np.ndarray:
    """Matches no evidence can choose between: a row's link to two rows of one other data set with the same
    score, killed gap, date gap and distance. Which one is the event is a coin toss, so neither is merged
    (both stay possible duplicates): never confidently wrong."""
    if strong.empty:
        return np.zeros(0, bool)
    keys = strong[["score", "killed_gap", "days_apart", "km"]].round(4).fillna(-1.0)
    tied = np.zeros(len(strong), bool)
    for me, other in (("left", "right"), ("right", "left")):
        group = keys.assign(_me=strong[me].to_numpy(), _ds=dataset[strong[other].to_numpy("int64")])
        tied |= group.duplicated(keep=False).to_numpy()
    return tied


def _describe_rank(frame: pd.DataFrame) -> list[tuple]:
    """Which member's id a cluster takes (lower first): the source describing events best (SOURCE_RANK: the
    curated set's ids stay the ids links and reviews name), then place and date precision, then the id."""
    source = frame["source_dataset"].map(SOURCE_RANK).fillna(_USER_RANK).to_numpy()
    geo = frame["geo_precision"].astype("float64").fillna(9).to_numpy()
    date = frame["date_precision"].map(_DATE_RANK).fillna(9).to_numpy()
    return list(zip(source, geo, date, frame["incident_id"].astype(str)))


def match(frame: pd.DataFrame, *, decisions: Iterable = ()) -> Matching:
    """Candidate pairs, their scores and the clusters of `frame` (a canonical frame), with review decisions."""
    frame = frame.reset_index(drop=True)
    pairs = score_pairs(frame, candidate_pairs(frame))
    return cluster(frame, pairs, decisions=decisions)


def match_new(stored: Matching, incoming: pd.DataFrame, *, decisions: Iterable = (), chunk_rows: int = 10_000
              ) -> Matching:
    """The matching of the stored rows and `incoming` ones (an import), sweeping and scoring only the pairs
    holding at least one incoming row: the stored rows' pairs are `stored.pairs`, already scored (a pair's
    score depends on its two rows only). Incoming rows go `chunk_rows` at a time (each chunk against the
    stored rows and the chunks before it), and only pairs from POSSIBLE are kept (lower ones never join or
    mark), so memory stays bounded. The same clusters and possible duplicates as `match` of both frames at
    once; the frame is the stored rows, then the incoming ones."""
    frame = pd.concat([stored.frame, incoming], ignore_index=True) if len(incoming) else stored.frame
    parts = [stored.pairs[stored.pairs["score"] >= POSSIBLE]]
    for lo in range(len(stored.frame), len(frame), max(1, chunk_rows)):
        hi = min(len(frame), lo + max(1, chunk_rows))
        upto = frame.iloc[:hi]
        fresh = score_pairs(upto, candidate_pairs(upto, new=np.arange(hi) >= lo))
        parts.append(fresh[fresh["score"] >= POSSIBLE])
    pairs = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    return cluster(frame, pairs, decisions=decisions)


def apply_decisions(matching: Matching, decisions: Iterable) -> Matching:
    """The same matching re-clustered with (new) review decisions, without scoring again."""
    return cluster(matching.frame, matching.pairs, decisions=decisions)


# ---------------------------------------------------------------------------------------------
# 4. The fused frame, the members table and the annotated raw rows
# ---------------------------------------------------------------------------------------------
def annotate(matching: Matching) -> pd.DataFrame:
    """The raw rows with `cluster_id` and `match` ("same event as …; possible duplicate of …", '' if neither)."""
    frame = matching.frame.copy()
    ids = frame["incident_id"].astype(str).to_numpy(object)
    cids = matching.clusters.to_numpy(object)
    frame["cluster_id"] = cids
    text = np.full(len(frame), "", dtype=object)
    codes, uniques = pd.factorize(cids)
    sizes = np.bincount(codes, minlength=len(uniques)) if len(codes) else np.zeros(0, "int64")
    multi = np.flatnonzero(sizes[codes] > 1) if len(codes) else np.zeros(0, "int64")
    groups: dict[int, list[int]] = {}
    for i in multi:
        groups.setdefault(codes[i], []).append(i)
    for rows in groups.values():
        for i in rows:
            text[i] = f"{MATCH_TEXT} {', '.join(ids[j] for j in rows if j != i)}"
    maybe: dict[int, list[str]] = {}
    for x, y, v in matching.possible[["left", "right", "score"]].itertuples(index=False):
        maybe.setdefault(int(x), []).append(f"{ids[y]} ({v:.2f})")
        maybe.setdefault(int(y), []).append(f"{ids[x]} ({v:.2f})")
    for i, items in maybe.items():
        text[i] = "; ".join(t for t in (text[i], f"{POSSIBLE_TEXT} {', '.join(items)}") if t)
    frame["match"] = text
    return frame


def fuse(matching: Matching) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """(fused, members): one canonical row per cluster, and one row per member of a cluster of several.

    A fused row of one incident is that incident unchanged. A cluster's row keeps its primary member's
    incident_id (the cluster id: the member from the best-describing source, SOURCE_RANK), takes its date from
    the member dated most precisely, its place and point from the member placed most precisely, its type and
    actors from the primary, its killed and wounded ranges from the lowest to the highest figure any member
    gives (never a sum: the sources count the same dead; a source's "at least N" above every stated high
    leaves high unknown; best the median of the members' best figures, inside the range), `sources` every
    member's citations and `original` the member incident_ids. Extra columns: cluster_id, datasets (';'-joined), n_sources, match."""
    raw = annotate(matching)
    frame = matching.frame
    sizes = raw.groupby("cluster_id", sort=False)["incident_id"].transform("size").to_numpy()
    single = raw[sizes == 1].copy()
    single["datasets"] = single["source_dataset"]
    single["n_sources"] = 1
    parts, order = [single], list(np.flatnonzero(sizes == 1))
    member_rows = pd.DataFrame(columns=list(MEMBER_COLUMNS))
    decided = {}
    for d in matching.applied:
        decided[d.left] = decided[d.right] = d.decision
    multi = np.flatnonzero(sizes > 1)
    if len(multi):
        parts.append(_fuse_clusters(frame.iloc[multi], raw["cluster_id"].iloc[multi], raw["match"].iloc[multi]))
        order += list(np.flatnonzero((sizes > 1) & (raw["incident_id"] == raw["cluster_id"]).to_numpy()))
        members = frame.iloc[multi].assign(cluster_id=raw["cluster_id"].iloc[multi].to_numpy(object))
        ids, cids = frame["incident_id"].to_numpy(object), raw["cluster_id"].to_numpy(object)
        x, y = matching.pairs["left"].to_numpy("int64"), matching.pairs["right"].to_numpy("int64")
        inside = cids[x] == cids[y]
        score = matching.pairs["score"].to_numpy()[inside]
        best = pd.Series(np.concatenate([score, score]), index=np.concatenate([ids[x[inside]], ids[y[inside]]]))
        best = best.groupby(level=0).max()
        members["role"] = np.where(members["incident_id"] == members["cluster_id"], "primary", "member")
        members["score"] = members["incident_id"].map(best)
        members["decision"] = members["incident_id"].map(decided)
        member_rows = members[list(MEMBER_COLUMNS)].sort_values(["cluster_id", "role"], ascending=[True, False],
                                                                 kind="stable")
    columns = [*model.COLUMNS, "cluster_id", "datasets", "n_sources", "match"]
    out = pd.concat([p[columns] for p in parts], ignore_index=True)
    out = out.iloc[np.argsort(np.asarray(order, dtype="int64"), kind="stable")].reset_index(drop=True)
    out["n_sources"] = out["n_sources"].astype("int64")
    fused = gpd.GeoDataFrame(out, geometry=shapely.points(out["lon"].to_numpy(), out["lat"].to_numpy()),
                             crs=model.CRS)
    return fused, member_rows.reset_index(drop=True)


def _first_by(part: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per cluster, the member first by `keys` (ascending), indexed by cluster_id."""
    return part.sort_values(["cluster_id", *keys], kind="stable").drop_duplicates("cluster_id").set_index("cluster_id")


def _fuse_clusters(part: pd.DataFrame, cluster_ids: pd.Series, match_text: pd.Series) -> gpd.GeoDataFrame:
    """The fused rows of clusters of several members (`part`: their rows; see `fuse`)."""
    part = part.assign(cluster_id=cluster_ids.to_numpy(object), _match=match_text.to_numpy(object),
                       _source=part["source_dataset"].map(SOURCE_RANK).fillna(_USER_RANK),
                       _date=part["date_precision"].map(_DATE_RANK).fillna(9),
                       _length=(part["date_end"] - part["date_start"]).dt.days,
                       _geo=part["geo_precision"].astype("float64").fillna(9))
    primary = part[part["incident_id"] == part["cluster_id"]].set_index("cluster_id")
    when = _first_by(part, ["_date", "_length", "_source", "incident_id"]).reindex(primary.index)
    where = _first_by(part, ["_geo", "_source", "incident_id"]).reindex(primary.index)
    out = primary[["incident_id", "source_dataset", "source_id", "event_type", "sub_event_type", "target",
                   "actor1", "actor2"]].copy()
    for col in ("date_start", "date_end", "date_precision"):
        out[col] = when[col]
    for col in ("place", "admin1", "admin2", "admin3", "lat", "lon", "geo_precision"):
        out[col] = where[col]
    groups = part.groupby("cluster_id", sort=False)
    out["place_ar"] = where["place_ar"].fillna(groups["place_ar"].first().reindex(out.index))
    for low, mid, high in (("killed_low", "killed_best", "killed_high"), ("wounded_low", "wounded", "wounded_high")):
        lo, hi = groups[low].min(), groups[high].max()
        bound = part[part[low].notna() & part[high].isna()].groupby("cluster_id")[low].max().reindex(lo.index)
        hi = hi.where(~(bound > hi).fillna(False))  # a source's "at least N" above every stated high
        best = groups[mid].median().round().astype("Int64")
        best = best.where(~(best < lo).fillna(False), lo).where(~(best > hi).fillna(False), hi)
        out[low], out[mid], out[high] = lo.reindex(out.index), best.reindex(out.index), hi.reindex(out.index)
    cols = {c: part[c].to_numpy(object) for c in ("cluster_id", "incident_id", "source_dataset", "sources",
                                                    "notes", "_match")}
    gathered: dict[str, dict[str, list]] = {c: {} for c in cols if c != "cluster_id"}
    for i, cid in enumerate(cols["cluster_id"]):
        for c, values in gathered.items():
            values.setdefault(cid, []).append(cols[c][i])
    ids = out.index
    out["sources"] = [_union_citations(gathered["sources"][cid]) for cid in ids]
    out["notes"] = [" | ".join(f"{m}: {n}" for m, n in zip(gathered["incident_id"][cid], gathered["notes"][cid])
                               if isinstance(n, str)) or None for cid in ids]
    rank = part["confidence"].map(_CONFIDENCE_RANK).fillna(9)
    out["confidence"] = part.loc[rank.groupby(part["cluster_id"]).idxmin(), ["cluster_id", "confidence"]] \
        .set_index("cluster_id")["confidence"].reindex(out.index)
    out["original"] = [model.dumps({"cluster_id": cid, "members": gathered["incident_id"][cid]}) for cid in ids]
    possible = [", ".join(t.split(POSSIBLE_TEXT, 1)[1].strip() for t in gathered["_match"][cid] if POSSIBLE_TEXT in t)
                for cid in ids]
    out["match"] = [f"{POSSIBLE_TEXT} {p}" if p else "" for p in possible]
    out["datasets"] = [";".join(sorted(set(gathered["source_dataset"][cid]))) for cid in ids]
    out["n_sources"] = [len(gathered["incident_id"][cid]) for cid in ids]
    out = out.reset_index()
    fused = model.normalise(out[list(model.COLUMNS)])
    for col in ("cluster_id", "datasets", "n_sources", "match"):
        fused[col] = out[col].to_numpy(object)
    return fused


def _union_citations(values: list) -> str:
    """One `sources` cell holding every citation of `values` (cells), each once, in order."""
    citations: dict[str, dict] = {}
    for text in values:
        citations.update((k, c) for k, c in _citations(text) if k not in citations)
    return model.dumps(list(citations.values()))


@functools.lru_cache(maxsize=65_536)
def _citations(text) -> tuple:
    return tuple((model.dumps(c), c) for c in model.parse_sources(text))
