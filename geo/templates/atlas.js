{#- AtlasScript: see geo/mapview.py. Data arrives only as template variables, as JSON (|tojs). -#}
{% macro header(this, kwargs) %}
<style>
.atlas-popup { font: 12px/1.35 system-ui, sans-serif; max-width: 280px; }
.atlas-popup .atlas-key { color: #555; }
.atlas-label { background: rgba(255,255,255,0.75); border: 0; box-shadow: none; padding: 0 3px;
  font: 11px/1.2 system-ui, sans-serif; color: #222; white-space: nowrap; }
.atlas-label .ar { direction: rtl; unicode-bidi: isolate; }
.atlas-legend { background: rgba(255,255,255,0.92); padding: 6px 8px; font: 11px/1.3 system-ui, sans-serif;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 250px; }
.atlas-legend h4 { margin: 4px 0 2px; font-size: 11px; }
.atlas-legend-head { font-weight: bold; color: #222; text-decoration: none; }
.atlas-legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.atlas-cluster { border-radius: 50%; color: #fff; font: bold 11px/1 system-ui, sans-serif; text-align: center;
  border: 2px solid rgba(255,255,255,0.9); box-shadow: 0 0 0 1px rgba(0,0,0,0.35); opacity: 0.9; }
.atlas-selected { box-shadow: 0 0 0 4px #00e5ff; }
.atlas-notice { background: #fff3cd; padding: 3px 6px; font: 11px system-ui, sans-serif; border-radius: 3px; }
.atlas-rtl .atlas-popup, .atlas-rtl .atlas-label, .atlas-rtl .atlas-legend, .atlas-rtl .atlas-notice,
.atlas-rtl .atlas-time { font-family: 'Noto Sans Arabic', system-ui, sans-serif; }
.atlas-legend[dir=rtl] i { margin-right: 0; margin-left: 4px; }
.atlas-rtl .leaflet-control-scale-line { direction: ltr; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
window.atlas = window.atlas || {};
(function () {
  var o = {{ this.options|tojs }};
  if (!o.rtl) { return; }
  document.documentElement.classList.add('atlas-rtl');
  if (o.font && window.FontFace && document.fonts) {
    var face = new FontFace(o.font.family, 'url(' + JSON.stringify(o.font.url) + ')');
    face.load().then(function (f) { document.fonts.add(f); }, function () {});
  }
})();
atlas.el = function (tag, text, cls) {
  var e = document.createElement(tag);
  if (text !== undefined && text !== null) { e.textContent = String(text); }
  if (cls) { e.className = cls; }
  return e;
};
atlas.rows = function (title, rows, rtl) {
  var box = atlas.el('div', null, 'atlas-popup');
  if (rtl) { box.dir = 'rtl'; }
  box.appendChild(atlas.el('b', title));
  rows.forEach(function (r) {
    if (r[1] === undefined || r[1] === null || r[1] === '') { return; }
    var line = atlas.el('div');
    line.appendChild(atlas.el('span', r[0] + ': ', 'atlas-key'));
    var v = atlas.el('span', r[1]);
    if (/[\u0600-\u06FF]/.test(String(r[1]))) { v.dir = 'rtl'; }
    line.appendChild(v);
    box.appendChild(line);
  });
  return box;
};
atlas.mark = function (map, key, value) {
  var c = map.getContainer();
  c.dataset[key] = String(value);
  c.dataset.drawn = String((Number(c.dataset.drawn) || 0) + 1);
};
atlas.incidentLayer = function (data, o) {
  var w = o.words;
  var chosen = function (p) {
    return !!o.selected && (p.id === o.selected || (p.ids || []).indexOf(o.selected) >= 0);
  };
  var layer = L.geoJSON(data, {
    pointToLayer: function (f, ll) {
      var p = f.properties, colour = o.colours[p.t] || '#777', r = p.r;
      if (p.kind === 'cluster') {
        var size = Math.round(2 * r), dot = atlas.el('div', p.n, 'atlas-cluster');
        dot.style.background = colour; dot.style.width = size + 'px'; dot.style.height = size + 'px';
        dot.style.lineHeight = size + 'px';
        if (chosen(p)) { dot.className += ' atlas-selected'; }
        return L.marker(ll, {icon: L.divIcon({html: dot, className: '', iconSize: [size, size]}),
                             bubblingMouseEvents: false, zIndexOffset: chosen(p) ? 1000 : 0});
      }
      var style = {radius: r, color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.85, bubblingMouseEvents: false};
      if (p.p === 1) { style.color = '#ffffff'; style.weight = 1; }
      else if (p.p === 2) { style.fillOpacity = 0.12; style.weight = 2.5; }
      else { style.fillOpacity = 0.06; style.weight = 2; style.dashArray = '3 3'; style.radius = r + 4; }
      if (chosen(p)) { style.color = '#00e5ff'; style.weight = 4; style.dashArray = null; style.className = 'atlas-selected'; }
      return L.circleMarker(ll, style);
    },
    onEachFeature: function (f, lyr) {
      var p = f.properties;
      if (p.kind === 'cluster') {
        lyr.bindPopup(function () {
          var box = atlas.rows(p.title, [[w.dates, p.d], [w.killed, p.k], [w.places, p.places]], w.rtl);
          p.types.forEach(function (t) { box.appendChild(atlas.el('div', t[1] + ' × ' + (w.types[t[0]] || t[0]))); });
          box.appendChild(atlas.el('div', w.zoom_in, 'atlas-key'));
          return box;
        });
        lyr.bindTooltip(function () { return atlas.el('span', p.tip); }, {sticky: true});
        return;
      }
      lyr.bindPopup(function () {
        return atlas.rows(p.n, [[w.date, p.d], [w.type, p.ty], [w.killed, p.k], [w.precision, o.precision[p.p]],
                                [w.source, p.s]], w.rtl);
      });
      lyr.bindTooltip(function () { return atlas.el('span', p.n); }, {sticky: true});
    }
  });
  layer.eachLayer(function (l) { if (chosen(l.feature.properties) && l.bringToFront) { l.bringToFront(); } });
  // The layers are redrawn when an incident is picked: its popup opens again on the new layer.
  layer.on('add', function () {
    layer.eachLayer(function (l) {
      if (l.feature.properties.kind === 'incident' && chosen(l.feature.properties)) {
        setTimeout(function () { if (l._map) { l.openPopup(); } }, 0);
      }
    });
  });
  return layer;
};
atlas.controlLayer = function (data, o) {
  var w = o.words;
  return L.geoJSON(data, {
    style: function (f) { return f.properties.style; },
    onEachFeature: function (f, lyr) {
      lyr.bindPopup(function () {
        var p = f.properties, box = atlas.rows(p.names.controller, [[w.control, p.names.control_type],
          [w.area, p.label], [w.period, p.period], [w.confidence, p.names.confidence], [w.basis, p.basis_text],
          [w.kind, p.held ? w.held : w.not_held],
          [w.geometry, p.approximate ? w.approximate : w.as_supplied],
          [w.notes, p.notes]], w.rtl);
        box.appendChild(atlas.el('div', w.sources, 'atlas-key'));
        p.sources.forEach(function (s) {
          var line = atlas.el('div');
          if (s.url && /^https?:\/\//.test(s.url)) {
            var a = atlas.el('a', s.title || s.publisher || s.url); a.href = s.url; a.target = '_blank'; a.rel = 'noopener';
            line.appendChild(a);
          } else { line.appendChild(atlas.el('span', s.title || s.publisher || s.url)); }
          box.appendChild(line);
        });
        return box;
      }, {maxWidth: 320});
    }
  });
};
{% endmacro %}
