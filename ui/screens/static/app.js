// Trellis screens: small progressive enhancements. No inline scripts (CSP), no build step.
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Theme: remembered per browser.
  var saved = localStorage.getItem("trellis-theme");
  if (saved) document.documentElement.setAttribute("data-theme", saved);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest("[data-theme-toggle]")) {
      var dark = document.documentElement.getAttribute("data-theme") === "dark" ||
        (!document.documentElement.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      localStorage.setItem("trellis-theme", next);
    }
    var navButton = target.closest("[data-toggle-nav]");
    if (navButton) {
      var nav = document.getElementById("sidenav");
      var open = nav.classList.toggle("open");
      navButton.setAttribute("aria-expanded", open ? "true" : "false");
    }
    if (target.closest("[data-add-filter-row]")) {
      var rows = document.querySelectorAll(".builder-row");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      var n = rows.length + 1;
      copy.querySelectorAll("select, input").forEach(function (el) {
        var base = el.id.split("-")[0];
        el.id = base + "-" + n;
        if (el.tagName === "INPUT") el.value = "";
      });
      copy.querySelectorAll("label").forEach(function (el) {
        el.htmlFor = el.htmlFor.split("-")[0] + "-" + n;
      });
      last.after(copy);
    }
    var option = target.closest("[data-lookup-id]");
    if (option) chooseLookup(option);
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target instanceof Element && target.matches("[data-lookup-id]")) {
      event.preventDefault();
      chooseLookup(target);
    }
    if (event.key === "/" && !(target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement)) {
      var search = document.getElementById("quick-search") || document.getElementById("global-search");
      if (search) { event.preventDefault(); search.focus(); }
    }
  });

  function chooseLookup(option) {
    var list = option.closest("[data-lookup-list]");
    var hidden = document.getElementById(list.getAttribute("data-lookup-list"));
    var text = document.querySelector('[data-lookup-for="' + hidden.id + '"]');
    if (hidden.hasAttribute("data-chips-for")) { addChip(hidden, option, list, text); return; }
    hidden.value = option.getAttribute("data-lookup-id");
    text.value = option.getAttribute("data-lookup-title");
    list.innerHTML = "";
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
    text.focus();
  }

  // A many_to_many field: the chosen record becomes a checked chip (unchecking removes it).
  function addChip(chips, option, list, text) {
    var ident = option.getAttribute("data-lookup-id");
    var name = chips.getAttribute("data-chips-for");
    list.innerHTML = "";
    text.value = "";
    if (!chips.querySelector('input[value="' + ident + '"]')) {
      var item = document.createElement("li");
      var label = document.createElement("label");
      var box = document.createElement("input");
      item.className = "chip";
      box.type = "checkbox";
      box.name = name;
      box.value = ident;
      box.checked = true;
      label.append(box, " " + option.getAttribute("data-lookup-title"));
      item.append(label);
      chips.append(item);
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }
    text.focus();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    // An any_reference field: another kind of record searches that entity from now on.
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-any-reference")) {
      var name = target.getAttribute("data-any-reference");
      var search = document.getElementById("lookup-" + name);
      search.setAttribute("hx-get", search.getAttribute("data-lookup-base") + target.value + "/_lookup?field=" + name);
      search.value = "";
      document.getElementById("fld-" + name).value = "";
      if (window.htmx) window.htmx.process(search);
    }
    if (target instanceof HTMLInputElement && target.matches("[data-select-all]")) {
      document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = target.checked; });
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    }
  }, true);

  // Conditional fields: ask the server which fields are visible, required or read-only now.
  var pending = null;
  function refreshFormState(form) {
    var url = form.getAttribute("data-form-state");
    if (!url) return;
    var body = new FormData(form);
    fetch(url, { method: "POST", body: body, headers: { "x-csrftoken": csrfToken() }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        Object.keys(data.fields).forEach(function (name) {
          var state = data.fields[name];
          var wrapper = form.querySelector('[data-field="' + name + '"]');
          if (!wrapper) return;
          wrapper.hidden = state.visible === false;
          var label = wrapper.querySelector("label");
          var star = label && label.querySelector(".req");
          if (state.required && label && !star) {
            var mark = document.createElement("span");
            mark.className = "req"; mark.setAttribute("aria-hidden", "true"); mark.textContent = " *";
            label.appendChild(mark);
          } else if (!state.required && star) { star.remove(); }
          var input = wrapper.querySelector("input:not([type=hidden]), select, textarea");
          if (input && input.type !== "checkbox") {
            input.required = !!state.required;
            if (state.required) input.setAttribute("aria-required", "true");
            else input.removeAttribute("aria-required");
          }
          if (input) {
            if (input.tagName === "SELECT" || input.type === "checkbox") input.disabled = !!state.readonly;
            else input.readOnly = !!state.readonly;
          }
        });
      })
      .catch(function () { /* the server validates on save anyway */ });
  }
  document.addEventListener("input", function (event) {
    var form = event.target instanceof Element ? event.target.closest("form[data-form-state]") : null;
    if (!form) return;
    clearTimeout(pending);
    pending = setTimeout(function () { refreshFormState(form); }, 300);
  });
  document.addEventListener("change", function (event) {
    var form = event.target instanceof Element ? event.target.closest("form[data-form-state]") : null;
    if (form) refreshFormState(form);
  });
})();

