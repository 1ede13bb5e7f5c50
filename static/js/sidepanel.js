/* The map page's side panel: the selected town's control on the date shown, its history and sources.
 *
 * The time control (timecontrol.js) owns the date and the URL. It creates the panel with
 * cm.sidePanel(options) and talks to it only through what that returns; the panel reads the date
 * through options.date() and asks for the URL to be rewritten through options.townNamed().
 * Every date in words comes from the server (date_label), so the panel says what the pages say. */
(function () {
  "use strict";
  var cm = window.conflictmap;

  /* options:
   *   box        the element the panel fills
   *   url        the town's panel JSON, "{id}" standing for the town's id
   *   town       {id, slug} of a shared link's town, or null
   *   date()     the ISO date the map shows
   *   townNamed() called once the selected town's slug is known, so the page's URL can name it
   * Returns { townSlug(), dateShown() }: the slug for the URL (null until known), and the call the
   * time control makes each time a date's layers are in. */
  cm.sidePanel = function (options) {
    var box = options.box;
    var town = options.town ? { id: options.town.id, slug: options.town.slug } : null;
    var firstDate = true;

    function townFeature(id) {
      return cm.townLayer(id);
    }

    function facts(p) {
      var list = cm.el("dl", null, "facts");
      [["Status", p.status === "contested" ? "Contested by " + cm.factionName(p.contested_by) : "Controlled"],
       ["Since", p.since_label],
       ["Confidence", p.confidence],
       ["Governorate", p.province || "—"]].forEach(function (row) {
        list.appendChild(cm.el("dt", row[0]));
        list.appendChild(cm.el("dd", row[1]));
      });
      return list;
    }

    function current(p) {
      var now = cm.el("p");
      var sw = cm.el("span", null, "swatch");
      sw.style.background = cm.townColours(p).fill;
      now.appendChild(sw);
      now.appendChild(document.createTextNode(
        p.faction ? cm.factionName(p.faction, p.faction_name) : "No control recorded on " + options.date()
      ));
      return now;
    }

    function sourceList(sources) {
      var list = cm.el("ul", null, "sources");
      sources.forEach(function (s) {
        var li = cm.el("li");
        li.appendChild(cm.link(s.url, s.title));
        li.appendChild(document.createTextNode(" — " + s.publisher + (s.date ? ", " + s.date : "")));
        list.appendChild(li);
      });
      return list;
    }

    function historyList(changes) {
      var list = cm.el("ol", null, "history");
      changes.forEach(function (change) {
        var item = cm.el("li");
        if (change.date > options.date()) item.className = "later";
        var line = cm.el("div");
        var when = cm.el("time", change.date_label);
        when.dateTime = change.date;
        line.appendChild(cm.el("strong")).appendChild(when);
        var text = " " + change.faction_name + (change.status === "contested" ? " (contested by " + change.contested_by_name + ")" : "");
        line.appendChild(document.createTextNode(text + " · " + change.confidence));
        item.appendChild(line);
        if (change.sources.length) item.appendChild(sourceList(change.sources));
        list.appendChild(item);
      });
      return list;
    }

    /* A town's disputed claims: both claims with their sources, and the decision with its reason. Text
     * nodes only (cm.el), so whatever a source or a reviewer wrote is shown as text. */
    function disputeList(disputes) {
      var section = cm.el("div", null, "disputes");
      section.appendChild(cm.el("h3", "Disputed claims"));
      disputes.forEach(function (dispute) {
        var box = cm.el("div", null, "dispute");
        box.appendChild(cm.el("p", dispute.decision, "dispute-decision"));
        if (dispute.reason) box.appendChild(cm.el("p", "Reason: " + dispute.reason, "dispute-reason"));
        var list = cm.el("ul", null, "claims");
        dispute.claims.forEach(function (claim) {
          var item = cm.el("li", null, claim.in_force ? "claim" : "claim set-aside");
          var mark = claim.decided_for ? " · in force" : (claim.in_force ? "" : " · set aside");
          item.appendChild(cm.el("div", claim.date_label + ": " + claim.faction_name +
            (claim.contested_by_name ? " (contested by " + claim.contested_by_name + ")" : "") + mark));
          if (claim.sources.length) item.appendChild(sourceList(claim.sources));
          list.appendChild(item);
        });
        box.appendChild(list);
        section.appendChild(box);
      });
      return section;
    }

    function render(feature, detail, problem) {
      var p = feature ? feature.properties : {};
      box.replaceChildren();
      box.appendChild(cm.el("h2", detail ? detail.name : p.name));
      if (detail && detail.alt_names.length) box.appendChild(cm.el("p", "Also: " + detail.alt_names.join(", "), "muted"));
      if (feature) {
        box.appendChild(current(p));
        if (p.faction) box.appendChild(facts(p));
      }
      if (!detail) {
        box.appendChild(problem ? cm.el("p", problem, "error") : cm.el("p", "Loading history…", "muted"));
        return;
      }
      if (detail.disputes && detail.disputes.length) box.appendChild(disputeList(detail.disputes));
      box.appendChild(cm.el("h3", "History"));
      box.appendChild(historyList(detail.history));
      var more = cm.el("p");
      more.appendChild(cm.link(detail.url, "Town page"));
      box.appendChild(more);
    }

    function renderCurrent(id, detail, problem) {
      var layer = townFeature(id);
      render(layer ? layer.feature : null, detail, problem);
    }

    function show(id, pan) {
      var layer = townFeature(id);
      var feature = layer ? layer.feature : null;
      if (!town || town.id !== id) {
        // The slug arrives with the panel data (or from the feature, should it carry one).
        town = { id: id, slug: (feature && feature.properties.slug) || null };
      }
      render(feature, town.detail, town.problem);
      if (town.fetching) return;
      if (layer && pan) {
        // A shared "show on map" link or a search: centre on the town and name it.
        cm.registered.map.setView(layer.getLatLng(), Math.max(cm.registered.map.getZoom(), 9));
        layer.openPopup();
      }
      if (town.detail) return;
      var asked = town;
      asked.fetching = true;
      asked.problem = null;
      cm.fetchJson(options.url.replace("{id}", String(id)))
        .then(function (detail) {
          asked.fetching = false;
          if (town !== asked) return;
          asked.detail = detail;
          asked.slug = detail.slug;
          options.townNamed();
          renderCurrent(id, detail);
        })
        .catch(function (error) {
          // Not fetching any more, so selecting the town again (or another date) asks again.
          asked.fetching = false;
          if (town !== asked) return;
          asked.problem = "Could not load the history (" + error.message + "). Select the town again to retry.";
          renderCurrent(id, null, asked.problem);
        });
    }

    document.addEventListener("conflictmap:town", function (event) {
      show(event.detail.properties.town_id, false);
    });

    return {
      townSlug: function () {
        return town ? town.slug : null;
      },
      select: function (found) {
        if (!cm.townLayer(found.id) && found.latitude !== undefined) {
          cm.registered.map.setView([found.latitude, found.longitude], Math.max(cm.registered.map.getZoom(), 9));
        }
        show(found.id, true);
      },
      dateShown: function () {
        // The first date opens a shared link's town (and pans to it); later dates refresh its panel.
        if (town) show(town.id, firstDate);
        firstDate = false;
      },
    };
  };
})();
