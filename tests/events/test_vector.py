"""events.vector and the features importer on hostile files: every file is generated here, small, in tmp_path.

Disguised VRTs, remote references, GML, entity tricks in KML, zip slips and bombs, thousands of
properties, broken geometries: each is refused with one line naming the file, or rejects only the
feature at fault, and nothing is read from elsewhere or fetched from the network.
"""
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from events import sources as im
from events import vector

ROOT = Path(__file__).resolve().parents[2]


def feature(name="Kirkuk (test)", geometry=None, **props):
    geometry = geometry if geometry is not None else {"type": "Point", "coordinates": [44.3922, 35.4681]}
    return {"type": "Feature", "geometry": geometry,
            "properties": {"name": name, "date": "2016-10-21", "event_type": "Battles", **props}}


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def loopback():
    """An HTTP server on 127.0.0.1 that records every request it gets (the list it yields)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(f"GET {self.path}")
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"name,date,lat,lon\nfetched,2016-10-21,35.4,44.3\n")

        def do_HEAD(self):
            hits.append(f"HEAD {self.path}")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/alive", timeout=5) as r:
        r.read()
    assert hits == ["GET /alive"]   # the recorder works: a request that did happen is seen
    hits.clear()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- the real type comes from the bytes

PASSWD_VRT = ('<OGRVRTDataSource><OGRVRTLayer name="passwd"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
              '</OGRVRTLayer></OGRVRTDataSource>')


@pytest.mark.parametrize("suffix", [".geojson", ".json", ".kml", ".gpkg"])
def test_a_vrt_disguised_as_a_feature_file_never_reads_local_files(tmp_path, suffix):
    path = tmp_path / f"incidents{suffix}"
    path.write_text(PASSWD_VRT, encoding="utf-8")
    with pytest.raises(im.ImportFailure) as info:
        im.read_features(path)
    message = str(info.value)
    assert message.startswith(f"incidents{suffix}: ") and "OGR VRT" in message and "\n" not in message
    assert str(tmp_path) not in message and "root" not in message


def test_remote_sources_and_crs_links_send_no_request(tmp_path, loopback):
    port, hits = loopback
    vrt = tmp_path / "remote.geojson"
    vrt.write_text(f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/vsicurl/http://127.0.0.1:{port}/x.csv'
                   '</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>', encoding="utf-8")
    link = write_json(tmp_path / "link.geojson", {
        "type": "FeatureCollection", "features": [feature()],
        "crs": {"type": "link", "properties": {"href": f"http://127.0.0.1:{port}/crs.proj4", "type": "proj4"}}})
    with pytest.raises(im.ImportFailure, match=r"^remote\.geojson: is an OGR VRT"):
        im.read_features(vrt)
    with pytest.raises(im.ImportFailure, match=r'^link\.geojson: its "crs" member is of type \'link\''):
        im.read_features(link)
    assert hits == []


@pytest.mark.parametrize("name, content, words", [
    ("places.geojson", "name,date,lat,lon\nKirkuk,2016-10-21,35.4,44.3\n", "plain text"),
    ("places.json", '[{"type": "Feature"}]', "JSON array"),
    ("places.json", '{"type": "Topology", "objects": {}}', "not a GeoJSON FeatureCollection"),
    ("db.gpkg", "SQLite format 3\x00" + "\x00" * 200, "SQLite database but not a GeoPackage"),
    ("shapes.shp", "\x00\x00\x27\x0a" + "\x00" * 96, "bare Shapefile"),
    ("bad.geojson", '{"type": "FeatureCollection", "features": [', "not valid JSON"),
    ("deep.geojson", '{"type": "FeatureCollection", "features": [' + "[" * 100_000, "nested too deeply"),
], ids=["csv", "array", "topojson", "sqlite", "bare-shp", "truncated", "deep"])
def test_content_that_is_not_what_its_name_says_is_refused_in_one_line(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(im.ImportFailure) as info:
        im.read_features(path)
    assert str(info.value).startswith(f"{name}: ") and words in str(info.value) and "\n" not in str(info.value)


def test_gml_is_refused_and_no_gfs_is_written(tmp_path):
    gml = gpd.GeoDataFrame({"name": ["Kirkuk"]}, geometry=[shapely.Point(44.39, 35.47)], crs="EPSG:4326")
    source = tmp_path / "source"
    source.mkdir()
    gml.to_file(source / "x.gml", driver="GML")
    for name in ("renamed.geojson", "renamed.kml", "renamed.gml"):
        (tmp_path / name).write_bytes((source / "x.gml").read_bytes())
        before = sorted(p.name for p in tmp_path.iterdir())
        with pytest.raises(im.ImportFailure, match=rf"^{name}: is GML, which is not accepted"):
            im.read_features(tmp_path / name)
        assert sorted(p.name for p in tmp_path.iterdir()) == before   # no renamed.gfs beside it


# ---------------------------------------------------------------- KML through defusedxml

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE kml [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&f;</name>
<ExtendedData><Data name="date"><value>2016-10-21</value></Data></ExtendedData>
<Point><coordinates>44.39,35.47</coordinates></Point></Placemark></Document></kml>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>x</name><description>&secret;</description>
<ExtendedData><Data name="date"><value>2016-10-21</value></Data></ExtendedData>
<Point><coordinates>44.39,35.47</coordinates></Point></Placemark></Document></kml>
"""


