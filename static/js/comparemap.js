/* The compare page (/compare/): two dates on one map, with a divider to swipe between them (the left
 * date's layers in panes of their own, clipped to the left of the divider; the right date's clipped to its
 * right), or two maps kept in step on a narrow screen. The towns that changed hands between the dates
 * (from the server's diff) are ringed on every map. The divider moves by dragging, by the arrow keys on
 * it, or by the range input; its place is kept in the URL's hash (#divider=NN), the dates in its query.
 * The layers are fetched from the API as the map page's are; names reach the page as text only. */
(function () {
  "use strict";
  var cm = window.conflictmap;
  var node = document.getElementById("compare-config");
  if (!cm || !cm.loadLayers || !cm.registered || !node || typeof L === "undefined") return;
  var config = JSON.parse(node.textContent);
  var map = cm.registered.map;
  var box = document.getElementById("compare-map");
  var beforeBox = document.getElementById("compare-before-map");
  var divider = document.getElementById("compare-divider");
  var range = document.getElementById("compare-range");
  var status = document.getElementById("compare-status");
  var NARROW = window.matchMedia("(max-width: 600px)");
  var AFTER_PANES = ["cm-areas", "cm-towns", "cm-labels"];
  var BEFORE_PANES = [["cmp-areas", 411], ["cmp-towns", 431]];
  var position = 50; // the divider, in per cent of the map's width from its left edge
  var before = null; // the left date's data: {areas, towns}
  var drawn = []; // the left date's layers and the rings, on whichever map holds them
  var second = null; // the left date's own map, on a narrow screen

  function say(text) { if (status) status.textContent = text; }

  function panes(on) {
    BEFORE_PANES.concat([["cmp-changed", 436]]).forEach(function (p) {
      if (!on.getPane(p[0])) on.createPane(p[0]).style.zIndex = p[1];
    });
    on.getPane("cmp-changed").style.pointerEvents = "none";
  }
  panes(map);

  function fromHash() {
    var m = /(?:^#|&)divider=(\d{1,3})(?:&|$)/.exec(window.location.hash);
    return m ? Math.min(100, Math.max(0, Number(m[1]))) : 50;
  }

  // Each side's panes cut at the divider, in the panes' own (layer) coordinates, which follow the map.
  function clip() {
    var narrow = !!second;
    var size = map.getSize();
    var nw = map.containerPointToLayerPoint([0, 0]);
    var se = map.containerPointToLayerPoint(size);
    var split = nw.x + size.x * position / 100;
    function rect(x0, x1) {
      return "polygon(" + x0 + "px " + nw.y + "px, " + x1 + "px " + nw.y + "px, " + x1 + "px " + se.y + "px, " +
        x0 + "px " + se.y + "px)";
    }
    AFTER_PANES.forEach(function (name) {
      var pane = map.getPane(name);
      if (pane) pane.style.clipPath = narrow ? "" : rect(split, se.x);
    });
    BEFORE_PANES.forEach(function (p) { map.getPane(p[0]).style.clipPath = narrow ? "" : rect(nw.x, split); });
  }

  function place(percent, keepHash) {
    position = Math.min(100, Math.max(0, Math.round(percent)));
    divider.style.left = position + "%";
    divider.setAttribute("aria-valuenow", String(position));
    divider.setAttribute("aria-valuetext", position + "% of the map shows " + config.from);
    range.value = String(position);
    box.dataset.divider = String(position);
    clip();
    if (!keepHash && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search + "#divider=" + position);
    }
  }

  function ring(t) {
    var marker = L.circleMarker([t.lat, t.lon], {
      pane: "cmp-changed", radius: 11, color: "#111111", weight: 2.5, fill: false, interactive: false,
      // The slug in a class of its own, for the browser tests ([a-z0-9-] only: a slug is a SlugField).
      className: "compare-changed compare-changed-" + String(t.slug).replace(/[^a-z0-9-]/g, ""),
    });
    marker.bindTooltip(function () {
      return cm.el("span", t.name + ": " + (t.from ? "from " + t.from + " to " : "first recorded, ") + t.to);
    });
    return marker;
  }

  function beforeLayers(on) {
    var renderer = L.canvas({ pane: "cmp-towns", tolerance: 3 });
    var areas = L.geoJSON(before.areas, { pane: "cmp-areas", style: cm.layers.areas.style, interactive: false });
    var towns = L.geoJSON(before.towns, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, L.extend({ pane: "cmp-towns", renderer: renderer },
                                               cm.townStyle(feature.properties || {}, on.getZoom())));
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(function () { return cm.el("span", (feature.properties || {}).name); });
        layer.bindPopup(function () { return cm.townSummary(feature.properties || {}); });
      },
    });
    var layers = [areas, towns];
    // Unrecorded towns beneath recorded ones, as on the map page.
    towns.eachLayer(function (m) { if (cm.townRecorded(m.feature.properties || {})) m.bringToFront(); });
    return layers;
  }

  function follow(a, b) {
    var moving = false;
    a.on("move", function () {
      if (moving) return;
      moving = true;
      b.setView(a.getCenter(), a.getZoom(), { animate: false });
      moving = false;
    });
  }

  // Draw the left date: in the main map's own panes (swipe), or on a map of its own (narrow screen).
  function layout() {
    drawn.forEach(function (layer) { layer.remove(); });
    drawn = [];
    var narrow = NARROW.matches;
    if (narrow && !second) {
      beforeBox.hidden = false;
      second = L.map(beforeBox, { zoomSnap: 0.25, attributionControl: true });
      if (config.tiles && config.tiles.url) {
        L.tileLayer(config.tiles.url, { maxZoom: 18, attribution: config.tiles.attribution || "" }).addTo(second);
      }
      panes(second);
      // The governorates' outlines, as the other map draws them (they do not change with the date).
      L.geoJSON(cm.registered.layers.provinces.toGeoJSON(), { style: cm.layers.provinces.style, interactive: false })
        .addTo(second);
      second.setView(map.getCenter(), map.getZoom(), { animate: false });
      follow(map, second);
      follow(second, map);
      window.__compareBefore = second;
    } else if (!narrow && second) {
      second.remove();
      second = null;
      beforeBox.hidden = true;
      window.__compareBefore = null;
    }
    document.body.dataset.compareMode = narrow ? "two-maps" : "swipe";
    divider.hidden = narrow;
    range.parentNode.hidden = narrow;
    var holder = second || map;
    drawn = beforeLayers(holder);
    drawn.forEach(function (layer) { layer.addTo(holder); });
    (config.changed || []).forEach(function (t) {
      drawn.push(ring(t).addTo(map));
      if (second) drawn.push(ring(t).addTo(second));
    });
    box.dataset.changed = String((config.changed || []).length);
    clip();
  }

  var controller = new AbortController();
  say("Loading " + config.from + " and " + config.to + "…");
  var left = Promise.all(["areas", "towns"].map(function (key) {
    return cm.fetchJson(cm.layerUrl(config.endpoints[key], config.from), controller.signal);
  }));
  var right = cm.loadLayers({ endpoints: config.endpoints, date: config.to, signal: controller.signal, progress: function () {} });
  Promise.all([left, right]).then(function (results) {
    before = { areas: results[0][0], towns: results[0][1] };
    box.dataset.beforeTowns = String((before.towns.features || []).length);
    box.dataset.afterTowns = String(cm.registered.layers.towns.getLayers().length);
    layout();
    say("");
    document.body.dataset.loaded = config.from + "/" + config.to;
  }).catch(function (error) {
    say("Could not load the maps for " + config.from + " and " + config.to + ": " + error.message);
  });

  map.on("move zoom resize viewreset", clip);
  NARROW.addEventListener("change", function () { if (before) layout(); });

  // Dragging the divider (mouse, pen or touch), within the map's box.
  divider.addEventListener("pointerdown", function (event) {
    divider.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  divider.addEventListener("pointermove", function (event) {
    if (!divider.hasPointerCapture(event.pointerId)) return;
    var rect = box.getBoundingClientRect();
    place(100 * (event.clientX - rect.left) / rect.width);
  });
  divider.addEventListener("keydown", function (event) {
    var step = event.shiftKey ? 10 : 2;
    var to = { ArrowLeft: position - step, ArrowRight: position + step, Home: 0, End: 100 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    place(to);
  });
  range.addEventListener("input", function () { place(Number(range.value)); });
  window.addEventListener("hashchange", function () { place(fromHash(), true); });
  place(fromHash(), true);
})();
