"""Vector files from users (GeoJSON, KML/KMZ, GeoPackage, zipped Shapefile, and FlatGeobuf where a caller
asks for it): the one way the atlas opens them.

A file's real type is decided from its bytes, never from its name, and each type is read by its own
parser only: GeoJSON with Python's json, KML with defusedxml (no DTD, no entities), and GDAL only for a
GeoPackage, FlatGeobuf or Shapefile that passed its header check, copied or unpacked into a private temporary
folder under a name chosen here (so GDAL never sees a user's path, a `/vsi…` prefix or a neighbouring
file). Anything else (an OGR VRT, GML, CSV, a plain SQLite database, a bare .shp) is refused with one
line naming the file (its name, never its folder) and saying what it is. GDAL is configured
process-wide never to fetch a URL, list a folder or write an auxiliary file.

What a file can make us allocate is bounded: the file and unpacked sizes, zip members and their
compression ratio, the number of distinct fields, and rows x fields per batch. A feature whose
geometry cannot be built is not an error of the file: its batch carries the reason, so the caller
rejects that feature alone and the others go on.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as SafeET
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from shapely.errors import ShapelyError
from shapely.geometry import shape

KINDS = ("geojson", "kml", "gpkg", "zip")  # accepted unless a caller names others ("fgb": FlatGeobuf)
MAX_TEXT_BYTES = 256 * 2**20      # a GeoJSON or KML file (held as text while it is read)
MAX_FILE_BYTES = 1024 * 2**20     # a GeoPackage (copied before GDAL opens it)
MAX_UNPACKED_BYTES = 1024 * 2**20  # all the members of a zip archive, unpacked
MAX_MEMBERS = 200                 # members of a zip archive (COD-AB's shapefile zips hold ~40)
MAX_RATIO = 100                   # unpacked/packed size of a member bigger than RATIO_FLOOR
RATIO_FLOOR = 2**20
MAX_FIELDS = 1000                 # distinct properties / columns in one file
MAX_CELLS = 2_000_000             # rows x fields in one batch
WGS84 = "EPSG:4326"

SHAPE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
ZIP_MEMBERS = (".geojson", ".json", ".kml", ".gpkg")
SHAPE_MAGIC = b"\x00\x00\x27\x0a"
DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0xCB, 0xF5, 0xFB}
GPKG_IDS = (b"GPKG", b"GP10", b"GP11")
FGB_MAGIC = b"fgb\x03fgb"  # FlatGeobuf 3.x: "fgb", major version 3, "fgb", then the patch version byte
CRS_NAME = re.compile(r"^(?:urn:ogc:def:crs:EPSG:[\d.]*:(\d{1,6})|EPSG:(\d{1,6})|urn:ogc:def:crs:OGC:1\.3:CRS84"
                      r"|urn:ogc:def:crs:OGC::CRS84|OGC:CRS84|CRS84)$", re.IGNORECASE)
KML_TIMES = ("TimeStamp", "TimeSpan")
KML_GEOMETRIES = {"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Track", "MultiTrack", "Model"}

# GDAL, process-wide: no network, no directory listing, no side files (checked against pyogrio's GDAL 3.12).
GDAL_CONFIG = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".atlas-never-fetched",  # /vsicurl/ and friends fetch nothing
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/atlas-never-fetched",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_PAM_ENABLED": "NO",            # no .aux.xml read or written next to a file
    "GML_SKIP_RESOLVE_ELEMS": "ALL",     # GML is refused anyway; never resolve xlinks ...
    "GML_DOWNLOAD_SCHEMA": "NO",         # ... nor download schemas
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "CPL_ALLOW_VSISTDIN": "NO",
    "PROJ_NETWORK": "OFF",
}
pyogrio.set_gdal_config_options(GDAL_CONFIG)


class Refused(ValueError):
    """A file we will not read; str() is one line: the file's name, then why."""

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason
        super().__init__(f"{name}: {reason}")


@dataclass
class Batch:
    """Up to `chunksize` features of one layer: the frame (geometry None where it could not be built),
    each feature's 1-based position in the file, and {position in frame: (value, reason)} for geometries
    that could not be built (value: the geometry's type as the file gave it)."""

    layer: str
    frame: gpd.GeoDataFrame
    numbers: np.ndarray
    problems: dict[int, tuple[str, str]] = field(default_factory=dict)


