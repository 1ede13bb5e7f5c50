// Shows the town's latitude/longitude fields on a small Leaflet map and lets editors set them.
(function () {
  "use strict";
  function setUp() {
    var box = document.getElementById("town-map");
    var lat = document.getElementById("id_latitude");
    var lon = document.getElementById("id_longitude");
    if (!box || !lat || !lon || typeof L === "undefined") return;
    var config = JSON.parse(document.getElementById("town-map-config").textContent);
    var readOnly = lat.disabled || lat.readOnly;
    var start = [parseFloat(lat.value), parseFloat(lon.value)];
    var known = isFinite(start[0]) && isFinite(start[1]);
    var map = L.map(box).setView(known ? start : [35, 38], known ? 9 : 6);
    if (config.tiles.url) {
      L.tileLayer(config.tiles.url, { maxZoom: 18, attribution: config.tiles.attribution }).addTo(map);
    }
    if (config.areas.features.length) {
      var outlines = L.geoJSON(config.areas, {
        interactive: false, style: { color: "#555", weight: 1, fillOpacity: 0.04 },
      }).addTo(map);
      if (!known) map.fitBounds(outlines.getBounds());
    }
    var marker = L.marker(known ? start : [35, 38], { draggable: !readOnly });
    if (known) marker.addTo(map);
    function put(latlng) {
      // Six decimals is about 0.1 m: enough for a town, and keeps the fields readable.
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      marker.setLatLng(latlng).addTo(map);
    }
    if (!readOnly) {
      marker.on("dragend", function () { put(marker.getLatLng()); });
      map.on("click", function (event) { put(event.latlng); });
      [lat, lon].forEach(function (input) {
        input.addEventListener("change", function () {
          var here = [parseFloat(lat.value), parseFloat(lon.value)];
          if (isFinite(here[0]) && isFinite(here[1])) { marker.setLatLng(here).addTo(map); map.panTo(here); }
        });
      });
    }
  }
  document.addEventListener("DOMContentLoaded", setUp);
})();
