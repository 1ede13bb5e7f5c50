/* The town search (townsearch.js) on the admin's forms. On a town's form a found town's form opens;
 * on a control change's form the found town becomes the change's town (its autocomplete box too). */
(function () {
  "use strict";
  var cm = window.conflictmap;
  if (!cm) return;

  // Makes ``town`` ({id, name}) the value of the form's town box (also used by changemap.js).
  cm.adminPickTown = function (select, town) {
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === String(town.id); });
    if (!option) {
      option = new Option(town.name, String(town.id), true, true);
      select.appendChild(option);
    }
    select.value = String(town.id);
    // The admin's autocomplete box (select2, on django.jQuery) redraws on its own change event.
    if (window.django && window.django.jQuery) window.django.jQuery(select).trigger("change");
    else select.dispatchEvent(new Event("change", { bubbles: true }));
  };

  var box = document.getElementById("town-search");
  if (!box || !cm || !cm.townSearch) return;
  var select = document.getElementById("id_town");
  var opens = box.dataset.changeUrl;
  if (!opens && !select) {
    box.hidden = true; // the town cannot be changed here (a read-only view)
    return;
  }
  cm.townSearch({
    box: box,
    url: box.dataset.url,
    pick: function (town) {
      if (opens) {
        window.location.href = opens.replace("/0/", "/" + encodeURIComponent(town.id) + "/");
        return;
      }
      cm.adminPickTown(select, town);
    },
  });
})();
