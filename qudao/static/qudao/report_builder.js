/* The report builder (拖拽报表, /analytics/reports/new/ and /analytics/reports/<id>/).

   The palette lists the metrics and dimensions the user may see. They are dragged (HTML5 drag and
   drop) into the zones metrics, rows, columns and filters, or added with the buttons beside each
   (keyboard, screen readers and phones: no dragging needed). Each change posts the definition to
   the preview URL; the server validates it and answers the result fragment (table, pivot or an
   ECharts chart drawn by charts.js). Its errors are moved beside the palette. The save form sends
   the same definition as JSON. No inline script: the page's Content-Security-Policy allows none. */
(function () {
  "use strict";

  var root = document.querySelector("[data-report-builder]");
  if (!root) {
    return;
  }
  var source = document.getElementById("rb-definition");
  var initial = {};
  try {
    initial = JSON.parse(source ? source.textContent : "{}") || {};
  } catch (error) {
    initial = {};
  }
  var state = {
    metrics: (initial.metrics || []).slice(),
    rows: (initial.rows || []).slice(),
    columns: (initial.columns || []).slice(),
    filters: {},
    period: initial.period || { relative: "this_month" },
    chart: initial.chart || "table"
  };
  Object.keys(initial.filters || {}).forEach(function (code) {
    state.filters[code] = (initial.filters[code] || []).slice();
  });

  var labels = {};
  var grains = {};
  root.querySelectorAll(".rb-item").forEach(function (item) {
    labels[item.getAttribute("data-kind") + ":" + item.getAttribute("data-code")] = item.getAttribute("data-label");
    if (item.getAttribute("data-grain") === "1") {
      grains[item.getAttribute("data-code")] = true;
    }
  });
  var valuesCache = {};

  function text(name) {
    return root.getAttribute("data-label-" + name) || "";
  }

  function label(kind, code) {
    return labels[kind + ":" + code] || code;
  }

  function definition() {
    var filters = {};
    Object.keys(state.filters).forEach(function (code) {
      if (state.filters[code].length) {
        filters[code] = state.filters[code];
      }
    });
    return {
      metrics: state.metrics,
      rows: state.rows,
      columns: state.columns,
      filters: filters,
      period: state.period,
      chart: state.chart
    };
  }

  // --- adding and removing -----------------------------------------------------------------------

  function accepts(zone, kind, code) {
    if (zone === "metrics") {
      return kind === "metric";
    }
    if (kind !== "dimension") {
      return false;
    }
    return zone !== "filters" || !grains[code];
  }

  function add(zone, kind, code) {
    if (!accepts(zone, kind, code)) {
      return;
    }
    if (zone === "filters") {
      if (!state.filters[code]) {
        state.filters[code] = [];
      }
    } else {
      if (zone !== "metrics") {
        // a dimension is either a row or a column
        state.rows = state.rows.filter(function (c) { return c !== code; });
        state.columns = state.columns.filter(function (c) { return c !== code; });
      }
      if (state[zone].indexOf(code) === -1) {
        state[zone].push(code);
      }
    }
    changed();
  }

  function remove(zone, code) {
    if (zone === "filters") {
      delete state.filters[code];
    } else {
      state[zone] = state[zone].filter(function (c) { return c !== code; });
    }
    changed();
  }

  // --- drawing the zones ---------------------------------------------------------------------------

  function chip(zone, kind, code) {
    var item = document.createElement("li");
    item.className = "rb-chip";
    item.setAttribute("data-testid", "rb-chip-" + zone + "-" + code);
    var name = document.createElement("span");
    name.className = "rb-chip-label";
    name.textContent = label(kind, code);
    item.appendChild(name);
    if (zone === "filters") {
      item.appendChild(filterPicker(code));
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "rb-chip-remove";
    button.setAttribute("aria-label", text("remove") + " " + label(kind, code));
    button.textContent = "×";
    button.addEventListener("click", function () { remove(zone, code); });
    item.appendChild(button);
    return item;
  }

  function filterPicker(code) {
    var select = document.createElement("select");
    select.multiple = true;
    select.size = 4;
    select.className = "rb-filter-values";
    select.setAttribute("aria-label", text("values") + " " + label("dimension", code));
    select.setAttribute("data-testid", "rb-filter-values-" + code);
    select.addEventListener("change", function () {
      state.filters[code] = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
      schedulePreview();
    });
    var fill = function (values) {
      select.innerHTML = "";
      if (!values.length) {
        var none = document.createElement("option");
        none.disabled = true;
        none.textContent = text("no-values");
        select.appendChild(none);
      }
      values.forEach(function (value) {
        var option = document.createElement("option");
        option.value = value.key;
        option.textContent = value.label;
        option.selected = (state.filters[code] || []).indexOf(value.key) !== -1;
        select.appendChild(option);
      });
    };
    var period = state.period.relative
      ? "&relative=" + encodeURIComponent(state.period.relative)
      : "&start=" + encodeURIComponent(state.period.start || "") + "&end=" + encodeURIComponent(state.period.end || "");
    var cacheKey = code + period;
    if (valuesCache[cacheKey]) {
      fill(valuesCache[cacheKey]);
    } else {
      var loading = document.createElement("option");
      loading.disabled = true;
      loading.textContent = text("loading");
      select.appendChild(loading);
      fetch(root.getAttribute("data-values-url") + "?dimension=" + encodeURIComponent(code) + period, {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : { values: [] };
      }).then(function (body) {
        valuesCache[cacheKey] = body.values || [];
        fill(valuesCache[cacheKey]);
      }).catch(function () { fill([]); });
    }
    return select;
  }

  function drawZones() {
    root.querySelectorAll("[data-zone]").forEach(function (zone) {
      var name = zone.getAttribute("data-zone");
      var list = zone.querySelector(".rb-chips");
      list.innerHTML = "";
      var codes = name === "filters" ? Object.keys(state.filters) : state[name];
      codes.forEach(function (code) {
        list.appendChild(chip(name, name === "metrics" ? "metric" : "dimension", code));
      });
      if (!codes.length) {
        var hint = document.createElement("li");
        hint.className = "rb-hint muted";
        hint.textContent = text("empty-zone");
        list.appendChild(hint);
      }
    });
  }

  // --- the result ------------------------------------------------------------------------------------

  var timer = null;
  var sequence = 0;

  function csrfToken() {
    var input = document.querySelector("[data-rb-save] input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function preview() {
    var mine = ++sequence;
    var body = new FormData();
    body.append("definition", JSON.stringify(definition()));
    var result = root.querySelector("[data-rb-result]");
    result.setAttribute("aria-busy", "true");
    fetch(root.getAttribute("data-preview-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      if (mine !== sequence) {
        return; // a later change is on its way
      }
      result.innerHTML = html;
      result.removeAttribute("aria-busy");
      showErrors();
      // charts.js draws charts in fragments swapped in (it listens for htmx:afterSwap)
      result.dispatchEvent(new CustomEvent("htmx:afterSwap", { bubbles: true }));
    });
  }

  function showErrors() {
    var box = root.querySelector("[data-rb-errors]");
    box.innerHTML = "";
    var list = root.querySelector("[data-rb-result] [data-rb-error-list]");
    if (list) {
      box.appendChild(list);
    }
  }

  function schedulePreview() {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, 250);
    syncForm();
  }

  function syncForm() {
    var hidden = document.querySelector("[data-rb-definition]");
    if (hidden) {
      hidden.value = JSON.stringify(definition());
    }
  }

  function changed() {
    drawZones();
    schedulePreview();
  }

  // --- wiring ----------------------------------------------------------------------------------------

  root.querySelectorAll(".rb-item").forEach(function (item) {
    item.addEventListener("dragstart", function (event) {
      event.dataTransfer.setData("text/plain", item.getAttribute("data-kind") + ":" + item.getAttribute("data-code"));
      event.dataTransfer.effectAllowed = "copy";
    });
    item.querySelectorAll("[data-add]").forEach(function (button) {
      button.addEventListener("click", function () {
        add(button.getAttribute("data-add"), item.getAttribute("data-kind"), item.getAttribute("data-code"));
      });
    });
  });

  root.querySelectorAll("[data-zone]").forEach(function (zone) {
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("rb-zone-over");
    });
    zone.addEventListener("dragleave", function () {
      zone.classList.remove("rb-zone-over");
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("rb-zone-over");
      var data = (event.dataTransfer.getData("text/plain") || "").split(":");
      if (data.length === 2) {
        add(zone.getAttribute("data-zone"), data[0], data[1]);
      }
    });
  });

  var chart = root.querySelector("[data-rb-chart]");
  chart.addEventListener("change", function () {
    state.chart = chart.value;
    schedulePreview();
  });

  var period = root.querySelector("[data-rb-period]");
  var start = root.querySelector("[data-rb-start]");
  var end = root.querySelector("[data-rb-end]");
  function readPeriod() {
    var fixed = period.value === "fixed";
    root.querySelectorAll("[data-rb-fixed]").forEach(function (field) {
      field.hidden = !fixed;
    });
    state.period = fixed ? { start: start.value, end: end.value } : { relative: period.value };
  }
  [period, start, end].forEach(function (input) {
    input.addEventListener("change", function () {
      readPeriod();
      changed(); // the filters' value lists follow the period
    });
  });

  var form = document.querySelector("[data-rb-save]");
  if (form) {
    form.addEventListener("submit", syncForm);
  }

  readPeriod();
  drawZones();
  syncForm();
  showErrors();
})();
