{#- NorthArrow: see geo/snapshot.py. No data: a fixed drawing, built with DOM calls. -#}
{% macro script(this, kwargs) %}
(function () {
  var arrow = L.control({position: 'bottomleft'});
  arrow.onAdd = function () {
    var ns = 'http://www.w3.org/2000/svg', box = atlas.el('div', null, 'atlas-north');
    box.id = 'atlas-north';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', '34'); svg.setAttribute('height', '46'); svg.setAttribute('viewBox', '0 0 34 46');
    function shape(tag, attrs) {
      var e = document.createElementNS(ns, tag);
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
      svg.appendChild(e);
    }
    shape('polygon', {points: '17,14 26,42 17,35', fill: '#222'});
    shape('polygon', {points: '17,14 8,42 17,35', fill: '#fff', stroke: '#222', 'stroke-width': '1.2'});
    var n = document.createElementNS(ns, 'text');
    n.setAttribute('x', '17'); n.setAttribute('y', '12'); n.setAttribute('text-anchor', 'middle');
    n.setAttribute('font-size', '13'); n.setAttribute('font-weight', '700'); n.setAttribute('font-family', 'system-ui, sans-serif');
    n.textContent = 'N';
    svg.appendChild(n);
    box.appendChild(svg);
    return box;
  };
  arrow.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
