// Layout designer: native drag and drop over the same form the buttons post.
// Without scripts the buttons (move up, down, to a section, remove) do everything.
(function () {
  "use strict";

  var dragged = null;

  function fieldOf(target) {
    return target instanceof Element ? target.closest("li.layout-field[data-field]") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var item = fieldOf(event.target);
    if (!item) return;
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-field"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });

  function dropList(target) {
    if (!dragged || !(target instanceof Element)) return null;
    var list = target.closest("ol.layout-fields[data-section]");
    if (!list) return null;
    var screen = list.closest("[data-screen]");
    var from = dragged.closest("[data-screen]");
    return screen && from && screen === from ? list : null;
  }

  document.addEventListener("dragover", function (event) {
    if (dropList(event.target)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    }
  });

  document.addEventListener("drop", function (event) {
    var list = dropList(event.target);
    if (!list) return;
    event.preventDefault();
    var items = Array.prototype.slice.call(list.querySelectorAll("li.layout-field"));
    var over = fieldOf(event.target);
    var others = items.filter(function (li) { return li !== dragged; });
    var index = over && over !== dragged ? others.indexOf(over) : others.length;
    if (over && over !== dragged) {
      var box = over.getBoundingClientRect();
      if (event.clientY > box.top + box.height / 2) index += 1;
    }
    var form = document.getElementById("layout-drop-form");
    form.elements.screen.value = list.closest("[data-screen]").getAttribute("data-screen");
    form.elements.field.value = dragged.getAttribute("data-field");
    form.elements.section.value = list.getAttribute("data-section");
    form.elements.index.value = String(index);
    form.submit();
  });
})();
