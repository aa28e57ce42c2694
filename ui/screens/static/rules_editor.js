// Rules editor: keeps the cursor position in the form the checks post, lets the
// keyboard reach the completions (Alt+Down from the text, arrows between them,
// Escape back) and inserts a chosen word at the cursor, replacing the part typed.
(function () {
  "use strict";

  function source() { return document.getElementById("rule-source"); }

  function remember(box) {
    var cursor = document.getElementById("rule-cursor");
    if (cursor) cursor.value = String(box.selectionStart);
  }

  function words() {
    return Array.prototype.slice.call(document.querySelectorAll("#rule-words button[data-insert]"));
  }

  function insert(word) {
    var box = source();
    if (!box) return;
    var at = box.selectionStart;
    var before = box.value.slice(0, at);
    var typed = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before);
    var start = typed && word.indexOf(typed[0]) === 0 ? at - typed[0].length : at;
    box.value = box.value.slice(0, start) + word + box.value.slice(at);
    var end = start + word.length;
    box.focus();
    box.setSelectionRange(end, end);
    remember(box);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("input", function (event) {
    if (event.target === source()) remember(event.target);
  });

  document.addEventListener("keyup", function (event) {
    var box = source();
    if (event.target !== box) return;
    if (/^(Arrow|Home|End|Page)/.test(event.key)) {
      remember(box);
      box.dispatchEvent(new Event("cursormove"));
    }
  });

  document.addEventListener("click", function (event) {
    var box = source();
    if (event.target === box) {
      remember(box);
      box.dispatchEvent(new Event("cursormove"));
      return;
    }
    var button = event.target instanceof Element ? event.target.closest("button[data-insert]") : null;
    if (button) insert(button.getAttribute("data-insert"));
  });

  document.addEventListener("keydown", function (event) {
    var box = source();
    if (event.target === box && event.altKey && event.key === "ArrowDown") {
      var list = words();
      if (list.length) {
        event.preventDefault();
        list[0].focus();
      }
      return;
    }
    var list2 = words();
    var index = list2.indexOf(document.activeElement);
    if (index < 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowRight") {
      event.preventDefault();
      list2[Math.min(index + 1, list2.length - 1)].focus();
    } else if (event.key === "ArrowUp" || event.key === "ArrowLeft") {
      event.preventDefault();
      list2[Math.max(index - 1, 0)].focus();
    } else if (event.key === "Escape" && box) {
      event.preventDefault();
      box.focus();
    }
  });
})();
