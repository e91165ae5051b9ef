"""The canonical incident table: its columns, allowed values, normalisation and validation.

Every source (the curated set, ACLED, UCDP GED, GTD, a user's CSV or GeoJSON) is turned into
one GeoDataFrame in EPSG:4326 with the columns below, in this order. `normalise` fills what can
be derived honestly (a one-day event's end date, a single casualty figure into low/best/high,
the point geometry); `validate` splits a frame into accepted rows and a rejects report naming the
row, field, value and reason. Nothing is guessed: an unknown figure stays empty, never zero.

Field reference (also in docs/schema.md):

identity
  incident_id     str, unique and stable. Curated rows: ``cur-YYYY-NNN``; imported rows:
                  ``<source_dataset>:<source_id>`` so re-importing the same row cannot duplicate it.
  source_dataset  str: ``curated``, ``acled``, ``ucdp``, ``gtd`` or the user file's name.
  source_id       str: the source's own id (ACLED ``event_id_cnty``, UCDP ``id``, GTD ``eventid``).
time
  date_start, date_end  dates (datetime64, midnight); an interval, both equal for a one-day event.
                  From 1900-01-01 to today: earlier or later dates (9999-12-31) are rejected.
  date_precision  ``day`` | ``week`` | ``month`` | ``year``: how well the source knows the date.
                  An event known to the month spans that whole month in date_start..date_end.
place
  place, place_ar  name as given; Arabic name where known.
  admin1, admin2, admin3  governorate, district, sub-district (from the boundaries in use).
  lat, lon        WGS84 degrees of the point drawn.
  geo_precision   1 exact place | 2 near a named place (within ~25 km) | 3 district | 4 governorate.
what
  event_type, sub_event_type  ACLED's taxonomy, see EVENT_TYPES (6 types, 25 sub-types).
  target          who or what was attacked, see TARGETS (``;``-separated when several).
  actor1, actor2  the main actors as the source names them.
harm
  killed_low, killed_best, killed_high  nullable integers; low <= best <= high. One reported
                  figure fills all three; conflicting reports are kept as the range.
  wounded         nullable integer (best or only reported figure); wounded_low / wounded_high keep
                  conflicting wounded figures as a range.
                  Every count is a whole number from 0 to MAX_COUNT (100,000): no single incident in
                  the region comes near it, so a larger figure (1e18, inf) is a data error and the
                  row is rejected, never stored.
provenance
  sources         JSON array of citations ``{"title", "publisher", "url", "date"}``; at least one
                  with a title, publisher or URL.
  notes           free text, any language.
  confidence      ``high`` | ``medium`` | ``low``: how sure we are of the record as a whole.
  original        JSON object of the source row's own values that the canonical columns do not
                  carry verbatim (precision codes, original type names, ...), so nothing is lost.
"""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from events import countries

CRS = "EPSG:4326"

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "Battles": (
        "Armed clash",
        "Government regains territory",
        "Non-state actor overtakes territory",
    ),
    "Explosions/Remote violence": (
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ),
    "Violence against civilians": (
        "Sexual violence",
        "Attack",
        "Abduction/forced disappearance",
    ),
    "Protests": (
        "Peaceful protest",
        "Protest with intervention",
        "Excessive force against protesters",
    ),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ),
}
SUB_EVENT_TYPES: dict[str, str] = {sub: t for t, subs in EVENT_TYPES.items() for sub in subs}

DATE_PRECISIONS = ("day", "week", "month", "year")
GEO_PRECISIONS = {1: "exact place", 2: "near a named place (within ~25 km)", 3: "district", 4: "governorate"}
CONFIDENCE = ("high", "medium", "low")
TARGETS = (
    "police", "federal police", "army", "peshmerga", "pmf", "security forces", "civilians",
    "oil infrastructure", "energy infrastructure", "officials", "coalition forces", "insurgents",
    "protesters", "political party", "religious site", "journalists", "other",
)

