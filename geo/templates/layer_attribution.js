{#- LayerAttribution: see geo/mapview.py. The credits arrive HTML-escaped, as JSON (|tojs); Leaflet's
    attribution box shows them while the layer is on the map and drops them when it is removed. -#}
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.options.attribution = {{ this.data|tojs }};
{% endmacro %}
