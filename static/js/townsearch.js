/* Find a town by any of its names (English, Arabic, alternates), an external id such as an OCHA
 * P-code, or its GeoNames id, through /api/towns?q=. Used by the map page and the admin's forms.
 *
 * cm.townSearch({box, url, pick(town)}): box holds an <input type="search"> and a <ul>; the list
 * offers the best matches (the API orders them) and pick() gets the chosen town as the API gives it
 * ({id, slug, name, alt_names, latitude, longitude, admin_area, ...}). Names are put in as text. */
(function () {
  "use strict";
  var cm = (window.conflictmap = window.conflictmap || {});
  var WAIT_MS = 200;
  var LIMIT = 8;

  function item(town, term, index) {
    var li = document.createElement("li");
    li.id = "town-search-option-" + index;
    li.setAttribute("role", "option");
    li.dataset.town = town.slug;
    var name = document.createElement("strong");
    name.textContent = town.name;
    li.appendChild(name);
    // The alternate name that matched (an Arabic name, a transliteration), so the reader sees why.
    var lower = term.toLowerCase();
    var alt = (town.alt_names || []).filter(function (n) { return n.toLowerCase().indexOf(lower) !== -1; })[0];
    var more = [alt, town.admin_area].filter(Boolean).join(" · ");
    if (more) {
      var small = document.createElement("span");
      small.className = "muted";
      small.textContent = " " + more;
      li.appendChild(small);
    }
    return li;
  }

  cm.townSearch = function (options) {
    var input = options.box.querySelector("input");
    var list = options.box.querySelector("ul");
    var state = { timer: null, request: null, towns: [], active: -1 };
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    list.setAttribute("role", "listbox");
    if (list.id) input.setAttribute("aria-controls", list.id);

    function close() {
      list.replaceChildren();
      list.hidden = true;
      state.towns = [];
      state.active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      state.active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) input.setAttribute("aria-activedescendant", list.children[index].id);
    }

    function choose(index) {
      var town = state.towns[index];
      if (!town) return;
      close();
      input.value = town.name;
      options.pick(town);
    }

    function show(towns, term) {
      list.replaceChildren();
      state.towns = towns;
      state.active = -1;
      if (!towns.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = "No town is called “" + term + "”";
        list.appendChild(none);
      }
      towns.forEach(function (town, i) {
        var li = item(town, term, i);
        // mousedown, not click: it comes before the input's blur, which would close the list.
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (towns.length) mark(0);
      if (state.pickFirst && towns.length) choose(0);
      state.pickFirst = false;
    }

    function ask() {
      var term = input.value.trim();
      if (state.request) state.request.abort();
      if (!term) return close();
      var controller = new AbortController();
      state.request = controller;
      var url = options.url + (options.url.indexOf("?") === -1 ? "?" : "&") +
        "q=" + encodeURIComponent(term) + "&limit=" + LIMIT;
      fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("the search answered " + response.status);
          return response.json();
        })
        .then(function (page) {
          if (state.request !== controller) return;
          state.request = null;
          show(page.results || [], term);
        })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          list.replaceChildren();
          var li = document.createElement("li");
          li.className = "error";
          li.textContent = "Could not search: " + error.message;
          list.appendChild(li);
          list.hidden = false;
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(state.timer);
      state.timer = window.setTimeout(function () {
        state.timer = null;
        ask();
      }, WAIT_MS);
    });
    input.addEventListener("keydown", function (event) {
      var n = state.towns.length;
      if (event.key === "ArrowDown" && n) {
        event.preventDefault();
        mark((state.active + 1) % n);
      } else if (event.key === "ArrowUp" && n) {
        event.preventDefault();
        mark((state.active - 1 + n) % n);
      } else if (event.key === "Enter") {
        // Enter never submits the form around the box (the admin's form, for one).
        event.preventDefault();
        if (state.request || state.timer) {
          // Typed and pressed Enter at once: take the best match once the answer is in.
          if (state.timer) {
            window.clearTimeout(state.timer);
            state.timer = null;
            ask();
          }
          state.pickFirst = true;
        } else if (n) choose(Math.max(0, state.active));
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    close();
    return { close: close };
  };
})();
