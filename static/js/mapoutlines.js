// The governorate and district outlines on the control map: one shown at a time, and found under the
// pointer by the map itself (the towns' canvas lies over them and takes every click and hover).
(function () {
  "use strict";
  var cm = (window.conflictmap = window.conflictmap || {});

  // Governorates or districts: turning one on in the layer list turns the other off.
  cm.outlinesSwitch = function (map, layers) {
    if (!layers.provinces || !layers.districts) return;
    map.on("overlayadd", function (event) {
      var other = event.layer === layers.districts ? layers.provinces : event.layer === layers.provinces ? layers.districts : null;
      if (other && map.hasLayer(other)) map.removeLayer(other);
    });
  };

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
