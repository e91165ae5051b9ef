{#- PlaceLabels: see geo/mapview.py. Data arrives only as template variables, as JSON (|tojs). -#}
{% macro script(this, kwargs) %}
(function () {
  var places = {{ this.data|tojs }};
  places.forEach(function (p) {
    var box = atlas.el('div');
    box.appendChild(atlas.el('span', p.en));
    if (p.ar) { box.appendChild(document.createTextNode(' · ')); box.appendChild(atlas.el('span', p.ar, 'ar')); }
    L.tooltip({permanent: true, direction: 'right', className: 'atlas-label', offset: [4, 0], interactive: false})
      .setLatLng([p.lat, p.lon]).setContent(box).addTo({{ this._parent.get_name() }});
  });
})();
{% endmacro %}
