"""The shipped curated incident set: every row valid, sourced, dated and placed honestly; the seeds' incidents in it."""
import json
import re

import pandas as pd
import pytest

from events import curated, model

STUDY_AREA = (34.3, 43.0, 36.6, 45.3)  # south, west, north, east
ID_PATTERN = re.compile(r"^cur-(\d{4})-(\d{3})$")
# The 2021 news page the project started from, cited by its headline (its site name was not preserved).
NEWS_PAGE = "هجمات كركوك تستدعي مطالب بالتنسيق"
# Years with fewer than three dated incidents, each explained in docs/curated.md.
THIN_YEARS = {2008, 2010, 2023}
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
    assert len(data) >= 190


def test_ids_unique_stable_pattern_and_provenance(data):
    assert data["incident_id"].is_unique
    for row in data.itertuples():
        m = ID_PATTERN.match(row.incident_id)
        assert m, row.incident_id
        assert int(m.group(1)) == row.date_start.year, f"{row.incident_id}: id year differs from date_start"
        assert row.source_dataset == "curated"
        assert isinstance(row.source_id, str) and row.source_id


def test_every_row_cites_a_named_publication_with_a_web_address(data):
    for row in data.itertuples():
        cites = model.parse_sources(row.sources)
        assert cites, f"{row.incident_id}: no citation"
        assert all(c.get("title") and c.get("publisher") for c in cites), row.incident_id
        assert any(c.get("url", "").startswith(("http://", "https://")) for c in cites), \
            f"{row.incident_id}: needs a citation with the web address that was read"


def test_shipped_rows_break_none_of_the_sourcing_rules(data):
    assert curated.find_problems(data) == []


def _rule_rows():
    """Two clean rows of different events, for breaking one rule at a time."""
    frame = curated.load_curated().head(2).copy()
    frame["incident_id"] = ["cur-2013-901", "cur-2013-902"]
    frame["date_start"] = frame["date_end"] = pd.Timestamp("2013-05-01")
    frame["date_precision"] = "day"
    frame["event_type"], frame["sub_event_type"] = "Battles", pd.NA
    frame["lat"], frame["lon"] = [35.0, 35.5], [44.0, 44.5]
    frame["killed_low"] = frame["killed_best"] = frame["killed_high"] = pd.NA
    good = json.dumps([{"title": "T", "publisher": "Rudaw", "url": "https://rudaw.net/x"}])
    frame["sources"] = good
    frame["notes"] = ""
    return frame


@pytest.mark.parametrize("changes, expected", [
    ({(0, "sources"): json.dumps([{"title": "a", "publisher": "project seed document",
                                   "url": "seeds/000_647dfaac712337a5.txt"}])}, "internal or seed source"),
    ({(0, "sources"): json.dumps([{"title": "a", "publisher": "project reference set (shared/reference/x.csv)"},
                                  {"title": "b", "publisher": "Rudaw", "url": "https://rudaw.net/y"}])},
     "internal or seed source"),
    ({(0, "sources"): json.dumps([{"title": "a", "publisher": "ec2-52-56-113-53.eu-west-2.compute.amazonaws.com",
                                   "url": "https://ec2-52-56-113-53.eu-west-2.compute.amazonaws.com/p/"}])},
     "machine host name"),
    ({(0, "sources"): json.dumps([{"title": "a", "publisher": "db0nus869y26v.cloudfront.net",
                                   "url": "http://db0nus869y26v.cloudfront.net/en/x"}])}, "machine host name"),
    ({(0, "sources"): json.dumps([{"title": "a", "publisher": "203.0.113.9", "url": "http://203.0.113.9/x"}])},
     "machine host name"),
    ({(0, "sources"): json.dumps([{"title": "a", "publisher": "Rudaw"}])}, "no citation with a web address"),
    ({(0, "date_start"): pd.Timestamp("2002-12-31")}, "outside 2003-2024"),
    ({(0, "date_end"): pd.Timestamp("2025-01-02")}, "outside 2003-2024"),
    ({(0, "killed_low"): 5, (0, "killed_best"): 9, (0, "killed_high"): 7}, "within killed_low..killed_high"),
    ({(0, "geo_precision"): pd.NA}, "geo_precision not set"),
    ({(0, "confidence"): ""}, "confidence not set"),
    ({(1, "lat"): 35.01, (1, "lon"): 44.01, (1, "date_start"): pd.Timestamp("2013-05-02"),
      (1, "date_end"): pd.Timestamp("2013-05-02")}, "same event as"),
])
def test_find_problems_catches_each_broken_rule(changes, expected):
    assert curated.find_problems(_rule_rows()) == []
    frame = _rule_rows()
    for (i, col), value in changes.items():
        frame.loc[i, col] = value
    problems = curated.find_problems(frame)
    assert any(expected in p for p in problems), problems


def test_two_rows_near_in_time_and_place_pass_when_a_note_says_why_they_differ():
    frame = _rule_rows()
    frame.loc[1, ["lat", "lon"]] = [35.01, 44.01]
    assert any("same event as" in p for p in curated.find_problems(frame))
    frame.loc[1, "notes"] = "Distinct from cur-2013-901: a second attack two hours later."
    assert curated.find_problems(frame) == []


