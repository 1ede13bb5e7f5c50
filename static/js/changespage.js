/* A map of one date with no time control: the "what changed" page's (the period's last date) and the
 * embedded map's. Its layers are fetched from the API by URL (as the main map page does, with
 * layerload.js) rather than inlined in the page. */
(function () {
  "use strict";
  var cm = window.conflictmap;
  var node = document.getElementById("changes-map-config") || document.getElementById("map-config-fixed");
  if (!cm || !cm.loadLayers || !cm.registered || !node) return;
  var config = JSON.parse(node.textContent);
  var status = document.getElementById("changes-map-status") || document.getElementById("map-status");
  var controller = new AbortController();
  document.body.dataset.loading = config.date;
  cm.loadLayers({
    endpoints: config.endpoints, date: config.date, signal: controller.signal,
    progress: function (text) { if (status) status.textContent = text; },
  }).then(function () {
    if (status) status.textContent = "";
    document.body.dataset.loadedDate = config.date;
    delete document.body.dataset.loading;
  }).catch(function (error) {
    if (status) status.textContent = "Could not load the map for " + config.date + ": " + error.message;
  });
})();
