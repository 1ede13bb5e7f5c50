// The governorate and district outlines on the control map, found under the pointer by the map
// itself (the towns' canvas lies over them and takes every click and hover). Both may be shown at
// once (districts drawn thinner, inside their governorates): the layer list's boxes are Leaflet's
// own and say what is drawn. (A switch that turned one off when the other came on fought Leaflet's
// layer control, which re-adds every ticked layer after a click: ticking Districts drew nothing.)
(function () {
  "use strict";
  var cm = (window.conflictmap = window.conflictmap || {});

  // The towns' canvas lies over the outlines and takes the pointer wherever it is (no town there
  // included), so the outlines never hear a click or a hover. The map does: it finds the outline
  // under the pointer itself and opens that area's tooltip or popup.
  function ringHas(ring, p) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i], b = ring[j];
      if ((a.lat > p.lat) !== (b.lat > p.lat) && p.lng < (b.lng - a.lng) * (p.lat - a.lat) / (b.lat - a.lat) + a.lng) inside = !inside;
    }
    return inside;
  }
  function polygonHas(rings, p) {
    // Leaflet nests [ring, hole...] per polygon, and a list of those for a multipolygon.
    if (rings.length && rings[0].length && rings[0][0].lat === undefined) return rings.some(function (r) { return polygonHas(r, p); });
    var inside = false;
    rings.forEach(function (ring) { if (ringHas(ring, p)) inside = !inside; });
    return inside;
  }
  function outlineAt(map, layers, latlng) {
    // The finer outline answers when both are shown.
    var group = map.hasLayer(layers.districts) ? layers.districts : map.hasLayer(layers.provinces) ? layers.provinces : null;
    var found = null;
    if (group) group.eachLayer(function (l) {
      if (!found && l.getLatLngs && l.getBounds().contains(latlng) && polygonHas(l.getLatLngs(), latlng)) found = l;
    });
    return found;
  }
  cm.outlinesByMap = function (map, layers) {
    var hovered = null;
    map.on("click", function (e) {
      var l = outlineAt(map, layers, e.latlng);
      if (l) l.openPopup(e.latlng);
    });
    map.on("mousemove", function (e) {
      var l = outlineAt(map, layers, e.latlng);
      if (hovered && hovered !== l) hovered.closeTooltip();
      hovered = l;
      if (l && !(l.getPopup() && l.isPopupOpen()) && l.getTooltip()) l.openTooltip(e.latlng);
    });
    map.on("mouseout", function () { if (hovered) hovered.closeTooltip(); hovered = null; });
  };
})();