COLUMNS: tuple[str, ...] = (
    "incident_id", "source_dataset", "source_id",
    "date_start", "date_end", "date_precision",
    "place", "place_ar", "admin1", "admin2", "admin3", "lat", "lon", "geo_precision",
    "event_type", "sub_event_type", "target", "actor1", "actor2",
    "killed_low", "killed_best", "killed_high", "wounded", "wounded_low", "wounded_high",
    "sources", "notes", "confidence", "original",
)
TEXT_COLUMNS = (
    "incident_id", "source_dataset", "source_id", "date_precision", "place", "place_ar",
    "admin1", "admin2", "admin3", "event_type", "sub_event_type", "target", "actor1", "actor2",
    "sources", "notes", "confidence", "original",
)
COUNT_COLUMNS = ("killed_low", "killed_best", "killed_high", "wounded", "wounded_low", "wounded_high")
DATE_COLUMNS = ("date_start", "date_end")
REJECT_COLUMNS = ("file", "row", "field", "value", "reason")

EARLIEST = pd.Timestamp("1900-01-01")
# Dates beyond these stand-ins are clipped to them on parsing (nanosecond datetimes end in 2262),
# so an absurd date is rejected as before 1900 / in the future instead of overflowing.
BEFORE_EARLIEST = pd.Timestamp("1899-12-31")
FAR_FUTURE = pd.Timestamp("2200-01-01")
# The largest plausible death or injury toll of one incident; anything above is rejected.
MAX_COUNT = 100_000

# A converted frame may carry the file's own country (name, ISO3 or ISO numeric) in this extra column; with it,
# a row is suspected of swapped lat/lon only when the swapped point lies in that country's outline and the
# given one does not (events.countries: Natural Earth). A country no outline is known for is never suspected.
COUNTRY_HINT = "_country"


def empty() -> gpd.GeoDataFrame:
    """An empty canonical frame, with the right dtypes."""
    return normalise(pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}))


def citation(*, title: str = "", publisher: str = "", url: str = "", date: str = "") -> dict:
    """One source citation, dropping empty parts."""
    parts = {"title": title, "publisher": publisher, "url": url, "date": date}
    return {k: v for k, v in parts.items() if v}


def dumps(value) -> str:
    """JSON text for the sources / original columns (UTF-8 kept readable)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def parse_sources(text) -> list[dict]:
    """The citations in a `sources` cell, [] when empty or not JSON."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def bound_dates(values: pd.Series) -> pd.Series:
    """Datetimes as datetime64[ns], those outside 1900..2200 set to the stand-ins BEFORE_EARLIEST / FAR_FUTURE.

    Parsers return any year from 1 to 9999 (microsecond resolution); nanosecond datetimes, which the
    rest of the atlas uses, overflow past 2262. The stand-ins are always rejected by `validate`.
    """
    values = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, errors="coerce", format="mixed")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    values = values.where(values.isna() | (values >= EARLIEST), BEFORE_EARLIEST)
    values = values.where(values.isna() | (values <= FAR_FUTURE), FAR_FUTURE)
    return values.astype("datetime64[ns]")


def counts(values: pd.Series) -> pd.Series:
    """Whole numbers as Int64: not a whole number -> missing; above MAX_COUNT (inf, 1e19) -> MAX_COUNT + 1
    and below zero -> -1, stand-ins that `validate` rejects (Int64 cannot hold inf or 1e19)."""
    num = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64")
    num = num.clip(lower=-1, upper=MAX_COUNT + 1)
    whole = num.where(num.isna() | (num == np.floor(num.fillna(0))))
    return whole.astype("Int64")


