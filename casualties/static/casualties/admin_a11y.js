"use strict";
// Accessible names for the admin's autocomplete pickers (select2). Django's select2 points
// each picker at its rendered text, which is empty until something is chosen, so screen
// readers announced "combo box" with no name (axe: aria-input-field-name). Name each picker
// (and a multiple picker's search box) after its field's label (or, in a table of inline
// rows, the select's own aria-label), and each inline row's "Delete" checkbox, now and
// whenever rows are added or choices made.
(function () {
  function nameOf(select) {
    if (select.id) {
      const label = document.querySelector('label[for="' + select.id + '"]');
      if (label && label.textContent.trim()) {
        return label.textContent.trim().replace(/:$/, "");
      }
    }
    return select.getAttribute("aria-label") || "";
  }

  function nameThePickers(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const picker = select.nextElementSibling;
      if (!picker || !picker.classList.contains("select2")) {
        return;
      }
      const name = nameOf(select);
      if (!name) {
        return;
      }
      // A multiple picker's "clear all" cross sits directly in its list of choices (axe:
      // list); it is a mouse shortcut (the keyboard clears with Backspace): hide it from
      // screen readers.
      picker.querySelectorAll("ul > .select2-selection__clear").forEach(function (cross) {
        cross.setAttribute("aria-hidden", "true");
      });
      const parts = '[role="combobox"], [role="textbox"], input.select2-search__field';
      picker.querySelectorAll(parts).forEach(function (el) {
        if (el.getAttribute("aria-label") !== name) {
          el.setAttribute("aria-label", name);
        }
      });
    });
  }

  function nameTheDeleteBoxes(root) {
    root.querySelectorAll('input[type="checkbox"][name$="-DELETE"]').forEach(function (box) {
      const labelled =
        box.getAttribute("aria-label") ||
        (box.id && document.querySelector('label[for="' + box.id + '"]'));
      if (!labelled) {
        box.setAttribute("aria-label", "Delete this row");
      }
    });
  }

  function start() {
    nameTheDeleteBoxes(document);
    nameThePickers(document);
    new MutationObserver(function () {
      nameThePickers(document);
      nameTheDeleteBoxes(document);
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
