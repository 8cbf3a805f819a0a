/* Channel dashboards: the map of China (or of one province) in every element with data-map.

   The element holds its data as JSON in a <script type="application/json"> (no inline script:
   the Content-Security-Policy allows none): {map, level, data: [{code, name, value, url}], title}.
   The GeoJSON comes from data-map-url (the app serves echarts@4.9.0's map files, keyed by
   province and city codes, GB/T 2260): each region is matched to its feature by code, so names
   need not agree ("江苏" in the map, "江苏省" in Qudao). Clicking a region follows its drill URL
   (a province: its cities; a city: its partners). ECharts itself is loaded by charts.js's tag. */
(function () {
  "use strict";

  function locale() {
    var lang = (document.documentElement.lang || "").toLowerCase();
    return lang.indexOf("zh") === 0 ? "ZH" : "EN";
  }

  function featureCode(feature) {
    return String(feature.id || (feature.properties && feature.properties.id) || "");
  }

  function drawMap(element, geoJson, config) {
    var mapName = "qudao-" + (config.map || "china");
    window.echarts.registerMap(mapName, geoJson);
    var nameByCode = {};
    (geoJson.features || []).forEach(function (feature) {
      nameByCode[featureCode(feature)] = feature.properties.name;
    });
    var urlByName = {};
    var labelByName = {};
    var max = 0;
    var data = (config.data || []).map(function (row) {
      var name = nameByCode[row.code] || row.name;
      urlByName[name] = row.url;
      labelByName[name] = row.name;
      max = Math.max(max, row.value || 0);
      return { name: name, value: row.value };
    });
    var canvas = document.createElement("div");
    canvas.className = "chart-canvas";
    canvas.style.height = "100%";
    canvas.setAttribute("data-testid", "map-canvas");
    element.appendChild(canvas);
    var chart = window.echarts.init(canvas, null, { renderer: "svg", locale: locale() });
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (params) {
          var label = labelByName[params.name] || params.name;
          var value = typeof params.value === "number" && !isNaN(params.value) ? params.value.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : "—";
          return label + "<br>" + (config.title || "") + ": " + value;
        }
      },
      visualMap: { min: 0, max: max || 1, left: 8, bottom: 8, calculable: true, inRange: { color: ["#e8f1fb", "#1f6fb2"] } },
      series: [{ type: "map", map: mapName, roam: false, data: data, emphasis: { label: { show: true } }, selectedMode: false }]
    });
    chart.on("click", function (params) {
      var url = urlByName[params.name];
      if (url) {
        window.location.assign(url);
      }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    element.setAttribute("data-map-drawn", "1");
  }

  function load(element) {
    var source = element.querySelector('script[type="application/json"]');
    var config;
    try {
      config = JSON.parse(source ? source.textContent : "{}") || {};
    } catch (error) {
      return;
    }
    if (!window.echarts) {
      return;
    }
    fetch(element.getAttribute("data-map-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (geoJson) { if (geoJson) { drawMap(element, geoJson, config); } });
  }

  function start() {
    var elements = document.querySelectorAll("[data-map]");
    for (var i = 0; i < elements.length; i++) {
      load(elements[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
