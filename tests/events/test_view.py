"""events.view: the shared link <-> View, and the one selection every part of the atlas uses."""
import datetime as dt

import pytest

from events import query, view
from events.curated import load_curated

LINKS = [
    # links as the app writes them (repeated parameters for lists; a date moved by a step as epoch µs)
    "types=Battles&types=Protests&ctl=false&mink=5&q=Hawija+%26+co&mode=as+of&trail=last+30+days&asof=2015-03-04"
    "&ds=curated",
    "asof=1428105600000000&heat=true&mode=as+of&raw=true",
    "mode=window&window=2003-01-01&window=2024-12-31&actors=ISIS&sel=cur-2014-001&lat=35.4&lon=44.1&z=9",
    "",
]


def test_links_written_by_the_app_open_the_view_they_describe():
    v = view.from_query(LINKS[0])
    assert v.mode == "as of" and v.asof == dt.date(2015, 3, 4) and v.trail_days == 30
    assert v.event_types == ("Battles", "Protests") and v.datasets == ("curated",)
    assert v.min_killed == 5 and v.text == "Hawija & co" and v.show_control is False and not v.notes
    assert v.start == v.end - dt.timedelta(days=29)
    assert view.from_query(LINKS[1]).asof == dt.date(2015, 4, 4) and view.from_query(LINKS[1]).raw
    assert not v.raw and view.from_query("raw=maybe").notes   # fused unless the link says raw=true
    whole = view.from_query("http://127.0.0.1:8501/?" + LINKS[2])
    assert whole.window == (dt.date(2003, 1, 1), dt.date(2024, 12, 31)) and whole.zoom == 9
    assert whole.actors == ("ISIS",) and whole.selected == "cur-2014-001"
    assert view.from_query(LINKS[3]) == view.View()


@pytest.mark.parametrize("link", LINKS)
def test_a_view_survives_the_round_trip_through_its_link(link):
    v = view.from_query(link)
    assert view.from_query(view.to_query(v)) == v


@pytest.mark.parametrize("link, name", [
    ("lat=abc", "lat"), ("z=1e9", "z"), ("lat=nan&lon=inf", "lat"), ("z=2.5", "z"), ("mink=-5", "mink"),
    ("window=zzz&window=2014-01-01", "window"), ("asof=9999-99-99", "asof"), ("mode=%3Cscript%3E", "mode"),
    ("heat=maybe", "heat"), ("trail=forever", "trail"), ("lang=xx", "lang"), ("window=2001-01-01&window=2005-01-01", "window"),
])
def test_a_bad_link_parameter_is_dropped_with_a_note(link, name):
    v = view.from_query(link)
    assert any(n.startswith(f"link parameter {name} ") for n in v.notes), v.notes
    assert v == view.View()  # nothing else changed


def test_select_is_the_window_and_every_filter_and_timeline_drops_only_the_window():
    frame = load_curated()
    v = view.with_changes(view.View(), window=(dt.date(2014, 1, 1), dt.date(2017, 12, 31)),
                          event_types=["Battles"], min_killed=1)
    picked = view.select(frame, v)
    expected = query.mask(frame, start="2014-01-01", end="2017-12-31", event_types=["Battles"], min_killed=1)
    assert list(picked["incident_id"]) == list(frame[expected.to_numpy()]["incident_id"]) and len(picked)
    everywhen = view.timeline(frame, v)
    assert set(picked["incident_id"]) < set(everywhen["incident_id"])
    assert (everywhen["event_type"] == "Battles").all()


def test_actor_names_match_exactly_never_as_substrings():
    frame = load_curated()
    names = sorted(set(frame["actor1"].dropna()) | set(frame["actor2"].dropna()))
    part = next(n for n in names if any(n != other and n in other for other in names))
    v = view.with_changes(view.View(), window=(view.FIRST, view.LAST), actors=[part])
    picked = view.select(frame, v)
    assert len(picked) and ((picked["actor1"] == part) | (picked["actor2"] == part)).all()


def test_a_district_or_controller_filter_needs_the_geo_joins():
    v = view.with_changes(view.View(), controllers=["ISIS"])
    assert v.needs_geo()
    with pytest.raises(ValueError, match="joined with the boundaries"):
        view.select(load_curated().drop(columns=["controller"], errors="ignore"), v)


def test_a_view_holding_every_incident_shares_the_rows_and_never_alters_them():
    frame = load_curated()
    every = view.within(frame, start=None, end=None, filters={})
    assert len(every) == len(frame) and every is not frame
    every.loc[every.index[0], "place"] = "changed"
    assert frame["place"].iloc[0] != "changed"
