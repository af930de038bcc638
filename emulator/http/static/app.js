// Doorstep inspector: tabs, preview width and live updates. Pages work without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setupTabs() {
    var buttons = document.querySelectorAll(".tabs button[data-tab]");
    var panels = document.querySelectorAll(".tab[data-panel]");
    if (!buttons.length) { return; }
    function show(name) {
      buttons.forEach(function (b) { b.classList.toggle("on", b.dataset.tab === name); });
      panels.forEach(function (p) { p.hidden = p.dataset.panel !== name; });
    }
    buttons.forEach(function (b) {
      b.addEventListener("click", function () { show(b.dataset.tab); });
    });
    show("html");
  }

  function setupWidths() {
    var frame = document.getElementById("email-html");
    var buttons = document.querySelectorAll(".widths button[data-width]");
    if (!frame) { return; }
    buttons.forEach(function (b) {
      b.addEventListener("click", function () {
        frame.classList.remove("desktop", "mobile");
        frame.classList.add(b.dataset.width);
        buttons.forEach(function (o) { o.classList.toggle("on", o === b); });
      });
    });
  }

  function setupLive() {
    var body = document.body;
    var known = body.dataset.latestEmail || "";
    var banner = document.getElementById("live-banner");
    var busy = false;
    function poll() {
      if (busy) { return; }
      busy = true;
      fetch("/api/stats", { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (stats) {
          busy = false;
          if (!stats) { return; }
          var clock = document.getElementById("clock-now");
          if (clock && stats.now) { clock.textContent = stats.now; }
          var latest = stats.latest_email || "";
          if (latest !== known) {
            known = latest;
            if (body.dataset.live === "reload") { window.location.reload(); }
            else if (banner) { banner.hidden = false; }
          }
        })
        .catch(function () { busy = false; });
    }
    window.setInterval(poll, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupTabs();
    setupWidths();
    setupLive();
  });
})();
