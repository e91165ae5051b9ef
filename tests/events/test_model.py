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
        "confidence": "certain", "sources": "[]"}])
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


def test_attribution_only_for_datasets_present():
    assert model.attribution(["curated"]) == []
    lines = model.attribution(["acled", "curated", "gtd"])
    assert len(lines) == 2 and "ACLED" in lines[0] and "Global Terrorism Database" in lines[1]
