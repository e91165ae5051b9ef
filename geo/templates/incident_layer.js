{#- IncidentLayer: see geo/mapview.py. Data arrives only as template variables, as JSON (|tojs). -#}
{% macro script(this, kwargs) %}
(function () {
  var data = {{ this.data|tojs }}, o = {{ this.options|tojs }};
  var map = {{ this._parent._parent.get_name() if this._parent._parent else 'map_div' }};
  atlas.incidentLayer(data, o).addTo({{ this._parent.get_name() }});
  atlas.mark(map, 'points', data.features.length);
  atlas.mark(map, 'incidents', data.features.reduce(function (a, f) {
    return a + (f.properties.kind === 'cluster' ? f.properties.n : 1); }, 0));
})();
{% endmacro %}
