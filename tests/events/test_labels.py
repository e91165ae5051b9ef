"""How incidents read: dates as precisely as they are known, tolls as reported ranges."""
import pandas as pd
import pytest

from events import labels, model

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
])
def test_killed_text_keeps_unknown_apart_from_zero(low, best, high, text):
    assert labels.killed_text(low, best, high) == text


def test_every_event_type_and_precision_has_its_label():
    assert list(labels.EVENT_COLOURS) == list(model.EVENT_TYPES)
    assert all(len(c) == 7 and c.startswith("#") for c in [*labels.EVENT_COLOURS.values(), labels.OTHER_COLOUR])
    assert set(labels.PRECISION_LABELS) == set(model.GEO_PRECISIONS)
