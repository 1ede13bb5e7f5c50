/* A map on the admin's control-change form: every town as a dot in its controller's colour on the
 * change's date (the public towns layer, /api/control.geojson), the chosen town ringed and centred.
 * A click on a dot makes that town the change's town, as the town search does (admintownsearch.js).
 * Names reach the page as text only. */
(function () {
  "use strict";
  var cm = window.conflictmap;

  function setUp() {
    var box = document.getElementById("change-map");
    var select = document.getElementById("id_town");
    var dateBox = document.getElementById("id_effective_date");
    var caption = document.getElementById("change-map-caption");
    if (!box || typeof L === "undefined" || !cm) return;
    if (!select) {
      box.parentNode.hidden = true; // a read-only view: the town cannot be chosen here
      return;
    }
    var configNode = document.getElementById("change-map-config");
    var config = (configNode && JSON.parse(configNode.textContent)) || {};
    var townsUrl = box.dataset.townsUrl;
    var tiles = config.tiles || {};
    var map = L.map(box, { zoomSnap: 0.25 }).fitBounds([[32.2, 35.5], [37.4, 42.5]]);
    if (tiles.url) L.tileLayer(tiles.url, { maxZoom: 18, attribution: tiles.attribution || "" }).addTo(map);
    window.__changeMap = map; // for the browser tests and for debugging in the console
    var renderer = L.canvas({ tolerance: 4 });
    var towns = L.layerGroup().addTo(map);
    var byId = {};
    var chosen = L.circleMarker([0, 0], {
      radius: 11, color: "#1a5fb4", weight: 3, fill: false, interactive: false,
    });
    var loaded = null; // the date whose towns are drawn

    function describe(p) {
      if (!p) return "";
      var who = p.faction_name ? "held by " + p.faction_name : "no control recorded";
      return p.name + ": " + who + (p.since_label ? " since " + p.since_label : "");
    }

    function showChosen(pan) {
      var marker = byId[select.value];
      if (!marker) {
        map.removeLayer(chosen);
        caption.textContent = select.value ? "" : "Click a town on the map, or find it above, to choose it.";
        return;
      }
      chosen.setLatLng(marker.getLatLng()).addTo(map);
      caption.textContent = describe(marker.cmProps) + (loaded ? " (on " + loaded + ")" : "");
      if (pan) map.setView(marker.getLatLng(), Math.max(map.getZoom(), 8));
    }

    function draw(collection, date) {
      towns.clearLayers();
      byId = {};
      (collection.features || []).forEach(function (f) {
        var p = f.properties || {};
        var c = f.geometry.coordinates;
        var marker = L.circleMarker([c[1], c[0]], {
          renderer: renderer, radius: p.faction ? 5 : 3, weight: 1, color: "#ffffff",
          fillColor: p.colour || config.no_record, fillOpacity: p.faction ? 0.95 : 0.5,
        });
        marker.cmProps = p;
        marker.bindTooltip(function () { return cm.el ? cm.el("span", describe(p)) : document.createTextNode(describe(p)); });
        marker.on("click", function () {
          cm.adminPickTown(select, { id: p.town_id, name: p.name });
          showChosen(false);
        });
        byId[String(p.town_id)] = marker;
        towns.addLayer(marker);
      });
      loaded = date;
      box.dataset.loadedDate = date || "latest";
      box.dataset.towns = String(collection.features ? collection.features.length : 0);
      showChosen(true);
    }

    // The admin's date box takes YYYY-MM-DD or (British English) DD/MM/YYYY.
    function isoDate(text) {
      if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
      var dmy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
      if (!dmy) return "";
      return dmy[3] + "-" + ("0" + dmy[2]).slice(-2) + "-" + ("0" + dmy[1]).slice(-2);
    }

    function load() {
      var date = isoDate(dateBox ? dateBox.value.trim() : "");
      var url = townsUrl + (date ? "?date=" + encodeURIComponent(date) : "");
      return fetch(url, { headers: { Accept: "application/geo+json" } })
        .then(function (r) {
          if (r.ok) return r.json();
          // A date the layer refuses (in the future): the latest records instead.
          if (date) { date = ""; return fetch(townsUrl).then(function (r2) { return r2.json(); }); }
          throw new Error(url + " answered " + r.status);
        })
        .then(function (collection) { draw(collection, date); })
        .catch(function (error) { caption.textContent = "Could not load the towns: " + error.message; });
    }

    select.addEventListener("change", function () { showChosen(true); });
    // select2 (the admin's autocomplete box) tells its changes through django.jQuery only.
    if (window.django && window.django.jQuery) window.django.jQuery(select).on("change", function () { showChosen(true); });
    if (dateBox) dateBox.addEventListener("change", load);
    load();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
