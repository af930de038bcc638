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

  // Live updates: the /api/events websocket (Mailpit's message shapes), else polling
  // /api/stats. On the first page of the email list new rows and the count are patched in
  // place (text only, never HTML); anywhere else new mail shows the banner.
  var PAGE_SIZE = 50;

  function address(a) {
    if (!a) { return ""; }
    return a.Name ? a.Name + " <" + a.Address + ">" : a.Address;
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function emailTable() {
    var table = document.getElementById("emails");
    if (table) { return table.tBodies[0]; }
    var empty = document.querySelector("main p.empty");
    if (!empty) { return null; }
    table = document.createElement("table");
    table.className = "list";
    table.id = "emails";
    var head = table.createTHead().insertRow();
    ["Received (virtual)", "From", "To", "Subject", "Workflow"].forEach(function (name) {
      var th = document.createElement("th");
      th.textContent = name;
      head.appendChild(th);
    });
    var tbody = document.createElement("tbody");
    table.appendChild(tbody);
    empty.replaceWith(table);
    return tbody;
  }

  function rowFor(id) {
    var links = document.querySelectorAll("#emails a.subject");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("href") === "/ui/email/" + encodeURIComponent(id)) {
        return links[i].closest("tr");
      }
    }
    return null;
  }

  function addRow(summary, doorstep) {
    var tbody = emailTable();
    if (!tbody || rowFor(summary.ID)) { return; }
    var row = document.createElement("tr");
    row.className = summary.Read ? "read" : "unread";
    cell(row, summary.Created, "when");
    cell(row, address(summary.From));
    cell(row, (summary.To || []).map(address).join(", "));
    var subject = cell(row, "");
    var link = document.createElement("a");
    link.className = "subject";
    link.href = "/ui/email/" + encodeURIComponent(summary.ID);
    link.textContent = summary.Subject || "(no subject)";
    subject.appendChild(link);
    if (summary.Attachments) {
      var tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = "\uD83D\uDCCE " + summary.Attachments;
      subject.appendChild(document.createTextNode(" "));
      subject.appendChild(tag);
    }
    var snippet = document.createElement("div");
    snippet.className = "snippet";
    var text = summary.Snippet || "";
    snippet.textContent = text.length > 120 ? text.slice(0, 120).trimEnd() + "..." : text;
    subject.appendChild(snippet);
    cell(row, (doorstep && doorstep.workflow_key) || "");
    tbody.insertBefore(row, tbody.firstChild);
    while (tbody.rows.length > PAGE_SIZE) { tbody.deleteRow(-1); }
  }

  function showCount(total) {
    var count = document.getElementById("email-count");
    if (!count) { return; }
    var shown = document.querySelectorAll("#emails tbody tr").length;
    count.textContent = total + " email" + (total === 1 ? "" : "s") +
      (shown ? ", showing 1\u2013" + shown : "");
  }

  function setupLive() {
    var body = document.body;
    var banner = document.getElementById("live-banner");
    var listing = body.dataset.live === "reload";
    var patching = listing && !new URLSearchParams(window.location.search).get("q");
    var known = body.dataset.latestEmail || "";  // null: the newest was deleted, take stats'
    var polling = false;
    var reloading = false;

    function reload() {
      // At most one reload per 2 s of page life, so a flood of mail cannot spin the page.
      if (reloading) { return; }
      reloading = true;
      window.setTimeout(function () { window.location.reload(); },
        Math.max(0, 2000 - window.performance.now()));
    }

    function outdated() {
      if (listing) { reload(); }
      else if (banner) { banner.hidden = false; }
    }

    function onStats(stats) {
      var clock = document.getElementById("clock-now");
      if (clock && stats.now) { clock.textContent = stats.now; }
      var latest = stats.latest_email || "";
      if (known === null) { known = latest; }
      if (latest !== known) {
        known = latest;
        outdated();
      } else if (patching) {
        showCount(stats.emails);
      }
    }

    function onEvent(message) {
      var data = message.Data || {};
      if (message.Type === "stats") { onStats(data); }
      else if (message.Type === "new") {
        known = data.ID;
        if (patching) { addRow(data, message.Doorstep); } else { outdated(); }
      } else if (message.Type === "delete") {
        if (data.ID === known) { known = null; }
        var row = patching ? rowFor(data.ID) : null;
        if (row) { row.remove(); } else if (listing && !patching) { outdated(); }
      } else if (message.Type === "truncate") {
        known = "";
        if (listing) { reload(); }
      }
    }

    function poll() {
      fetch("/api/stats", { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (stats) { if (stats) { onStats(stats); } })
        .catch(function () { return null; })
        .then(function () { window.setTimeout(poll, 2000); });
    }

    function startPolling() {
      if (polling) { return; }
      polling = true;
      body.dataset.liveVia = "polling";
      window.setTimeout(poll, 2000);
    }

    if (!("WebSocket" in window)) { startPolling(); return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try { socket = new WebSocket(scheme + window.location.host + "/api/events"); }
    catch (e) { startPolling(); return; }
    socket.addEventListener("message", function (m) {
      var message;
      try { message = JSON.parse(m.data); } catch (e) { return; }
      if (message && typeof message === "object") {
        body.dataset.liveVia = "websocket";  // subscribed: nothing from now on is missed
        onEvent(message);
      }
    });
    socket.addEventListener("close", startPolling);  // also after a failed connect
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupTabs();
    setupWidths();
    setupLive();
  });
})();