# ---------------------------------------------------------------- what a file really is

def identify(path, *, name: str | None = None) -> str:
    """The real type of a file from its bytes: "geojson", "kml", "gpkg", "fgb" or "zip"; Refused otherwise."""
    path = Path(path)
    name = name or path.name
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError as exc:
        raise Refused(name, f"cannot be opened ({exc.strerror or type(exc).__name__})") from None
    return _kind(head, name)


def _kind(head: bytes, name: str) -> str:
    if not head.strip():
        raise Refused(name, "the file is empty")
    if head.startswith(b"SQLite format 3\x00"):
        if len(head) >= 72 and head[68:72] in GPKG_IDS:
            return "gpkg"
        raise Refused(name, "is an SQLite database but not a GeoPackage")
    if head.startswith(b"PK"):
        return "zip"   # a broken one is refused when opened, as "not a valid zip archive"
    if head.startswith(SHAPE_MAGIC):
        raise Refused(name, "is a bare Shapefile .shp; zip it together with its .shx, .dbf and .prj files")
    if head.startswith(b"fgb"):
        if len(head) >= 8 and head.startswith(FGB_MAGIC):
            return "fgb"
        raise Refused(name, "starts like a FlatGeobuf file but is not one of version 3 (bad magic bytes)")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "geojson"
    if text.startswith(b"["):
        raise Refused(name, "is a JSON array, not GeoJSON (a FeatureCollection object)")
    if text.startswith(b"<"):
        root = _xml_root(text)
        local = root.rsplit(":", 1)[-1]
        if local == "kml":
            return "kml"
        if local == "OGRVRTDataSource":
            raise Refused(name, "is an OGR VRT (a virtual dataset that points at other files or URLs), "
                                "which is never opened")
        if b"opengis.net/gml" in text[:8192] or root.startswith("gml:") or local == "FeatureCollection":
            raise Refused(name, "is GML, which is not accepted; save it as GeoJSON or GeoPackage")
        what = f"XML with root <{root[:40]}>" if root else "XML"
        raise Refused(name, f"is {what}, not KML")
    if b"\x00" in head[:4096]:
        raise Refused(name, "is binary data, not a GeoJSON, KML, GeoPackage or zipped Shapefile")
    raise Refused(name, "is plain text (a table?), not a readable GeoJSON, KML, GeoPackage or zipped Shapefile")


def _xml_root(text: bytes) -> str:
    """The first element name of an XML text, past the declaration, comments and any DOCTYPE."""
    body = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", b"", text[:65536], flags=re.S)
    found = re.search(rb"<([A-Za-z_][\w.:-]*)", body)
    return found.group(1).decode("ascii", "replace") if found else ""


# ---------------------------------------------------------------- opening

def open_file(path, *, name: str | None = None, kinds: tuple[str, ...] = KINDS) -> VectorFile:
    """Check a user's vector file and get ready to read it; Refused (one line) if it is not acceptable.

    `kinds` narrows what is accepted (e.g. ("geojson",) for control areas). Use as a context manager
    or call close(): a GeoPackage is copied and a zip unpacked into a private temporary folder.
    """
    path = Path(path)
    name = name or path.name
    kind = identify(path, name=name)
    if kind == "fgb" and kind not in kinds:
        raise Refused(name, "is a FlatGeobuf file, which is accepted only as a UCDP GED export; save it as "
                            "GeoJSON or GeoPackage")
    if kind not in kinds:
        raise Refused(name, f"is a {_LABELS[kind]}; expected {' or '.join(_LABELS[k] for k in kinds)}")
    vf = VectorFile(name, kind)
    try:
        vf._load(path)
    except BaseException:
        vf.close()
        raise
    return vf


_LABELS = {"geojson": "GeoJSON file", "kml": "KML file", "gpkg": "GeoPackage", "zip": "zip archive",
           "fgb": "FlatGeobuf file"}


