"""Data never becomes template code: place names, ids, file names, control fields and boundary names
holding Jinja syntax are drawn as text by the map, the exports and the CLI."""
import subprocess
import sys

import pytest

from events import store
from geo import boundaries, control, elements, gazetteer, mapview, snapshot
from tests.conftest import ROOT
from tests.events.factory import rows

UNBALANCED = ["{{", "{%", "{#", "{{ x", "{% if %}", "{# never closed", "}} {{", "{% raw %}{{"]


def _payload(marker) -> str:
    return "{{ cycler.__init__.__globals__.os.system('id > %s') }}" % marker


def test_js_json_is_inert_as_template_text_and_as_script():
    text = elements.js_json({"a": "{{ 7*7 }} {% x %} {# c", "b": "</script><!--", "c": "\u2028"})
    assert "{{" not in text and "{%" not in text and "{#" not in text and "<" not in text
    import json
    assert json.loads(text) == {"a": "{{ 7*7 }} {% x %} {# c", "b": "</script><!--", "c": "\u2028"}


def test_crafted_place_name_is_not_executed_by_the_snapshot_cli(tmp_path):
    """Issue 9 reproducer 1: import a CSV whose place runs code, then `python -m geo snapshot`."""
    marker = tmp_path / "pwned"
    csv = tmp_path / "crafted.csv"
    csv.write_text("date,place,lat,lon,event_type,killed,source,notes\n"
                   f"2016-05-01,\"{_payload(marker)}\",35.47,44.39,Battles,2,Test,\"{{{{ 7*7 }}}} {{% if %}}\"\n",
                   encoding="utf-8")
    gpkg = tmp_path / "s.gpkg"
    out = subprocess.run([sys.executable, "-m", "events", "import", str(csv), "--store", str(gpkg), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert store.info(gpkg)["incidents"] >= 1
    page = tmp_path / "x.html"
    out = subprocess.run([sys.executable, "-m", "geo", "snapshot", "--store", str(gpkg), "--out", str(page),
                          "--from", "2016-01-01", "--to", "2016-12-31"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert not marker.exists(), "template code from a place name ran on the server"
    text = page.read_text(encoding="utf-8")
    assert "cycler.__init__.__globals__.os.system" in text  # drawn as text (JSON-escaped braces)
    assert "49" not in text.split("cycler")[0][-200:]


@pytest.mark.parametrize("name", UNBALANCED)
def test_unbalanced_template_syntax_in_any_text_still_renders(name):
    """Issue 9 reproducer 4: a `{{`, `{%` or `{#` in a place, an id or a data-set name broke every render."""
    frame = rows([{"place": name, "notes": name, "actor1": name, "source_id": name, "date_start": "2016-05-01",
                   "date_end": "2016-05-01"}], dataset=f"file {name}")
    view = snapshot.view_for(start="2016-01-01", end="2016-12-31")
    page = snapshot.snapshot_page(frame, view, data_version="t")
    assert "atlas.incidentLayer" in page and "file " in page


def test_control_fields_and_boundary_names_are_not_templates(tmp_path):
    """A user's control areas and official boundaries whose names hold template code (drawn on
    every user's page once loaded): rendered, nothing runs."""
    marker = tmp_path / "pwned"
    payload = _payload(marker)
    layers = control.default_layers().head(1).copy()
    for col in ("controller", "label", "notes", "area_id"):
        layers[col] = payload
    bounds = boundaries.approximate_boundaries().copy()
    bounds["name_en"] = payload + " {% if"
    m = mapview.build_map(boundaries=bounds, places=mapview.label_places(gazetteer.load_gazetteer()), overlays=[mapview.control_layer(layers)])
    page = m.get_root().render()
    assert not marker.exists()
    assert "cycler.__init__" in page  # the control area's fields, as text


def test_streamlit_folium_gets_plain_script_text():
    """streamlit-folium concatenates each element's script to the page's: a Markup (autoescape) would
    HTML-escape the page's own code before it (`L.map(&#34;map_div&#34;…)`) and no map would draw."""
    from streamlit_folium import generate_leaflet_string

    m = mapview.build_map(boundaries=boundaries.approximate_boundaries(),
                          places=mapview.label_places(gazetteer.load_gazetteer()))
    group = mapview.incident_layer(rows([{"place": "A \"quoted\" <place> & co", "date_start": "2016-05-01",
                                          "date_end": "2016-05-01"}]))
    group.add_to(m)
    group.render()
    script = generate_leaflet_string(m) + generate_leaflet_string(group)
    assert "&#34;" not in script and "&lt;" not in script and "atlas.incidentLayer" in script
    assert "\\u003cplace\\u003e" in script


def test_map_assets_are_declared_per_map_never_patched_into_folium():
    """Issue 10: map assets were set by patching folium's classes for the whole process."""
    import folium
    import folium.plugins

    before = (list(folium.Map.default_js), list(folium.plugins.HeatMap.default_js))
    m = mapview.build_map(boundaries=boundaries.approximate_boundaries(),
                          places=mapview.label_places(gazetteer.load_gazetteer()), assets_url="/here")
    mapview.incident_layer(rows([{"date_start": "2016-05-01", "date_end": "2016-05-01"}]), heat=True,
                           assets_url="/here").add_to(m)
    page = m.get_root().render()
    assert '"/here/leaflet.js"' in page and '"/here/leaflet-heat.js"' in page and "cdn" not in page.lower()
    assert (list(folium.Map.default_js), list(folium.plugins.HeatMap.default_js)) == before
