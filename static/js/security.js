// The recovery codes page's Print button: shown only when scripts run, as
// printing from the browser's menu does the same.
(function () {
  "use strict";
  document.querySelectorAll("[data-print-page]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