@pytest.mark.parametrize("content", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_kml_with_entities_is_refused(tmp_path, content):
    path = tmp_path / "trick.kml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(im.ImportFailure) as info:
        im.read_features(path)
    assert str(info.value).startswith("trick.kml: is XML with a DTD or entity declarations")
    assert "root:" not in str(info.value)


def test_kml_and_kmz_read_names_data_times_and_geometries(tmp_path):
    kml = """<?xml version="1.0" encoding="UTF-8"?>
    <kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>f</name>
    <Placemark><name>Kirkuk (test)</name><description>Synthetic test fixture</description>
      <TimeSpan><begin>2016-10-21T00:00:00Z</begin><end>2016-10-22</end></TimeSpan>
      <ExtendedData><Data name="event_type"><value>Battles</value></Data></ExtendedData>
      <Point><coordinates>44.3922,35.4681,0</coordinates></Point></Placemark>
    <Placemark><name>Area (test)</name><TimeStamp><when>2015-01-05</when></TimeStamp>
      <ExtendedData><SchemaData><SimpleData name="event_type">Battles</SimpleData></SchemaData></ExtendedData>
      <MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>43.6,35.2 43.9,35.2 43.9,35.5 43.6,35.2
      </coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry></Placemark>
    <Placemark><name>Broken (test)</name><TimeStamp><when>2015-01-05</when></TimeStamp>
      <ExtendedData><Data name="event_type"><value>Battles</value></Data></ExtendedData><Point><coordinates>east,north</coordinates></Point></Placemark>
    </Folder></Document></kml>"""
    (tmp_path / "doc.kml").write_text(textwrap.dedent(kml), encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "layer.kmz", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(tmp_path / "doc.kml", "doc.kml")
    for name in ("doc.kml", "layer.kmz"):
        res = im.read_features(tmp_path / name)
        point, area = res.accepted.sort_values("date_start", ascending=False).itertuples()
        assert (point.place, point.notes, point.date_start, point.date_end) == (
            "Kirkuk (test)", "Synthetic test fixture", pd.Timestamp("2016-10-21"), pd.Timestamp("2016-10-22"))
        assert (point.lat, point.lon) == (35.4681, 44.3922) and area.geo_precision == 3
        (reject,) = res.rejects.itertuples()
        assert (reject.row, reject.field, reject.value) == (3, "geometry", "Point")
        assert reject.reason.startswith("not a valid KML geometry")


# ---------------------------------------------------------------- broken features reject one row

def test_bad_geometries_reject_their_feature_and_the_others_import(tmp_path):
    path = write_json(tmp_path / "mixed.geojson", {"type": "FeatureCollection", "features": [
        feature("Good one (test)"),
        feature("Empty collection (test)", {"type": "GeometryCollection", "geometries": []}),
        feature("Words (test)", {"type": "Point", "coordinates": ["east", "north"]}),
        feature("Short line (test)", {"type": "LineString", "coordinates": [[44, 35]]}),
        feature("Infinite (test)", {"type": "Point", "coordinates": [1e999, 35]}),
        "not a feature",
        feature("Good two (test)", {"type": "Polygon", "coordinates": [[[43.6, 35.2], [43.9, 35.2], [43.9, 35.5],
                                                                       [43.6, 35.2]]]}),
    ]})
    res = im.read_features(path, chunksize=2)
    assert sorted(res.accepted.place) == ["Good one (test)", "Good two (test)"] and res.rows_read == 7
    got = {r.row: (r.field, r.value, r.reason) for r in res.rejects.itertuples()}
    assert got[2] == ("geometry", "GeometryCollection", "feature has no geometry")
    assert got[3][:2] == ("geometry", "Point") and got[3][2].startswith("not a valid GeoJSON geometry")
    assert got[4][:2] == ("geometry", "LineString") and got[4][2].startswith("not a valid GeoJSON geometry")
    assert got[5] == ("geometry", "Point", "coordinates are not finite numbers")
    assert got[6] == ("geometry", "str", "not a GeoJSON Feature object")
    assert set(got) == {2, 3, 4, 5, 6}


@pytest.mark.parametrize("chunksize", [1, 2, 100_000])
def test_duplicate_ids_are_rejected_whatever_the_chunk_size(tmp_path, chunksize):
    """Issue 9: duplicate ids were rejected within a chunk but silently 'updated' across chunks."""
    path = write_json(tmp_path / "dups.geojson", {"type": "FeatureCollection", "features": [
        feature("A (test)", id="x1"), feature("B (test)", id="x2"), feature("C (test)", id="x1"),
        feature("D (test)", id="x3"), feature("E (test)", id="x2")]})
    res = im.read_features(path, chunksize=chunksize)
    assert sorted(res.accepted.place) == ["A (test)", "B (test)", "D (test)"]
    assert sorted(res.rejects["row"].unique()) == [3, 5]
    assert res.rejects["reason"].str.contains("duplicate").all()


def test_crs_by_name_is_honoured_and_odd_json_values_become_text(tmp_path):
    utm = gpd.GeoSeries([shapely.Point(44.3922, 35.4681)], crs="EPSG:4326").to_crs(32638).iloc[0]
    path = tmp_path / "utm.geojson"
    path.write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32638"}},
        "features": [feature(geometry=shapely.geometry.mapping(utm), notes=["a", {"b": 1}])]}
    ).replace('"event_type": "Battles"', '"event_type": "Battles", "killed": NaN'), encoding="utf-8")
    res = im.read_features(path)
    assert list(res.rejects.field) == ["killed"]   # NaN kept as text, so a reject says so; nothing silently lost
    with vector.open_file(path) as source:
        (batch,) = source.batches()
        assert batch.frame.crs == "EPSG:32638" and batch.frame["notes"].iloc[0] == '["a", {"b": 1}]'
    bad = write_json(tmp_path / "odd.geojson", {"type": "FeatureCollection", "features": [feature()],
                                                "crs": {"type": "name", "properties": {"name": "http://x/crs"}}})
    with pytest.raises(im.ImportFailure, match=r"^odd\.geojson: its \"crs\" names 'http://x/crs'"):
        im.read_features(bad)


