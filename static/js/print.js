// The print pages' "Print or save as PDF" button.
document.addEventListener("click", function (event) {
  "use strict";
  if (event.target.closest && event.target.closest("button[data-print]")) {
    window.print();
  }
});
