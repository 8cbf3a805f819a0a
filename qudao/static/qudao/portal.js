/* The partner portal's phone behaviour (loaded by portal/base.html with the page's nonce; no inline
   script or handler: the Content-Security-Policy allows neither).

   data-stepper           around a quantity <input> with two <button data-step="-1|1">: the − / +
                          of a phone. In the base unit the quantity steps between 0, the minimum
                          order quantity (data-min-qty) and multiples of data-multiple above it; in
                          another unit (a pack, chosen in the row's unit <select>) by one. The input
                          gets "input" and "change" events, as if typed (htmx prices live). */
(function () {
  "use strict";

  function whole(text) {
    var value = parseInt(text, 10);
    return isNaN(value) || value < 0 ? 0 : value;
  }

  function stepped(current, direction, minimum, multiple) {
    if (direction > 0) {
      if (current < minimum) return minimum;
      var above = current - minimum;
      return minimum + (Math.floor(above / multiple) + 1) * multiple;
    }
    if (current <= minimum) return 0;
    var down = minimum + Math.ceil((current - minimum) / multiple - 1) * multiple;
    return down < minimum ? 0 : down;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-stepper] button[data-step]");
    if (!button) return;
    event.preventDefault();
    var stepper = button.closest("[data-stepper]");
    var input = stepper.querySelector("input");
    if (!input) return;
    var direction = parseInt(button.getAttribute("data-step"), 10) || 1;
    var unit = input.form && input.form.querySelector("[name='unit_" + input.name.slice(4) + "']");
    var inPacks = unit && unit.value && unit.value !== unit.getAttribute("placeholder");
    var minimum = inPacks ? 1 : Math.max(1, whole(stepper.getAttribute("data-min-qty")));
    var multiple = inPacks ? 1 : Math.max(1, whole(stepper.getAttribute("data-multiple")));
    var next = stepped(whole(input.value), direction, minimum, multiple);
    input.value = next === 0 ? "" : String(next);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
