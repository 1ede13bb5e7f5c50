/* Styles, tooltips and popups of the control map's three GeoJSON layers.
 * Loaded by the live page and inlined in the downloadable file, so both look the same.
 * Every name from the data is put in the page with textContent, never as markup. */
(function () {
  "use strict";
  var cm = (window.conflictmap = window.conflictmap || {});
  var palette = {};
  var style = {};
  var links = {};
  var order = [];
  var contestedClass = null;
  var areaRule = null;  // how the painted areas follow from the towns, shown under the legend
  // Towns not confirmed for this many days (settings.STALE_AFTER_DAYS) fade when the reader asks (off at first).
  var staleAfterDays = null;
  var fadeStale = false;
  var STALE_FILL_OPACITY = 0.3;
  // Towns with no record: name and colour from the page's palette (events.colours), as every class's.
  var noRecord = { name: "", colour: "" };
  // Shared by the map's layers and the legend, so a swatch is drawn exactly as the map draws.
  var TOWN_FILL_OPACITY = 0.95;
  var TOWN_RING_WEIGHT = 1.5;
  var TOWN_RING = "#ffffff";

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  cm.el = el;

  // Only http(s) and same-site links become anchors: a javascript: URL in a source stays text.
  function safeHref(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }
  cm.safeHref = safeHref;

  function link(url, text) {
    var href = safeHref(url);
    if (!href) return el("span", text);
    var a = el("a", text);
    a.href = href;
    return a;
  }
  cm.link = link;

  // The live page's reads (layers, a town's panel); the downloaded file has no server to ask.
  cm.fetchJson = function (url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: "application/geo+json, application/json" } }).then(
      function (response) {
        if (!response.ok) throw new Error(url + " answered " + response.status);
        return response.json();
      }
    );
  };

  function pattern(name, slug) {
    return links[name] && slug ? links[name].replace("{slug}", encodeURIComponent(slug)) : null;
  }
  cm.pattern = pattern;

  cm.factionName = function (slug, fallback) {
    return (palette[slug] && palette[slug].name) || fallback || slug || noRecord.name;
  };
  cm.factionColour = function (slug, fallback) {
    return (palette[slug] && palette[slug].colour) || fallback || noRecord.colour;
  };
  var isColour = function (value) {
    return typeof value === "string" && /^#[0-9a-fA-F]{6}$/.test(value);
  };

  cm.configure = function (map, config) {
    palette = config.palette || {};
    noRecord = config.no_record || noRecord;
    style = config.style || {};
    links = config.links || {};
    order = config.order || Object.keys(palette);
    contestedClass = config.contested_class || null;
    areaRule = config.area_rule || null;
    staleAfterDays = typeof config.stale_after_days === "number" ? config.stale_after_days : null;
    // Panes keep the drawing order when a layer is refilled: areas, then outlines, then towns.
    [["cm-areas", 410], ["cm-provinces", 420], ["cm-districts", 420], ["cm-towns", 430], ["cm-labels", 440]].forEach(function (p) {
      if (!map.getPane(p[0])) map.createPane(p[0]).style.zIndex = p[1];
    });
    map.getPane("cm-labels").style.pointerEvents = "none";
    map.on("zoomend", function () { cm.townsRestyle(); });
    // Names follow the view, and leave with the towns when the layer list hides them.
    map.on("moveend overlayadd overlayremove", function () { cm.townLabels(); });
    // The boundaries' credit beside the tiles' (built and escaped by geodata.maps).
    if (config.attribution && map.attributionControl) map.attributionControl.addAttribution(config.attribution);
    // Who recorded the control shown (also escaped by geodata.maps).
    if (config.control_attribution && map.attributionControl) map.attributionControl.addAttribution(config.control_attribution);
    if (config.legend !== false) cm.legend(map);
  };

  cm.registered = null;
  cm.register = function (map, layers) {
    cm.registered = { map: map, layers: layers };
    if (layers.provinces) cm.outlinesByMap(map, layers);
    // Data drawn with the map (a downloaded file, a town's page) comes in file order: known towns to the front.
    layers.towns.eachLayer(function (m) { if (m.cmRecorded && m.bringToFront) m.bringToFront(); });
    cm.townsDrawn();
    document.dispatchEvent(new CustomEvent("conflictmap:ready", { detail: cm.registered }));
  };

  cm.townColours = function (p) {
    var fill = isColour(p.colour) ? p.colour : cm.factionColour(p.faction);
    var contested = p.status === "contested" && p.contested_by;
    return {
      fill: fill,
      ring: contested ? cm.factionColour(p.contested_by) : TOWN_RING,
      contested: !!contested,
    };
  };

  cm.townSummary = function (p) {
    var box = el("div", null, "town-summary");
    var title = el("strong", p.name);
    var townUrl = pattern("town", p.slug);
    box.appendChild(townUrl ? link(townUrl, p.name) : title);
    var who = el("div", cm.factionName(p.faction, p.faction_name));
    if (p.status === "contested") {
      who.appendChild(document.createTextNode(", contested by " + cm.factionName(p.contested_by)));
    }
    box.appendChild(who);
    // The words for the date come from the server (events.date_labels), as on every page.
    if (p.since_label) {
      box.appendChild(el("div", "since " + p.since_label + (p.confidence ? " · " + p.confidence : ""), "muted"));
    }
    return box;
  };

  function areaOpacity() {
    return style.area_fill_opacity === undefined ? 0.35 : style.area_fill_opacity;
  }
  function ringWeight() {
    return style.contested_ring_weight || 4;
  }

  // Towns are drawn on one canvas, so 10,000 of them cost one element and one paint. Towns with no
  // record on the date are small and faint and drawn first; recorded towns are brought to the front
  // (a canvas paints, and hit-tests, in its drawing order), so a known town is never covered.
  var townRenderer = null;
  var townIndex = {}; // town_id -> marker
  var showUnrecorded = true;
  var LABEL_ZOOM = 8; // recorded towns are named from here; unrecorded ones two steps closer
  var MAX_LABELS = 200;

  function recorded(p) {
    return !!p.faction;
  }
  cm.townRecorded = recorded;

  // The radius grows with the zoom, from 1 at the country view, where the 42-town map was designed.
  // Where thousands of towns are recorded they start smaller (density), so the country view still
  // shows the areas beneath them, and reach full size as the reader zooms in.
  var density = 1;
  function townScale(zoom) {
    return Math.min(1.8, Math.max(0.35, density * Math.pow(2, (zoom - 6.5) / 2)));
  }
  cm.townDensity = function (recordedTowns) {
    density = Math.min(1, Math.max(0.4, Math.sqrt(150 / Math.max(1, recordedTowns))));
  };

  cm.townStyle = function (p, zoom) {
    var scale = townScale(zoom);
    var r = (style.town_radius || 7) * scale;
    if (!recorded(p)) {
      var shown = showUnrecorded;
      return {
        radius: Math.max(1.5, r * 0.3), fillColor: noRecord.colour, fillOpacity: shown ? 0.45 : 0, fill: shown,
        stroke: false, weight: 0, color: noRecord.colour, interactive: shown,
      };
    }
    var c = cm.townColours(p);
    var faded = fadeStale && cm.townStale(p);
    return {
      radius: r, fillColor: c.fill, fillOpacity: faded ? STALE_FILL_OPACITY : TOWN_FILL_OPACITY, fill: true,
      stroke: true, color: c.ring, weight: (c.contested ? ringWeight() : TOWN_RING_WEIGHT) * Math.min(1, scale),
      interactive: true,
    };
  };

  // Days from the town's last confirmation (its change in force or a later confirmation) to the date
  // shown: the page's date when it has one (a layer's days count to its as_of day), else the layer's.
  cm.townDaysSinceConfirmed = function (p) {
    if (!p || !p.last_confirmed) return null;
    var body = document.body;
    var shown = body && (body.dataset.loading || body.dataset.loadedDate);
    var day = /^\d{4}-\d{2}-\d{2}$/;
    if (shown && day.test(shown) && day.test(p.last_confirmed)) {
      return Math.round((Date.parse(shown) - Date.parse(p.last_confirmed)) / 86400000);
    }
    return typeof p.days_since_confirmed === "number" ? p.days_since_confirmed : null;
  };

  cm.townStale = function (p) {
    var days = cm.townDaysSinceConfirmed(p);
    return staleAfterDays !== null && days !== null && days > staleAfterDays;
  };

  function mapZoom() {
    return cm.registered ? cm.registered.map.getZoom() : 6.5;
  }

  // The marker drawn for a town, while it is on the towns layer.
  cm.townLayer = function (id) {
    var m = townIndex[id];
    return m && cm.registered && cm.registered.layers.towns.hasLayer(m) ? m : null;
  };

  // The marker's own data now, not the data it was made with: a slider step refills it in place.
  function props(layer) {
    return (layer.feature && layer.feature.properties) || {};
  }
  cm.townProps = props;

  cm.layers = {
    towns: {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties || {};
        if (!townRenderer) townRenderer = L.canvas({ pane: "cm-towns", tolerance: 3 });
        var look = cm.townStyle(p, mapZoom());
        var marker = L.circleMarker(latlng, L.extend({ pane: "cm-towns", renderer: townRenderer }, look));
        marker.cmStyleKey = styleKey(look);
        marker.cmRecorded = recorded(p);
        if (p.town_id !== undefined) townIndex[p.town_id] = marker;
        return marker;
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(function () { return el("span", props(layer).name); });
        layer.bindPopup(function () {
          return cm.townSummary(props(layer));
        });
        layer.on("click", function () {
          document.dispatchEvent(new CustomEvent("conflictmap:town", { detail: layer.feature }));
        });
      },
    },
    provinces: outlineLayer(1),
    districts: outlineLayer(0.6),
    areas: {
      style: function (feature) {
        var p = feature.properties || {};
        var colour = isColour(p.colour) ? p.colour : cm.factionColour(p.faction);
        // A drawn overlay (advances, claims, counteroffensives) is hatched over the assessed areas.
        if (cm.isOverlay(p)) {
          return { stroke: true, color: colour, weight: 1.2, opacity: 0.9, fill: true, fillColor: cm.hatch(colour, p.layer),
                   fillOpacity: 1, interactive: false };
        }
        return {
          stroke: false,
          fillColor: isColour(p.colour) ? p.colour : cm.factionColour(p.faction),
          fillOpacity: areaOpacity(),
          interactive: false,
        };
      },
      // Areas carry no popup: the outlines above them and the towns answer the reader's clicks.
      onEachFeature: function () {},
    },
  };

  // Overlay layers of control drawn as polygons (events.territory.drawn): not assessed control.
  var HATCH_ANGLE = { advance: 45, claimed: -45, counteroffensive: 0 };
  cm.isOverlay = function (p) { return !!(p && p.layer && p.layer !== "assessed"); };
  // A hatch pattern per colour and layer in one hidden SVG of the page: every SVG in the document
  // (the areas pane's, the legend's swatches) fills with url(#id) from it.
  cm.hatch = function (colour, layer) {
    var id = "cm-hatch-" + String(colour).replace(/[^0-9a-fA-F]/g, "") + "-" + String(layer).replace(/[^a-z]/g, "");
    if (document.getElementById(id)) return "url(#" + id + ")";
    var NS = "http://www.w3.org/2000/svg";
    var defs = document.getElementById("cm-hatches");
    if (!defs) {
      var holder = document.createElementNS(NS, "svg");
      holder.setAttribute("width", "0");
      holder.setAttribute("height", "0");
      holder.setAttribute("aria-hidden", "true");
      holder.style.position = "absolute";
      defs = document.createElementNS(NS, "defs");
      defs.id = "cm-hatches";
      holder.appendChild(defs);
      document.body.appendChild(holder);
    }
    var pattern = document.createElementNS(NS, "pattern");
    pattern.id = id;
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "8");
    pattern.setAttribute("height", "8");
    pattern.setAttribute("patternTransform", "rotate(" + (HATCH_ANGLE[layer] || 0) + ")");
    var lines = layer === "counteroffensive" ? [[0, 0, 0, 8], [0, 4, 8, 4]] : [[0, 0, 0, 8]];
    lines.forEach(function (xy) {
      var line = document.createElementNS(NS, "line");
      line.setAttribute("x1", xy[0]); line.setAttribute("y1", xy[1]);
      line.setAttribute("x2", xy[2]); line.setAttribute("y2", xy[3]);
      line.setAttribute("stroke", isColour(colour) ? colour : "#555");
      line.setAttribute("stroke-width", "2.5");
      pattern.appendChild(line);
    });
    defs.appendChild(pattern);
    return "url(#" + id + ")";
  };

  // A governorate's or district's name and town shares: the hover tooltip and the click popup.
  function areaSummary(p, url) {
    var box = el("div", null, "province-tip");
    var name = p.name || p.province || p.code;
    box.appendChild(url ? link(url, name) : el("strong", name));
    var shares = p.shares || {};
    Object.keys(shares)
      .sort(function (a, b) { return shares[b] - shares[a]; })
      .forEach(function (slug) {
        var row = el("div", null, "province-share");
        var sw = el("span", null, "swatch");
        sw.style.background = cm.factionColour(slug);
        row.appendChild(sw);
        row.appendChild(document.createTextNode(cm.factionName(slug) + " " + Math.round(shares[slug] * 100) + "%"));
        box.appendChild(row);
      });
    if (p.contested) box.appendChild(el("div", "Contested", "muted"));
    return box;
  }

  // Outlines of admin areas (weight relative to the governorates'). Hovering shows the shares;
  // a click opens one popup with the same and a link to the area's page, and the hover tooltip
  // stays away while it is open, so the two never sit on top of each other.
  function outlineLayer(weight) {
    return {
      style: function () {
        return { color: "#444", weight: (style.province_weight || 1.2) * weight, fill: true, fillOpacity: 0, dashArray: null };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        var url = pattern("area", p.slug);
        var tooltip = function () { return areaSummary(p, null); };
        layer.bindTooltip(tooltip, { sticky: true });
        layer.bindPopup(function () { return areaSummary(p, url); }, { minWidth: 120, maxWidth: 360, autoPanPadding: [20, 20] });
        layer.on("popupopen", function () { layer.unbindTooltip(); });
        layer.on("popupclose", function () { layer.bindTooltip(tooltip, { sticky: true }); });
      },
    };
  }

  function styleKey(s) {
    return s.radius + "|" + s.fillColor + "|" + s.fillOpacity + "|" + s.fill + "|" + s.stroke + "|" + s.color + "|" +
      s.weight + "|" + s.interactive;
  }

  function restyle(marker, zoom) {
    var next = cm.townStyle(props(marker), zoom);
    var key = styleKey(next);
    if (marker.cmStyleKey === key) return;
    marker.cmStyleKey = key;
    marker.setStyle(next);
  }
  cm.townRestyle = restyle;

  // Every town's size (the zoom or the density changed) or visibility (the toggle changed); a slider
  // step restyles the towns it touches itself, so nothing is done when none of these moved.
  var restyledFor = null;
  cm.townsRestyle = function () {
    if (!cm.registered) return;
    var zoom = cm.registered.map.getZoom();
    // Fading, the date shown moves every town's days since confirmed; otherwise it restyles nothing.
    var shown = fadeStale ? (document.body.dataset.loading || document.body.dataset.loadedDate || "") : "";
    var key = zoom + "|" + density + "|" + showUnrecorded + "|" + fadeStale + "|" + shown;
    if (key === restyledFor) return;
    restyledFor = key;
    cm.registered.layers.towns.eachLayer(function (m) { restyle(m, zoom); });
  };

  // Names beside the dots once zoomed in, only for towns in view and at most MAX_LABELS of them.
  var labels = null;
  cm.townLabels = function () {
    if (!cm.registered) return;
    var map = cm.registered.map;
    if (!labels) labels = L.layerGroup().addTo(map);
    labels.clearLayers();
    var zoom = map.getZoom();
    // Named once the dots are near full size: later where towns are dense.
    if (zoom < LABEL_ZOOM || townScale(zoom) < 0.9 || !map.hasLayer(cm.registered.layers.towns)) return;
    var view = map.getBounds().pad(0.05);
    var picked = [[], []];
    cm.registered.layers.towns.eachLayer(function (m) {
      var rec = recorded(props(m));
      if (!rec && (!showUnrecorded || zoom < LABEL_ZOOM + 2)) return;
      if (view.contains(m.getLatLng())) picked[rec ? 0 : 1].push(m);
    });
    // Greedy placement: a name that would overlap one already placed is left out (recorded first).
    var placed = [];
    picked[0].concat(picked[1]).some(function (m) {
      var p = props(m);
      var at = map.latLngToContainerPoint(m.getLatLng());
      var box = { x: at.x + 8, y: at.y - 8, w: 7 * String(p.name || "").length + 4, h: 16 };
      var clash = placed.some(function (b) {
        return box.x < b.x + b.w && b.x < box.x + box.w && box.y < b.y + b.h && b.y < box.y + box.h;
      });
      if (clash) return false;
      placed.push(box);
      labels.addLayer(L.marker(m.getLatLng(), {
        pane: "cm-labels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: recorded(p) ? "town-label" : "town-label town-label-none",
                          html: el("span", p.name), iconSize: null }),
      }));
      return placed.length >= MAX_LABELS;
    });
  };

  // How many towns have a record on the date shown, and how many do not, as the legend says it.
  cm.townCounts = function () {
    var counts = { recorded: 0, unrecorded: 0 };
    if (cm.registered) cm.registered.layers.towns.eachLayer(function (m) {
      counts[recorded(props(m)) ? "recorded" : "unrecorded"] += 1;
    });
    return counts;
  };

  // The factions on the map on the date shown (its theatre's towns and areas): holding a town,
  // contesting one, or holding an area; a contested town of the date (its holder and contester), and
  // whether any town has no record.
  cm.factionsPresent = function () {
    var present = {};
    var contestedTown = null;
    var unrecorded = false;
    if (!cm.registered) return { factions: present, contestedTown: null, unrecorded: false };
    cm.registered.layers.towns.eachLayer(function (m) {
      var p = props(m);
      if (p.faction) present[p.faction] = true;
      else unrecorded = true;
      if (p.status === "contested" && p.contested_by) {
        present[p.contested_by] = true;
        if (!contestedTown) contestedTown = { faction: p.faction, contestedBy: p.contested_by };
      }
    });
    cm.registered.layers.areas.eachLayer(function (a) {
      var p = (a.feature && a.feature.properties) || {};
      if (p.faction) present[p.faction] = true;
    });
    return { factions: present, contestedTown: contestedTown, unrecorded: unrecorded };
  };

  // Called once a date's towns are in: counts in the legend, names for the view.
  cm.townsDrawn = function () {
    var c = cm.townCounts();
    cm.townDensity(c.recorded);
    cm.townsRestyle();
    cm.townLabels();
    if (cm.legendUpdate) cm.legendUpdate(c);  // maplegend.js
  };

  cm.setShowUnrecorded = function (show) {
    showUnrecorded = !!show;
    if (cm.registered) cm.registered.map.closePopup();
    cm.townsRestyle();
    cm.townLabels();
  };

  cm.showingUnrecorded = function () { return showUnrecorded; };

  cm.setFadeStale = function (fade) {
    fadeStale = !!fade && staleAfterDays !== null;
    cm.townsRestyle();
  };
  cm.fadingStale = function () { return fadeStale; };
  cm.staleAfterDays = function () { return staleAfterDays; };

  // What the legend draws with: the palette and the map's own styles (maplegend.js reads these).
  cm.look = function () {
    return {
      palette: palette, order: order, contestedClass: contestedClass, areaRule: areaRule, noData: noRecord.colour,
      areaOpacity: areaOpacity(), ringWeight: ringWeight(), staleAfterDays: staleAfterDays,
      staleFillOpacity: STALE_FILL_OPACITY,
      townFillOpacity: TOWN_FILL_OPACITY, townRingWeight: TOWN_RING_WEIGHT, townRing: TOWN_RING,
    };
  };

})();