# ---------------------------------------------------------------- zip archives

def shapefile_members(tmp_path: Path) -> dict[str, bytes]:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    gpd.GeoDataFrame({"name": ["Kirkuk (test)"], "date": ["2016-10-21"], "event_type": ["Battles"]},
                     geometry=[shapely.Point(44.3922, 35.4681)], crs="EPSG:4326").to_file(folder / "pts.shp")
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def write_zip(path: Path, members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def test_a_zipped_shapefile_imports(tmp_path):
    path = write_zip(tmp_path / "pts.zip", {f"folder/{k}": v for k, v in shapefile_members(tmp_path).items()})
    res = im.read_features(path)
    assert res.rejects.empty and list(res.accepted.place) == ["Kirkuk (test)"]


@pytest.mark.parametrize("member", ["../../escaped.shp", "/abs/escaped.shp", "a/../../escaped.shp",
                                    "C:/escaped.shp", "..\\..\\escaped.shp"])
def test_zip_slip_member_names_are_refused(tmp_path, member):
    members = shapefile_members(tmp_path)
    members[member] = members.pop("pts.shp")
    inner = tmp_path / "deep" / "er"
    inner.mkdir(parents=True)
    path = write_zip(inner / "slip.zip", members)
    with pytest.raises(im.ImportFailure, match=r"^slip\.zip: holds a member with an unsafe path"):
        im.read_features(path)
    assert not list(tmp_path.rglob("escaped*"))


def test_zip_bombs_and_crowded_zips_are_refused_before_unpacking(tmp_path):
    members = shapefile_members(tmp_path)
    bomb = write_zip(tmp_path / "bomb.zip", {**members, "pts.dbf": members["pts.dbf"] + b" " * 30_000_000})
    with pytest.raises(im.ImportFailure, match=r"^bomb\.zip: member 'pts\.dbf' would unpack [\d,]+ times its size"):
        im.read_features(bomb)
    crowd = write_zip(tmp_path / "crowd.zip", {**members, **{f"junk/{i}.txt": b"x" for i in range(vector.MAX_MEMBERS)}})
    with pytest.raises(im.ImportFailure, match=r"^crowd\.zip: holds 20\d files, more than the 200 accepted"):
        im.read_features(crowd)


def test_corrupt_zip_members_fail_with_one_line(tmp_path):
    members = shapefile_members(tmp_path)
    stored = write_zip(tmp_path / "crc.zip", members, compression=zipfile.ZIP_STORED)
    data = bytearray(stored.read_bytes())
    at = data.index(members["pts.shp"][:100]) + 50
    data[at] ^= 0xFF                       # a flipped byte: the CRC no longer matches
    stored.write_bytes(bytes(data))
    with pytest.raises(im.ImportFailure, match=r"^crc\.zip: member 'pts\.shp' is corrupt \(Bad CRC-32"):
        im.read_features(stored)
    deflated = write_zip(tmp_path / "zlib.zip", {**members, "pts.dbf": members["pts.dbf"] * 50})
    data = bytearray(deflated.read_bytes())
    info = zipfile.ZipFile(deflated).getinfo("pts.dbf")
    start = info.header_offset + 30 + len(info.filename)
    data[start:start + 8] = b"\xff" * 8    # garbage where the deflate stream starts
    deflated.write_bytes(bytes(data))
    with pytest.raises(im.ImportFailure) as err:
        im.read_features(deflated)
    assert str(err.value).startswith("zlib.zip: member 'pts.dbf' is corrupt") and "\n" not in str(err.value)
    magic = write_zip(tmp_path / "magic.zip", {**members, "pts.shp": b"\x00" * 200})
    with pytest.raises(im.ImportFailure, match=r"^magic\.zip: member 'pts\.shp' is not a Shapefile \.shp"):
        im.read_features(magic)


# ---------------------------------------------------------------- memory stays bounded

def test_ten_thousand_properties_are_refused_within_a_memory_limit(tmp_path):
    props = {f"p{i}": i for i in range(10_000)}
    path = write_json(tmp_path / "wide.geojson", {"type": "FeatureCollection",
                                                 "features": [feature(**props), feature()]})
    assert path.stat().st_size < 300_000
    script = textwrap.dedent(f"""
        import resource, sys
        from events import sources as im
        soft = 1536 * 2**20   # far above what this needs, far below the gigabytes it once took
        resource.setrlimit(resource.RLIMIT_AS, (soft, resource.getrlimit(resource.RLIMIT_AS)[1]))
        try:
            im.read_features({str(path)!r})
        except im.ImportFailure as exc:
            print(exc)
    """)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}   # no per-core arenas
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "wide.geojson: has more than 1,000 distinct properties; keep the ones you need"


