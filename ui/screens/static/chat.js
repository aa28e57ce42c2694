// Live chat (docs/chat.md): server-sent events, else polling; pages work without it.
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  if (!log) { return; }
  var last = parseInt(log.dataset.last || "0", 10) || 0;
  var feed = log.dataset.feed, timer = null;
  var form = document.getElementById("chat-form");

  function add(m) {
    if (!m || m.id <= last) { return; }
    last = m.id;
    var li = document.createElement("li"), who = document.createElement("span");
    var text = document.createElement("span");
    li.className = "chat-message " + (m.sender === "visitor" ? "visitor" : "agent");
    who.className = "chat-who";
    who.textContent = m.sender === "visitor" ? log.dataset.you : log.dataset.agent;
    text.className = "chat-text";
    text.textContent = m.text;  // plain text, never HTML
    li.append(who, " ", text);
    log.appendChild(li);
  }

  function closed() {
    if (form) { form.hidden = true; }
    document.getElementById("chat-closed-note").hidden = false;
    clearInterval(timer);
  }

  function poll() {
    fetch(feed + "?after=" + last, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) { if (b) { b.messages.forEach(add); if (!b.open) { closed(); } } })
      .catch(function () {});
  }

  if (window.EventSource) {
    var source = new EventSource(log.dataset.events + "?after=" + last), opened = false;
    source.onopen = function () { opened = true; };
    source.addEventListener("message", function (e) { add(JSON.parse(e.data)); });
    source.addEventListener("end", function () { source.close(); closed(); });
    source.onerror = function () { if (!opened) { source.close(); timer = setInterval(poll, 1500); } };
  } else {
    timer = setInterval(poll, 1500);
  }

  if (form && form.dataset.json !== "false") {
    form.addEventListener("submit", function (event) {
      var box = form.querySelector("textarea");
      if (!box.value.trim()) { return; }  // the server's page explains
      event.preventDefault();
      fetch(form.action, {
        method: "POST",
        headers: {"Content-Type": "application/json", Accept: "application/json"},
        body: JSON.stringify({message: box.value})
      }).then(function (r) {
        if (r.status === 201) { box.value = ""; if (timer) { poll(); } } else { form.submit(); }
      }).catch(function () { form.submit(); });
    });
  }
})();
