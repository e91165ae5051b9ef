"""events.area: rows clipped to an area (issue 11: country-wide files), the area read from a user's file."""
import json
import zipfile

import pytest
import shapely

from events import area, store
from tests.events.factory import rows

KIRKUK, BASRA, BAGHDAD = (35.4681, 44.3922), (30.5085, 47.7804), (33.3406, 44.4009)
BOX = shapely.box(43.5, 34.5, 45.0, 36.0)     # around Kirkuk only
TABLE = ("id,date,lat,lon,place,event_type,source\n"
         "1,2016-10-21,35.4681,44.3922,Kirkuk,Battles,Rudaw\n"
         "2,2016-10-22,30.5085,47.7804,Basra,Battles,Rudaw\n"
         "3,2016-10-23,33.3406,44.4009,Baghdad,Battles,Rudaw\n"
         "4,2016-13-45,35.4681,44.3922,Kirkuk,Battles,Rudaw\n")


def _geojson(path, geometries, properties=None):
    feats = [{"type": "Feature", "properties": properties or {"name": f"f{i}"}, "geometry": g}
             for i, g in enumerate(geometries)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def test_clip_keeps_the_rows_inside_and_counts_the_others():
    points = (KIRKUK, BASRA, BAGHDAD, (36.0, 44.0))
    frame = rows([{"date_start": "2016-10-21", "lat": lat, "lon": lon} for lat, lon in points])
    kept, outside = area.clip(frame, BOX)
    assert kept["source_id"].tolist() == ["1", "4"] and outside == 2    # (36.0, 44.0) is on the edge: kept
    assert area.clip(frame, None) == (frame, 0)
    assert area.clip(frame.iloc[0:0], BOX)[1] == 0


def test_an_area_file_is_its_polygons_union_and_anything_else_is_one_line(tmp_path):
    two = _geojson(tmp_path / "mine.geojson", [shapely.geometry.mapping(shapely.box(43.5, 34.5, 44.5, 36.0)),
                                               shapely.geometry.mapping(shapely.box(44.5, 34.5, 45.0, 36.0)),
                                               {"type": "Point", "coordinates": [47.78, 30.5]}])
    assert area.read_area(two).equals(BOX)
    points = _geojson(tmp_path / "points.geojson", [{"type": "Point", "coordinates": [44.39, 35.46]}])
    table = tmp_path / "table.csv"
    table.write_text(TABLE, encoding="utf-8")
    vrt = tmp_path / "area.geojson"
    vrt.write_text('<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource>'
                   '</OGRVRTLayer></OGRVRTDataSource>', encoding="utf-8")
    for path, reason in [(points, "no polygon to clip to"), (table, "plain text"), (vrt, "OGR VRT"),
                         (tmp_path / "none.geojson", "cannot be opened")]:
        with pytest.raises(area.AreaError) as caught:
            area.read_area(path)
        message = str(caught.value)
        assert message.startswith(path.name + ":") and reason in message and str(tmp_path) not in message


def test_a_zipped_shapefile_area_is_read_through_the_safe_path(tmp_path):
    import geopandas as gpd
    folder = tmp_path / "shp"
    folder.mkdir()
    gpd.GeoDataFrame({"name": ["k"]}, geometry=[BOX], crs="EPSG:4326").to_file(folder / "area.shp")
    packed = tmp_path / "area.zip"
    with zipfile.ZipFile(packed, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    assert area.read_area(packed).equals(BOX)


def test_an_import_clipped_to_an_area_stores_only_its_rows_and_counts_the_rest(tmp_path):
    path = tmp_path / "iraq.csv"
    path.write_text(TABLE, encoding="utf-8")
    assert area.share_outside(path, BOX) == (3, 2)
    summary = store.import_file(tmp_path / "s.gpkg", path, clip=BOX)
    assert (summary.accepted, summary.outside, summary.rejected, summary.rows_read) == (1, 2, 1, 4)
    assert summary.clipped and summary.to_dict()["outside"] == 2
    assert store.load(tmp_path / "s.gpkg")["place"].tolist() == ["Kirkuk"]
    whole = store.import_file(tmp_path / "t.gpkg", path)
    assert (whole.accepted, whole.outside, whole.rows_read, whole.clipped) == (3, 0, 4, False)
