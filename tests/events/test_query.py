import pandas as pd

from events import query
from tests.events.factory import rows


def _frame():
    return rows([
        {"date_start": "2004-04-01", "date_end": "2004-04-30", "date_precision": "month", "place": "Hawija",
         "place_ar": "الحويجة", "admin2": "Hawija", "actor1": "Ansar al-Sunna", "event_type": "Battles"},
        {"date_start": "2014-06-12", "place": "Kirkuk", "actor1": "Peshmerga", "killed_best": 3,
         "event_type": "Strategic developments", "sub_event_type": "Non-violent transfer of territory"},
        {"date_start": "2021-09-05", "place": "Rashad", "place_ar": "الرشاد", "actor1": "Islamic State",
         "actor2": "Federal Police", "killed_low": 12, "killed_high": 14, "notes": "عبوات ناسفة على الطريق",
         "event_type": "Explosions/Remote violence", "sub_event_type": "Remote explosive/landmine/IED"},
    ])


def test_month_precision_event_overlaps_any_window_touching_the_month():
    df = _frame()
    assert query.select(df, start="2004-04-20", end="2004-05-10")["place"].tolist() == ["Hawija"]
    assert query.select(df, start="2004-03-01", end="2004-04-01")["place"].tolist() == ["Hawija"]
    assert query.select(df, start="2004-05-01", end="2004-12-31").empty


def test_filters_combine():
    df = _frame()
    assert query.select(df, event_types=["Battles", "Strategic developments"], start="2010-01-01")["place"].tolist() == ["Kirkuk"]
    assert query.select(df, actors="federal police")["place"].tolist() == ["Rashad"]
    assert query.select(df, places=["الرشاد"])["place"].tolist() == ["Rashad"]
    assert query.select(df, places="hawija")["place"].tolist() == ["Hawija"]


def test_min_killed_uses_highest_report_and_unknown_never_passes():
    df = _frame()
    assert query.select(df, min_killed=13)["place"].tolist() == ["Rashad"]
    assert query.select(df, min_killed=1)["place"].tolist() == ["Kirkuk", "Rashad"]


def test_free_text_folds_arabic_spelling_and_case():
    df = _frame()
    assert query.select(df, text="عبوات ناسفه")["place"].tolist() == ["Rashad"]  # ة written as ه
    assert query.select(df, text="الحويجة")["place"].tolist() == ["Hawija"]
    assert query.select(df, text="PESHMERGA")["place"].tolist() == ["Kirkuk"]
    search = query.search_text(df)
    assert query.select(df, text="ansar", search=search)["place"].tolist() == ["Hawija"]


def test_monthly_counts_and_totals():
    df = _frame()
    counts = query.monthly_counts(df)
    assert counts.loc[pd.Timestamp("2021-09-01"), "Explosions/Remote violence"] == 1
    assert int(counts.to_numpy().sum()) == 3
    t = query.totals(df)
    assert (t["incidents"], t["killed_low"], t["killed_high"], t["killed_unknown"]) == (3, 15, 17, 1)
    assert query.totals(df.iloc[:0])["incidents"] == 0


def test_an_at_least_toll_passes_the_minimum_its_floor_passes():
    df = rows([{"date_start": "2015-01-01", "place": "Daquq", "killed_low": 20, "event_type": "Battles"},
               {"date_start": "2015-01-02", "place": "Dibis", "killed_low": 2, "event_type": "Battles"}])
    assert df["killed_high"].isna().all()
    assert query.select(df, min_killed=10)["place"].tolist() == ["Daquq"]
    t = query.totals(df)
    assert (t["killed_low"], t["killed_high"], t["killed_open"], t["killed_unknown"]) == (22, 22, 2, 0)


def test_the_search_index_is_the_same_whatever_its_chunks_and_keeps_the_frame_index():
    df = _frame().set_axis([10, 20, 30])
    df.loc[20, "notes"] = None
    whole = query.search_text(df)
    assert whole.index.tolist() == [10, 20, 30]
    for chunk in (1, 2, 5):
        assert query.search_text(df, chunk=chunk).tolist() == whole.tolist()
    assert whole[30] == query.fold(" | ".join("" if pd.isna(df.loc[30, c]) else str(df.loc[30, c])
                                              for c in query.SEARCH_COLUMNS))
    assert query.select(df, text="ناسفه", search=query.search_text(df, chunk=1))["place"].tolist() == ["Rashad"]
