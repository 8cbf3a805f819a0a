/* The rebate policy form's tier table editor (rebates/policy_form.html), loaded by that page only.

   Without JS the table is a fixed number of rows (the server reads every row typed in, whatever
   its number). With it: "Add a tier" appends a row, "Remove" takes one away, the unit beside a
   value follows its reward (% for a rate), and a "to" typed in fills the next row's "from" (the
   same amount, or the next unit for a quantity basis; a percentage for tiers measured on a
   ratio). Choosing what the tiers are measured on shows "%" beside the bounds of a ratio and its
   help. Adding or removing a row fires "tiers-changed" on the form, which refreshes the live
   preview (htmx). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  ready(function () {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus(); // a screen reader reads the errors first; each links to its field
    }
    var form = document.getElementById("policy-form");
    if (!form) {
      return;
    }
    var body = form.querySelector("[data-tier-rows]");
    var addButton = form.querySelector("[data-add-tier]");
    if (!body || !addButton) {
      return;
    }
    var unitLabel = addButton.getAttribute("data-unit-label") || "unit";
    var currency = form.getAttribute("data-currency") || "CNY";

    function rows() {
      return Array.prototype.slice.call(body.querySelectorAll("tr[data-tier-row]"));
    }

    function changed() {
      form.dispatchEvent(new CustomEvent("tiers-changed", { bubbles: true }));
    }

    function unitOf(reward) {
      if (reward === "rate") {
        return "%";
      }
      if (reward === "per_unit") {
        return currency + " / " + unitLabel;
      }
      return currency;
    }

    function renumber() {
      rows().forEach(function (row, position) {
        var cell = row.querySelector("[data-tier-number]");
        if (cell) {
          cell.textContent = String(position + 1);
        }
      });
    }

    function nextIndex() {
      return rows().reduce(function (high, row) {
        return Math.max(high, parseInt(row.getAttribute("data-tier-row"), 10) + 1);
      }, 0);
    }

    function addRow() {
      var last = rows()[rows().length - 1];
      var index = nextIndex();
      var oldIndex = last.getAttribute("data-tier-row");
      var oldNumber = String(rows().length);
      var row = last.cloneNode(true);
      row.setAttribute("data-tier-row", String(index));
      row.classList.remove("has-error");
      row.querySelectorAll(".errorlist").forEach(function (list) {
        list.remove();
      });
      row.querySelectorAll(".has-error").forEach(function (cell) {
        cell.classList.remove("has-error");
      });
      row.querySelectorAll("input, select").forEach(function (control) {
        control.name = control.name.replace("_" + oldIndex, "_" + index);
        control.id = control.id.replace("tier-" + oldIndex + "-", "tier-" + index + "-");
        var label = control.getAttribute("aria-label");
        if (label) {
          control.setAttribute("aria-label", label.replace(oldNumber, String(rows().length + 1)));
        }
        if (control.tagName === "INPUT") {
          control.value = "";
          control.removeAttribute("placeholder");
        } else {
          control.value = "rate";
        }
      });
      var unit = row.querySelector("[data-tier-unit]");
      if (unit) {
        unit.textContent = unitOf("rate");
      }
      body.appendChild(row);
      renumber();
      var first = row.querySelector("input");
      if (first) {
        first.focus();
      }
      changed();
    }

    function removeRow(row) {
      if (rows().length <= 1) {
        row.querySelectorAll("input").forEach(function (input) {
          input.value = "";
        });
      } else {
        row.remove();
      }
      renumber();
      changed();
    }

    var measure = form.querySelector("[data-tier-measure]");

    function onRatio() {
      return Boolean(measure) && measure.value !== "basis";
    }

    function showMeasure() {
      var ratio = onRatio();
      form.querySelectorAll("[data-bound-unit], [data-ratio-only]").forEach(function (element) {
        element.hidden = !ratio;
      });
    }

    if (measure) {
      measure.addEventListener("change", showMeasure);
    }

    addButton.hidden = false;
    form.querySelectorAll("[data-remove-tier]").forEach(function (button) {
      button.hidden = false;
    });
    addButton.addEventListener("click", addRow);

    body.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-tier]");
      if (button) {
        removeRow(button.closest("tr"));
      }
    });

    body.addEventListener("change", function (event) {
      var target = event.target;
      var row = target.closest("tr[data-tier-row]");
      if (!row) {
        return;
      }
      if (target.matches("[data-tier-reward]")) {
        var unit = row.querySelector("[data-tier-unit]");
        if (unit) {
          unit.textContent = unitOf(target.value);
        }
      } else if (/^tier_upper_/.test(target.name) && target.value.trim()) {
        var following = row.nextElementSibling;
        var from = following && following.querySelector("input[name^='tier_lower_']");
        var upper = Number(target.value.replace(/[,，\s]/g, ""));
        var basis = form.querySelector("[data-basis]");
        if (from && !from.value.trim() && isFinite(upper)) {
          var units = basis && basis.value === "quantity" && !onRatio();
          from.value = String(units ? upper + 1 : upper);
        }
      }
    });
  });
})();
