/* A map on the admin's control-change form: the governorates' outlines, every town as a dot in its
 * controller's colour on the change's date (the public towns layer, /api/control.geojson), the chosen
 * town ringed, centred and named with its nearest neighbours (on the map and in the caption). A date
 * the layer cannot show (in the future) is said, with the date shown instead. A click on a dot makes
 * that town the change's town, as the town search does (admintownsearch.js). Names reach the page as
 * text only. */
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
    // No fade: a label replaced on a new choice leaves at once, not 200 ms later beside its successor.
    var map = L.map(box, { zoomSnap: 0.25, fadeAnimation: false }).fitBounds([[32.2, 35.5], [37.4, 42.5]]);
    if (tiles.url) L.tileLayer(tiles.url, { maxZoom: 18, attribution: tiles.attribution || "" }).addTo(map);
    window.__changeMap = map; // for the browser tests and for debugging in the console
    var renderer = L.canvas({ tolerance: 4 });
    var towns = L.layerGroup().addTo(map);
    var byId = {};
    var chosen = L.circleMarker([0, 0], {
      radius: 11, color: "#1a5fb4", weight: 3, fill: false, interactive: false,
    });
    var loaded = null; // the date whose towns are drawn
    var labels = L.layerGroup().addTo(map); // the chosen town's name and its neighbours'
    var status = document.getElementById("change-map-status");
    var NEIGHBOURS = 6;

    // The governorates' outlines, drawn once: the boundaries do not change with the date.
    if (box.dataset.provincesUrl) {
      fetch(box.dataset.provincesUrl, { headers: { Accept: "application/geo+json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (collection) {
          var outlines = L.geoJSON(collection, {
            interactive: false, style: { color: "#555", weight: 1.2, fill: false },
          }).addTo(map);
          outlines.bringToBack();
          box.dataset.outlines = String((collection.features || []).length);
          if (collection.attribution && map.attributionControl) map.attributionControl.addAttribution(
            collection.attribution.replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }));
        })
        .catch(function (error) { box.dataset.outlines = "0"; say("Could not load the boundaries: " + error.message); });
    }

    function say(text) {
      if (!status) return;
      status.textContent = text;
      status.hidden = !text;
    }

    function label(marker, name, className) {
      labels.addLayer(L.tooltip({ permanent: true, direction: "right", offset: [8, 0], className: className,
                                  interactive: false })
        .setLatLng(marker.getLatLng()).setContent(cm.el ? cm.el("span", name) : document.createTextNode(name)));
    }

    // The towns nearest the chosen one (kilometres, as the crow flies), nearest first.
    function neighbours(marker) {
      var at = marker.getLatLng();
      var near = [];
      Object.keys(byId).forEach(function (id) {
        var other = byId[id];
        if (other !== marker) near.push({ marker: other, km: at.distanceTo(other.getLatLng()) / 1000 });
      });
      near.sort(function (a, b) { return a.km - b.km; });
      return near.slice(0, NEIGHBOURS);
    }

    function describe(p) {
      if (!p) return "";
      var who = p.faction_name ? "held by " + p.faction_name : "no control recorded";
      return p.name + ": " + who + (p.since_label ? " since " + p.since_label : "");
    }

    function showChosen(pan) {
      var marker = byId[select.value];
      labels.clearLayers();
      if (!marker) {
        map.removeLayer(chosen);
        caption.textContent = select.value ? "" : "Click a town on the map, or find it above, to choose it.";
        return;
      }
      chosen.setLatLng(marker.getLatLng()).addTo(map);
      var near = neighbours(marker);
      near.forEach(function (n) { label(n.marker, n.marker.cmProps.name, "change-map-label"); });
      label(marker, marker.cmProps.name, "change-map-label change-map-chosen");
      caption.textContent = describe(marker.cmProps) + (loaded ? " (on " + loaded + ")" : " (latest records)") +
        (near.length ? ". Nearby: " + near.map(function (n) {
          return n.marker.cmProps.name + " (" + Math.round(n.km) + " km)";
        }).join(", ") + "." : "");
      // Centred on the town, zoomed out until its three nearest neighbours are in view (each with its
      // mirror image across the town, so the town stays in the middle and its name has room).
      if (pan) {
        var at = marker.getLatLng();
        var bounds = L.latLngBounds([at, at]);
        near.slice(0, 3).forEach(function (n) {
          var p = n.marker.getLatLng();
          bounds.extend(p).extend([2 * at.lat - p.lat, 2 * at.lng - p.lng]);
        });
        map.fitBounds(bounds, { padding: [30, 30], maxZoom: 10, animate: false });
      }
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

    // The layer's reason for refusing a date ({"date": ["…"]}, as the API answers a bad parameter).
    function refusal(response) {
      return response.json().then(function (body) {
        var said = body && (body.date || body.detail);
        return Array.isArray(said) ? said.join(" ") : said ? String(said) : "HTTP " + response.status;
      }, function () { return "HTTP " + response.status; });
    }

    function load() {
      var asked = isoDate(dateBox ? dateBox.value.trim() : "");
      var date = asked;
      var url = townsUrl + (date ? "?date=" + encodeURIComponent(date) : "");
      return fetch(url, { headers: { Accept: "application/geo+json" } })
        .then(function (r) {
          if (r.ok) { say(""); return r.json(); }
          if (!date || r.status !== 400) throw new Error(url + " answered " + r.status);
          // A date the layer refuses (in the future): say so, and show the latest records instead.
          return refusal(r).then(function (why) {
            date = "";
            say("The map cannot show " + asked + ": " + why + " It shows the latest records instead.");
            return fetch(townsUrl, { headers: { Accept: "application/geo+json" } }).then(function (r2) {
              if (!r2.ok) throw new Error(townsUrl + " answered " + r2.status);
              return r2.json();
            });
          });
        })
        .then(function (collection) { draw(collection, date); })
        .catch(function (error) { say("Could not load the towns: " + error.message); });
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
