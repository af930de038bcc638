// Doorstep inspector: tabs, preview width, checks, release, local times and live updates.
// Pages work without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // One timestamp format: the reader's locale (in UTC, the virtual clock's zone); the ISO
  // instant stays in `datetime` and on hover.
  function localTime(iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) { return iso; }
    return when.toLocaleString(undefined, {
      timeZone: "UTC", year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    }) + " UTC";
  }

  function localizeTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (t) {
      var iso = t.getAttribute("datetime");
      t.title = iso;
      t.textContent = localTime(iso);
    });
  }

  function timeElement(iso) {
    var t = document.createElement("time");
    t.setAttribute("datetime", iso);
    t.title = iso;
    t.textContent = localTime(iso);
    return t;
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function table(headings, rows) {
    var t = document.createElement("table");
    var head = t.createTHead().insertRow();
    headings.forEach(function (h) { head.appendChild(el("th", h)); });
    var body = t.createTBody();
    rows.forEach(function (cells) {
      var row = body.insertRow();
      cells.forEach(function (c) {
        var td = row.insertCell();
        if (c instanceof Node) { td.appendChild(c); } else { td.textContent = String(c); }
      });
    });
    return t;
  }

  function pct(n) { return Math.round(n * 10) / 10 + "%"; }

  var RENDER = {
    "html-check": function (r) {
      var box = document.createDocumentFragment();
      var t = r.Total || {};
      box.appendChild(el("p", "Supported " + pct(t.Supported || 0) + " · partial " +
        pct(t.Partial || 0) + " · unsupported " + pct(t.Unsupported || 0) + " (" +
        (t.Nodes || 0) + " elements, " + (t.Tests || 0) + " tests)", "summary"));
      box.appendChild(table(["Feature", "Found", "Supported", "Partial", "Unsupported"],
        (r.Warnings || []).map(function (w) {
          var link = el("a", w.Title);
          if (w.URL) { link.href = w.URL; link.target = "_blank"; link.rel = "noopener"; }
          return [link, w.Score.Found, pct(w.Score.Supported), pct(w.Score.Partial),
            pct(w.Score.Unsupported)];
        })));
      return box;
    },
    "link-check": function (r) {
      var box = document.createDocumentFragment();
      box.appendChild(el("p", (r.Errors || 0) + " broken of " + (r.Links || []).length +
        " links", "summary"));
      box.appendChild(table(["Link", "Status"], (r.Links || []).map(function (l) {
        var status = el("span", (l.StatusCode ? l.StatusCode + " " : "") + l.Status,
          /broken|failed/.test(l.Status) ? "bad" : "");
        return [l.URL, status];
      })));
      return box;
    },
    "sa-check": function (r) {
      var box = document.createDocumentFragment();
      if (r.Error) { box.appendChild(el("p", r.Error, "bad")); }
      box.appendChild(el("p", "Score " + r.Score + (r.IsSpam ? " · spam" : " · not spam"),
        r.IsSpam ? "summary bad" : "summary"));
      box.appendChild(table(["Score", "Rule", "Description"], (r.Rules || []).map(function (x) {
        return [x.Score, x.Name, x.Description];
      })));
      return box;
    }
  };

  function runCheck(panel) {
    var target = panel.querySelector("[data-check]");
    if (!target || target.dataset.done) { return; }
    target.dataset.done = "1";
    target.textContent = "Checking…";
    var kind = target.dataset.check.split("/").pop();
    fetch(target.dataset.check, { headers: { "Accept": "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (answer) {
        target.textContent = "";
        if (!answer.ok) {
          target.appendChild(el("p", answer.body.error || "The check failed.", "bad"));
        } else {
          target.appendChild(RENDER[kind](answer.body));
        }
        target.dataset.state = "ready";
      })
      .catch(function (e) { target.textContent = "The check failed: " + e; });
  }

  function setupRelease() {
    var form = document.getElementById("release-form");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var result = document.getElementById("release-result");
      var to = form.elements.to.value.split(",").map(function (a) { return a.trim(); })
        .filter(Boolean);
      fetch(form.dataset.release, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ To: to })
      }).then(function (r) {
        return r.text().then(function (text) {
          var message = text;
          try { message = JSON.parse(text).error || text; } catch (e) { message = text; }
          result.textContent = r.ok ? "Released to " + to.join(", ") : message;
          result.className = r.ok ? "result" : "result bad";
        });
      });
    });
  }

  function setupTabs() {
    var buttons = document.querySelectorAll(".tabs button[data-tab]");
    var panels = document.querySelectorAll(".tab[data-panel]");
    if (!buttons.length) { return; }
    function show(name) {
      buttons.forEach(function (b) { b.classList.toggle("on", b.dataset.tab === name); });
      panels.forEach(function (p) { p.hidden = p.dataset.panel !== name; });
    }
    buttons.forEach(function (b) {
      b.addEventListener("click", function () {
        show(b.dataset.tab);
        var panel = document.querySelector('.tab[data-panel="' + b.dataset.tab + '"]');
        if (panel) { runCheck(panel); }
      });
    });
    show("html");
  }

  function setupWidths() {
    var frame = document.getElementById("email-html");
    var buttons = document.querySelectorAll(".widths button[data-width]");
    if (!frame) { return; }
    buttons.forEach(function (b) {
      b.addEventListener("click", function () {
        frame.classList.remove("desktop", "tablet", "mobile");
        frame.classList.add(b.dataset.width);
        buttons.forEach(function (o) { o.classList.toggle("on", o === b); });
      });
    });
  }

  // Live updates: the /api/events websocket (Mailpit's message shapes), else polling
  // /api/stats. On the first page of the email list new and deleted rows, read flags and the
  // counts are patched in place (text only, never HTML); pages about runs patch themselves
  // (below); anywhere else new mail shows the banner.
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
    ["Received (virtual)", "From", "To", "Subject", "Workflow", "Tags"].forEach(function (name) {
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
    cell(row, "", "when").appendChild(timeElement(summary.Created));
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
    cell(row, (summary.Tags || []).join(", "), "tags");
    tbody.insertBefore(row, tbody.firstChild);
    bumpUnread(summary.Read ? 0 : 1);
    while (tbody.rows.length > PAGE_SIZE) { tbody.deleteRow(-1); }
  }

  // The unread count and badge follow the rows: new, deleted, flagged elsewhere (Mailpit's
  // `update`: another tab, a Mailpit client).
  function bumpUnread(delta) {
    var unread = document.getElementById("unread-count");
    if (!unread || !delta) { return; }
    var left = Math.max(0, parseInt(unread.textContent, 10) + delta);
    unread.textContent = left + " unread";
    var badge = document.getElementById("unread-badge");
    if (badge) { badge.textContent = String(left); badge.hidden = left === 0; }
  }

  function markRow(row, read) {
    if (row.classList.contains("read") === read) { return; }
    row.className = read ? "read" : "unread";
    bumpUnread(read ? -1 : 1);
  }

  function showCount(total) {
    var count = document.getElementById("email-count");
    if (!count) { return; }
    var shown = document.querySelectorAll("#emails tbody tr").length;
    count.textContent = total + " email" + (total === 1 ? "" : "s") +
      (shown ? ", showing 1\u2013" + shown : "");
  }

  // Pages about runs (the list, a run's timeline, a feed) patch themselves in place: when the
  // server reports a change the page is fetched again and each `data-patch` element compared
  // with what the server sent last time; only what changed is replaced (`keyed`: child by
  // child, by `data-key`), so the scroll position, a text selection, an open <details> and
  // focus stay wherever nothing changed.
  var served = new WeakMap();  // element -> the HTML the server sent for it (before local times)

  function remember(root) {
    var selector = "[data-patch], [data-patch=keyed] > [data-key]";
    if (root.matches && root.matches(selector)) { served.set(root, root.outerHTML); }
    root.querySelectorAll(selector).forEach(function (n) { served.set(n, n.outerHTML); });
  }

  function adopt(node) {
    var mine = document.importNode(node, true);
    remember(mine);
    localizeTimes(mine);
    return mine;
  }

  function patchKeyed(mine, fresh) {
    var old = new Map();
    Array.prototype.forEach.call(mine.children, function (c) { old.set(c.dataset.key, c); });
    var at = mine.firstElementChild;
    Array.prototype.slice.call(fresh.children).forEach(function (f) {
      var node = old.get(f.dataset.key);
      old.delete(f.dataset.key);
      if (node && served.get(node) !== f.outerHTML) {
        var changed = adopt(f);
        node.replaceWith(changed);
        if (at === node) { at = changed; }
        node = changed;
      }
      node = node || adopt(f);
      if (node === at) { at = at.nextElementSibling; } else { mine.insertBefore(node, at); }
    });
    old.forEach(function (gone) { gone.remove(); });
  }

  function patchPage(fresh) {
    var targets = fresh.querySelectorAll("[data-patch]");
    var same = targets.length === document.querySelectorAll("[data-patch]").length &&
      Array.prototype.every.call(targets, function (t) { return document.getElementById(t.id); });
    if (!same) {  // the page's shape changed (the first run, say): take its whole <main>
      var main = document.querySelector("main");
      main.replaceChildren.apply(main, Array.prototype.map.call(
        fresh.querySelector("main").children, adopt));
      targets = fresh.querySelectorAll("header [data-patch]");
    }
    targets.forEach(function (t) {
      var mine = document.getElementById(t.id);
      if (t.dataset.patch === "keyed") { patchKeyed(mine, t); }
      else if (served.get(mine) !== t.outerHTML) { mine.replaceWith(adopt(t)); }
    });
    document.body.dataset.patched = String(Number(document.body.dataset.patched || 0) + 1);
  }

  var refreshing = false;
  var refreshAgain = false;
  function refresh() {
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    fetch(window.location.href, { headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html) { patchPage(new DOMParser().parseFromString(html, "text/html")); }
      })
      .catch(function () { return null; })
      .then(function () {
        refreshing = false;
        if (refreshAgain) { refreshAgain = false; refresh(); }
      });
  }

  function setupLive() {
    var body = document.body;
    var banner = document.getElementById("live-banner");
    var listing = body.dataset.live === "reload";
    var patchable = body.dataset.live === "patch";
    var seen = null;  // what the last stats said about runs and the clock
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
      if (clock && stats.now && clock.getAttribute("datetime") !== stats.now) {
        clock.setAttribute("datetime", stats.now);
        clock.title = stats.now;
        clock.textContent = localTime(stats.now);
      }
      var moved = stats.runs + " " + stats.now;
      if (patchable && seen !== null && moved !== seen) { refresh(); }
      seen = moved;
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
        if (row) {
          bumpUnread(row.classList.contains("unread") ? -1 : 0);
          row.remove();
        } else if (listing && !patching) { outdated(); }
      } else if (message.Type === "update") {
        var flagged = patching ? rowFor(data.ID) : null;
        if (flagged) { markRow(flagged, data.Read); }
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
    remember(document);
    localizeTimes();
    setupRelease();
    setupTabs();
    setupWidths();
    setupLive();
  });
})();
