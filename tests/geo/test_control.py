import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import control
from tests.events.factory import rows

HAWIJA = (35.3249, 43.7686)
KIRKUK = (35.4681, 44.3922)


def _incidents(points_dates):
    return rows([{"source_id": str(i), "lat": lat, "lon": lon, "date_start": d}
                 for i, ((lat, lon), d) in enumerate(points_dates)])


def _controller(point, day):
    return control.controller_of(_incidents([(point, day)])).iloc[0]


@pytest.fixture(scope="module")
def layers():
    return control.default_layers()


def test_every_default_feature_has_sources_confidence_and_is_approximate(layers):
    assert len(layers) >= 25
    assert layers["confidence"].isin(control.CONFIDENCE).all()
    assert layers["approximate"].all()
    for text in layers["sources"]:
        cites = json.loads(text)
        assert cites and all(c.get("url") for c in cites)
    assert layers.geometry.is_valid.all() and (~layers.geometry.is_empty).all()


def test_the_done_when_dates(layers):
    assert _controller(HAWIJA, "2015-06-01")["controller"] == "ISIS"
    assert _controller(KIRKUK, "2015-06-01")["controller"] == "Kurdistan Regional Government / Peshmerga"
    assert _controller(HAWIJA, "2018-06-01")["controller"] == "Iraqi federal government"
    assert _controller(KIRKUK, "2018-06-01")["controller"] == "Iraqi federal government"


def test_kirkuk_passes_to_federal_control_on_16_october_2017(layers):
    assert _controller(KIRKUK, "2017-10-15")["controller"].startswith("Kurdistan Regional Government")
    assert _controller(KIRKUK, "2017-10-16")["controller"] == "Iraqi federal government"


def test_hawija_pocket_appears_in_june_2014_and_is_gone_after_october_2017(layers):
    def isis_areas(day):
        now = control.control_at(day, layers=layers)
        return set(now.loc[now["controller"] == "ISIS", "area_id"])
    pocket = {"hawija-centre", "zab", "riyadh", "abbasi", "rashad"}
    assert not isis_areas("2014-06-09") & pocket          # AFP, KUNA, AA: overrun on Tue 10 Jun 2014, not "June"
    assert isis_areas("2014-06-10") >= pocket
    assert isis_areas("2014-06-15") >= pocket
    assert isis_areas("2016-01-01") >= pocket
    assert not isis_areas("2017-10-11") & pocket


def test_smallest_area_wins_where_periods_overlap(layers):
    from geo.gazetteer import geocode
    hit = geocode("Bashir")
    got = _controller((hit.lat, hit.lon), "2015-03-01")
    assert got["controller"] == "ISIS" and got["area_id"] == "bashir"


def test_none_recorded_outside_every_area(layers):
    assert _controller((33.3, 44.4), "2015-06-01")["controller"] == control.NONE_RECORDED  # Baghdad
    assert _controller(KIRKUK, "2003-01-01")["controller"] == control.NONE_RECORDED  # before the 2003 baseline


def test_control_at_marks_uncertain_dates(layers):
    june = control.control_at("2014-06-20", layers=layers).set_index("area_id")
    assert not june.loc["hawija-centre", "uncertain"]  # the day is known: 10 Jun 2014
    assert june.loc["dibis-centre", "uncertain"]       # Kurdish forces took Dibis some day in June 2014
    assert control.control_at("2017-10-01", layers=layers).set_index("area_id").loc["zab", "uncertain"]  # 29 Sep-10 Oct
    assert not control.control_at("2016-01-01", layers=layers).set_index("area_id").loc["hawija-centre", "uncertain"]


def test_changes_mark_the_key_dates_with_descriptions(layers):
    changes = control.control_changes(layers=layers).set_index("date")
    for day in ("2003-04-10", "2011-12-18", "2013-04-24", "2014-06-10", "2014-06-11", "2014-06-12", "2014-08-31",
                "2017-10-05", "2017-10-16", "2017-10-20"):
        assert pd.Timestamp(day) in changes.index, day
    assert "Kirkuk" in changes.loc[pd.Timestamp("2017-10-16"), "description"]
    assert changes["description"].str.len().gt(10).all()


