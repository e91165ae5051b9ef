{#- OfflineFallback: see geo/mapview.py. Data arrives only as template variables, as JSON (|tojs). -#}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }}, opts = {{ this.options|tojs }};
  var online = [{% for t in this.tile_names %}{{ t }}{% if not loop.last %}, {% endif %}{% endfor %}];
  var offline = {{ this.offline_name }};
  var loaded = false, errors = 0, switched = false;
  function goOffline() {
    if (switched || loaded) { return; }
    switched = true;
    online.forEach(function (t) { if (map.hasLayer(t)) { map.removeLayer(t); } });
    if (!map.hasLayer(offline)) { map.addLayer(offline); }
    map.attributionControl.addAttribution(opts.attribution);
    var note = L.control({position: 'bottomleft'});
    note.onAdd = function () { return atlas.el('div', opts.message, 'atlas-notice'); };
    note.addTo(map);
    atlas.mark(map, 'base', 'offline');
  }
  online.forEach(function (t) {
    t.on('tileload', function () { loaded = true; });
    t.on('load', function () { if (!switched) { atlas.mark(map, 'base', 'online'); } });
    t.on('tileerror', function () { errors += 1; if (errors >= opts.errors) { goOffline(); } });
  });
  if (opts.offline_now) { goOffline(); } else { setTimeout(goOffline, opts.timeout_ms); }
})();
{% endmacro %}
