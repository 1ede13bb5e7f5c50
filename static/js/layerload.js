/* The live map page's loading of a date's layers, kept responsive at 10,000 towns.
 *
 * The three layers are fetched together; the areas and outlines (a few dozen shapes) are refilled,
 * while the towns are updated in place: a town already drawn keeps its marker and only changes its
 * style, so a slider step repaints one canvas rather than rebuilding thousands of markers. Towns new
 * to the layer (the first date, above all) are added in chunks, yielding to the browser between
 * them, so a click or a drag of the slider is handled while they load; progress() says how far. */
(function () {
  "use strict";
  var cm = window.conflictmap;
  var CHUNK = 1000;

  function aborted() {
    var error = new Error("aborted");
    error.name = "AbortError";
    return error;
  }

  function nextTask() {
    return new Promise(function (resolve) { window.setTimeout(resolve, 0); });
  }

  // Restyle the towns still there, drop those gone; returns the features still to be added.
  function updateInPlace(features) {
    var towns = cm.registered.layers.towns;
    var zoom = cm.registered.map.getZoom();
    var seen = {};
    var fresh = [];
    features.forEach(function (f) {
      var p = f.properties || {};
      seen[p.town_id] = true;
      var m = cm.townLayer(p.town_id);
      if (!m) return fresh.push(f);
      var was = m.cmRecorded;
      var now = cm.townRecorded(p);
      m.feature = f;
      var at = m.getLatLng();
      var c = f.geometry.coordinates;
      if (at.lat !== c[1] || at.lng !== c[0]) m.setLatLng([c[1], c[0]]);
      cm.townRestyle(m, zoom);
      if (now !== was) {
        m.cmRecorded = now;
        if (now) m.bringToFront();
        else m.bringToBack();
      }
    });
    var gone = [];
    towns.eachLayer(function (m) { if (!seen[cm.townProps(m).town_id]) gone.push(m); });
    gone.forEach(function (m) { towns.removeLayer(m); });
    // Unrecorded first, so each chunk's recorded towns are painted over them.
    fresh.sort(function (a, b) { return cm.townRecorded(a.properties) - cm.townRecorded(b.properties); });
    return fresh;
  }

  function addInChunks(fresh, signal, progress) {
    var towns = cm.registered.layers.towns;
    var done = 0;
    function step() {
      if (signal.aborted) return Promise.reject(aborted());
      var chunk = fresh.slice(done, done + CHUNK);
      towns.addData({ type: "FeatureCollection", features: chunk });
      // New faint towns go beneath everything already drawn, recorded towns included.
      chunk.forEach(function (f) {
        if (!cm.townRecorded(f.properties)) {
          var m = cm.townLayer(f.properties.town_id);
          if (m) m.bringToBack();
        }
      });
      done += chunk.length;
      progress("Drawing towns " + done.toLocaleString("en") + " of " + fresh.length.toLocaleString("en"), done / fresh.length);
      return done < fresh.length ? nextTask().then(step) : Promise.resolve();
    }
    return fresh.length ? step() : Promise.resolve();
  }

  /* A layer's URL for a date. With the data revision the page was drawn from (?rev=), the answer is
   * marked immutable: the browser, and a proxy or CDN in front, keep it without asking again. A write
   * moves the page to a new revision, hence new URLs; a stale rev is answered with the current data
   * and a no-cache header, never kept for a year. */
  cm.layerUrl = function (url, date, revision) {
    var q = "date=" + encodeURIComponent(date);
    if (revision) q += "&rev=" + encodeURIComponent(revision);
    return url + (url.indexOf("?") < 0 ? "?" : "&") + q;
  };

  /* options: endpoints {key: url}, date (ISO), revision (the page's data revision), signal
   * (AbortSignal), progress(text, fraction).
   * Resolves with {fetchMs, drawMs}: from asking to all data in, and from then to the towns painted. */
  cm.loadLayers = function (options) {
    var keys = Object.keys(options.endpoints);
    var started = performance.now();
    var arrivedCount = 0;
    var arrived = 0;
    options.progress("Loading " + options.date + "…", 0);
    return Promise.all(keys.map(function (key) {
      var url = options.endpoints[key];
      return cm.fetchJson(cm.layerUrl(url, options.date, options.revision), options.signal).then(function (data) {
        arrivedCount += 1;
        options.progress("Loading " + options.date + "… " + arrivedCount + " of " + keys.length + " layers", 0.5 * arrivedCount / keys.length);
        return data;
      });
    }))
      .then(function (collections) {
        if (options.signal.aborted) throw aborted();
        arrived = performance.now();
        var layers = cm.registered.layers;
        var towns = null;
        keys.forEach(function (key, i) {
          if (key === "towns") {
            towns = collections[i];
            return;
          }
          layers[key].clearLayers();
          layers[key].addData(collections[i]);
          // The areas' stated rule (with how drawn maps take part) for the legend: maplegend.js.
          if (key === "areas" && collections[i] && collections[i].rule) cm.areasRule = collections[i].rule;
        });
        if (!towns) return null;
        var features = towns.features || [];
        // Sizes for the new date's number of recorded towns, so each marker is restyled once.
        cm.townDensity(features.filter(function (f) { return cm.townRecorded(f.properties || {}); }).length);
        var fresh = updateInPlace(features);
        return addInChunks(fresh, options.signal, function (text, fraction) {
          options.progress(text, 0.5 + fraction / 2);
        });
      })
      .then(function () {
        cm.townsDrawn();
        // The canvas paints in the next animation frame; this callback runs after it.
        return new Promise(function (resolve) {
          window.requestAnimationFrame(function () {
            resolve({ fetchMs: Math.round(arrived - started), drawMs: Math.round(performance.now() - arrived) });
          });
        });
      });
  };
})();
