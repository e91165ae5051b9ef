{#- TimeSlider: see geo/mapview.py. Data arrives only as template variables, as JSON (|tojs). -#}
{% macro header(this, kwargs) %}
<style>
.atlas-time { background: rgba(255,255,255,0.95); padding: 6px 10px; border-radius: 4px; min-width: 420px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 13px system-ui, sans-serif; }
.atlas-time input[type=range] { width: 100%; }
.atlas-time .atlas-date { font-size: 20px; font-weight: bold; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }}, d = {{ this.data|tojs }}, o = {{ this.options|tojs }};
  var DAY = 86400000, incidents = null, areas = null;
  var control = L.control({position: 'topright'});
  var box = atlas.el('div', null, 'atlas-time');
  var label = atlas.el('div', '', 'atlas-date');
  var sub = atlas.el('div', '', 'atlas-key');
  var slider = document.createElement('input');
  slider.type = 'range'; slider.min = d.first; slider.max = d.last; slider.step = 1; slider.value = d.start;
  slider.id = 'atlas-time-slider';
  var w = o.words;
  if (w.dir === 'rtl') { box.dir = 'rtl'; }
  var play = atlas.el('button', w.play);
  play.id = 'atlas-play';
  box.appendChild(label); box.appendChild(slider); box.appendChild(play); box.appendChild(sub);
  control.onAdd = function () { L.DomEvent.disableClickPropagation(box); return box; };
  control.addTo(map);
  function fmt(day) { return new Date(day * DAY).toISOString().slice(0, 10); }
  function draw() {
    var day = Number(slider.value), from = day - o.trail_days + 1;
    label.textContent = fmt(day);
    var iso = function (text) { return w.isolate[0] + text + w.isolate[1]; };
    sub.textContent = w.caption.split('{start}').join(iso(fmt(from))).split('{end}').join(iso(fmt(day)))
      .split('{days}').join(String(o.trail_days)).split('{day}').join(iso(fmt(day)));
    if (incidents) { map.removeLayer(incidents); }
    if (areas) { map.removeLayer(areas); }
    areas = atlas.controlLayer({type: 'FeatureCollection', features: d.control.features.filter(function (f) {
      return f.properties.t0 <= day && (f.properties.t1 === null || day < f.properties.t1); })}, o.style).addTo(map);
    areas.bringToBack();
    var shown = d.incidents.features.filter(function (f) { return f.properties.t1 >= from && f.properties.t0 <= day; });
    incidents = atlas.incidentLayer({type: 'FeatureCollection', features: shown}, o.style).addTo(map);
    atlas.mark(map, 'incidents', shown.length);
    atlas.mark(map, 'control', areas.getLayers().length);
    atlas.mark(map, 'day', fmt(day));
  }
  var timer = null;
  play.onclick = function () {
    if (timer) { clearInterval(timer); timer = null; play.textContent = w.play; return; }
    play.textContent = w.pause;
    timer = setInterval(function () {
      var next = Number(slider.value) + o.step_days;
      if (next > d.last) { clearInterval(timer); timer = null; play.textContent = w.play; return; }
      slider.value = next; draw();
    }, o.interval_ms);
  };
  slider.addEventListener('input', draw);
  draw();
})();
{% endmacro %}