def test_batches_hold_at_most_max_cells(tmp_path):
    props = {f"p{i}": i for i in range(900)}
    path = write_json(tmp_path / "wide.geojson", {"type": "FeatureCollection", "features": [feature(**props)] * 2500})
    with vector.open_file(path) as source:
        sizes = [len(b.frame) for b in source.batches(chunksize=100_000)]
    assert sum(sizes) == 2500 and len(sizes) == 2 and max(sizes) * len(source.fields) <= vector.MAX_CELLS


def test_flatgeobuf_is_read_only_when_asked_for_and_only_after_its_magic_bytes(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["Kirkuk", "Hawija"], "n": [1, 2]},
                             geometry=[shapely.Point(44.39, 35.47), shapely.Point(43.77, 35.32)], crs="EPSG:4326")
    path = tmp_path / "places.fgb"
    frame.to_file(path, driver="FlatGeobuf", engine="pyogrio")
    assert vector.identify(path) == "fgb"
    with pytest.raises(vector.Refused, match=r"^places\.fgb: is a FlatGeobuf file, which is accepted only as"):
        vector.open_file(path)
    with vector.open_file(path, kinds=("fgb",)) as source:
        assert source.fields == ["name", "n"]
        (batch,) = list(source.batches())
        assert sorted(batch.frame["name"]) == ["Hawija", "Kirkuk"] and list(batch.numbers) == [1, 2]
    for name, content in (("v2.fgb", b"fgb\x02fgb\x00" + b"\x00" * 64), ("short.fgb", b"fgb\x03")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(vector.Refused, match=rf"^{name.replace('.', '[.]')}: starts like a FlatGeobuf"):
            vector.open_file(tmp_path / name, kinds=("fgb",))
    frame.to_file(tmp_path / "renamed.gpkg", driver="GPKG", engine="pyogrio")
    gpkg = (tmp_path / "renamed.gpkg").rename(tmp_path / "renamed.fgb")
    with pytest.raises(vector.Refused, match=r"^renamed\.fgb: is a GeoPackage; expected FlatGeobuf file"):
        vector.open_file(gpkg, kinds=("fgb",))


def test_features_without_any_property_are_read_one_row_each(tmp_path):
    # geojson.io writes "properties": {} for a drawn polygon: still one row per feature, no error.
    path = tmp_path / "drawn.geojson"
    square = [[[44, 35], [45, 35], [45, 36], [44, 36], [44, 35]]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": square}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [44.4, 35.5]}}]}),
        encoding="utf-8")
    with vector.open_file(path, name=path.name) as source:
        frames = [frame for _layer, frame, _problems in source.frames()]
    assert sum(len(f) for f in frames) == 2
    assert {g.geom_type for f in frames for g in f.geometry} == {"Polygon", "Point"}
