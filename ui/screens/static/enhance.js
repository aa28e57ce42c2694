// Trellis screens: tabs, "transitions that ask" dialogs, focus after errors, stale flashes.
// No inline scripts or styles (CSP); everything hangs off data attributes.
(function () {
  "use strict";

  // Tabs (WAI-ARIA tabs pattern): click, arrow keys, Home and End; one tab stop.
  function selectTab(tab, focus) {
    var list = tab.closest("[role=tablist]");
    list.querySelectorAll("[role=tab]").forEach(function (other) {
      var chosen = other === tab;
      other.setAttribute("aria-selected", chosen ? "true" : "false");
      other.tabIndex = chosen ? 0 : -1;
      var panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) panel.hidden = !chosen;
    });
    if (focus) tab.focus();
  }
  document.addEventListener("click", function (event) {
    var tab = event.target instanceof Element ? event.target.closest("[role=tab]") : null;
    if (tab) selectTab(tab, false);
    var closer = event.target instanceof Element ? event.target.closest("[data-close-dialog]") : null;
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) dialog.close();
    }
  });
  document.addEventListener("keydown", function (event) {
    var tab = event.target instanceof Element ? event.target.closest("[role=tab]") : null;
    if (!tab) return;
    var tabs = Array.prototype.slice.call(tab.closest("[role=tablist]").querySelectorAll("[role=tab]"));
    var at = tabs.indexOf(tab), next = -1;
    if (event.key === "ArrowRight") next = (at + 1) % tabs.length;
    else if (event.key === "ArrowLeft") next = (at - 1 + tabs.length) % tabs.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = tabs.length - 1;
    if (next < 0) return;
    event.preventDefault();
    selectTab(tabs[next], true);
  });

  // After a swap or a page load: open a dialog the server asks for, and move focus to an
  // error summary so a keyboard or screen-reader user lands on what went wrong.
  function settle(root) {
    var scope = root instanceof Element ? root : document;
    var asking = scope.querySelector("dialog[data-open-on-load]");
    if (asking && !asking.open) {
      asking.showModal();
      var first = asking.querySelector("[aria-invalid=true], input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      return;
    }
    var summary = scope.querySelector("[data-focus-on-load]");
    if (summary) summary.focus();
  }
  // A closed asking dialog is done with (Cancel, Escape): it must not open again later.
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.hasAttribute("data-open-on-load")) dialog.remove();
  }, true);
  document.addEventListener("DOMContentLoaded", function () { settle(document); });
  document.addEventListener("htmx:afterSettle", function (event) { settle(event.detail.elt); });

  // A page-level flash belongs to the previous action: drop it once the user acts again.
  document.addEventListener("submit", function () {
    document.querySelectorAll("main > .flash").forEach(function (el) { el.remove(); });
  }, true);

  // A board move the server asks fields for: the board's drag and drop gets the
  // dialog back inside the re-rendered board; open it like an htmx swap would.
  var observer = new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node instanceof Element && node.id === "kanban-board") settle(node);
      });
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    var main = document.getElementById("main");
    if (main) observer.observe(main, { childList: true, subtree: true });
  });
})();
