import pandas as pd

from events import model
from tests.events.factory import rows


def test_single_toll_fills_range_and_unknown_stays_empty():
    df = rows([{"date_start": "2014-06-12", "killed_best": 7},
               {"date_start": "2014-06-12"},
               {"date_start": "2014-06-12", "killed_low": 12, "killed_high": 14}])
    assert (df.loc[0, ["killed_low", "killed_best", "killed_high"]] == 7).all()
    assert df.loc[1, ["killed_low", "killed_best", "killed_high"]].isna().all()
    assert pd.isna(df.loc[2, "killed_best"]) and df.loc[2, "killed_high"] == 14
    assert df.loc[0, "date_end"] == df.loc[0, "date_start"]


def test_taxonomy_has_six_types_and_25_subtypes():
    assert len(model.EVENT_TYPES) == 6
    assert len(model.SUB_EVENT_TYPES) == 25


def test_validate_names_row_field_value_and_reason():
    raw = pd.DataFrame([{
        "incident_id": "x:1", "source_dataset": "x", "source_id": "1", "date_start": "2014-02-30",
        "date_precision": "sometime", "lat": 44.39, "lon": 35.47, "geo_precision": 9,
        "event_type": "Battles", "sub_event_type": "Suicide bomb", "killed_low": 5, "killed_high": 2,
        "confidence": "certain", "sources": "[]", model.COUNTRY_HINT: "Iraq"}])
    accepted, rejects = model.validate(raw, file="bad.csv", rows=pd.Series([7]))
    assert accepted.empty
    assert set(rejects["file"]) == {"bad.csv"} and set(rejects["row"]) == {7}
    by_field = dict(zip(rejects["field"], rejects["reason"]))
    assert "not a date" in by_field["date_start"]
    assert "swapped" in by_field["lat"]
    assert by_field["date_precision"].startswith("must be one of")
    assert "sub-type" in by_field["sub_event_type"]
    assert "low above" in by_field["killed_low"]
    assert set(by_field) >= {"geo_precision", "confidence", "sources"}
    assert rejects.loc[rejects["field"] == "date_start", "value"].item() == "2014-02-30"


def test_validate_rejects_implausible_counts_and_far_dates_without_crashing():
    base = {"source_dataset": "x", "date_precision": "day", "lat": 35.4681, "lon": 44.3922, "geo_precision": 1,
            "event_type": "Battles", "confidence": "medium",
            "sources": model.dumps([model.citation(publisher="Test fixture")])}
    raw = pd.DataFrame([{**base, "incident_id": "x:1", "source_id": "1", "date_start": "2016-01-02",
                         "killed_best": "1e18"},
                        {**base, "incident_id": "x:2", "source_id": "2", "date_start": "9999-12-31"},
                        {**base, "incident_id": "x:3", "source_id": "3", "date_start": "0001-01-01",
                         "wounded": "inf"},
                        {**base, "incident_id": "x:4", "source_id": "4", "date_start": "2016-01-02",
                         "killed_best": str(model.MAX_COUNT)}])
    accepted, rejects = model.validate(raw, file="t.csv")
    assert accepted.incident_id.tolist() == ["x:4"]
    got = {(r.row, r.field): (r.value, r.reason) for r in rejects.itertuples()}
    assert got[(1, "killed_best")] == ("1e18", "more than 100,000: not a plausible toll for one incident")
    assert (1, "killed_low") not in got  # filled from best: one reason, not three
    assert got[(2, "date_end")][1] == "in the future"
    assert got[(3, "date_start")][1] == "before 1900" and got[(3, "wounded")][1].startswith("more than 100,000")
