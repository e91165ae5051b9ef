{#- PlaceLabels: see geo/mapview.py. Data arrives only as template variables, as JSON (|tojs). -#}
{% macro script(this, kwargs) %}
(function () {
  var places = {{ this.data|tojs }}, o = {{ this.options|tojs }};
  places.forEach(function (p) {
    var box = atlas.el('div'), en = atlas.el('span', p.en), ar = p.ar ? atlas.el('span', p.ar, 'ar') : null;
    if (o.arabic_first && ar) {
      box.dir = 'rtl'; ar.dir = 'rtl'; en.dir = 'ltr';
      box.appendChild(ar); box.appendChild(document.createTextNode(' · ')); box.appendChild(en);
    } else {
      box.appendChild(en);
      if (ar) { box.appendChild(document.createTextNode(' · ')); box.appendChild(ar); }
    }
    L.tooltip({permanent: true, direction: 'right', className: 'atlas-label', offset: [4, 0], interactive: false})
      .setLatLng([p.lat, p.lon]).setContent(box).addTo({{ this._parent.get_name() }});
  });
})();
{% endmacro %}
