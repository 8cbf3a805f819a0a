/* Searchable pickers and the multi-select summaries (see docs/pickers.md and qudao/core/pickers.py).

   <div data-picker="/pickers/partners/">           the search URL: GET ?q=text (or ?parent=value)
     <input type="hidden" name="partner" data-picker-value>      what the form submits (id or code)
     <input type="text" name="partner__search" data-picker-input> what the person types and sees
     <ul data-picker-options hidden></ul>                          the options, filled from the JSON
   </div>

   The answer is {"results": [{"value", "label", "detail", "more"}]}. Choosing an option puts its
   value in the hidden input and its label in the text box; an option with "more" (a province)
   then offers its children (its cities). Typing clears the value: the server then resolves the
   typed text itself (a code or an exact name), or answers with a field error. Everything is
   delegated from the document, so pickers added later (grid rows, htmx swaps) work too. */
(function () {
  "use strict";

  var DELAY = 200;
  var timers = new WeakMap();
  var requests = new WeakMap();

  function parts(element) {
    var picker = element.closest("[data-picker]");
    if (!picker) return null;
    return {
      picker: picker,
      value: picker.querySelector("[data-picker-value]"),
      input: picker.querySelector("[data-picker-input]"),
      list: picker.querySelector("[data-picker-options]"),
    };
  }

  function close(p) {
    p.list.hidden = true;
    p.input.setAttribute("aria-expanded", "false");
  }

  function render(p, results, heading) {
    var list = p.list;
    while (list.firstChild) list.removeChild(list.firstChild);
    if (heading) {
      var head = document.createElement("li");
      head.className = "picker-heading";
      head.setAttribute("role", "presentation");
      head.textContent = heading;
      list.appendChild(head);
    }
    results.forEach(function (option, index) {
      var item = document.createElement("li");
      item.setAttribute("role", "option");
      item.id = (p.input.id || "picker") + "-option-" + index;
      item.className = "picker-option";
      item.setAttribute("data-value", option.value);
      item.setAttribute("data-label", option.label);
      item.setAttribute("data-testid", "picker-option");
      if (option.more) item.setAttribute("data-more", "1");
      var label = document.createElement("span");
      label.className = "picker-label";
      label.textContent = option.label;
      item.appendChild(label);
      if (option.detail) {
        var detail = document.createElement("span");
        detail.className = "picker-detail";
        detail.textContent = option.detail;
        item.appendChild(detail);
      }
      list.appendChild(item);
    });
    if (!results.length) {
      var empty = document.createElement("li");
      empty.className = "picker-empty";
      empty.setAttribute("role", "presentation");
      empty.textContent = p.picker.getAttribute("data-empty") || "—";
      list.appendChild(empty);
    }
    list.hidden = false;
    p.input.setAttribute("aria-expanded", "true");
  }

  function search(p, params, heading) {
    var url = p.picker.getAttribute("data-picker");
    if (!url) return;
    var query = new URLSearchParams(params).toString();
    var previous = requests.get(p.picker);
    if (previous) previous.abort();
    var controller = new AbortController();
    requests.set(p.picker, controller);
    fetch(url + (url.indexOf("?") >= 0 ? "&" : "?") + query, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller.signal,
    })
      .then(function (response) {
        return response.ok ? response.json() : { results: [] };
      })
      .then(function (data) {
        if (document.activeElement === p.input || heading) render(p, data.results || [], heading);
      })
      .catch(function () {});
  }

  /* A multiple picker (RegionMultiPicker): each pick adds a ticked box to the chips; a province
     picked then offers its cities, and a city picked among them replaces that province. */
  function addRegionChip(p, item) {
    var chips = p.picker.closest("[data-multi-picker]").querySelector("[data-picker-chips]");
    var value = item.getAttribute("data-value");
    var drilled = p.picker.getAttribute("data-drilled-from");
    if (drilled && !item.hasAttribute("data-more")) {
      var province = chips.querySelector('input[value="' + CSS.escape(drilled) + '"][data-added-by-drill]');
      if (province) province.closest("li").remove();
    }
    var box = chips.querySelector('input[value="' + CSS.escape(value) + '"]');
    if (!box) {
      var li = document.createElement("li");
      var label = document.createElement("label");
      label.className = "picker-chip";
      box = document.createElement("input");
      box.type = "checkbox";
      box.name = chips.getAttribute("data-name");
      box.value = value;
      box.setAttribute("data-testid", "chip-" + box.name);
      if (item.hasAttribute("data-more")) box.setAttribute("data-added-by-drill", "1");
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + item.getAttribute("data-label")));
      li.appendChild(label);
      chips.appendChild(li);
    }
    box.checked = true;
    p.input.value = "";
    if (item.hasAttribute("data-more")) {
      p.picker.setAttribute("data-drilled-from", value);
      var heading = p.picker.getAttribute("data-more-heading") || item.getAttribute("data-label");
      search(p, { parent: value }, heading);
      p.input.focus();
    } else {
      p.picker.removeAttribute("data-drilled-from");
      close(p);
    }
  }


  /* Multi pickers ([data-picker-multi]): each choice becomes a chip holding a hidden input with
     its value and a remove button; the server renders chips as ticked checkboxes (no script:
     untick to drop), turned into hidden inputs here. */
  function enhanceChip(chip) {
    var box = chip.querySelector("input[data-chip-value]");
    if (box && box.type === "checkbox") box.type = "hidden";
    var remove = chip.querySelector("[data-chip-remove]");
    if (remove) remove.hidden = false;
  }

  function enhanceAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-picker-multi] [data-chip]"), enhanceChip);
  }

  function changed(picker) {
    picker.dispatchEvent(new Event("change", { bubbles: true }));
    picker.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function addChip(p, value, label) {
    var picker = p.picker;
    var chips = picker.querySelector("[data-chips]");
    var present = Array.prototype.some.call(chips.querySelectorAll("input[data-chip-value]"), function (input) {
      return input.value === value;
    });
    if (!present) {
      var chip = document.createElement("li");
      chip.className = "chip";
      chip.setAttribute("data-chip", "");
      chip.setAttribute("data-testid", "chip");
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = picker.getAttribute("data-field-name");
      hidden.value = value;
      hidden.setAttribute("data-chip-value", "");
      var text = document.createElement("span");
      text.className = "chip-label";
      text.textContent = label;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.textContent = "×";
      remove.setAttribute("data-chip-remove", "");
      remove.setAttribute("data-testid", "chip-remove");
      remove.setAttribute("aria-label", (picker.getAttribute("data-remove-label") || "") + ": " + label);
      chip.appendChild(hidden);
      chip.appendChild(text);
      chip.appendChild(remove);
      chips.appendChild(chip);
    }
    p.input.value = "";
    p.value.value = "";
    close(p);
    p.input.focus();
    changed(picker);
  }

  document.addEventListener("click", function (event) {
    var remove = event.target.closest && event.target.closest("[data-chip-remove]");
    if (!remove) return;
    var picker = remove.closest("[data-picker-multi]");
    remove.closest("[data-chip]").remove();
    var input = picker.querySelector("[data-picker-input]");
    if (input) input.focus();
    changed(picker);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      enhanceAll(document);
    });
  } else {
    enhanceAll(document);
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    enhanceAll(event.target);
  });

  function choose(p, item) {
    if (p.picker.hasAttribute("data-picker-multiple")) return addRegionChip(p, item);
    if (p.picker.hasAttribute("data-picker-multi")) {
      addChip(p, item.getAttribute("data-value"), item.getAttribute("data-label"));
      return;
    }
    p.value.value = item.getAttribute("data-value");
    p.input.value = item.getAttribute("data-label");
    p.value.dispatchEvent(new Event("change", { bubbles: true }));
    if (item.hasAttribute("data-more")) {
      var heading = p.picker.getAttribute("data-more-heading") || "";
      search(p, { parent: item.getAttribute("data-value") }, heading || item.getAttribute("data-label"));
      p.input.focus();
    } else {
      close(p);
    }
  }

  function active(p) {
    return p.list.querySelector(".picker-option.active");
  }

  function move(p, step) {
    var options = Array.prototype.slice.call(p.list.querySelectorAll(".picker-option"));
    if (!options.length) return;
    var current = options.indexOf(active(p));
    if (current >= 0) options[current].classList.remove("active");
    var next = (current + step + options.length) % options.length;
    options[next].classList.add("active");
    p.input.setAttribute("aria-activedescendant", options[next].id);
    options[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("input", function (event) {
    if (!event.target.matches("[data-picker-input]")) return;
    var p = parts(event.target);
    if (!p) return;
    if (p.value) p.value.value = "";
    p.picker.removeAttribute("data-drilled-from");
    close(p); // the options shown are for the old text: none until the new ones arrive
    var pending = requests.get(p.picker); // nor those of a search still under way (on focus)
    if (pending) pending.abort();
    clearTimeout(timers.get(p.picker));
    timers.set(
      p.picker,
      setTimeout(function () {
        search(p, { q: p.input.value.trim() });
      }, DELAY)
    );
  });

  document.addEventListener("focusin", function (event) {
    if (!event.target.matches("[data-picker-input]")) return;
    var p = parts(event.target);
    if (p && (!p.value || !p.value.value)) search(p, { q: p.input.value.trim() });
  });

  document.addEventListener("focusout", function (event) {
    if (!event.target.matches("[data-picker-input]")) return;
    var p = parts(event.target);
    if (p)
      setTimeout(function () {
        if (document.activeElement !== p.input) close(p);
      }, 150);
  });

  document.addEventListener("mousedown", function (event) {
    var item = event.target.closest && event.target.closest(".picker-option");
    if (!item) return;
    var p = parts(item);
    if (!p) return;
    event.preventDefault(); // keep the focus in the text box
    choose(p, item);
  });

  document.addEventListener("keydown", function (event) {
    if (!event.target.matches("[data-picker-input]")) return;
    var p = parts(event.target);
    if (!p) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (p.list.hidden) search(p, { q: p.input.value.trim() });
      else move(p, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && !p.list.hidden) {
      var item = active(p) || p.list.querySelector(".picker-option");
      if (item) {
        event.preventDefault(); // pick, do not submit the form
        choose(p, item);
      }
    } else if (event.key === "Escape") {
      close(p);
    }
  });

  /* Multi-selects: the summary lists the chosen labels as boxes are ticked. */
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-multi-select] input[type=checkbox]")) return;
    var details = box.closest("[data-multi-select]");
    var summary = details.querySelector("summary");
    var labels = Array.prototype.slice
      .call(details.querySelectorAll("input[type=checkbox]:checked"))
      .map(function (input) {
        return input.parentNode.textContent.trim();
      });
    summary.textContent = labels.length ? labels.join("、") : summary.getAttribute("data-none");
  });

  /* Grid editors (rows of inputs, e.g. a price list's prices; flow conditions):
     [data-grid] holds <template data-grid-template> (one row with "__prefix__" where its index
     goes), [data-grid-rows], a [data-grid-add] button and [data-grid-remove] buttons in rows. The
     count lives in the formset's TOTAL_FORMS input (or [data-grid-count]); a removed row's index
     is simply missing from what is sent, which the server reads as an empty row. */
  document.addEventListener("click", function (event) {
    var add = event.target.closest && event.target.closest("[data-grid-add]");
    var remove = event.target.closest && event.target.closest("[data-grid-remove]");
    if (add) {
      var grid = add.closest("[data-grid]");
      var count = grid.querySelector('input[name$="TOTAL_FORMS"], [data-grid-count]');
      var template = grid.querySelector("template[data-grid-template]");
      var index = parseInt(count.value, 10) || 0;
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      grid.querySelector("[data-grid-rows]").insertAdjacentHTML("beforeend", html);
      count.value = String(index + 1);
      var rows = grid.querySelectorAll("[data-grid-row]");
      var first = rows[rows.length - 1].querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    } else if (remove) {
      var row = remove.closest("[data-grid-row]");
      var next = row.nextElementSibling;
      if (next && next.hasAttribute("data-grid-row-errors")) next.remove();
      row.remove();
    }
  });

  /* The flow form's condition builder: choosing a row's field puts in the comparison and value
     inputs that field needs (from <template data-condition-slot="field">, "__prefix__" being the
     row's index, read from the field select's name cond_field_<index>). */
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-condition-field]")) return;
    var builder = select.closest("[data-condition-builder]");
    var cell = select.closest("[data-grid-row]").querySelector("[data-condition-slot-cell]");
    var index = (select.name.match(/(\d+)$/) || [])[1] || "0";
    var template = builder.querySelector('template[data-condition-slot="' + CSS.escape(select.value) + '"]');
    cell.innerHTML = template ? template.innerHTML.replace(/__prefix__/g, index) : "";
  });
})();
