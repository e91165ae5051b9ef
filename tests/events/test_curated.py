"""The shipped curated incident set: every row valid, sourced, dated and placed honestly; the seeds' incidents in it."""
import json
import re

import pandas as pd
import pytest

from events import curated, model

STUDY_AREA = (34.3, 43.0, 36.6, 45.3)  # south, west, north, east
ID_PATTERN = re.compile(r"^cur-(\d{4})-(\d{3})$")
SEED_000 = "seeds/000_647dfaac712337a5.txt"
SEED_004 = "seeds/004_6ba5b4d6a31d0306.txt"
# District / sub-district names as in the boundaries the atlas uses (OCHA COD-AB, CSO 2019).
ADMIN2 = {"Kirkuk", "Hawija", "Daquq", "Dibis", "Makhmour", "Tuz Khurmatu", "Shirqat", "Baiji", "Mosul"}


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return curated.read_curated()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return curated.load_curated()


def test_file_has_canonical_header_and_one_line_per_row(raw):
    text = curated.CURATED_PATH.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(model.COLUMNS)
    assert len(text.splitlines()) == len(raw) + 1, "a cell contains a line break: keep one physical line per row"


def test_every_row_validates_with_zero_rejects(raw, data):
    accepted, rejects = model.validate(raw, file="incidents.csv")
    assert rejects.empty, rejects.to_string()
    assert len(accepted) == len(raw) == len(data)
    assert str(data.crs) == model.CRS


def test_enough_rows(data):
    assert len(data) >= 80


def test_ids_unique_stable_pattern_and_provenance(data):
    assert data["incident_id"].is_unique
    for row in data.itertuples():
        m = ID_PATTERN.match(row.incident_id)
        assert m, row.incident_id
        assert int(m.group(1)) == row.date_start.year, f"{row.incident_id}: id year differs from date_start"
        assert row.source_dataset == "curated"
        assert isinstance(row.source_id, str) and row.source_id


def test_every_row_cites_a_url_or_a_seed_file(data):
    for row in data.itertuples():
        cites = model.parse_sources(row.sources)
        assert cites, f"{row.incident_id}: no citation"
        assert all(c.get("title") or c.get("publisher") for c in cites), row.incident_id
        assert any(c.get("url", "").startswith(("http://", "https://", "seeds/")) for c in cites), \
            f"{row.incident_id}: needs a citation with a URL read or a seed file name"


def test_original_is_a_json_object_when_present(data):
    for row in data.itertuples():
        if isinstance(row.original, str):
            assert isinstance(json.loads(row.original), dict), row.incident_id


def test_dates_inside_study_period_and_consistent_with_precision(data):
    first, last = pd.Timestamp("2003-01-01"), pd.Timestamp("2024-12-31")
    for row in data.itertuples():
        start, end = row.date_start, row.date_end
        assert first <= start <= end <= last, f"{row.incident_id}: {start:%Y-%m-%d}..{end:%Y-%m-%d}"
        if row.date_precision == "day":
            assert start == end, row.incident_id
        elif row.date_precision == "week":
            assert (end - start).days <= 6, f"{row.incident_id}: a week-precision interval spans at most 7 days"
        elif row.date_precision == "month":
            assert (start.year, start.month) == (end.year, end.month), row.incident_id
        else:
            assert row.date_precision == "year" and start.year == end.year, row.incident_id


def test_points_inside_study_area_with_precision_and_confidence_set(data):
    s, w, n, e = STUDY_AREA
    assert data["lat"].between(s, n).all(), data.loc[~data["lat"].between(s, n), "incident_id"].tolist()
    assert data["lon"].between(w, e).all(), data.loc[~data["lon"].between(w, e), "incident_id"].tolist()
    assert data["geo_precision"].notna().all() and data["date_precision"].notna().all()
    assert data["confidence"].isin(model.CONFIDENCE).all()
    assert data["event_type"].notna().all()


def test_targets_and_admin_names_from_the_shared_vocabularies(data):
    for row in data.itertuples():
        if isinstance(row.target, str):
            assert set(row.target.split(";")) <= set(model.TARGETS), f"{row.incident_id}: {row.target}"
        if isinstance(row.admin2, str):
            assert row.admin2 in ADMIN2, f"{row.incident_id}: {row.admin2}"
        if isinstance(row.place_ar, str):
            assert re.search(r"[\u0600-\u06ff]", row.place_ar), f"{row.incident_id}: place_ar is not Arabic"


def test_every_row_says_where_its_coordinates_come_from(data):
    assert data["notes"].str.contains("Coords:", regex=False).all()


def test_seed_2004_campaign_recorded_at_the_precision_the_article_supports(data):
    seed = data[data["sources"].str.contains(SEED_000, regex=False)]
    assert len(seed) >= 5
    assert (seed["date_start"].dt.year == 2004).all() and (seed["date_precision"] == "year").all()
    assert seed["geo_precision"].min() >= 3, "the article names districts at best"
    assert seed["killed_low"].isna().all() and seed["killed_high"].isna().all(), "the article gives no toll"
    assert {"Hawija", "Daquq", "Dibis"} <= set(seed["admin2"].dropna())
    assert "oil infrastructure" in set(seed["target"].dropna())


def test_seed_rashad_clash_and_twelve_federal_police_are_one_event(data):
    day = data[(data["date_start"] == "2021-09-05") & (data["admin3"] == "Rashad")]
    assert len(day) == 1, "the Rashad clash and the 12-Federal-Police attack must not be double-counted"
    row = day.iloc[0]
    assert SEED_004 in row["sources"]
    assert "federal police" in row["target"]
    assert row["killed_low"] <= 12 <= row["killed_high"]


def test_seed_lakja_checkpoint_attack(data):
    lakja = data[data["place"].str.contains("Lakja", regex=False)]
    assert len(lakja) == 1
    row = lakja.iloc[0]
    assert SEED_004 in row["sources"]
    assert row["admin2"] == "Makhmour" and row["date_start"] == pd.Timestamp("2021-09-05")
    assert row["killed_best"] == 3 and row["wounded"] == 1


def test_coverage_of_the_districts_in_the_brief(data):
    counts = {
        "Hawija": (data["admin2"] == "Hawija").sum(),
        "Daquq": (data["admin2"] == "Daquq").sum(),
        "Dibis": (data["admin2"] == "Dibis").sum(),
        "Rashad": (data["admin3"] == "Rashad").sum(),
        "Makhmour": (data["admin2"] == "Makhmour").sum(),
    }
    assert all(n >= 3 for n in counts.values()), counts
    assert data["date_start"].dt.year.nunique() >= 18


def test_bad_row_is_refused_with_row_and_field(tmp_path, raw):
    bad = raw.head(3).copy()
    bad.loc[1, "lat"] = "north"
    bad.loc[2, "sources"] = ""
    path = tmp_path / "incidents.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(curated.CuratedDataError) as err:
        curated.load_curated(path=path)
    message = str(err.value)
    assert "row 3 field lat" in message and "row 4 field sources" in message


def test_wrong_header_and_missing_file_are_clear_errors(tmp_path, raw):
    path = tmp_path / "incidents.csv"
    raw.head(2).drop(columns=["confidence"]).to_csv(path, index=False)
    with pytest.raises(curated.CuratedDataError, match="missing confidence"):
        curated.load_curated(path=path)
    with pytest.raises(curated.CuratedDataError, match="file not found"):
        curated.load_curated(path=tmp_path / "absent.csv")
