{#- LabelLayout: see geo/snapshot.py. Data arrives only as template variables, as JSON (|tojs). -#}
{#- After layout, the permanent place labels are placed in priority order (lowest rank first): a label whose
    box overlaps one already placed (or the legend, scale bar, north arrow) is moved to the left, above or below
    its place, else dropped. The labels named in `always` are placed first and never dropped. -#}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }}, rank = {{ this.data|tojs }}, o = {{ this.options|tojs }};
  var box = map.getContainer();
  box.dataset.labels = 'pending';
  var spots = [['right', [4, 0]], ['left', [-4, 0]], ['top', [0, -4]], ['bottom', [0, 4]]];
  function hits(a, b) {
    return a.left < b.right + o.gap && b.left < a.right + o.gap && a.top < b.bottom + o.gap && b.top < a.bottom + o.gap;
  }
  function layout() {
    var area = box.getBoundingClientRect(), tips = [];
    map.eachLayer(function (l) {
      if (l instanceof L.Tooltip && l.options.permanent && l.getElement() &&
          (' ' + l.options.className + ' ').indexOf(' atlas-label ') >= 0) {
        var first = l.getElement().querySelector('span');
        var name = first ? first.textContent : '';
        var always = o.always.indexOf(name) >= 0;
        tips.push({tip: l, name: name, always: always,
                   rank: always ? -1 : (rank[name] === undefined ? o.unranked : rank[name]), order: tips.length});
      }
    });
    tips.sort(function (a, b) { return a.rank - b.rank || a.order - b.order; });
    var taken = [];
    o.obstacles.forEach(function (selector) {
      box.querySelectorAll(selector).forEach(function (e) {
        if (e.offsetParent !== null) { taken.push(e.getBoundingClientRect()); }
      });
    });
    var placed = 0, moved = 0, dropped = 0;
    tips.forEach(function (t) {
      var el = t.tip.getElement(), at = -1;
      for (var i = 0; i < spots.length && at < 0; i++) {
        t.tip.options.direction = spots[i][0];
        t.tip.options.offset = L.point(spots[i][1]);
        t.tip.update();
        var r = el.getBoundingClientRect();
        var inside = r.left >= area.left && r.right <= area.right && r.top >= area.top && r.bottom <= area.bottom;
        if (inside && !taken.some(function (b) { return hits(r, b); })) { at = i; }
      }
      if (at < 0 && t.always) {   // no free spot: an always-shown label keeps its first place regardless
        at = 0; t.tip.options.direction = spots[0][0]; t.tip.options.offset = L.point(spots[0][1]); t.tip.update();
      }
      if (at >= 0) {
        taken.push(el.getBoundingClientRect()); placed += 1; moved += at > 0 ? 1 : 0; el.dataset.placed = spots[at][0];
      } else { el.style.display = 'none'; el.dataset.placed = 'dropped'; dropped += 1; }
    });
    box.dataset.labels = 'placed ' + placed + ', moved ' + moved + ', dropped ' + dropped;
  }
  (document.fonts ? document.fonts.ready : Promise.resolve()).then(function () {
    requestAnimationFrame(layout);
  });
})();
{% endmacro %}
