// Draws the overview's charts from the JSON the page carries (Chart.js, vendored).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("overview-data").textContent);
  const series = [["spend", "Spend (USD)", "#2f5bd3", "y"], ["requests", "Requests", "#8a5cd1", "y1"],
                  ["images", "Images", "#2e9e6a", "y1"]];
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const chart = data[canvas.dataset.chart];
    const datasets = series.filter(([field]) => field in chart).map(([field, label, color, axis]) => ({
      label, data: chart[field], backgroundColor: color, borderColor: color, yAxisID: axis,
    }));
    const scales = {y: {beginAtZero: true, position: "left"}};
    if (datasets.some((d) => d.yAxisID === "y1")) {
      scales.y1 = {beginAtZero: true, position: "right", grid: {drawOnChartArea: false}};
    }
    if (!datasets.some((d) => d.yAxisID === "y")) {
      delete scales.y;
    }
    canvas.chart = new Chart(canvas, {type: canvas.dataset.kind, data: {labels: chart.labels, datasets},
                                      options: {animation: false, maintainAspectRatio: false, scales}});
  }
})();
