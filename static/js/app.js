// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // A live "123 / 500" under textareas that carry data-count-max.
  function setUpCounter(field) {
    var max = parseInt(field.getAttribute("data-count-max"), 10);
    var counter = document.createElement("div");
    counter.className = "counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    function update() {
      var left = max - field.value.length;
      counter.textContent = field.value.length + " / " + max +
        (left < 0 ? " — " + -left + " too many" : "");
      counter.classList.toggle("over", left < 0);
    }
    field.addEventListener("input", update);
    update();
  }

  // Show a picked image in the <img data-preview-for="field id"> beside it.
  function setUpPreview(img) {
    var input = document.getElementById(img.getAttribute("data-preview-for"));
    if (!input) return;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || !file.type.startsWith("image/")) return;
      var url = URL.createObjectURL(file);
      if (img.tagName === "IMG") {
        img.src = url;
      } else {
        var replacement = document.createElement("img");
        replacement.className = img.className.replace("avatar-blank", "");
        replacement.alt = "";
        replacement.src = url;
        img.replaceWith(replacement);
      }
    });
  }

  // <button data-copy="#selector"> copies that element's text and says so.
  function setUpCopy(button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        var label = button.textContent;
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-count-max]").forEach(setUpCounter);
    document.querySelectorAll("[data-preview-for]").forEach(setUpPreview);
    document.querySelectorAll("button[data-copy]").forEach(setUpCopy);
  });
})();

// Posts dashboard ----------------------------------------------------------
// A fragment loaded with hx-get (delivery progress on a post's page) says
// so in words when it cannot be loaded, instead of spinning for ever.
(function () {
  "use strict";

  function showFallback(event) {
    var target = event.detail && event.detail.elt;
    var slot = target && target.closest && target.closest("[data-fallback]");
    if (!slot) return;
    var note = document.createElement("p");
    note.className = "muted";
    note.textContent = slot.getAttribute("data-fallback");
    slot.replaceChildren(note);
  }

  document.addEventListener("htmx:responseError", showFallback);
  document.addEventListener("htmx:sendError", showFallback);
})();

// Inbox (helper inbox-ui) ---------------------------------------------------
// The answer form under a reply arrives by htmx: give it the live character
// count the page's own forms get, and put the cursor after the prefilled
// @mentions so the creator can type straight away.
(function () {
  "use strict";

  function count(field) {
    var max = parseInt(field.getAttribute("data-count-max"), 10);
    var counter = document.createElement("div");
    counter.className = "counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    function update() {
      var left = max - field.value.length;
      counter.textContent = field.value.length + " / " + max +
        (left < 0 ? " — " + -left + " too many" : "");
      counter.classList.toggle("over", left < 0);
    }
    field.addEventListener("input", update);
    update();
  }

  document.addEventListener("htmx:load", function (event) {
    var root = event.detail && event.detail.elt;
    // The whole page is set up on DOMContentLoaded; only fragments here.
    if (!root || root === document.body || !root.querySelectorAll) return;
    root.querySelectorAll(".inbox-answer-form textarea[data-count-max]")
      .forEach(function (field) {
        count(field);
        field.focus();
        field.setSelectionRange(field.value.length, field.value.length);
      });
  });
})();

// <button data-empty-closest="selector"> empties that ancestor: the answer
// form's Cancel, put back to the empty slot it was loaded into. A listener
// here, not hx-on, which needs eval (the Content-Security-Policy forbids it).
document.addEventListener("click", function (event) {
  "use strict";
  var button = event.target.closest && event.target.closest("[data-empty-closest]");
  if (!button) return;
  var slot = button.closest(button.getAttribute("data-empty-closest"));
  if (slot) slot.replaceChildren();
});
