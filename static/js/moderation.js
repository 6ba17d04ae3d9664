// The reply queue (moderation): keyboard and "select all". The page works
// without it: every button is a plain form submit.
//
//   j / k   focus the next / previous reply
//   x       tick or untick the focused reply
//   a h r   approve, hide or remove the focused reply
(function () {
  "use strict";

  var KEYS = { a: "approve", h: "hide", r: "remove" };
  // The position of the reply acted on, to focus its neighbour once htmx
  // has swapped the list.
  var lastIndex = -1;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-reply]"));
  }

  function focusedIndex() {
    var active = document.activeElement;
    var item = active && active.closest ? active.closest("[data-reply]") : null;
    return item ? items().indexOf(item) : -1;
  }

  function focusItem(index) {
    var list = items();
    if (!list.length) return;
    var item = list[Math.max(0, Math.min(index, list.length - 1))];
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
    return tag === "input" && !/^(checkbox|radio|button|submit)$/.test(target.type);
  }

  function updateSelection() {
    var boxes = document.querySelectorAll("[data-reply-check]");
    var ticked = document.querySelectorAll("[data-reply-check]:checked").length;
    var all = document.querySelector("[data-select-all]");
    var count = document.querySelector("[data-selected-count]");
    if (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    if (count) count.textContent = ticked ? "(" + ticked + " selected)" : "";
    items().forEach(function (item) {
      var box = item.querySelector("[data-reply-check]");
      item.classList.toggle("is-selected", !!(box && box.checked));
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || !document.querySelector("[data-reply]")) return;
    var key = event.key;
    var index = focusedIndex();
    if (key === "j" || key === "k") {
      event.preventDefault();
      if (index === -1) focusItem(0);
      else focusItem(index + (key === "j" ? 1 : -1));
      return;
    }
    if (index === -1) return;
    var item = items()[index];
    if (key === "x") {
      event.preventDefault();
      var box = item.querySelector("[data-reply-check]");
      if (box) {
        box.checked = !box.checked;
        updateSelection();
      }
      return;
    }
    if (KEYS[key]) {
      var button = item.querySelector('[data-key="' + key + '"]');
      if (button) {
        event.preventDefault();
        lastIndex = index;
        button.click();
      }
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-all]")) {
      document.querySelectorAll("[data-reply-check]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches && target.matches("[data-select-all], [data-reply-check]")) {
      updateSelection();
    }
  });

  // Remember where a click acted too, so focus stays in place after it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-reply] button");
    if (button) lastIndex = items().indexOf(button.closest("[data-reply]"));
  });

  function showHint() {
    document.querySelectorAll("[data-keys-hint]").forEach(function (hint) {
      hint.hidden = false;
    });
  }

  // Messages float at the bottom of the queue (app.css): a success goes
  // away by itself after a while, an error stays until the next action.
  var fadeTimer = null;
  function fadeSuccess() {
    var box = document.getElementById("messages");
    clearTimeout(fadeTimer);
    if (!box || !box.querySelector(".message-success")) return;
    if (box.querySelector(".message-error")) return;
    fadeTimer = setTimeout(function () { box.replaceChildren(); }, 8000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    showHint();
    updateSelection();
    fadeSuccess();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    fadeSuccess();
    var target = event.detail && event.detail.target;
    if (!target || !target.id) return;
    if (target.id === "queue") showHint();
    updateSelection();
    if (target.id === "queue-list" && lastIndex !== -1) {
      focusItem(lastIndex);
      lastIndex = -1;
    }
  });

  // A refused or failed request says so, instead of doing nothing.
  function failed(event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest || !elt.closest("#queue")) return;
    var messages = document.getElementById("messages");
    if (!messages) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var text = status === 403
      ? "You may not do that here."
      : status === 404
        ? "That reply is gone: reload the page."
        : "That did not work: check your connection and try again.";
    var box = document.createElement("div");
    box.className = "message message-error";
    box.setAttribute("role", "alert");
    var icon = document.createElement("span");
    icon.className = "message-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "!";
    var p = document.createElement("p");
    p.textContent = text;
    box.append(icon, p);
    messages.replaceChildren(box);
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
