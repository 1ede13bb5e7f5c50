/* The map page's time control: moves the three layers through the change dates without reloading
 * the page and keeps the URL shareable. The side panel (sidepanel.js, loaded first) shows the
 * selected town; this file tells it when a date is in and asks it which town the URL names.
 * The change dates are not in the page: they are fetched (config.datesUrl, immutable for the page's
 * revision) while the map draws, and stepping (slider, previous, next, play) waits for them. */
(function () {
  "use strict";
  var cm = window.conflictmap;
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var dates = []; // ISO strings, ascending, once fetched
  // Asked for at once, in parallel with the map's own start: only stepping needs them.
  var datesFetched = window.fetch(config.datesUrl, { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  datesFetched.catch(function () {}); // reported by awaitDates, not as an unhandled rejection
  var ui = {
    slider: document.getElementById("tc-slider"),
    date: document.getElementById("tc-date"),
    prev: document.getElementById("tc-prev"),
    next: document.getElementById("tc-next"),
    play: document.getElementById("tc-play"),
    label: document.getElementById("tc-label"),
    status: document.getElementById("tc-status"),
    datesStatus: document.getElementById("tc-dates-status"),
    progress: document.getElementById("tc-progress"),
    axis: document.querySelector(".tc-axis"),
    search: document.getElementById("town-search"),
  };
  var state = { date: config.date, playing: null, request: null };
  var panel = null; // the side panel, made at start
  // A drag of the slider or an edit of the date box is one "gesture": it adds one history entry
  // (so back returns to the date before it) and fetches once the reader pauses, not on every step.
  var gesture = { open: false, fetchTimer: null, idleTimer: null };
  var GESTURE_FETCH_MS = 250;
  var GESTURE_IDLE_MS = 1500;

  function lastIndexAtOrBefore(date) {
    var found = -1;
    for (var i = 0; i < dates.length && dates[i] <= date; i++) found = i;
    return found;
  }
  function nextDate(date) {
    for (var i = 0; i < dates.length; i++) if (dates[i] > date) return dates[i];
    return null;
  }
  function prevDate(date) {
    for (var i = dates.length - 1; i >= 0; i--) if (dates[i] < date) return dates[i];
    return null;
  }

  // The slider moves by time: one step a day from the first change date to the last.
  var DAY_MS = 86400000;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function dayOf(date) {
    return dates.length ? Math.round((Date.parse(date) - Date.parse(dates[0])) / DAY_MS) : 0;
  }
  function isoOfDay(day) {
    return new Date(Date.parse(dates[0]) + day * DAY_MS).toISOString().slice(0, 10);
  }
  // The change in force on the slider's day: the last change date on or before it.
  function sliderDate() {
    return dates[Math.max(0, lastIndexAtOrBefore(isoOfDay(Number(ui.slider.value))))];
  }
  function shortDate(date) {
    var p = date.split("-");
    return Number(p[2]) + " " + MONTHS[Number(p[1]) - 1] + " " + p[0];
  }

  // Under the slider: its ends' dates and each new year along it, at the thumb's place for that day.
  // A year's label that would overlap an end's or the one before keeps its tick and hides its text.
  function drawAxis() {
    var axis = ui.axis;
    if (!axis || !dates.length) return;
    axis.textContent = "";
    var last = dates[dates.length - 1];
    var span = Math.max(1, dayOf(last));
    var ends = [["tc-end tc-end-first", dates[0]], ["tc-end tc-end-last", last]].map(function (e) {
      var node = cm.el("span", shortDate(e[1]), e[0]);
      axis.appendChild(node);
      return node;
    });
    var years = [];
    for (var y = Number(dates[0].slice(0, 4)) + 1; y <= Number(last.slice(0, 4)); y++) {
      var year = cm.el("span", String(y), "tc-year");
      // The thumb's centre travels the track less its own width (16 px in Chromium and Firefox).
      year.style.left = "calc(8px + (100% - 16px) * " + (dayOf(y + "-01-01") / span) + ")";
      axis.appendChild(year);
      years.push(year);
    }
    var placed = ends.map(function (n) { return n.getBoundingClientRect(); });
    years.forEach(function (node) {
      var r = node.getBoundingClientRect();
      var clash = placed.some(function (b) { return r.left < b.right + 10 && b.left < r.right + 10; });
      node.classList.toggle("tc-crowded", clash);
      if (!clash) placed.push(r);
    });
  }

  function pageUrl() {
    var params = new URLSearchParams(window.location.search);
    params.set("date", state.date);
    // Until a clicked town's slug is known the link keeps no town rather than "town=null".
    var slug = panel && panel.townSlug();
    if (slug) params.set("town", slug);
    else params.delete("town");
    return window.location.pathname + "?" + params.toString();
  }

  function showControls() {
    ui.date.value = state.date;
    ui.slider.value = Math.max(0, Math.min(Number(ui.slider.max), dayOf(state.date)));
    ui.slider.setAttribute("aria-valuetext", state.date);
    ui.label.textContent = state.date;
    ui.prev.disabled = prevDate(state.date) === null;
    ui.next.disabled = nextDate(state.date) === null;
    showDownloads();
    document.title = "Control on " + state.date + " · conflictmap";
  }

  // The download links for the date shown, from the same templates the server filled in.
  function showDownloads() {
    var token = config.dateToken;
    (config.downloads || []).concat(config.pages || []).forEach(function (d) {
      var a = document.getElementById(d.id);
      if (!a) return;
      a.href = d.href.split(token).join(encodeURIComponent(state.date));
      a.textContent = d.label.split(token).join(state.date);
    });
    // The <iframe> snippets: HTML to paste, kept as text (the server escaped its values).
    (config.embeds || []).forEach(function (e) {
      var box = document.getElementById(e.id);
      if (box) box.value = e.code.split(token).join(encodeURIComponent(state.date));
    });
  }

  // The progress bar shows while a date's layers load; the page answers clicks meanwhile.
  function progress(text, fraction) {
    ui.status.textContent = text;
    ui.progress.hidden = false;
    ui.progress.value = fraction;
  }

  function load(date) {
    if (state.request) state.request.abort();
    var controller = new AbortController();
    state.request = controller;
    document.body.dataset.loading = date;
    return cm.loadLayers({ endpoints: config.endpoints, date: date, revision: config.revision,
                           signal: controller.signal, progress: progress })
      .then(function (timing) {
        if (controller.signal.aborted) return;
        state.request = null;
        ui.status.textContent = "";
        ui.progress.hidden = true;
        cm.lastDraw = { date: date, fetchMs: timing.fetchMs, drawMs: timing.drawMs };
        document.body.dataset.loadedDate = date;
        delete document.body.dataset.loading;
        panel.dateShown();
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        ui.progress.hidden = true;
        ui.status.textContent = "Could not load the map for " + date + ": " + error.message;
      });
  }

  function validDate(date) {
    return typeof date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(date);
  }

  function endGesture() {
    window.clearTimeout(gesture.idleTimer);
    window.clearTimeout(gesture.fetchTimer);
    var pending = gesture.fetchTimer !== null;
    gesture.open = false;
    gesture.fetchTimer = gesture.idleTimer = null;
    return pending;
  }

  // how: "push" (a user's step: back button returns), "replace" (playing, first load), "none" (popstate)
  function setDate(date, how) {
    if (!validDate(date)) return;
    endGesture();
    state.date = date;
    showControls();
    if (how === "push") history.pushState({ date: date }, "", pageUrl());
    else if (how === "replace") history.replaceState({ date: date }, "", pageUrl());
    return load(date);
  }

  // A step within a gesture: the first pushes an entry, later ones replace it; the fetch waits.
  // endsWhenIdle: typing has no "done" event (Chromium fires change on each digit of a date box),
  // so there a pause ends the gesture; a slider's gesture ends when it is released.
  function previewDate(date, endsWhenIdle) {
    if (!validDate(date)) return;
    stop();
    state.date = date;
    showControls();
    if (gesture.open) history.replaceState({ date: date }, "", pageUrl());
    else history.pushState({ date: date }, "", pageUrl());
    gesture.open = true;
    window.clearTimeout(gesture.fetchTimer);
    gesture.fetchTimer = window.setTimeout(function () {
      gesture.fetchTimer = null;
      load(date);
    }, GESTURE_FETCH_MS);
    window.clearTimeout(gesture.idleTimer);
    if (endsWhenIdle) {
      gesture.idleTimer = window.setTimeout(function () {
        gesture.open = false; // the fetch, if still waiting, goes ahead
        gesture.idleTimer = null;
      }, GESTURE_IDLE_MS);
    }
  }

  // The end of a gesture (slider released, date box left or Enter): show the final date now.
  function commitDate(date) {
    if (!validDate(date)) return endGesture();
    var open = gesture.open;
    var pending = endGesture();
    if (!open) return date === state.date ? undefined : setDate(date, "push");
    if (date !== state.date) {
      state.date = date;
      showControls();
      history.replaceState({ date: date }, "", pageUrl());
      pending = true;
    }
    if (pending) return load(date);
  }

  function stop() {
    if (state.playing) window.clearInterval(state.playing);
    state.playing = null;
    ui.play.textContent = "▶ Play";
    ui.play.setAttribute("aria-pressed", "false");
  }
  function play() {
    if (state.playing) return stop();
    if (nextDate(state.date) === null && dates.length) setDate(dates[0], "replace");
    ui.play.textContent = "⏸ Pause";
    ui.play.setAttribute("aria-pressed", "true");
    state.playing = window.setInterval(function () {
      var next = nextDate(state.date);
      if (next === null) return stop();
      setDate(next, "replace");
    }, config.playIntervalMs || 1500);
  }

  // The date box and the map work meanwhile; the stepping controls come on with the dates.
  function awaitDates() {
    ui.datesStatus.textContent = "Loading dates…";
    ui.datesStatus.hidden = false;
    ui.slider.setAttribute("aria-busy", "true");
    return datesFetched
      .then(function (body) {
        dates = body.dates;
        ui.slider.max = dates.length ? dayOf(dates[dates.length - 1]) : 0;
        ui.slider.disabled = dates.length === 0;
        ui.play.disabled = dates.length === 0;
        ui.datesStatus.hidden = true;
        ui.datesStatus.textContent = "";
        showControls();
        drawAxis();
        window.addEventListener("resize", drawAxis);
        document.body.dataset.datesLoaded = String(dates.length);
      })
      .catch(function (error) {
        ui.datesStatus.textContent = "Could not load the change dates (" + error.message + "); pick a date instead.";
      })
      .then(function () {
        ui.slider.removeAttribute("aria-busy");
      });
  }

  function start() {
    panel = cm.sidePanel({
      box: document.getElementById("panel-body"),
      url: config.panelUrl,
      town: config.town,
      date: function () { return state.date; },
      townNamed: function () { history.replaceState(history.state, "", pageUrl()); },
    });
    if (ui.search && cm.townSearch) {
      // A town found by any of its names: centre on it and open its panel, as a click on it would.
      cm.townSearch({ box: ui.search, url: ui.search.dataset.url, pick: function (town) { panel.select(town); } });
    }
    ui.slider.addEventListener("input", function () {
      previewDate(sliderDate(), false);
    });
    ui.slider.addEventListener("change", function () {
      commitDate(sliderDate());
    });
    // A day a key press would take many presses to reach the next change: the keys step by change.
    ui.slider.addEventListener("keydown", function (event) {
      var step = { ArrowRight: nextDate, ArrowUp: nextDate, PageUp: nextDate,
                   ArrowLeft: prevDate, ArrowDown: prevDate, PageDown: prevDate }[event.key];
      var d = step ? step(state.date) : event.key === "Home" ? dates[0] : event.key === "End" ? dates[dates.length - 1] : undefined;
      if (d === undefined) return;
      event.preventDefault();
      stop();
      if (d && d !== state.date) setDate(d, "push");
    });
    // Chromium fires both input and change for every digit typed into a date box.
    ["input", "change"].forEach(function (name) {
      ui.date.addEventListener(name, function () {
        previewDate(ui.date.value, true);
      });
    });
    ui.date.addEventListener("blur", function () {
      if (gesture.open) commitDate(ui.date.value);
    });
    // Enter in the date box would submit the form and reload the page; show the date in place.
    ui.date.form.addEventListener("submit", function (event) {
      event.preventDefault();
      stop();
      commitDate(ui.date.value);
    });
    ui.prev.addEventListener("click", function () {
      stop();
      var d = prevDate(state.date);
      if (d) setDate(d, "push");
    });
    ui.next.addEventListener("click", function () {
      stop();
      var d = nextDate(state.date);
      if (d) setDate(d, "push");
    });
    ui.play.addEventListener("click", play);
    window.addEventListener("popstate", function () {
      var params = new URLSearchParams(window.location.search);
      setDate(params.get("date") || config.date, "none");
    });
    setDate(state.date, "replace");
    awaitDates();
  }

  if (cm.registered) start();
  else document.addEventListener("conflictmap:ready", start, { once: true });
})();
