/* The "what changed" page's map: the layers of the period's last date, fetched from the API by URL
 * (as the main map page does, with layerload.js) rather than inlined in the page. */
(function () {
  "use strict";
  var cm = window.conflictmap;
  var node = document.getElementById("changes-map-config");
  if (!cm || !cm.loadLayers || !cm.registered || !node) return;
  var config = JSON.parse(node.textContent);
  var status = document.getElementById("changes-map-status");
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
