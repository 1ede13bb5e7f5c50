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
  var NO_DATA = "#9e9e9e";

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

  function pattern(name, slug) {
    return links[name] && slug ? links[name].replace("{slug}", encodeURIComponent(slug)) : null;
  }
  cm.pattern = pattern;

  cm.factionName = function (slug, fallback) {
    return (palette[slug] && palette[slug].name) || fallback || slug || "No control recorded";
  };
  cm.factionColour = function (slug, fallback) {
    return (palette[slug] && palette[slug].colour) || fallback || NO_DATA;
  };
  var isColour = function (value) {
    return typeof value === "string" && /^#[0-9a-fA-F]{6}$/.test(value);
  };

  cm.configure = function (map, config) {
    palette = config.palette || {};
    style = config.style || {};
    links = config.links || {};
    order = config.order || Object.keys(palette);
    // Panes keep the drawing order when a layer is refilled: areas, then outlines, then towns.
    [["cm-areas", 410], ["cm-provinces", 420], ["cm-towns", 430]].forEach(function (p) {
      if (!map.getPane(p[0])) map.createPane(p[0]).style.zIndex = p[1];
    });
    if (config.legend !== false) cm.legend(map);
  };

  cm.registered = null;
  cm.register = function (map, layers) {
    cm.registered = { map: map, layers: layers };
    document.dispatchEvent(new CustomEvent("conflictmap:ready", { detail: cm.registered }));
  };

  cm.townColours = function (p) {
    var fill = isColour(p.colour) ? p.colour : cm.factionColour(p.faction);
    var contested = p.status === "contested" && p.contested_by;
    return {
      fill: fill,
      ring: contested ? cm.factionColour(p.contested_by) : "#ffffff",
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
    if (p.since) {
      var since = "since " + p.since + (p.precision && p.precision !== "day" ? " (" + p.precision + ")" : "");
      box.appendChild(el("div", since + (p.confidence ? " · " + p.confidence : ""), "muted"));
    }
    return box;
  };

  cm.layers = {
    towns: {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties || {};
        var c = cm.townColours(p);
        var marker = L.circleMarker(latlng, {
          pane: "cm-towns",
          radius: style.town_radius || 7,
          fillColor: c.fill,
          fillOpacity: 0.95,
          color: c.ring,
          weight: c.contested ? style.contested_ring_weight || 4 : 1.5,
          className: c.contested ? "town town-contested" : "town",
        });
        marker.on("add", function () {
          var path = marker.getElement();
          if (!path) return;
          path.setAttribute("data-town", p.name || "");
          path.setAttribute("data-faction", p.faction || "");
          path.setAttribute("data-status", p.status || "");
        });
        return marker;
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        layer.bindTooltip(el("span", p.name));
        layer.bindPopup(function () {
          return cm.townSummary(p);
        });
        layer.on("click", function () {
          document.dispatchEvent(new CustomEvent("conflictmap:town", { detail: feature }));
        });
      },
    },
    provinces: {
      style: function () {
        return {
          color: "#444",
          weight: style.province_weight || 1.2,
          fill: true,
          fillOpacity: 0,
          dashArray: null,
        };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        layer.bindTooltip(function () {
          var box = el("div", null, "province-tip");
          box.appendChild(el("strong", p.name || p.province || p.code));
          var shares = p.shares || {};
          Object.keys(shares)
            .sort(function (a, b) { return shares[b] - shares[a]; })
            .forEach(function (slug) {
              var row = el("div");
              var sw = el("span", null, "swatch");
              sw.style.background = cm.factionColour(slug);
              row.appendChild(sw);
              row.appendChild(document.createTextNode(cm.factionName(slug) + " " + Math.round(shares[slug] * 100) + "%"));
              box.appendChild(row);
            });
          if (p.contested) box.appendChild(el("div", "Contested", "muted"));
          return box;
        }, { sticky: true });
        var url = pattern("area", p.slug);
        if (url) {
          layer.bindPopup(function () {
            var box = el("div");
            box.appendChild(link(url, p.name || p.slug));
            return box;
          });
        }
      },
    },
    areas: {
      style: function (feature) {
        var p = feature.properties || {};
        return {
          stroke: false,
          fillColor: isColour(p.colour) ? p.colour : cm.factionColour(p.faction),
          fillOpacity: style.area_fill_opacity === undefined ? 0.35 : style.area_fill_opacity,
          interactive: false,
        };
      },
      // Areas carry no popup: the outlines above them and the towns answer the reader's clicks.
      onEachFeature: function () {},
    },
  };

  cm.legend = function (map) {
    // Bottom right: over Iraq and Jordan, where the map of Syria has nothing to hide.
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      // A <details> so phones can fold the legend away from the map (folded by default there).
      var box = el("details", null, "cm-legend leaflet-bar");
      box.open = !(window.matchMedia && window.matchMedia("(max-width: 480px)").matches);
      box.appendChild(el("summary", "Who controls what"));
      order.forEach(function (slug) {
        var row = el("div", null, "cm-legend-row");
        var sw = el("span", null, "swatch");
        sw.style.background = palette[slug].colour;
        row.appendChild(sw);
        row.appendChild(document.createTextNode(palette[slug].name));
        box.appendChild(row);
      });
      var ring = el("div", null, "cm-legend-row");
      var sw = el("span", null, "swatch swatch-ring");
      ring.appendChild(sw);
      ring.appendChild(document.createTextNode("Contested town: ring in the contesting side's colour"));
      box.appendChild(ring);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  };
})();
