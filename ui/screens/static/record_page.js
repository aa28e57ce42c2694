// The record page: Escape cancels an in-place edit or closes the "More" menu. No inline scripts (CSP).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !(event.target instanceof Element)) return;
    var editor = event.target.closest(".inline-editor");
    if (editor) {
      var cancel = editor.querySelector("[data-inline-cancel]");
      if (cancel) { event.preventDefault(); cancel.click(); }
      return;
    }
    var menu = event.target.closest("details.more-menu[open]");
    if (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    }
  });
  // A file editor's 413/415: shown in place.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var d = e.detail, s = d.xhr ? d.xhr.status : 0;
    if ((s === 413 || s === 415) && d.elt.closest && d.elt.closest(".inline-file")) { d.shouldSwap = true; d.isError = false; }
  });
})();
