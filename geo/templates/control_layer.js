{#- ControlLayer: see geo/mapview.py. Data arrives only as template variables, as JSON (|tojs). -#}
{% macro script(this, kwargs) %}
(function () {
  var data = {{ this.data|tojs }};
  var map = {{ this._parent._parent.get_name() if this._parent._parent else 'map_div' }};
  var layer = atlas.controlLayer(data, {{ this.options|tojs }}).addTo({{ this._parent.get_name() }});
  layer.bringToBack();
  atlas.mark(map, 'control', data.features.length);
})();
{% endmacro %}
