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
})();
