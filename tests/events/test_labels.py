"""How incidents read: dates as precisely as they are known, tolls as reported ranges."""
import pandas as pd
import pytest

from events import labels, model, query

T = pd.Timestamp


@pytest.mark.parametrize("start, end, precision, text", [
    ("2021-09-05", "2021-09-05", "day", "5 Sep 2021"),
    ("2004-04-01", "2004-04-30", "month", "April 2004"),
    ("2018-01-01", "2018-12-31", "year", "2018"),
    ("2014-01-01", "2015-12-31", "year", "2014–2015"),
    ("2017-07-13", "2017-07-20", "week", "13 Jul 2017 – 20 Jul 2017 (week)"),
    ("2016-12-01", "2017-01-31", "month", "1 Dec 2016 – 31 Jan 2017 (month)"),
])
def test_date_label_says_only_what_is_known(start, end, precision, text):
    assert labels.date_label(T(start), T(end), precision) == text


@pytest.mark.parametrize("low, best, high, text", [
    (pd.NA, pd.NA, pd.NA, "unknown"),
    (None, 4, float("nan"), "unknown"),
    (7, 7, 7, "7"),
    (pd.NA, pd.NA, 0, "0"),
    (3, 5, 7, "3–7 (best 5)"),
    (3, pd.NA, 7, "3–7"),
    (6, pd.NA, pd.NA, "at least 6"),  # 'at least 6 killed' is a floor, not an unknown toll
])
def test_killed_text_keeps_unknown_apart_from_zero(low, best, high, text):
    assert labels.killed_text(low, best, high) == text


def test_every_event_type_and_precision_has_its_label():
    assert list(labels.EVENT_COLOURS) == list(model.EVENT_TYPES)
    assert all(len(c) == 7 and c.startswith("#") for c in [*labels.EVENT_COLOURS.values(), labels.OTHER_COLOUR])
    assert set(labels.PRECISION_LABELS) == set(model.GEO_PRECISIONS)


@pytest.mark.parametrize("start, end, precision, text", [
    ("2021-09-05", "2021-09-05", "day", "5 أيلول 2021"),
    ("2014-06-01", "2014-06-30", "month", "حزيران 2014"),
    ("2018-01-01", "2018-12-31", "year", "2018"),
    ("2014-01-01", "2015-12-31", "year", "\u20682014–2015\u2069"),
    ("2017-07-13", "2017-07-20", "week", "\u206813 تموز 2017 – 20 تموز 2017\u2069 (بدقة أسبوع)"),
])
def test_date_label_in_arabic_uses_the_months_read_in_iraq_and_isolates_ranges(start, end, precision, text):
    assert labels.date_label(T(start), T(end), precision, lang="ar") == text


def test_killed_text_in_arabic_isolates_the_figures():
    assert labels.killed_text(10, 12, 14, lang="ar") == "\u206810–14\u2069 (الأرجح 12)"
    assert labels.killed_text(pd.NA, pd.NA, pd.NA, lang="ar") == "غير معروف"
    assert labels.killed_text(7, 7, 7, lang="ar") == "\u20687\u2069"
    assert labels.killed_text(3, 5, 7, lang="en") == "3–7 (best 5)"


def test_filters_text_in_arabic_names_types_in_arabic_and_isolates_names_and_dates():
    filters = {"event_types": ["Battles", "Riots"], "admin2": ["Hawija"], "min_killed": 5,
               "text": "<b>x</b>", "controllers": ["ISIS"]}
    english = labels.filters_text(filters, start=T("2014-06-10"), end=T("2017-10-05"))
    assert english == ("event types Battles, Riots · district Hawija · held by ISIS · at least 5 killed · "
                       "search “<b>x</b>” · 2014-06-10 – 2017-10-05")
    arabic = labels.filters_text(filters, start=T("2014-06-10"), end=T("2017-10-05"), lang="ar")
    assert arabic == ("أنواع الحوادث \u2068معارك\u2069، \u2068أعمال شغب\u2069 · القضاء \u2068Hawija\u2069 · "
                      "تحت سيطرة \u2068داعش\u2069 · 5 قتلى على الأقل · بحث «\u2068<b>x</b>\u2069» · "
                      "\u20682014-06-10 – 2017-10-05\u2069")
    assert labels.filters_text({}, lang="ar") == "أنواع الحوادث: الكل"


def test_every_event_type_and_sub_type_is_marked_and_translated_in_arabic():
    assert set(labels.SUB_EVENT_TYPE_NAMES) == set(model.SUB_EVENT_TYPES)
    for name in [*model.EVENT_TYPES, *model.SUB_EVENT_TYPES]:
        arabic = labels.type_name(name, lang="ar")
        assert arabic != name and any("\u0600" <= ch <= "\u06ff" for ch in arabic), name
        assert labels.type_name(name) == name
    assert labels.type_name("{{ 7*7 }}", lang="ar") == "{{ 7*7 }}"   # an unknown type is shown as it is
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in v) for v in labels.precision_labels(lang="ar").values())


def test_a_toll_range_with_a_floor_only_says_or_more():
    frame = pd.DataFrame({"killed_low": [10, 6, pd.NA], "killed_high": [14, pd.NA, pd.NA],
                          "wounded_low": [pd.NA] * 3, "wounded_high": [pd.NA] * 3}, dtype="Int64")
    totals = query.totals(frame)
    assert (totals["killed_low"], totals["killed_high"], totals["killed_open"], totals["killed_unknown"]) == (16, 20, 1, 1)
    assert labels.toll_range(totals) == "16–20 or more"
    assert labels.toll_range(query.totals(frame.iloc[:1])) == "10–14"
    assert labels.toll_range(totals, lang="ar") == "\u206816–20\u2069 أو أكثر"