// Kanban: drag a card to another column (keyboard users use each card's "Move to" form).
// The server answers with the whole board, moved or not, so a refused card snaps back.
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  var dragged = null;
  function dropZone(event) {
    return event.target instanceof Element ? event.target.closest("[data-stage-drop]") : null;
  }
  function clearTargets() {
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  }
  function replaceBoard(html) {
    var board = document.getElementById("kanban-board");
    if (!board || !html) return false;
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var fresh = holder.content.firstElementChild;
    if (!fresh || fresh.id !== "kanban-board") return false;
    board.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    return true;
  }
  function showProblem(text) {
    var board = document.getElementById("kanban-board");
    if (!board) return;
    var note = document.createElement("p");
    note.className = "error"; note.setAttribute("role", "alert"); note.textContent = text;
    board.prepend(note);
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target instanceof Element ? event.target.closest("[data-card][data-move-url]") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });
  document.addEventListener("dragover", function (event) {
    var zone = dropZone(event);
    if (!zone || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!zone.classList.contains("drop-target")) { clearTargets(); zone.classList.add("drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var zone = dropZone(event);
    if (!zone || !dragged) return;
    event.preventDefault();
    clearTargets();
    var card = dragged;
    var home = card.closest("[data-stage-drop]");
    if (home === zone) return;
    zone.querySelector("[data-cards]").appendChild(card);
    var body = new FormData();
    body.append("stage", zone.getAttribute("data-stage-drop"));
    body.append("version", card.getAttribute("data-version") || "");
    fetch(card.getAttribute("data-move-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "x-csrftoken": csrfToken(), "HX-Request": "true" }
    })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (!replaceBoard(html)) {
          home.querySelector("[data-cards]").appendChild(card);
          showProblem("The card could not be moved; reload the page and try again.");
        }
      })
      .catch(function () {
        home.querySelector("[data-cards]").appendChild(card);
        showProblem("The server could not be reached; the card was not moved.");
      });
  });
  // Comments: the "Mention…" menu inserts @email at the cursor; Ctrl/Cmd+Enter posts.
  document.addEventListener("change", function (event) {
    var menu = event.target;
    if (!(menu instanceof HTMLSelectElement) || !menu.hasAttribute("data-mention-into")) return;
    var box = document.getElementById(menu.getAttribute("data-mention-into"));
    if (!box || !menu.value) return;
    var start = box.selectionStart || 0, end = box.selectionEnd || 0;
    var before = box.value.slice(0, start);
    var text = (before && !/\s$/.test(before) ? " " : "") + menu.value + " ";
    box.value = before + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    menu.value = "";
  });
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!(box instanceof HTMLTextAreaElement) || !box.hasAttribute("data-submit-on-ctrl-enter")) return;
    event.preventDefault();
    if (box.form) box.form.requestSubmit();
  });
})();

// Export links carry the list's current search and filters (they change without a reload).
document.addEventListener("click", function (event) {
  var link = event.target instanceof Element ? event.target.closest("a[data-export]") : null;
  var form = document.getElementById("list-query");
  if (!link || !form) return;
  var params = new URLSearchParams();
  new FormData(form).forEach(function (value, key) {
    if (typeof value === "string" && value !== "") params.append(key, value);
  });
  params.set("format", link.getAttribute("data-export"));
  link.setAttribute("href", link.pathname + "?" + params.toString());
});

// The list screen: j/k move the row focus, Enter opens the row, e edits it; the column
// chooser's arrows reorder its columns (the order of the checked boxes is the URL's).
(function () {
  "use strict";

  function typing(el) {
    return el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement ||
      el instanceof HTMLSelectElement || (el instanceof HTMLElement && el.isContentEditable);
  }
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.records tbody tr[data-href]"));
  }
  function focusRow(row) {
    document.querySelectorAll("tr.row-focus").forEach(function (r) { r.classList.remove("row-focus"); });
    row.classList.add("row-focus");
    row.focus();
    row.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var all = rows();
    if (!all.length) return;
    var current = event.target instanceof Element ? event.target.closest("table.records tbody tr[data-href]") : null;
    var at = all.indexOf(current);
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      var next = at < 0 ? 0 : at + (event.key === "j" ? 1 : -1);
      focusRow(all[Math.max(0, Math.min(all.length - 1, next))]);
    } else if (current && event.key === "Enter") {
      event.preventDefault();
      window.location.assign(current.getAttribute("data-href"));
    } else if (current && event.key === "e" && current.hasAttribute("data-edit-href")) {
      event.preventDefault();
      window.location.assign(current.getAttribute("data-edit-href"));
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-column-move]") : null;
    if (!button) return;
    var item = button.closest("li");
    var up = button.getAttribute("data-column-move") === "up";
    var other = up ? item.previousElementSibling : item.nextElementSibling;
    if (!other) return;
    if (up) other.before(item); else other.after(item);
    button.focus();
  });
})();
