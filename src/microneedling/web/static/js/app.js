/* microneedling staff pages: the few behaviours plain HTML cannot do. No build step; every page
   works without it, only less conveniently. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  /* "Go back" links on error pages. */
  document.addEventListener("click", function (event) {
    var back = event.target.closest("[data-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  /* An error summary takes the focus, so a screen reader announces it and Tab reaches the
     first link to a field. */
  onReady(function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });

  /* Zone map: a zone is a checkbox drawn on the body. Clicking it, or Space/Enter on it, ticks
     the zone's box in the list beside the map and moves to that zone's concern. */
  function toggleZone(shape) {
    var code = shape.getAttribute("data-zone");
    var box = document.getElementById("treat-" + code);
    if (!box) return;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
    if (box.checked) {
      var concern = document.getElementById("concern-" + code);
      if (concern && !concern.value) {
        var last = document.querySelector("[data-last-concern]");
        var remembered = last ? last.getAttribute("data-last-concern") : "";
        if (remembered && concern.querySelector('option[value="' + remembered + '"]')) {
          concern.value = remembered;
          concern.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
    }
  }
  document.addEventListener("click", function (event) {
    var shape = event.target.closest(".zone-map .zone");
    if (shape) toggleZone(shape);
  });
  document.addEventListener("keydown", function (event) {
    var shape = event.target.closest && event.target.closest(".zone-map .zone");
    if (shape && (event.key === " " || event.key === "Enter")) {
      event.preventDefault();
      toggleZone(shape);
    }
  });
  /* Booking a series: wishes changed but not proposed again are not used by "Book"; say so
     beside the Book button (the element named by the form's data-wishes). */
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-wishes]");
    if (!form) return;
    var notice = document.getElementById(form.getAttribute("data-wishes"));
    if (notice) notice.hidden = false;
  });
  /* Remember the concern chosen last, to offer it for the next zone clicked. */
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-concern]") && select.value) {
      var holder = document.querySelector("[data-last-concern]");
      if (holder) holder.setAttribute("data-last-concern", select.value);
    }
  });
  /* After the map is redrawn, htmx puts the keyboard focus back on the zone that had it (the
     zones have ids), at once; nothing to do here. */

  /* Cartridge lot: a barcode scanner types the lot and presses Enter. Enter in the lot field
     checks the lot and moves on instead of submitting the chart half-filled. */
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key === "Enter" && field.matches && field.matches("input[data-scan]")) {
      event.preventDefault();
      field.dispatchEvent(new Event("change", { bubbles: true }));
      var next = document.getElementById(field.getAttribute("data-scan"));
      if (next) next.focus();
    }
  });
})();
