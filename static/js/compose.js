// The compose form: content warning toggle, image slots with previews,
// alt-text nudges and the focal point picker. The form works without it;
// the text preview and character count come from the server (htmx).
(function () {
  "use strict";

  var form = document.querySelector("form.compose");
  if (!form) return;

  // Content warning: the text field shows only while the toggle is on.
  var cwToggle = form.querySelector("#id_has_warning");
  var cwField = form.querySelector(".cw-field");
  function syncWarning(focus) {
    if (!cwToggle || !cwField) return;
    cwField.hidden = !cwToggle.checked;
    if (focus && cwToggle.checked) {
      var input = cwField.querySelector("input");
      if (input) input.focus();
    }
  }
  if (cwToggle) {
    cwToggle.addEventListener("change", function () { syncWarning(true); });
    syncWarning(false);
  }

  var slots = Array.prototype.slice.call(form.querySelectorAll("[data-media-slot]"));

  function slotHasImage(slot) {
    return slot.classList.contains("is-attached") || slot.classList.contains("has-file");
  }

  function slotIsRemoved(slot) {
    var box = slot.querySelector("input[type=checkbox][name$='-remove']");
    return !!(box && box.checked);
  }

  // Only the first free slot offers "Add an image"; the rest wait.
  function markNextSlot() {
    var marked = false;
    slots.forEach(function (slot) {
      slot.classList.remove("is-next");
      if (!marked && slot.classList.contains("is-empty") && !slot.classList.contains("has-file")) {
        slot.classList.add("is-next");
        marked = true;
      }
    });
  }

  function syncNudge(slot) {
    var nudge = slot.querySelector("[data-alt-nudge]");
    var alt = slot.querySelector("[data-alt-text]");
    if (!nudge || !alt) return;
    nudge.hidden = !slotHasImage(slot) || slotIsRemoved(slot) || alt.value.trim() !== "";
  }

  function focalInputs(slot) {
    return {
      x: slot.querySelector("input[name$='-focal_x']"),
      y: slot.querySelector("input[name$='-focal_y']"),
    };
  }

  function placeDot(slot) {
    var dot = slot.querySelector(".focal-dot");
    var inputs = focalInputs(slot);
    if (!dot || !inputs.x || !inputs.y) return;
    var x = parseFloat(inputs.x.value);
    var y = parseFloat(inputs.y.value);
    if (isNaN(x) || isNaN(y) || !slotHasImage(slot)) {
      dot.hidden = true;
      return;
    }
    x = Math.max(-1, Math.min(1, x));
    y = Math.max(-1, Math.min(1, y));
    dot.style.left = ((x + 1) / 2) * 100 + "%";
    dot.style.top = ((1 - y) / 2) * 100 + "%";
    dot.hidden = false;
  }

  // The images as they will appear under the text in the preview.
  function fillPreviewMedia() {
    var box = document.getElementById("preview-media");
    if (!box) return;
    box.textContent = "";
    var shown = 0;
    slots.forEach(function (slot) {
      var thumb = slot.querySelector(".slot-thumb");
      if (!thumb || thumb.hidden || !thumb.getAttribute("src") || !slotHasImage(slot) || slotIsRemoved(slot)) return;
      var figure = document.createElement("figure");
      figure.className = "status-image";
      var img = document.createElement("img");
      img.src = thumb.src;
      var alt = slot.querySelector("[data-alt-text]");
      img.alt = alt ? alt.value : "";
      var inputs = focalInputs(slot);
      var x = parseFloat(inputs.x && inputs.x.value);
      var y = parseFloat(inputs.y && inputs.y.value);
      if (!isNaN(x) && !isNaN(y)) {
        img.style.objectPosition = ((x + 1) / 2) * 100 + "% " + ((1 - y) / 2) * 100 + "%";
      }
      figure.appendChild(img);
      if (box.classList.contains("is-sensitive")) {
        var label = document.createElement("span");
        label.className = "sensitive-label";
        label.textContent = "Sensitive";
        figure.appendChild(label);
      }
      if (!img.alt.trim()) {
        var flag = document.createElement("span");
        flag.className = "no-alt";
        flag.textContent = "No alt text";
        figure.appendChild(flag);
      }
      box.appendChild(figure);
      shown += 1;
    });
    box.setAttribute("data-count", String(shown));
  }

  slots.forEach(function (slot) {
    var file = slot.querySelector("input[type=file]");
    var thumb = slot.querySelector(".slot-thumb");
    var alt = slot.querySelector("[data-alt-text]");
    var clear = slot.querySelector("[data-clear-slot]");
    var remove = slot.querySelector("input[type=checkbox][name$='-remove']");
    var picker = slot.querySelector("[data-focal-picker]");
    var inputs = focalInputs(slot);
    var objectUrl = null;

    if (file) {
      file.addEventListener("change", function () {
        var chosen = file.files && file.files[0];
        if (objectUrl) URL.revokeObjectURL(objectUrl);
        objectUrl = null;
        if (chosen && chosen.type.indexOf("image/") === 0) {
          objectUrl = URL.createObjectURL(chosen);
          thumb.src = objectUrl;
          thumb.hidden = false;
          slot.classList.add("has-file");
          if (alt) alt.focus();
        } else {
          slot.classList.remove("has-file");
          thumb.hidden = true;
          thumb.removeAttribute("src");
        }
        markNextSlot();
        syncNudge(slot);
        placeDot(slot);
        fillPreviewMedia();
      });
    }
    if (clear) {
      clear.addEventListener("click", function () {
        if (file) file.value = "";
        if (objectUrl) URL.revokeObjectURL(objectUrl);
        objectUrl = null;
        thumb.hidden = true;
        thumb.removeAttribute("src");
        if (alt) alt.value = "";
        if (inputs.x) inputs.x.value = "";
        if (inputs.y) inputs.y.value = "";
        slot.classList.remove("has-file");
        markNextSlot();
        syncNudge(slot);
        placeDot(slot);
        fillPreviewMedia();
      });
    }
    if (remove) {
      remove.addEventListener("change", function () {
        slot.classList.toggle("is-removed", remove.checked);
        syncNudge(slot);
        fillPreviewMedia();
      });
    }
    if (alt) {
      alt.addEventListener("input", function () {
        syncNudge(slot);
        fillPreviewMedia();
      });
    }
    if (picker && inputs.x && inputs.y) {
      picker.addEventListener("click", function (event) {
        if (thumb.hidden) return;
        var rect = thumb.getBoundingClientRect();
        if (!rect.width || !rect.height) return;
        var x = ((event.clientX - rect.left) / rect.width) * 2 - 1;
        var y = 1 - ((event.clientY - rect.top) / rect.height) * 2;
        inputs.x.value = Math.max(-1, Math.min(1, x)).toFixed(2);
        inputs.y.value = Math.max(-1, Math.min(1, y)).toFixed(2);
        placeDot(slot);
        fillPreviewMedia();
      });
      [inputs.x, inputs.y].forEach(function (input) {
        input.addEventListener("input", function () {
          placeDot(slot);
          fillPreviewMedia();
        });
      });
    }
    syncNudge(slot);
    placeDot(slot);
  });
  markNextSlot();
  fillPreviewMedia();

  // The preview is replaced on every keystroke pause: put the images back.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "preview") {
      fillPreviewMedia();
    }
  });
})();
