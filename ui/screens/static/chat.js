// Live chat (docs/chat.md): new messages appear without reloading the page.
// Server-sent events from the log's data-events; where a stream does not get through,
// polling data-feed every 1.5 s. The page works without this file (plain forms).
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  if (!log) { return; }
  var last = parseInt(log.getAttribute("data-last") || "0", 10) || 0;
  var feed = log.getAttribute("data-feed");
  var events = log.getAttribute("data-events");
  var timer = null;

  function who(sender) {
    return sender === "visitor" ? log.getAttribute("data-you") : log.getAttribute("data-agent");
  }

  function add(message) {
    if (!message || message.id <= last) { return; }
    last = message.id;
    var item = document.createElement("li");
    item.className = "chat-message " + (message.sender === "visitor" ? "visitor" : "agent");
    item.setAttribute("data-id", String(message.id));
    var name = document.createElement("span");
    name.className = "chat-who";
    name.textContent = who(message.sender) || "";
    var text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = message.text;  // never HTML: a message is plain text
    item.appendChild(name);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(text);
    log.appendChild(item);
    item.scrollIntoView({block: "nearest"});
  }

  function closed() {
    var form = document.getElementById("chat-form");
    var note = document.getElementById("chat-closed-note");
    if (form) { form.hidden = true; }
    if (note) { note.hidden = false; }
    if (timer) { clearInterval(timer); timer = null; }
  }

  function poll() {
    fetch(feed + "?after=" + last, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        body.messages.forEach(add);
        if (!body.open) { closed(); }
      })
      .catch(function () { /* the next poll tries again */ });
  }

  function startPolling() {
    if (!timer && feed) { timer = setInterval(poll, 1500); poll(); }
  }

  if (window.EventSource && events) {
    var source = new EventSource(events + "?after=" + last);
    var opened = false;
    source.addEventListener("open", function () { opened = true; });
    source.addEventListener("message", function (event) { add(JSON.parse(event.data)); });
    source.addEventListener("end", function () { source.close(); closed(); });
    source.addEventListener("error", function () {
      if (!opened) { source.close(); startPolling(); }
    });
  } else {
    startPolling();
  }

  var form = document.getElementById("chat-form");
  if (form && form.getAttribute("data-json") !== "false" && !form.querySelector("input[name=_csrf]")) {
    form.addEventListener("submit", function (event) {
      var box = form.querySelector("textarea");
      if (!box || !box.value.trim()) { return; }  // the server's error page explains
      event.preventDefault();
      fetch(form.getAttribute("action"), {
        method: "POST",
        headers: {"Content-Type": "application/json", "Accept": "application/json"},
        body: JSON.stringify({message: box.value}),
        credentials: "same-origin"
      }).then(function (answer) {
        if (answer.status === 201) { box.value = ""; if (timer) { poll(); } }
        else { form.submit(); }  // let the page show the error
      }).catch(function () { form.submit(); });
    });
  }
})();