class VectorFile:
    """An accepted vector file: its layers and fields, read in batches or whole layers."""

    def __init__(self, name: str, kind: str):
        self.name, self.kind = name, kind
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._parts: list[_Part] = []

    # -- public
    @property
    def layers(self) -> list[str]:
        return [p.layer for p in self._parts]

    @property
    def fields(self) -> list[str]:
        """Every layer's field names, each once, in file order."""
        return list(dict.fromkeys(f for p in self._parts for f in p.fields))

    def batches(self, *, chunksize: int = 100_000) -> Iterator[Batch]:
        """Features in batches of at most `chunksize` rows (fewer when there are many fields), layer by layer."""
        number = 0
        for part in self._parts:
            rows = max(1, min(int(chunksize), MAX_CELLS // max(1, len(part.fields))))
            for batch in part.batches(rows):
                batch.numbers = np.arange(number + 1, number + len(batch.frame) + 1)
                number += len(batch.frame)
                yield batch

    def frames(self) -> Iterator[tuple[str, gpd.GeoDataFrame, dict[int, tuple[str, str]]]]:
        """(layer, its whole frame, {row: (value, reason)} for unusable geometries) for each layer."""
        for part in self._parts:
            got = list(part.batches(max(1, MAX_CELLS // max(1, len(part.fields)))))
            if not got:
                yield part.layer, _frame([], part.fields, [], part.crs), {}
                continue
            problems, start = {}, 0
            for batch in got:
                problems.update({start + k: v for k, v in batch.problems.items()})
                start += len(batch.frame)
            frame = pd.concat([b.frame for b in got], ignore_index=True) if len(got) > 1 else got[0].frame
            yield part.layer, gpd.GeoDataFrame(frame, geometry="geometry", crs=got[0].frame.crs), problems

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> VectorFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- loading
    def _private(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="atlas-vector-")
        return Path(self._tmp.name)

    def _load(self, path: Path) -> None:
        if self.kind == "zip":
            self._parts = _unpack(path, self.name, self._private())
        else:
            private = self._private() if self.kind in ("gpkg", "fgb") else None
            self._parts = _parts(path, self.kind, self.name, private)
        if not self._parts:
            raise Refused(self.name, "has no layer with features")


def _parts(path: Path, kind: str, name: str, tmp: Path | None, *, member: str = "") -> list[_Part]:
    """The layers of one accepted file (GeoJSON, KML or GeoPackage; `tmp`: our folder for GDAL's copy)."""
    size = path.stat().st_size
    label = f"{name} (member {member})" if member else name
    if kind == "geojson":
        if size > MAX_TEXT_BYTES:
            raise Refused(label, f"is {size / 2**20:.0f} MB, more than the {MAX_TEXT_BYTES // 2**20} MB accepted")
        return [_GeoJSON(path, label, Path(member or name).stem)]
    if kind == "kml":
        if size > MAX_TEXT_BYTES:
            raise Refused(label, f"is {size / 2**20:.0f} MB, more than the {MAX_TEXT_BYTES // 2**20} MB accepted")
        return [_KML(path, label, Path(member or name).stem)]
    if kind == "gpkg":
        if size > MAX_FILE_BYTES:
            raise Refused(label, f"is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MB accepted")
        private = tmp / f"data{len(list(tmp.iterdir()))}.gpkg"
        if path.parent != tmp:
            shutil.copyfile(path, private)
        else:
            path.rename(private)
        return _gdal_parts(private, label, tmp)
    if kind == "fgb" and not member:
        if size > MAX_FILE_BYTES:
            raise Refused(label, f"is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MB accepted")
        private = tmp / f"data{len(list(tmp.iterdir()))}.fgb"
        shutil.copyfile(path, private)
        return _gdal_parts(private, label, tmp, driver="FlatGeobuf")
    raise Refused(label, f"is a {_LABELS.get(kind, kind)} inside a zip archive, which is not accepted")


# ---------------------------------------------------------------- GeoJSON (Python's json, never GDAL)

_WS = re.compile(r"[ \t\n\r]*")


class _Part(Protocol):
    """One layer of an accepted file: its name, fields and CRS, read `rows` features at a time."""

    layer: str
    fields: list[str]
    crs: object

    def batches(self, rows: int) -> Iterator[Batch]: ...


class _GeoJSON:
    def __init__(self, path: Path, name: str, stem: str):
        self.name = name
        raw = path.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            self.text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Refused(name, f"is not UTF-8 text (byte {exc.start}); save the GeoJSON as UTF-8") from None
        del raw
        top, names = {}, {}
        for key, value in self._members():
            if key is None:
                if not isinstance(value, dict):
                    continue
                props = value.get("properties")
                for k in props if isinstance(props, dict) else ():
                    names.setdefault(k, None)
                if len(names) > MAX_FIELDS:
                    raise Refused(name, f"has more than {MAX_FIELDS:,} distinct properties; keep the ones you need")
            else:
                top.setdefault(key, value)
        kind = top.get("type")
        if kind not in ("FeatureCollection", "Feature"):
            what = f'"type" {str(kind)[:40]!r}' if kind is not None else 'no "type"'
            raise Refused(name, f"is JSON with {what}, not a GeoJSON FeatureCollection or Feature")
        if kind == "FeatureCollection" and not isinstance(top.get("features"), list):
            raise Refused(name, 'is a FeatureCollection without a "features" list')
        self.single = top if kind == "Feature" else None
        if self.single is not None:
            props = self.single.get("properties")
            names = dict.fromkeys(props if isinstance(props, dict) else ())
        self.crs = _geojson_crs(top.get("crs"), name)
        self.fields = _unique_fields(names)
        layer = top.get("name")
        self.layer = layer.strip()[:100] if isinstance(layer, str) and layer.strip() else stem

    def _members(self) -> Iterator[tuple[str | None, object]]:
        """(key, value) for each top-level member, and (None, feature) for each element of "features"."""
        text, name = self.text, self.name
        dec = json.JSONDecoder(parse_constant=str)   # NaN/Infinity stay text: a reject later, not a float
        seen = False
        try:
            i = _WS.match(text, 0).end()
            if text[i:i + 1] != "{":
                raise Refused(name, "is not a JSON object")
            i = _WS.match(text, i + 1).end()
            if text[i:i + 1] == "}":
                return
            while True:
                if text[i:i + 1] != '"':
                    raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
                key, i = dec.raw_decode(text, i)
                i = _WS.match(text, i).end()
                if text[i:i + 1] != ":":
                    raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
                i = _WS.match(text, i + 1).end()
                if key == "features" and text[i:i + 1] == "[" and not seen:
                    seen = True
                    i = _WS.match(text, i + 1).end()
                    if text[i:i + 1] == "]":
                        i += 1
                    else:
                        while True:
                            value, i = dec.raw_decode(text, i)
                            yield None, value
                            i = _WS.match(text, i).end()
                            if text[i:i + 1] == ",":
                                i = _WS.match(text, i + 1).end()
                                continue
                            if text[i:i + 1] != "]":
                                raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
                            i += 1
                            break
                    yield "features", []
                else:
                    value, i = dec.raw_decode(text, i)
                    yield key, value
                i = _WS.match(text, i).end()
                if text[i:i + 1] == ",":
                    i = _WS.match(text, i + 1).end()
                    continue
                if text[i:i + 1] != "}":
                    raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
                return
        except json.JSONDecodeError as exc:
            raise Refused(name, f"is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
        except RecursionError:
            raise Refused(name, "is JSON nested too deeply to be GeoJSON") from None

    def batches(self, rows: int) -> Iterator[Batch]:
        features = iter([self.single]) if self.single is not None else (v for k, v in self._members() if k is None)
        todo: list = []
        for feature in features:
            todo.append(feature)
            if len(todo) >= rows:
                yield self._batch(todo)
                todo = []
        if todo:
            yield self._batch(todo)

    def _batch(self, features: list) -> Batch:
        records, geoms, problems = [], [], {}
        for k, feature in enumerate(features):
            if not isinstance(feature, dict):
                records.append({})
                geoms.append(None)
                problems[k] = (type(feature).__name__, "not a GeoJSON Feature object")
                continue
            props = feature.get("properties")
            if not isinstance(props, dict):
                props = {}
            elif "geometry" in props:
                props = {self._field(key): v for key, v in props.items()}
            records.append(props)
            obj = feature.get("geometry")
            geom, problem = _geometry(obj)
            geoms.append(geom)
            if problem:
                problems[k] = (str(obj.get("type"))[:40] if isinstance(obj, dict) else type(obj).__name__, problem)
        return Batch(self.layer, _frame(records, self.fields, geoms, self.crs), np.arange(len(features)), problems)

    def _field(self, key: str) -> str:
        return "geometry_" if key == "geometry" else key


def _unique_fields(names) -> list[str]:
    return ["geometry_" if n == "geometry" else n for n in names]


def _value(v):
    """A property as a cell: scalars as they are, objects and arrays as their JSON text (as GDAL does)."""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return v


def _geojson_crs(crs, name: str):
    """The CRS a GeoJSON names: only EPSG codes and CRS84 by name; a link or anything else is refused."""
    if crs is None:
        return WGS84
    if isinstance(crs, dict) and crs.get("type") == "name" and isinstance(crs.get("properties"), dict):
        value = crs["properties"].get("name")
        found = CRS_NAME.match(value.strip()) if isinstance(value, str) else None
        if found:
            code = found.group(1) or found.group(2)
            if not code:
                return WGS84
            try:
                return pyproj.CRS.from_user_input(f"EPSG:{int(code)}")
            except pyproj.exceptions.CRSError:
                raise Refused(name, f'its "crs" names EPSG:{int(code)}, which is not a known EPSG code') from None
        raise Refused(name, f'its "crs" names {str(value)[:60]!r}; only EPSG codes and CRS84 are accepted')
    kind = crs.get("type") if isinstance(crs, dict) else type(crs).__name__
    raise Refused(name, f'its "crs" member is of type {str(kind)[:30]!r} (a link or unknown); it is never '
                        'followed: remove it (GeoJSON is WGS 84 longitude/latitude) or name an EPSG code')


def _geometry(obj) -> tuple[object, str | None]:
    """(shapely geometry or None, reason it is unusable or None) for a GeoJSON geometry object."""
    if obj is None:
        return None, None
    try:
        if not isinstance(obj, dict):
            raise TypeError(f"a {type(obj).__name__}, not an object")
        geom = shape(obj)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, ShapelyError, RecursionError) as exc:
        return None, f"not a valid GeoJSON geometry ({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})"
    return _finite(geom)


def _finite(geom) -> tuple[object, str | None]:
    if geom is None:
        return None, None
    xyz = shapely.get_coordinates(geom, include_z=bool(shapely.has_z(geom)))
    if not np.isfinite(xyz[:, :2]).all() or np.isinf(xyz[:, 2:]).any():
        return None, "coordinates are not finite numbers"
    return geom, None


def _frame(records: list[dict], fields: list[str], geoms: list, crs) -> gpd.GeoDataFrame:
    # One row per geometry even when no feature has a property ("properties": {}, as geojson.io writes).
    frame = pd.DataFrame(records, columns=fields, index=pd.RangeIndex(len(geoms)))
    for col in frame.columns[(frame.dtypes == object).to_numpy()]:
        frame[col] = frame[col].map(_value)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(np.array(geoms, dtype=object), index=frame.index), crs=crs)


# ---------------------------------------------------------------- KML (defusedxml, never GDAL)

def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _coords(text: str | None) -> list[tuple[float, ...]]:
    out = []
    for item in (text or "").split():
        parts = [p for p in item.split(",") if p != ""]
        if len(parts) < 2:
            raise ValueError(f"coordinate {item[:40]!r} is not lon,lat")
        out.append(tuple(float(p) for p in parts[:3]))
    return out


def _kml_geometry(elem):
    kind = _local(elem.tag)
    if kind == "Point":
        pts = _coords(_child_text(elem, "coordinates"))
        if len(pts) != 1:
            raise ValueError("a Point needs one coordinate")
        return shapely.Point(pts[0])
    if kind in ("LineString", "LinearRing"):
        return shapely.LineString(_coords(_child_text(elem, "coordinates")))
    if kind == "Polygon":
        rings = {"outerBoundaryIs": [], "innerBoundaryIs": []}
        for side in elem:
            if _local(side.tag) in rings:
                for ring in side:
                    if _local(ring.tag) == "LinearRing":
                        rings[_local(side.tag)].append(_coords(_child_text(ring, "coordinates")))
        if len(rings["outerBoundaryIs"]) != 1:
            raise ValueError("a Polygon needs one outer boundary")
        return shapely.Polygon(rings["outerBoundaryIs"][0], rings["innerBoundaryIs"])
    if kind == "MultiGeometry":
        parts = [_kml_geometry(c) for c in elem if _local(c.tag) in KML_GEOMETRIES]
        types = {p.geom_type for p in parts}
        if types == {"Point"}:
            return shapely.MultiPoint(parts)
        if types == {"LineString"}:
            return shapely.MultiLineString(parts)
        if types == {"Polygon"}:
            return shapely.MultiPolygon(parts)
        return shapely.GeometryCollection(parts)
    raise ValueError(f"KML {kind} geometries are not supported")


def _child_text(elem, local: str) -> str | None:
    for c in elem:
        if _local(c.tag) == local:
            return c.text
    return None


def _kml_time(value: str | None) -> str | None:
    """A KML dateTime as its date when it is one (as GDAL's drivers gave it), else the text as is."""
    if value is None:
        return None
    value = value.strip()
    found = re.match(r"^(\d{4}-\d{2}-\d{2})T", value)
    return found.group(1) if found else value


class _KML:
    def __init__(self, path: Path, name: str, stem: str):
        self.path, self.name, self.layer, self.crs = path, name, stem, WGS84
        names: dict[str, None] = {"Name": None, "Description": None}
        for record, _geom, _problem in self._placemarks():
            for k in record:
                names.setdefault(k, None)
            if len(names) > MAX_FIELDS:
                raise Refused(name, f"has more than {MAX_FIELDS:,} distinct data fields; keep the ones you need")
        self.fields = _unique_fields(names)

    def _placemarks(self) -> Iterator[tuple[dict, object, tuple[str, str] | None]]:
        try:
            for _event, elem in SafeET.iterparse(str(self.path), events=("end",), forbid_dtd=True,
                                                 forbid_entities=True, forbid_external=True):
                if _local(elem.tag) != "Placemark":
                    continue
                yield self._placemark(elem)
                elem.clear()
        except defusedxml.DefusedXmlException as exc:
            raise Refused(self.name, f"is XML with a DTD or entity declarations ({type(exc).__name__}), which "
                                     "is refused: they can expand to gigabytes or read local files") from None
        except ParseError as exc:
            raise Refused(self.name, f"is not well-formed XML ({exc})") from None
        except RecursionError:
            raise Refused(self.name, "is XML nested too deeply to be KML") from None

    def _placemark(self, elem) -> tuple[dict, object, tuple[str, str] | None]:
        record: dict[str, object] = {}
        geom, problem = None, None
        for child in elem:
            kind = _local(child.tag)
            if kind == "name":
                record["Name"] = child.text
            elif kind == "description":
                record["Description"] = child.text
            elif kind in KML_TIMES:
                for part in child:
                    if _local(part.tag) == "when":   # a moment: the start of a span of one instant
                        record["begin"] = _kml_time(part.text)
                    elif _local(part.tag) in ("begin", "end"):
                        record[_local(part.tag)] = _kml_time(part.text)
            elif kind == "ExtendedData":
                for data in child.iter():
                    if _local(data.tag) == "Data" and data.get("name"):
                        record[data.get("name")] = _child_text(data, "value")
                    elif _local(data.tag) == "SimpleData" and data.get("name"):
                        record[data.get("name")] = data.text
            elif kind in KML_GEOMETRIES and geom is None and problem is None:
                try:
                    geom, reason = _finite(_kml_geometry(child))
                except (ValueError, TypeError, ShapelyError, RecursionError) as exc:
                    geom, reason = None, f"not a valid KML geometry ({str(exc).splitlines()[0][:120]})"
                problem = (kind, reason) if reason else None
        return {("geometry_" if k == "geometry" else k): v for k, v in record.items()}, geom, problem

    def batches(self, rows: int) -> Iterator[Batch]:
        todo: list = []
        for item in self._placemarks():
            todo.append(item)
            if len(todo) >= rows:
                yield self._batch(todo)
                todo = []
        if todo:
            yield self._batch(todo)

    def _batch(self, items: list) -> Batch:
        problems = {k: p for k, (_, _, p) in enumerate(items) if p}
        return Batch(self.layer, _frame([r for r, _, _ in items], self.fields, [g for _, g, _ in items], WGS84),
                     np.arange(len(items)), problems)


# ---------------------------------------------------------------- GeoPackage and Shapefile (GDAL, private copies)

class _GDAL:
    def __init__(self, path: Path, layer: str, name: str, tmp: Path, *, driver: str | None = None):
        self.path, self.layer, self.name, self.tmp = path, layer, name, tmp
        try:
            info = pyogrio.read_info(path, layer=layer)
        except Exception as exc:  # pyogrio raises several types for unreadable data
            raise Refused(name, f"layer {layer!r} cannot be read ({_reason(exc, tmp)})") from None
        if driver is not None and info.get("driver") != driver:
            raise Refused(name, f"was not read as a {driver} file; refused")
        if len(info["fields"]) > MAX_FIELDS:
            raise Refused(name, f"layer {layer!r} has more than {MAX_FIELDS:,} fields; keep the ones you need")
        self.fields = [str(f) for f in info["fields"]]
        self.crs = info.get("crs")

    def batches(self, rows: int) -> Iterator[Batch]:
        skip = 0
        while True:
            try:
                gdf = pyogrio.read_dataframe(self.path, layer=self.layer, skip_features=skip, max_features=rows,
                                             on_invalid="ignore")
            except Exception as exc:
                raise Refused(self.name, f"layer {self.layer!r} cannot be read ({_reason(exc, self.tmp)})") from None
            if len(gdf) == 0:
                return
            if not isinstance(gdf, gpd.GeoDataFrame):
                gdf = gpd.GeoDataFrame(gdf, geometry=gpd.GeoSeries([None] * len(gdf), index=gdf.index), crs=self.crs)
            gdf = gdf.rename_geometry("geometry") if gdf.geometry.name != "geometry" else gdf
            geoms, problems = list(gdf.geometry.values), {}
            for k, geom in enumerate(geoms):
                if geom is not None:
                    geoms[k], problem = _finite(geom)
                    if problem:
                        problems[k] = (geom.geom_type, problem)
            if problems:
                gdf = gdf.set_geometry(gpd.GeoSeries(np.array(geoms, dtype=object), index=gdf.index, crs=gdf.crs))
            skip += len(gdf)
            yield Batch(self.layer, gdf, np.arange(len(gdf)), problems)
            if len(gdf) < rows:
                return


def _reason(exc: Exception, tmp: Path) -> str:
    """GDAL's first line, without our private folder's path."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.replace(str(tmp) + "/", "").replace(str(tmp), "")[:160]


def _gdal_parts(path: Path, name: str, tmp: Path, *, driver: str | None = None) -> list[_Part]:
    """The layers with geometry of a private copy; `driver`: the only GDAL driver that may have read it
    (pyogrio cannot name one when opening, so the copy's header was checked first and this is checked after)."""
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        what = f"{driver} file" if driver else "GeoPackage or Shapefile"
        raise Refused(name, f"is not a readable {what} ({_reason(exc, tmp)})") from None
    return [_GDAL(path, str(layer), name, tmp, driver=driver) for layer, geometry in layers if geometry is not None]


# ---------------------------------------------------------------- zip archives

def _unsafe(member: str) -> bool:
    parts = re.split(r"[\\/]+", member)
    return member.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", member)) or ".." in parts \
        or "\x00" in member


def _unpack(path: Path, name: str, tmp: Path) -> list[_Part]:
    """The accepted layers of a zip: members checked (path, count, sizes, ratio) before any is read,
    Shapefiles and GeoJSON/KML/GeoPackage members unpacked under names chosen here, then opened."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Refused(name, f"is not a valid zip archive ({str(exc)[:120]})") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_MEMBERS:
            raise Refused(name, f"holds {len(infos):,} files, more than the {MAX_MEMBERS} accepted in a zip archive")
        for info in infos:
            shown = info.filename[:80]
            if _unsafe(info.filename):
                raise Refused(name, f"holds a member with an unsafe path ({shown!r}); refused")
            if info.flag_bits & 0x1:
                raise Refused(name, f"member {shown!r} is encrypted")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
                raise Refused(name, f"member {shown!r} would unpack {info.file_size / max(1, info.compress_size):,.0f}"
                                    f" times its size (a zip bomb?); refused")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNPACKED_BYTES:
            raise Refused(name, f"would unpack to {total / 2**20:,.0f} MB, more than the "
                                f"{MAX_UNPACKED_BYTES // 2**20} MB accepted")
        wanted = [i for i in infos if not i.filename.startswith("__MACOSX/")
                  and not Path(i.filename).name.startswith("._")]
        shapes: dict[str, dict[str, zipfile.ZipInfo]] = {}
        others = []
        for info in wanted:
            suffix = Path(info.filename).suffix.lower()
            if suffix in SHAPE_PARTS:
                shapes.setdefault(info.filename[: -len(suffix)].lower(), {})[suffix] = info
            elif suffix in ZIP_MEMBERS:
                others.append(info)
        shapes = {k: v for k, v in shapes.items() if ".shp" in v}
        if not shapes and not others:
            raise Refused(name, "the zip archive holds no Shapefile (.shp), GeoPackage, GeoJSON or KML")
        budget = [MAX_UNPACKED_BYTES]
        parts: list[_Part] = []
        used: set[str] = set()
        for key in sorted(shapes):
            group = shapes[key]
            shown = group[".shp"].filename[:80]
            missing = [s for s in (".shx", ".dbf") if s not in group]
            if missing:
                raise Refused(name, f"member {shown!r} has no {' or '.join(missing)} beside it")
            stem = _safe_stem(Path(group[".shp"].filename).stem, used)
            for suffix, info in group.items():
                target = tmp / f"{stem}{suffix}"
                _extract(zf, info, target, name, budget)
                _check_magic(target, suffix, info.filename, name)
            parts += _gdal_parts(tmp / f"{stem}.shp", name, tmp)
        for k, info in enumerate(sorted(others, key=lambda i: i.filename)):
            shown = info.filename[:80]
            target = tmp / f"member{k}{Path(info.filename).suffix.lower()}"
            _extract(zf, info, target, name, budget)
            with target.open("rb") as fh:
                kind = _kind(fh.read(64 * 1024), f"{name} (member {shown})")
            parts += _parts(target, kind, name, tmp, member=Path(info.filename).name)
    return parts


def _safe_stem(stem: str, used: set[str]) -> str:
    """A file stem for a layer: the member's own (it names the layer), reduced to safe characters."""
    base = re.sub(r"[^\w.-]", "_", stem).strip("._")[:80] or "layer"
    out, n = base, 1
    while out.lower() in used:
        n += 1
        out = f"{base}_{n}"
    used.add(out.lower())
    return out


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, name: str, budget: list[int]) -> None:
    """Copy one member to `target`, counting real bytes against its declared size and the budget."""
    shown = info.filename[:80]
    written = 0
    try:
        with zf.open(info) as src, target.open("wb") as dst:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                written += len(block)
                if written > info.file_size or written > budget[0]:
                    raise Refused(name, f"member {shown!r} unpacks to more than it declares; refused")
                dst.write(block)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise Refused(name, f"member {shown!r} is corrupt ({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})") from None
    budget[0] -= written


def _check_magic(path: Path, suffix: str, member: str, name: str) -> None:
    with path.open("rb") as fh:
        head = fh.read(100)
    shown = member[:80]
    if suffix in (".shp", ".shx") and (len(head) < 100 or not head.startswith(SHAPE_MAGIC)):
        raise Refused(name, f"member {shown!r} is not a Shapefile {suffix} (bad header)")
    if suffix == ".dbf" and (len(head) < 32 or head[0] not in DBF_VERSIONS):
        raise Refused(name, f"member {shown!r} is not a dBASE .dbf table (bad header)")
    if suffix in (".prj", ".cpg") and path.stat().st_size > 64 * 1024:
        raise Refused(name, f"member {shown!r} is too large for a {suffix} file")
