/* Charts: draws an Apache ECharts chart in every element with a data-chart attribute.

   The element holds its option as JSON in a <script type="application/json"> (the `{% chart %}`
   tag, qudao/core/templatetags/qudao_charts.py), so that pages need no inline script (the
   Content-Security-Policy allows none). ECharts itself is served by the app from node_modules
   (vendor/echarts/echarts.min.js, loaded before this file by `{% chart_scripts %}`).

   data-renderer   "svg" (default) or "canvas"
   data-height     the chart's height in px (the width is the element's)

   Charts follow the page language (<html lang>: Chinese or English labels of ECharts' own
   tooltips and toolboxes), are redrawn when the window is resized, and are drawn again in
   fragments htmx swaps in. */
(function () {
  "use strict";

  function locale() {
    var lang = (document.documentElement.lang || "").toLowerCase();
    return lang.indexOf("zh") === 0 ? "ZH" : "EN";
  }

  function draw(element) {
    if (!window.echarts || element.getAttribute("data-chart-drawn") === "1") {
      return;
    }
    var source = element.querySelector('script[type="application/json"]');
    var option;
    try {
      option = JSON.parse(source ? source.textContent : "{}");
    } catch (error) {
      return;
    }
    var canvas = document.createElement("div");
    canvas.className = "chart-canvas";
    canvas.style.height = (parseInt(element.getAttribute("data-height"), 10) || 280) + "px";
    element.appendChild(canvas);
    var chart = window.echarts.init(canvas, null, {
      renderer: element.getAttribute("data-renderer") === "canvas" ? "canvas" : "svg",
      locale: locale()
    });
    if (!option.color) {
      // the brand's colour first (qudao.css --brand, or the brand settings' --brand-colour)
      var style = getComputedStyle(document.documentElement);
      var brand = (style.getPropertyValue("--brand-colour") || style.getPropertyValue("--brand")).trim();
      if (brand) {
        option.color = [brand, "#5b8ff9", "#5ad8a6", "#f6bd16", "#e8684a", "#6dc8ec"];
      }
    }
    chart.setOption(option);
    element.setAttribute("data-chart-drawn", "1");
  }

  function drawAll(root) {
    var elements = (root || document).querySelectorAll("[data-chart]");
    for (var i = 0; i < elements.length; i++) {
      draw(elements[i]);
    }
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      var canvases = document.querySelectorAll("[data-chart] .chart-canvas");
      for (var i = 0; i < canvases.length; i++) {
        var chart = window.echarts && window.echarts.getInstanceByDom(canvases[i]);
        if (chart) {
          chart.resize();
        }
      }
    }, 100);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    drawAll(event.target);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      drawAll(document);
    });
  } else {
    drawAll(document);
  }
})();
