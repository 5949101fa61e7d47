/* Conditional fields of the declarative forms (x-si, engine/forms/conditions.py): a field shows
 * only while the control it depends on holds one of its values, as the person types.
 *
 * Each conditional field is wrapped in an element with data-si-champ (the name of the
 * controlling control) and data-si-vaut (the values, JSON, as the HTML posts them). Without
 * this script every field shows, with a hint saying when it applies, and the server ignores
 * the fields whose condition does not hold: this file only spares people the fields that do
 * not concern them. */
(function () {
  "use strict";

  if (window.anctChampsConditionnels) {
    return; // loaded once per page, whatever the number of forms
  }
  window.anctChampsConditionnels = true;

  var BLOCK = "[data-si-champ]";

  function hiddenBlock(element) {
    var block = element.closest(BLOCK);
    while (block) {
      if (block.hidden) {
        return true;
      }
      block = block.parentElement ? block.parentElement.closest(BLOCK) : null;
    }
    return false;
  }

  /* The values the control named `name` would post now (none if it sits in a hidden field). */
  function chosen(form, name) {
    var values = [];
    var controls = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
    Array.prototype.forEach.call(controls, function (control) {
      if (hiddenBlock(control)) {
        return;
      }
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) {
          values.push(control.value);
        }
      } else if (control.value.trim() !== "") {
        values.push(control.value.trim());
      }
    });
    return values;
  }

  function expected(block) {
    try {
      var values = JSON.parse(block.getAttribute("data-si-vaut") || "[]");
      return Array.isArray(values) ? values.map(String) : [];
    } catch (error) {
      return [];
    }
  }

  function setHidden(block, hidden) {
    block.hidden = hidden;
    // The design system's row element around a field: hidden with it, so no gap is left.
    var parent = block.parentElement;
    if (parent && parent.classList.contains("fr-fieldset__element") && parent.children.length === 1) {
      parent.hidden = hidden;
    }
  }

  /* Until nothing changes: hiding a field hides the fields that depend on it. */
  function update(form) {
    var blocks = Array.prototype.slice.call(form.querySelectorAll(BLOCK));
    for (var pass = 0; pass <= blocks.length; pass += 1) {
      var changed = false;
      blocks.forEach(function (block) {
        var values = chosen(form, block.getAttribute("data-si-champ"));
        var wanted = expected(block);
        var show = values.some(function (value) {
          return wanted.indexOf(value) !== -1;
        });
        if (block.hidden === show) {
          setHidden(block, !show);
          changed = true;
        }
      });
      if (!changed) {
        return;
      }
    }
  }

  function start() {
    Array.prototype.forEach.call(document.forms, function (form) {
      if (!form.querySelector(BLOCK)) {
        return;
      }
      update(form);
      form.addEventListener("change", function () {
        update(form);
      });
      form.addEventListener("input", function () {
        update(form);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