def _feature(**props):
    base = {"area_id": "a", "controller": "ISIS", "control_type": "control", "valid_from": "2014-06-10",
            "valid_to": "2015-01-01", "confidence": "low",
            "sources": [{"title": "Somebody's report", "url": "https://example.org/r"}], "approximate": True}
    return {"type": "Feature", "properties": {**base, **props},
            "geometry": shapely.geometry.mapping(shapely.box(43.7, 35.2, 43.9, 35.4))}


def _write(tmp_path, features, name="mine.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_user_file_round_trip_and_join(tmp_path):
    path = _write(tmp_path, [_feature(), _feature(controller="Iraqi federal government", valid_from="2015-01-01",
                                                  valid_to="")])
    mine = control.read_control(path)
    assert len(mine) == 2 and pd.isna(mine.loc[1, "valid_to"])
    assert _incidents([(HAWIJA, "2014-07-01")]).pipe(control.controller_of, layers=mine).iloc[0]["controller"] == "ISIS"
    again = control.read_control(_write(tmp_path, json.loads(control.to_geojson(mine))["features"], "again.geojson"))
    assert again[["area_id", "controller", "valid_from"]].equals(mine[["area_id", "controller", "valid_from"]])


def test_user_file_added_to_defaults(tmp_path, layers):
    mine = control.read_control(_write(tmp_path, [_feature(area_id="my-area")]))
    merged = control.combine(layers, mine)
    assert len(merged) == len(layers) + 1


@pytest.mark.parametrize("props, field, reason", [
    ({"valid_from": "2014-13-01"}, "valid_from", "not a date"),
    ({"control_type": "ruled"}, "control_type", "is not one of"),
    ({"confidence": "certain"}, "confidence", "high, medium, low"),
    ({"sources": []}, "sources", "at least one citation"),
    ({"valid_to": "2014-01-01"}, "valid_to", "after valid_from"),
    ({"controller": ""}, "controller", "missing"),
])
def test_malformed_features_are_named(tmp_path, props, field, reason):
    path = _write(tmp_path, [_feature(), _feature(area_id="b", **props)])
    with pytest.raises(control.ControlError) as err:
        control.read_control(path)
    assert "feature 2 (area_id='b')" in str(err.value) and field in str(err.value) and reason in str(err.value)
    assert str(err.value).startswith(f"{path.name}: ") and str(path.parent) not in str(err.value)


def test_overlapping_periods_of_one_area_are_an_error(tmp_path):
    path = _write(tmp_path, [_feature(), _feature(controller="PMF", valid_from="2014-12-01", valid_to="")])
    with pytest.raises(control.ControlError, match="overlaps the period of feature 1"):
        control.read_control(path)


def test_not_geojson_and_points_are_refused(tmp_path):
    junk = tmp_path / "junk.geojson"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(control.ControlError, match="not readable JSON"):
        control.read_control(junk)
    point = _feature()
    point["geometry"] = {"type": "Point", "coordinates": [43.8, 35.3]}
    with pytest.raises(control.ControlError, match="Point is not a Polygon"):
        control.read_control(_write(tmp_path, [point]))


def test_default_layers_follow_the_boundaries_passed_and_nobody_elses(shared, layers):
    from geo import boundaries
    real = shared / "real"
    official = boundaries.read_boundaries(*[real / f"irq_admbnda_adm{i}_cso_20190603.geojson" for i in (1, 2, 3)])
    mine = control.default_layers(boundaries=official)
    pocket = mine[mine["area_id"] == "hawija-centre"].geometry.iloc[0]
    assert not pocket.equals(layers[layers["area_id"] == "hawija-centre"].geometry.iloc[0])
    hawija = boundaries.assign_admin(_incidents([(HAWIJA, "2015-06-01")]), boundaries=official)
    assert control.controller_of(hawija, boundaries=official).iloc[0]["controller"] == "ISIS"
    # another session, holding no boundaries of its own, still gets the built-in layer
    assert control.default_layers().geometry.geom_equals(layers.geometry).all()
    assert _controller(KIRKUK, "2018-06-01")["controller"] == "Iraqi federal government"


def test_a_boundary_file_of_one_level_still_gives_the_default_layer(shared, layers):
    """Issue 10: COD-AB's adm2 file alone made the default layer unbuildable and broke every page."""
    from geo import boundaries
    adm2 = boundaries.read_boundaries(shared / "real" / "irq_admbnda_adm2_cso_20190603.geojson")
    for given in (adm2, boundaries.complete_levels(adm2)):
        mine = control.build_default(boundaries=given)
        assert set(mine["area_id"]) == set(layers["area_id"])
        borrowed = mine[mine["notes"].str.contains("built-in approximate adm3:Zab")]
        assert set(borrowed["area_id"]) == ({"zab"} if given is adm2 else set())
        got = control.controller_of(boundaries.assign_admin(_incidents([(HAWIJA, "2015-06-01")]), boundaries=given),
                                    boundaries=given)
        assert got.iloc[0]["controller"] == "ISIS"


def test_a_missing_gazetteer_place_names_the_spec_file_not_its_folder(tmp_path):
    spec = tmp_path / "periods.json"
    spec.write_text(json.dumps({"areas": {"x": {"around": ["Nowhere-at-all-xyz"], "km": 5}}, "periods": []}),
                    encoding="utf-8")
    with pytest.raises(control.ControlError) as err:
        control.build_default(spec=spec)
    assert str(err.value).startswith("periods.json: ") and str(tmp_path) not in str(err.value)


# --- incidents known only to their district or governorate (issue 10) ------------------------------------

def _located(points_dates_precisions):
    from geo import boundaries
    frame = rows([{"source_id": str(i), "lat": lat, "lon": lon, "date_start": d, "geo_precision": p}
                  for i, ((lat, lon), d, p) in enumerate(points_dates_precisions)])
    return boundaries.assign_admin(frame)


def test_area_level_incidents_take_the_controllers_over_their_area_not_their_point(layers):
    rashad = (35.0443, 44.0597)
    got = control.controller_of(_located([
        (rashad, "2006-06-01", 1),      # the point: inside the insurgents' rural area
        (rashad, "2006-06-01", 4),      # the governorate: insurgents in part, the 2003-2011 baseline over all
        (HAWIJA, "2015-06-01", 3),      # Hawija district in 2015: ISIS held all of it
        (KIRKUK, "2015-06-01", 4),      # the governorate in 2015: ISIS and the KRG
        (HAWIJA, "2003-02-01", 3),      # before any recorded period
    ]), layers=layers)
    assert got["controller"].iloc[0].startswith("Insurgent groups") and got["control_type"].iloc[0] != "area-level"
    assert got["controller"].iloc[1] == ("several: Insurgent groups (JRTN, Islamic Army, Ansar al-Sunna); "
                                         "Iraqi government and US-led coalition")   # the 2003-2011 baseline
    assert got["controller"].iloc[2] == "ISIS" and got["control_type"].iloc[2] == control.AREA_LEVEL
    assert set(got["area_id"].iloc[2].split("; ")) >= {"hawija-centre", "zab", "riyadh", "abbasi"}
    assert got["controller"].iloc[3].startswith("several: ") and {"ISIS", "Kurdistan Regional Government / Peshmerga"} \
        <= set(got["controller"].iloc[3].removeprefix("several: ").split("; "))
    assert got["controller"].iloc[4] == control.UNKNOWN_AT_PRECISION
    assert (got["control_type"].iloc[1:] == control.AREA_LEVEL).all()


def test_an_area_level_row_without_its_area_is_unknown_at_this_precision(layers):
    frame = _located([(KIRKUK, "2015-06-01", 3)])
    frame["admin2"] = "Nowhere"
    assert control.controller_of(frame, layers=layers)["controller"].iloc[0] == control.UNKNOWN_AT_PRECISION


def test_area_level_join_agrees_with_a_row_by_row_check(layers):
    """The grouped, vectorised join against a plain loop over rows, periods and polygons."""
    from geo import boundaries
    rng = np.random.default_rng(3)
    n = 300
    lat, lon = rng.uniform(34.9, 35.9, n), rng.uniform(43.4, 44.7, n)
    days = pd.Timestamp("2003-01-01") + pd.to_timedelta(rng.integers(0, 7600, n), "D")
    frame = _located([((la, lo), d, p) for la, lo, d, p in zip(lat, lon, days, rng.choice([3, 4], n))])
    got = control.controller_of(frame, layers=layers)
    approx = boundaries.approximate_boundaries().to_crs("EPSG:32638")
    metric = layers.to_crs("EPSG:32638")
    for i in range(n):
        row = frame.iloc[i]
        level, name = ("adm2", row["admin2"]) if row["geo_precision"] == 3 else ("adm1", row["admin1"])
        unit = approx[(approx["level"] == level) & (approx["name_en"] == name)]
        if unit.empty:
            assert got["controller"].iloc[i] == control.UNKNOWN_AT_PRECISION
            continue
        area = unit.geometry.iloc[0]
        held = [k for k in range(len(layers))
                if metric.geometry.iloc[k].intersection(area).area > 1e-3 * area.area
                and layers["valid_from"].iloc[k] <= row["date_start"]
                and (pd.isna(layers["valid_to"].iloc[k]) or row["date_start"] < layers["valid_to"].iloc[k])]
        names = sorted({layers["controller"].iloc[k] for k in held})
        if held and shapely.union_all([metric.geometry.iloc[k].intersection(area) for k in held]).area \
                < control.COVERED * area.area:
            names.append(control.NONE_RECORDED)
        expected = (control.UNKNOWN_AT_PRECISION if not names else names[0] if len(names) == 1
                    else "several: " + "; ".join(names))
        assert got["controller"].iloc[i] == expected, (i, row["date_start"], name)


# --- hostile control files (issue 9): opened through events.vector ----------------------------------------

def test_a_vrt_disguised_as_geojson_is_refused_naming_the_file_not_its_folder(tmp_path):
    path = tmp_path / "areas.geojson"
    path.write_text('<OGRVRTDataSource><OGRVRTLayer name="passwd"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
                    '</OGRVRTLayer></OGRVRTDataSource>', encoding="utf-8")
    with pytest.raises(control.ControlError) as err:
        control.read_control(path)
    assert str(err.value).startswith("areas.geojson: ") and "is an OGR VRT" in str(err.value)
    assert str(tmp_path) not in str(err.value)


def test_a_broken_geometry_is_named_by_feature_not_a_traceback(tmp_path):
    line = _feature(area_id="b")
    line["geometry"] = {"type": "LineString", "coordinates": [[43.8, 35.3]]}
    with pytest.raises(control.ControlError) as err:
        control.read_control(_write(tmp_path, [_feature(), line]))
    assert "feature 2 (area_id='b'): geometry: not a valid GeoJSON geometry" in str(err.value)


def test_ten_thousand_properties_are_refused(tmp_path):
    wide = _feature(**{f"p{i}": i for i in range(10_000)})
    with pytest.raises(control.ControlError, match="more than 1,000 distinct properties"):
        control.read_control(_write(tmp_path, [wide]))


def test_control_areas_export_as_geojson():
    import json

    import shapely.geometry

    from events.exports import ExportError
    areas = control.control_at("2015-01-01")
    doc = json.loads(control.export_geojson(areas), parse_constant=lambda c: pytest.fail(c))
    assert sorted(f["properties"]["area_id"] for f in doc["features"]) == sorted(areas["area_id"])
    assert all(isinstance(f["properties"]["sources"], list) for f in doc["features"])
    with pytest.raises(ExportError, match="no control areas"):
        control.export_geojson(areas.iloc[0:0])
    with pytest.raises(ExportError, match="missing column.*controller"):
        control.export_geojson(areas.drop(columns=["controller"]))
    metric = json.loads(control.export_geojson(areas.to_crs("EPSG:32638")))
    lon, lat = shapely.geometry.shape(metric["features"][0]["geometry"]).representative_point().coords[0]
    assert 42 < lon < 47 and 33 < lat < 37


# --- periods as the sources date them (issue 13) -------------------------------------------------------------

def _place(name):
    from geo.gazetteer import geocode
    hit = geocode(name)
    return hit.lat, hit.lon


def _at(layers, point, day):
    return control.controller_of(_incidents([(point, day)]), layers=layers).iloc[0]


@pytest.mark.parametrize("place, before, day, area, controller, control_type", [
    ("Hawija", "2014-06-09", "2014-06-10", "hawija-centre", "ISIS", "control"),            # AFP, KUNA, AA
    ("Kirkuk", "2014-06-10", "2014-06-11", "kirkuk-city", "Kurdistan Regional Government / Peshmerga", "control"),
    ("Tuz Khurmatu", "2014-06-10", "2014-06-11", "tuz-town", "Peshmerga and PMF (joint)", "joint"),  # AA 11 Jun
    ("Sulaiman Bek", "2013-04-23", "2013-04-24", "sulaiman-bek", "Insurgent groups (Naqshbandiya Army, al-Qaeda)",
     "control"),
    ("Sulaiman Bek", "2014-02-12", "2014-02-13", "sulaiman-bek", "ISIS", "contested"),
    ("Sulaiman Bek", "2014-06-10", "2014-06-11", "sulaiman-bek", "ISIS", "control"),
    ("Sulaiman Bek", "2014-08-31", "2014-09-01", "sulaiman-bek", "Iraqi army, Peshmerga and PMF (joint)", "joint"),
    ("Amirli", "2014-06-17", "2014-06-18", "amirli", "Amirli's Turkmen defenders (Iraqi government)", "besieged"),
    ("35 km west of Kirkuk", "2014-07-31", "2014-08-01", "kharbaroot", "ISIS", "control"),      # AP, 19 Nov 2014
    ("Mala Abdullah", "2015-01-28", "2015-01-29", "mala-abdullah", "ISIS", "contested"),
    ("Kirkuk", "2017-10-15", "2017-10-16", "kirkuk-city", "Iraqi federal government", "control"),
])
def test_each_sourced_change_holds_from_its_day_and_not_the_day_before(layers, place, before, day, area, controller,
                                                                       control_type):
    point = _place(place)
    then, now = _at(layers, point, before), _at(layers, point, day)
    assert (now["area_id"], now["controller"], now["control_type"]) == (area, controller, control_type)
    assert (then["area_id"], then["controller"]) != (area, controller)


def test_the_first_weeks_of_the_pocket_are_not_high_confidence_and_are_no_change_of_control(layers):
    def hawija(day):
        return control.control_at(day, layers=layers).set_index("area_id").loc["hawija-centre"]
    assert (hawija("2014-06-20")["controller"], hawija("2014-06-20")["confidence"]) == ("ISIS", "medium")
    assert "Baathist" in hawija("2014-06-20")["notes"]
    assert (hawija("2015-06-01")["controller"], hawija("2015-06-01")["confidence"]) == ("ISIS", "high")
    changes = control.control_changes(layers=layers)
    assert pd.Timestamp("2014-07-01") not in set(changes["date"])   # confidence changed, not the holder


def test_the_2003_2014_baseline_joins_pre_2014_incidents(layers):
    assert _at(layers, KIRKUK, "2005-06-01")["controller"] == "Iraqi government and US-led coalition"
    assert _at(layers, HAWIJA, "2012-06-01")["controller"] == "Iraqi federal government"
    assert _at(layers, KIRKUK, "2010-06-01")["control_type"] == "joint"            # tripartite patrols, 2010-2011
    assert _at(layers, KIRKUK, "2013-06-01")["controller"] == "Iraqi government with Kurdish security forces (joint)"
    assert _at(layers, KIRKUK, "2003-04-10")["controller"] == "Kurdistan Regional Government / Peshmerga"
    cases = [(place, day) for day in ("2003-05-01", "2007-01-01", "2011-12-18", "2014-06-09")
             for place in ("Kirkuk", "Hawija", "Daquq", "Dibis", "Altun Kupri", "Riyadh", "Zab", "Abbasi")]
    got = control.controller_of(_incidents([(_place(p), d) for p, d in cases]), layers=layers)
    assert not got["controller"].eq(control.NONE_RECORDED).any(), [c for c, g in zip(cases, got["controller"])
                                                                   if g == control.NONE_RECORDED]


def test_amirli_was_besieged_and_never_held_by_isis(layers):
    point = _place("Amirli")
    days = pd.date_range("2003-01-01", "2024-12-31", freq="7D").append(pd.date_range("2014-06-01", "2014-09-30"))
    got = control.controller_of(_incidents([(point, d) for d in days]), layers=layers)
    assert not got["controller"].eq("ISIS").any()
    assert got["control_type"].eq("besieged").any()
    around = _at(layers, (point[0] + 0.07, point[1]), "2014-07-20")           # 8 km north: the villages
    assert (around["area_id"], around["controller"]) == ("amirli-villages", "ISIS")


def test_dibis_held_by_kurdish_forces_from_june_2014_is_not_low_confidence(layers):
    dibis = control.control_at("2015-11-03", layers=layers).set_index("area_id").loc["dibis-centre"]
    assert dibis["controller"] == "Kurdistan Regional Government / Peshmerga" and dibis["confidence"] != "low"
    assert any("Reuters" in s["publisher"] for s in json.loads(dibis["sources"]))


def test_fronts_through_sub_districts_are_split_or_contested(layers):
    rashad_town, front = _place("Rashad"), layers.set_index("area_id")
    assert _at(layers, rashad_town, "2016-06-01")["controller"] == "ISIS"
    strip = layers[layers["area_id"] == "rashad-daquq-front"].geometry.iloc[0]
    rest = layers[layers["area_id"] == "rashad"].geometry.iloc[0]
    assert strip.intersection(rest).area < 1e-6 * rest.area                # the sub-district split, not overlapping
    inside = strip.representative_point()
    got = _at(layers, (inside.y, inside.x), "2016-06-01")
    assert (got["controller"], got["control_type"]) == ("Kurdistan Regional Government / Peshmerga", "contested")
    assert _at(layers, _place("Makhmour"), "2019-06-01")["control_type"] == "contested"  # the Makhmour-Gwer front
    pirde = _at(layers, _place("6 km north of Altun Kupri"), "2019-06-01")
    assert pirde["controller"] == "Kurdistan Regional Government / Peshmerga"
    assert _at(layers, _place("Altun Kupri"), "2019-06-01")["controller"] == "Iraqi federal government"
    assert front.loc["rashad-daquq-front", "approximate"].all()


def test_activity_zones_are_not_counted_as_control(layers):
    areas = control.control_at("2019-06-01", layers=layers)
    isis = areas[areas["controller"] == "ISIS"]
    assert {"qarachogh", "wadi-al-shay", "zghaytun", "hamrin"} <= set(isis["area_id"])
    assert set(isis["control_type"]) <= set(control.ACTIVITY_TYPES)
    lines = control.summarise(areas)
    isis_line = next(line for line in lines if line.startswith("ISIS: "))
    assert "held" not in isis_line and "4 areas of insurgent activity or influence, not control" in isis_line
    assert any(line.startswith("Iraqi federal government: ") and " held" in line for line in lines)
    assert control.summarise(areas.iloc[0:0]) == []


def test_claimed_periods_say_who_claims_them(layers, tmp_path):
    claimed = layers[layers["basis"] == "claimed"]
    assert {"dibis-northwest", "riyadh-rashad-villages"} <= set(claimed["area_id"])
    assert claimed["claimed_by"].str.len().gt(5).all()
    assert set(layers["basis"]) <= set(control.BASES)
    july = control.summarise(control.control_at("2021-07-10", layers=layers))
    assert any(line.startswith("ISIS: 1 area held (1 only claimed)") for line in july)
    doc = json.loads(control.export_geojson(claimed))
    assert {f["properties"]["basis"] for f in doc["features"]} == {"claimed"}
    for props, reason in (({"basis": "rumour"}, "is not one of assessed, claimed"),
                          ({"basis": "claimed"}, "claimed_by: missing")):
        with pytest.raises(control.ControlError, match=reason):
            control.read_control(_write(tmp_path, [_feature(**props)]))
    mine = control.read_control(_write(tmp_path, [_feature(basis="claimed", claimed_by="Amaq")]))
    assert (mine.loc[0, "basis"], mine.loc[0, "claimed_by"]) == ("claimed", "Amaq")
    assert control.read_control(_write(tmp_path, [_feature()])).loc[0, "basis"] == ""   # not stated


def test_every_default_source_names_a_publication_not_an_internal_path(layers):
    for text, area in zip(layers["sources"], layers["area_id"]):
        for cite in json.loads(text):
            assert cite.get("publisher") and cite.get("title") and cite["url"].startswith("http"), (area, cite)
            assert "seed" not in cite["publisher"].lower() and "shared/" not in cite["url"], (area, cite)
    influence = layers[layers["area_id"] == "rural-hawija-daquq-dibis"].iloc[0]
    assert influence["confidence"] == "low" and "6,000" in influence["notes"] and "uncited" in influence["notes"]


def test_docs_list_every_default_period_with_its_dates_and_confidence(layers):
    from pathlib import Path
    doc = (Path(control.__file__).parents[1] / "docs" / "control.md").read_text(encoding="utf-8")
    for row in layers.itertuples():
        kind = row.control_type + (", claimed" if row.basis == "claimed" else "")
        end = "ongoing" if pd.isna(row.valid_to) else f"{row.valid_to:%Y-%m-%d}"
        line = f"| {row.area_id} | {row.controller} ({kind}) | {row.valid_from:%Y-%m-%d} – {end} | {row.confidence} |"
        assert line in doc, line
