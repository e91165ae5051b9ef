{#- Legend: see geo/mapview.py. Data arrives only as template variables, as JSON (|tojs). -#}
{% macro script(this, kwargs) %}
(function () {
  var d = {{ this.data|tojs }}, o = {{ this.options|tojs }};
  var legend = L.control({position: 'bottomright'});
  legend.onAdd = function () {
    var outer = atlas.el('div', null, 'atlas-legend');
    outer.id = 'atlas-legend';
    outer.dir = d.dir;
    var closed = d.dir === 'rtl' ? ' ◂' : ' ▸';
    var head = atlas.el('a', d.titles.legend + (o.collapsed ? closed : ' ▾'), 'atlas-legend-head');
    head.href = '#';
    var box = atlas.el('div');
    box.style.display = o.collapsed ? 'none' : 'block';
    head.onclick = function (ev) {
      ev.preventDefault();
      var open = box.style.display === 'none';
      box.style.display = open ? 'block' : 'none';
      head.textContent = d.titles.legend + (open ? ' ▾' : closed);
    };
    outer.appendChild(head); outer.appendChild(box);
    function section(title, items, swatch) {
      box.appendChild(atlas.el('h4', title));
      items.forEach(function (it) {
        var line = atlas.el('div');
        var i = atlas.el('i'); swatch(i, it); line.appendChild(i);
        line.appendChild(document.createTextNode(it[0]));
        box.appendChild(line);
      });
    }
    section(d.titles.types, d.types, function (i, it) { i.style.background = it[1]; i.style.borderRadius = '50%'; });
    section(d.titles.precision, d.precision, function (i, it) {
      i.style.borderRadius = '50%'; i.style.border = '2px ' + it[1] + ' #444';
      i.style.background = it[2]; i.style.width = '8px'; i.style.height = '8px'; });
    section(d.titles.controllers, d.controllers, function (i, it) {
      i.style.background = it[1]; i.style.opacity = 0.6; });
    section(d.titles.control_types, d.control_types, function (i, it) {
      i.style.border = '2px ' + it[1] + ' #333'; i.style.width = '14px'; i.style.height = '8px';
      i.style.background = 'rgba(0,0,0,' + it[2] + ')'; });
    box.appendChild(atlas.el('div', d.note));
    L.DomEvent.disableClickPropagation(outer);
    L.DomEvent.disableScrollPropagation(outer);
    return outer;
  };
  legend.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