def normalise(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Coerce a frame with (some of) the canonical columns into the canonical dtypes and order.

    Unparseable values become missing here; `validate` then reports them against the raw input.
    """
    df = pd.DataFrame(index=frame.index)
    for col in COLUMNS:
        src = frame[col] if col in frame.columns else pd.Series(pd.NA, index=frame.index, dtype=object)
        if col in DATE_COLUMNS:
            df[col] = bound_dates(src).dt.normalize() \
                if src.notna().any() else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        elif col in COUNT_COLUMNS or col == "geo_precision":
            df[col] = counts(src)
        elif col in ("lat", "lon"):
            df[col] = pd.to_numeric(src, errors="coerce").astype("float64")
        else:
            if src.dtype != "str":  # already-text columns (most imports) skip the object round trip
                src = src.astype(object).where(src.notna(), None).astype("str")
            text = src.str.strip()
            df[col] = text.where(text != "", np.nan)
    df["date_end"] = df["date_end"].fillna(df["date_start"])
    # A single reported toll fills low, best and high; a range without best keeps best empty. Only
    # an empty cell is filled: a figure given but unreadable ("2.5", "0x1F") stays missing, so
    # `validate` rejects it instead of silently replacing it with best.
    for col, single in (("killed_low", "killed_best"), ("killed_high", "killed_best"),
                        ("wounded_low", "wounded"), ("wounded_high", "wounded")):
        fill = ~_given(frame, col) & df[single].notna()
        df[col] = df[col].where(~fill, df[single])
    points = shapely.points(df["lon"].to_numpy(), df["lat"].to_numpy())
    return gpd.GeoDataFrame(df, geometry=points, crs=CRS)


def looks_swapped(lat: pd.Series, lon: pd.Series, country: pd.Series | None) -> pd.Series:
    """Rows whose lat/lon look swapped: the swapped point lies in the row's stated country and the given one
    does not. A file that states no country (no column, an empty or unknown name) is never suspected: a
    real point in Ankara or Odesa is not an Iraqi point written backwards."""
    lat, lon = lat.reset_index(drop=True), lon.reset_index(drop=True)
    out = pd.Series(False, index=lat.index)
    if country is None:
        return out
    name = country.reset_index(drop=True).fillna("").astype("str").str.strip()
    # Only where the swapped pair is a valid point and differs from the given one (few rows after this).
    maybe = (name != "") & lon.between(-90, 90) & lat.between(-180, 180) & (lat != lon)
    if not maybe.any():
        return out
    swapped = countries.contain(name[maybe], lat=lon[maybe], lon=lat[maybe]).fillna(False).to_numpy(bool)
    rows = np.flatnonzero(maybe.to_numpy())[swapped]
    if len(rows):
        given = countries.contain(name.iloc[rows], lat=lat.iloc[rows], lon=lon.iloc[rows]).fillna(True)
        out.iloc[rows] = ~given.to_numpy(bool)
    return out


def _given(raw: pd.DataFrame, col: str) -> pd.Series:
    """Rows where `raw` has a non-empty value in `col`."""
    if col not in raw.columns:
        return pd.Series(False, index=raw.index)
    v = raw[col]
    return v.notna() & (v.astype(str).str.strip() != "")


def _problems(df: gpd.GeoDataFrame, raw: pd.DataFrame) -> list[tuple[str, pd.Series, str]]:
    """(field, mask of bad rows, reason) for every rule of the schema."""
    today = pd.Timestamp.today().normalize()
    checks: list[tuple[str, pd.Series, str]] = []

    def given(col: str) -> pd.Series:
        return _given(raw, col)

    for col in ("incident_id", "source_dataset", "source_id"):
        checks.append((col, df[col].isna(), "missing"))
    dup = df["incident_id"].notna() & df["incident_id"].duplicated(keep="first")
    checks.append(("incident_id", dup, "duplicate incident_id in this batch"))
    for col in DATE_COLUMNS:
        checks.append((col, df[col].isna() & given(col), "not a date (expected YYYY-MM-DD)"))
    checks.append(("date_start", df["date_start"].isna() & ~given("date_start"), "missing"))
    checks.append(("date_start", df["date_start"] < EARLIEST, "before 1900"))
    checks.append(("date_end", df["date_end"] > today, "in the future"))
    checks.append(("date_end", df["date_end"] < df["date_start"], "ends before it starts"))
    checks.append(("date_precision", ~df["date_precision"].isin(DATE_PRECISIONS),
                   "must be one of " + ", ".join(DATE_PRECISIONS)))
    lat, lon = df["lat"], df["lon"]
    checks.append(("lat", lat.isna(), "missing or not a number"))
    checks.append(("lon", lon.isna(), "missing or not a number"))
    checks.append(("lat", (lat < -90) | (lat > 90), "outside -90..90"))
    checks.append(("lon", (lon < -180) | (lon > 180), "outside -180..180"))
    checks.append(("lat", (lat == 0) & (lon == 0), "0,0 is a placeholder, not a place"))
    checks.append(("lat", looks_swapped(lat, lon, raw[COUNTRY_HINT] if COUNTRY_HINT in raw.columns else None),
                   "latitude and longitude look swapped"))
    checks.append(("geo_precision", ~df["geo_precision"].isin(list(GEO_PRECISIONS)), "must be 1, 2, 3 or 4"))
    checks.append(("event_type", ~df["event_type"].isin(list(EVENT_TYPES)), "not an ACLED event type"))
    sub_ok = df["sub_event_type"].isna() | (df["sub_event_type"].map(SUB_EVENT_TYPES) == df["event_type"])
    checks.append(("sub_event_type", ~sub_ok, "not a sub-type of the event type"))
    for col in COUNT_COLUMNS:
        checks.append((col, df[col].isna() & given(col), "not a whole number"))
        # Only where the figure was given: a low/high filled from best repeats best's problem.
        checks.append((col, (df[col].fillna(0) < 0) & given(col), "negative"))
        checks.append((col, (df[col].fillna(0) > MAX_COUNT) & given(col),
                       f"more than {MAX_COUNT:,}: not a plausible toll for one incident"))
    lo, best, hi = df["killed_low"], df["killed_best"], df["killed_high"]
    checks.append(("killed_low", (lo > best).fillna(False) | (lo > hi).fillna(False), "low above best or high"))
    checks.append(("killed_high", (best > hi).fillna(False), "best above high"))
    checks.append(("wounded_low", (df["wounded_low"] > df["wounded_high"]).fillna(False), "low above high"))
    checks.append(("confidence", ~df["confidence"].isin(CONFIDENCE), "must be high, medium or low"))
    cited = {s: any(c.get("title") or c.get("publisher") or c.get("url") for c in parse_sources(s))
             for s in df["sources"].dropna().unique()}  # imports repeat a few citations many times
    has_source = df["sources"].map(cited).fillna(False)
    checks.append(("sources", ~has_source.astype(bool), "needs at least one citation (title, publisher or URL)"))
    return checks


def validate(frame: pd.DataFrame, *, file: str = "", rows: pd.Series | None = None
             ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Normalise `frame` and split it into (accepted canonical rows, rejects report).

    `rows` gives each input row's number in its file (line or feature number) for the report;
    by default the 1-based position.
    """
    raw = frame.reset_index(drop=True)
    df = normalise(raw)
    row_no = pd.Series(np.arange(1, len(df) + 1) if rows is None else np.asarray(rows), index=df.index)
    bad = pd.Series(False, index=df.index)
    parts = []
    for col, mask, reason in _problems(df, raw):
        mask = mask.fillna(True).astype(bool)
        if not mask.any():
            continue
        values = raw[col] if col in raw.columns else df[col]
        parts.append(pd.DataFrame({"file": file, "row": row_no[mask], "field": col,
                                   "value": values[mask].astype(str).str.slice(0, 200).fillna(""),
                                   "reason": reason}))
        bad |= mask
    rejects = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(REJECT_COLUMNS))
    rejects = rejects.sort_values(["row", "field"], kind="stable").reset_index(drop=True)
    return df[~bad].reset_index(drop=True), rejects


def to_records(frame: pd.DataFrame) -> pd.DataFrame:
    """The canonical columns as plain text-friendly values (dates as YYYY-MM-DD), for CSV/JSON output."""
    out = pd.DataFrame({c: frame[c] for c in COLUMNS})
    for col in DATE_COLUMNS:
        out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out
