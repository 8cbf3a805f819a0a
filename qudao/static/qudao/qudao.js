/* Qudao's page behaviour, in one static file so that pages need no inline script or event-handler
   attribute (the Content-Security-Policy allows neither; see qudao/core/middleware.py).

   data-autosubmit        on a <select>: choosing an option submits its form
   data-confirm="..."     on a <form> or a submit <button>: ask first; "Cancel" sends nothing
   data-select-on-focus   on an <input>: focusing it selects its text (links to copy)
   data-once              on a <form>: it is sent once; its submit buttons are disabled meanwhile
                          (work that starts a job is never started twice by a double click)
   data-nav-toggle        the "Menu" button of the main navigation (partials/nav.html): below
                          960 px it folds the menu; its groups (<details data-nav-group>) close
                          each other, on Escape and on a click elsewhere

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

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-once")) {
      return;
    }
    if (form.getAttribute("data-submitted") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitted", "true");
    // disabled after the browser has read the form, so the clicked button's name is still sent
    window.setTimeout(function () {
      var buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].disabled = true;
        buttons[i].setAttribute("aria-busy", "true");
      }
    }, 0);
  });

  // a page restored by the Back button (bfcache) may be sent again
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    var forms = document.querySelectorAll("form[data-once][data-submitted]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].removeAttribute("data-submitted");
      var buttons = forms[i].querySelectorAll("button[aria-busy], input[aria-busy]");
      for (var j = 0; j < buttons.length; j++) {
        buttons[j].disabled = false;
        buttons[j].removeAttribute("aria-busy");
      }
    }
  });

  // --- the main navigation ---------------------------------------------------------------------
  function navGroups() {
    return document.querySelectorAll("details[data-nav-group]");
  }

  function closeGroups(except) {
    var groups = navGroups();
    for (var i = 0; i < groups.length; i++) {
      if (groups[i] !== except && groups[i].open) {
        groups[i].open = false;
      }
    }
  }

  function setUpNav() {
    var toggle = document.querySelector("[data-nav-toggle]");
    if (!toggle) {
      return;
    }
    var nav = toggle.closest(".mainnav");
    nav.classList.add("nav-js");
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    var groups = navGroups();
    for (var i = 0; i < groups.length; i++) {
      groups[i].addEventListener("toggle", function (event) {
        if (event.target.open) {
          closeGroups(event.target);
        }
      });
    }
    document.addEventListener("click", function (event) {
      if (!event.target.closest || !event.target.closest("details[data-nav-group]")) {
        closeGroups(null);
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") {
        return;
      }
      var open = event.target.closest && event.target.closest("details[data-nav-group][open]");
      if (open) {
        open.open = false;
        open.querySelector("summary").focus();
      } else if (nav.classList.contains("nav-open")) {
        nav.classList.remove("nav-open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpNav);
  } else {
    setUpNav();
  }
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
