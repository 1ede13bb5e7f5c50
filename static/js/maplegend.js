// The control map's legend: a swatch per side as the map draws it, the contested ring, the unpainted
// land and the rule that paints it, and the towns with no record (a toggle and the counts).
(function () {
  "use strict";
  var cm = (window.conflictmap = window.conflictmap || {});
  var el = cm.el;
  var SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }
  // A town as the map draws it (circle, fill, ring), or an empty slot to keep the columns.
  function pointSwatch(fill, ring, weight) {
    var look = cm.look();
    var box = svg("svg", { width: 18, height: 18, viewBox: "0 0 18 18", class: "swatch-point", "aria-hidden": "true" });
    if (fill) {
      box.appendChild(svg("circle", {
        cx: 9, cy: 9, r: 9 - Math.max(weight, look.townRingWeight) / 2 - 1,
        fill: fill, "fill-opacity": look.townFillOpacity, stroke: ring, "stroke-width": weight,
      }));
      // The white ring vanishes on the legend's white: a hairline shows the dot's edge as on the map.
      if (ring === look.townRing) box.appendChild(svg("circle", { cx: 9, cy: 9, r: 7.5, fill: "none", stroke: "#0004" }));
    }
    return box;
  }
  // Territory as the map fills it: the same colour at the same opacity.
  function areaSwatch(fill) {
    var box = svg("svg", { width: 22, height: 14, viewBox: "0 0 22 14", class: "swatch-area", "aria-hidden": "true" });
    box.appendChild(svg("rect", {
      x: 0.5, y: 0.5, width: 21, height: 13, fill: fill, "fill-opacity": cm.look().areaOpacity, stroke: "#0002",
    }));
    return box;
  }

  // An overlay as the map hatches it (controlmap.js cm.hatch).
  function hatchSwatch(colour, layer) {
    var box = svg("svg", { width: 22, height: 14, viewBox: "0 0 22 14", class: "swatch-area", "aria-hidden": "true" });
    box.appendChild(svg("rect", { x: 0.5, y: 0.5, width: 21, height: 13, fill: cm.hatch(colour, layer), stroke: colour }));
    return box;
  }

  var legendBox = null;
  var countsBox = null;
  var drawnBox = null;
  var drawnRuleBox = null;
  var LAYER_NAMES = { advance: "assessed advances", claimed: "claimed control", counteroffensive: "counteroffensives" };

  // How old a drawing is on the date the reader asked for (the layer's days_old counts from the day
  // its file is kept under, which a drawing moves to its own day).
  function daysOld(p) {
    var asked = document.body.dataset.loading || document.body.dataset.loadedDate;
    var a = Date.parse(asked + "T00:00:00Z"), d = Date.parse(p.drawn_on + "T00:00:00Z");
    return isNaN(a) || isNaN(d) ? (p.days_old || 0) : Math.max(0, Math.round((a - d) / 86400000));
  }

  // The drawn maps on the date shown: which side's area is drawn (of which day, how old), and the
  // hatched overlays, each its own row; rebuilt per date from the areas layer's features.
  function drawnRows() {
    if (!drawnBox || !cm.registered) return;
    var said = cm.areasRule && cm.areasRule.drawn;
    if (drawnRuleBox && said) {
      drawnRuleBox.textContent = said;
      drawnRuleBox.hidden = false;
    }
    while (drawnBox.firstChild) drawnBox.removeChild(drawnBox.firstChild);
    var rows = [];
    cm.registered.layers.areas.eachLayer(function (a) {
      var p = (a.feature && a.feature.properties) || {};
      if (p.basis !== "drawn") return;
      var name = cm.factionName(p.faction, p.faction_name);
      var row = el("div", null, "cm-legend-row cm-legend-drawn");
      row.setAttribute("data-layer", p.layer);
      row.appendChild(el("span"));
      if (cm.isOverlay(p)) {
        row.appendChild(hatchSwatch(p.colour, p.layer));
        row.appendChild(el("span", name + ": " + (LAYER_NAMES[p.layer] || p.layer) + " (" + p.drawn_on +
          "), hatched, not counted in km²"));
      } else {
        row.appendChild(areaSwatch(p.colour));
        var days = daysOld(p);
        var age = days > 0 ? ", " + days + (days === 1 ? " day" : " days") + " old" : "";
        var by = (p.sources || []).map(function (c) { return c.publisher; }).filter(Boolean).join(", ");
        row.appendChild(el("span", name + ": drawn map of " + p.drawn_on + (by ? " (" + by + ")" : "") + age));
      }
      rows.push(row);
    });
    if (!rows.length) { drawnBox.hidden = true; return; }
    drawnBox.appendChild(el("div", "Drawn maps", "cm-legend-drawn-head"));
    rows.forEach(function (row) { drawnBox.appendChild(row); });
    drawnBox.hidden = false;
  }
  // The legend names only the sides on the map on the date shown (the page's theatre's towns and areas,
  // so another theatre's factions never appear); the contested ring and the towns with no record only
  // when the date has one. The ring's example is a contested town of the date, in its own colours.
  function legendShowPresent() {
    if (!legendBox) return;
    var now = cm.factionsPresent();
    legendBox.querySelectorAll(".cm-legend-row[data-faction]").forEach(function (row) {
      row.hidden = !now.factions[row.getAttribute("data-faction")];
    });
    var ring = legendBox.querySelector(".cm-legend-ring");
    if (ring) {
      ring.hidden = !now.contestedTown;
      if (now.contestedTown) {
        var look = cm.look();
        ring.replaceChild(pointSwatch(cm.factionColour(now.contestedTown.faction),
          cm.factionColour(now.contestedTown.contestedBy), look.ringWeight), ring.firstChild);
      }
    }
    var unrecorded = legendBox.querySelector(".cm-legend-unrecorded");
    if (unrecorded) unrecorded.hidden = !now.unrecorded;
  }


  // After a date's towns are in: only the sides present, and the counts.
  cm.legendUpdate = function (c) {
    legendShowPresent();
    drawnRows();
    if (!countsBox) return;
    countsBox.dataset.recorded = c.recorded;
    countsBox.dataset.unrecorded = c.unrecorded;
    countsBox.textContent = c.recorded.toLocaleString("en") + (c.recorded === 1 ? " town has" : " towns have") +
      " a record on this date; " + c.unrecorded.toLocaleString("en") + " " + (c.unrecorded === 1 ? "has" : "have") + " none.";
  };

  // The legend's "no record" row: a faint dot as the map draws one, the toggle, the counts.
  function unrecordedRows(box) {
    var row = el("div", null, "cm-legend-row cm-legend-unrecorded");
    var dot = svg("svg", { width: 18, height: 18, viewBox: "0 0 18 18", class: "swatch-point", "aria-hidden": "true" });
    dot.appendChild(svg("circle", { cx: 9, cy: 9, r: 2.5, fill: cm.look().noData, "fill-opacity": 0.45 }));
    row.appendChild(dot);
    row.appendChild(el("span"));
    var label = el("label");
    var toggle = el("input", null, "cm-show-unrecorded");
    toggle.type = "checkbox";
    toggle.checked = cm.showingUnrecorded();
    toggle.addEventListener("change", function () { cm.setShowUnrecorded(toggle.checked); });
    label.appendChild(toggle);
    label.appendChild(document.createTextNode(" Towns with no record"));
    row.appendChild(label);
    box.appendChild(row);
    countsBox = el("div", null, "cm-legend-counts");
    countsBox.setAttribute("aria-live", "polite");
    box.appendChild(countsBox);
  }

  // The legend's staleness row (when the site sets STALE_AFTER_DAYS): the toggle and the rule it applies.
  function staleRows(box) {
    var days = cm.look().staleAfterDays;
    if (typeof days !== "number") return;
    var row = el("div", null, "cm-legend-row cm-legend-stale");
    var dot = svg("svg", { width: 18, height: 18, viewBox: "0 0 18 18", class: "swatch-point", "aria-hidden": "true" });
    dot.appendChild(svg("circle", { cx: 9, cy: 9, r: 6, fill: "#777777", "fill-opacity": cm.look().staleFillOpacity }));
    row.appendChild(dot);
    row.appendChild(el("span"));
    var label = el("label");
    var toggle = el("input", null, "cm-fade-stale");
    toggle.type = "checkbox";
    toggle.checked = cm.fadingStale();
    toggle.addEventListener("change", function () { cm.setFadeStale(toggle.checked); });
    label.appendChild(toggle);
    label.appendChild(document.createTextNode(" Fade towns not confirmed for " + days + " days"));
    row.appendChild(label);
    box.appendChild(row);
    box.appendChild(el("div", "Faded: its latest change or confirmation is more than " + days +
      " days before the date shown.", "cm-legend-stale-rule"));
  }

  // The opened legend grows upward from the map's bottom corner. It stays inside the map, below
  // everything at the map's top (zoom buttons, the town search, the layer list), and
  // scrolls inside itself; its toggle is sticky at its top, so the tap that opened it closes it.
  function legendFit(map, box) {
    function fit() {
      var mapBox = map.getContainer().getBoundingClientRect();
      var top = mapBox.top;
      var wrap = map.getContainer().parentNode;
      var over = [].slice.call(map.getContainer().querySelectorAll(".leaflet-top .leaflet-control"));
      if (wrap) over = over.concat([].slice.call(wrap.querySelectorAll(".town-search > input")));
      var legendBox = box.getBoundingClientRect();
      over.forEach(function (node) {
        var r = node.getBoundingClientRect();
        if (r.width && r.height) top = Math.max(top, r.bottom);
      });
      box.style.maxHeight = Math.max(48, Math.floor(legendBox.bottom - top - 8)) + "px";
    }
    fit();
    map.on("resize", fit);
    box.addEventListener("toggle", fit);
    window.addEventListener("resize", fit);
  }

  cm.legend = function (map) {
    // Bottom right: on most maps the least crowded corner (the country of the seed's map ends before it).
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var look = cm.look(), palette = look.palette, contestedClass = look.contestedClass;
      // A <details> so phones can fold the legend away from the map (folded by default there).
      var box = el("details", null, "cm-legend leaflet-bar");
      legendBox = box;
      box.open = !(window.matchMedia && window.matchMedia("(max-width: 480px)").matches);
      box.appendChild(el("summary", "Who controls what"));
      var head = el("div", null, "cm-legend-row cm-legend-head");
      head.appendChild(el("span", "Town"));
      head.appendChild(el("span", "Area"));
      head.appendChild(el("span"));
      box.appendChild(head);
      var factions = [];
      look.order.forEach(function (slug) {
        var entry = palette[slug];
        if (!entry) return;
        var row = el("div", null, "cm-legend-row");
        row.setAttribute("data-faction", slug);
        // The contested class only colours areas; a contested town keeps its holder's colour and a ring.
        var isClass = slug === contestedClass;
        if (!isClass) factions.push(entry);
        row.appendChild(pointSwatch(isClass ? null : entry.colour, look.townRing, look.townRingWeight));
        row.appendChild(areaSwatch(entry.colour));
        row.appendChild(el("span", isClass ? entry.name + " (area)" : entry.name));
        box.appendChild(row);
      });
      if (factions.length > 1) {
        // An example from the palette: the first side's town, contested by the second.
        var ring = el("div", null, "cm-legend-row cm-legend-ring");
        ring.appendChild(pointSwatch(factions[0].colour, factions[1].colour, look.ringWeight));
        ring.appendChild(el("span"));
        ring.appendChild(el("span", "Contested town: ring in the contesting side's colour"));
        box.appendChild(ring);
      }
      // Land around towns with no record on this date is left unpainted rather than guessed.
      var unknown = el("div", null, "cm-legend-row cm-legend-unknown");
      unknown.appendChild(el("span"));
      unknown.appendChild(areaSwatch("none"));
      unknown.appendChild(el("span", "Unpainted: no record for this date"));
      box.appendChild(unknown);
      drawnBox = el("div", null, "cm-legend-drawn-rows");
      drawnBox.hidden = true;
      box.appendChild(drawnBox);
      if (look.areaRule) {
        // Folded: the rule is long, and the map should stay visible under the legend.
        var about = el("details", null, "cm-legend-rule");
        about.appendChild(el("summary", "About these areas"));
        about.appendChild(el("p", look.areaRule));
        // How drawn maps (DeepStateMap, ISW) take part: events.territory.drawn.DRAWN_RULE, as the areas
        // layer states it (filled in by drawnRows once a date's areas are in).
        drawnRuleBox = el("div", null, "cm-legend-drawn-rule");
        drawnRuleBox.hidden = true;
        about.appendChild(drawnRuleBox);
        box.appendChild(about);
      }
      unrecordedRows(box);
      staleRows(box);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    legendFit(map, control.getContainer());
    return control;
  };
})();
