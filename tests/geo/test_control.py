import json

import geopandas as gpd
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
    assert not isis_areas("2014-05-31") & pocket
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
    assert _controller(KIRKUK, "2010-01-01")["controller"] == control.NONE_RECORDED


def test_control_at_marks_uncertain_dates(layers):
    june = control.control_at("2014-06-20", layers=layers).set_index("area_id")
    assert june.loc["hawija-centre", "uncertain"]  # fell to ISIS some day in June 2014
    assert not control.control_at("2016-01-01", layers=layers).set_index("area_id").loc["hawija-centre", "uncertain"]


def test_changes_mark_the_key_dates_with_descriptions(layers):
    changes = control.control_changes(layers=layers).set_index("date")
    for day in ("2014-06-12", "2017-10-05", "2017-10-16", "2017-10-20"):
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


def test_default_layers_follow_official_boundaries(shared):
    from geo import boundaries
    real = shared / "real"
    official = boundaries.read_boundaries(*[real / f"irq_admbnda_adm{i}_cso_20190603.geojson" for i in (1, 2, 3)])
    boundaries.use_boundaries(official)
    try:
        layers = control.default_layers()
        pocket = layers[layers["area_id"] == "hawija-centre"].geometry.iloc[0]
        built_in = control.build_default(boundaries=boundaries.approximate_boundaries())
        assert not pocket.equals(built_in[built_in["area_id"] == "hawija-centre"].geometry.iloc[0])
        assert _controller(HAWIJA, "2015-06-01")["controller"] == "ISIS"
        assert _controller(KIRKUK, "2018-06-01")["controller"] == "Iraqi federal government"
    finally:
        boundaries.use_boundaries(None)


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
