// Compose's "Suggested times": a click fills the schedule's date and time
// fields of the form the button sits in. The list arrives by htmx, after
// this script, so clicks are caught on the document.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-suggest-date]");
    if (!button) {
      return;
    }
    var form = button.closest("form");
    if (!form) {
      return;
    }
    var fields = {
      schedule_date: button.getAttribute("data-suggest-date"),
      schedule_time: button.getAttribute("data-suggest-time"),
    };
    Object.keys(fields).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      if (input) {
        input.value = fields[name];
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    var list = button.closest(".suggested-times-list");
    if (list) {
      list.querySelectorAll("[data-suggest-date]").forEach(function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
    }
  });
})();
