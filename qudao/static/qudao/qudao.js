/* Qudao's page behaviour, in one static file so that pages need no inline script or event-handler
   attribute (the Content-Security-Policy allows neither; see qudao/core/middleware.py).

   data-autosubmit        on a <select>: choosing an option submits its form
   data-confirm="..."     on a <form> or a submit <button>: ask first; "Cancel" sends nothing
   data-select-on-focus   on an <input>: focusing it selects its text (links to copy)

   Live filter forms (hx-trigger="change, input changed delay:... from:#q, ...") refresh their list
   while the search box "q" is typed in; its own change event (when it loses focus) must not refresh
   the list a second time, so it is stopped before htmx sees it. */
(function () {
  "use strict";

  document.addEventListener(
    "change",
    function (event) {
      var target = event.target;
      if (target.name === "q" && target.form && target.form.hasAttribute("hx-trigger")) {
        event.stopPropagation();
      }
    },
    true
  );

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message =
      (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target.matches && target.matches("input[data-select-on-focus]")) {
      target.select();
    }
  });

  // Export links (partials/export_buttons.html): the list's current filters, as htmx put them in
  // the address bar, with the file format asked for.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-export]");
    if (!link) {
      return;
    }
    var params = new URLSearchParams(window.location.search);
    params.delete("page");
    params.delete("export");
    if (link.getAttribute("data-export-kind")) {
      params.set("export", link.getAttribute("data-export-kind"));
    }
    params.set("format", link.getAttribute("data-export"));
    var url = new URL(link.href, window.location.href);
    if (url.pathname === window.location.pathname) {
      link.href = url.pathname + "?" + params.toString();
    }
  });
})();