def test_the_wrong_rows_of_the_fact_check_are_fixed(data):
    by_id = data.set_index("incident_id")
    row = by_id.loc["cur-2013-006"]   # Sulaiman Bek taken Wed 24 Apr 2013, at least 15 killed
    assert row.date_start == row.date_end == pd.Timestamp("2013-04-24") and row.killed_low == 15
    assert pd.isna(row.killed_high)
    assert by_id.loc["cur-2017-001"].date_start == pd.Timestamp("2017-07-18")   # Chirakh, Rudaw same day
    row = by_id.loc["cur-2018-001"]   # AFP: 27 PMF killed Sun 18 Feb 2018
    assert row.date_start == row.date_end == pd.Timestamp("2018-02-18") and row.killed_best == 27
    assert by_id.loc["cur-2018-002"].date_start == pd.Timestamp("2018-02-25")
    assert "cur-2021-004" not in by_id.index and "cur-2021-004" in by_id.loc["cur-2021-012"].notes


def test_the_rules_applied_to_the_fact_checks_examples(data):
    by_id = data.set_index("incident_id")
    assert by_id.loc["cur-2017-011"].killed_best == 32          # later official count, not the first 20
    assert by_id.loc["cur-2013-001"].killed_best == 28 and by_id.loc["cur-2013-001"].wounded == 176
    assert by_id.loc["cur-2015-001"].killed_high != 25           # 'at least 25' is no upper bound
    assert (by_id.loc["cur-2005-004"].date_start, by_id.loc["cur-2005-004"].date_end) == (
        pd.Timestamp("2005-03-17"), pd.Timestamp("2005-03-19"))
    assert (by_id.loc["cur-2014-002"].date_start, by_id.loc["cur-2014-002"].date_end) == (
        pd.Timestamp("2014-06-11"), pd.Timestamp("2014-06-12"))
    assert by_id.loc["cur-2022-003"].date_precision == "day"
    assert by_id.loc["cur-2022-003"].date_start == pd.Timestamp("2022-04-07")
    for rid in ("cur-2017-009", "cur-2005-002", "cur-2021-009"):   # the Altun Kupri town point, not the ADM3 centroid
        row = by_id.loc[rid]
        assert curated._km(row.lat, row.lon, 35.75333, 44.14361) < 0.5, rid


def test_points_labelled_near_a_place_are_not_sub_district_centroids(data):
    centroids = {(35.7037, 44.2987): "Altun Kupri", (35.0443, 44.0597): "Rashad", (35.6816, 43.9375): "Sarkaran"}
    for row in data.itertuples():
        if row.geo_precision <= 2:
            assert (round(row.lat, 4), round(row.lon, 4)) not in centroids, row.incident_id


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


def test_2004_is_told_by_dated_incidents_not_by_the_articles_generalities(data):
    """Issue 13: the uncited 'Battle of Kirkuk (2004)' article stays context (docs/curated.md), not rows."""
    y2004 = data[data["date_start"].dt.year == 2004]
    assert len(y2004) >= 5
    assert y2004["date_precision"].isin(["day", "week"]).all(), "every 2004 row is a dated incident"
    assert not data["incident_id"].isin([f"cur-2004-00{n}" for n in range(1, 9)]).any()
    assert "oil infrastructure" in set(y2004["target"].dropna())
    assert not data["sources"].str.contains("000_647dfaac712337a5", regex=False).any()
    doc = curated.DOC_PATH.read_text(encoding="utf-8")
    assert "Battle of Kirkuk (2004)" in doc and "marefa.org" in doc and "6,000" in doc


def test_every_year_has_incidents_and_thin_years_are_explained(data):
    counts = data["date_start"].dt.year.value_counts()
    thin = {y for y in range(curated.FIRST_YEAR, curated.LAST_YEAR + 1) if counts.get(y, 0) < 3}
    assert thin <= THIN_YEARS, thin
    doc = curated.DOC_PATH.read_text(encoding="utf-8")
    for year in thin:
        assert f"**{year}**" in doc, f"docs/curated.md must say why {year} has fewer than three incidents"


def test_counts_in_the_docs_are_the_ones_the_data_gives(data):
    doc = curated.DOC_PATH.read_text(encoding="utf-8")
    assert curated.render_counts(data) in doc, "run `python -m events.curated --counts`"
    counts = curated.tabulate_counts(data)
    assert counts["year"].sum() == len(data) and counts["confidence"].sum() == len(data)
    assert set(counts) == {"year", "district (admin2)", "date precision", "geo precision", "confidence"}


def test_write_counts_rewrites_only_the_block(tmp_path):
    doc = tmp_path / "curated.md"
    doc.write_text(f"intro\n{curated.COUNTS_START}\nstale\n{curated.COUNTS_END}\nrest\n", encoding="utf-8")
    block = curated.write_counts(doc=doc)
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("\nrest\n") and "stale" not in text and block in text
    (tmp_path / "no_block.md").write_text("nothing", encoding="utf-8")
    with pytest.raises(curated.CuratedDataError, match="no counts block"):
        curated.write_counts(doc=tmp_path / "no_block.md")


def test_seed_rashad_clash_and_twelve_federal_police_are_one_event(data):
    day = data[(data["date_start"] == "2021-09-05") & (data["admin3"] == "Rashad")]
    assert len(day) == 1, "the Rashad clash and the 12-Federal-Police attack must not be double-counted"
    row = day.iloc[0]
    assert NEWS_PAGE in row["sources"] and "jpost.com" in row["sources"]
    assert "federal police" in row["target"]
    assert row["killed_low"] <= 12 <= row["killed_high"]


def test_seed_lakja_checkpoint_attack(data):
    lakja = data[data["place"].str.contains("Lakja", regex=False)]
    assert len(lakja) == 1
    row = lakja.iloc[0]
    assert NEWS_PAGE in row["sources"]
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
