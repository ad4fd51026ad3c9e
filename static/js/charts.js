/* Interactive dashboard charts, drawn over the server's SVG (progressive enhancement).

   Each svg.kf-chart has its numbers beside it in a JSON data block
   (<script type="application/json" id="<chart id>-data">, from Django's
   json_script: data, which the Content-Security-Policy does not execute).
   Where Chart.js (static/vendor/chartjs) has loaded, this draws a canvas chart
   with values on hover, a legend of buttons that show or hide a series, and a
   compare-to-previous-period overlay when the data has the period before; the
   SVG is then hidden but stays in the page, and the data table beside it stays
   the accessible way to read every number. Styles are set through classes and
   the style object, never a style="" attribute, which the policy refuses. */
"use strict";
(() => {
  if (!window.Chart) return;
  const COLOURS = ["#1f5fa8", "#c2410c", "#15803d", "#7c3aed"]; // as dashboard/charts.py
  const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];
  const ROW_PX = 28; // a bar chart's height per bar, as the SVG
  const language = document.documentElement.lang || undefined;

  function formatted(value, labels) {
    if (value === null || value === undefined) return labels.no_value;
    return Number(value).toLocaleString(language, { maximumFractionDigits: 4 });
  }

  function datasets(data) {
    const bar = data.kind === "bar";
    const current = data.series.map((series, k) => ({
      label: series.name,
      data: series.values,
      borderColor: COLOURS[k % 4],
      backgroundColor: COLOURS[k % 4],
      borderDash: bar ? [] : DASHES[k % 4],
      borderWidth: 2,
      pointRadius: data.x.length > 40 ? 0 : 2,
      kfSeries: k,
    }));
    if (!data.previous) return current;
    const before = data.previous.series.map((values, k) => ({
      label: data.series[k].name + " (" + data.labels.previous + ")",
      data: values,
      borderColor: COLOURS[k % 4] + "80",
      backgroundColor: COLOURS[k % 4] + "80",
      borderDash: [3, 3],
      borderWidth: 1.5,
      pointRadius: 0,
      hidden: true,
      kfSeries: k,
      kfPrevious: true,
    }));
    return current.concat(before);
  }

  function tooltip(tip, data) {
    return ({ chart, tooltip: state }) => {
      if (!state.opacity || !state.dataPoints || !state.dataPoints.length) {
        tip.hidden = true;
        return;
      }
      const index = state.dataPoints[0].dataIndex;
      const lines = [String(data.x[index])];
      for (const point of state.dataPoints) {
        const set = point.dataset;
        let text = set.label + ": " + formatted(point.raw, data.labels);
        if (set.kfPrevious) text += " · " + (data.previous.x[index] || "");
        lines.push(text);
      }
      tip.replaceChildren(
        ...lines.map((line, i) => {
          const row = document.createElement(i ? "span" : "strong");
          row.textContent = line;
          return row;
        }),
      );
      tip.hidden = false;
      const right = state.caretX > chart.width / 2;
      tip.classList.toggle("kf-chart-tip-left", right);
      tip.style.left = state.caretX + "px";
      tip.style.top = state.caretY + "px";
    };
  }

  function toggle(label, pressed, onClick, extraClass) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "kf-chart-toggle " + (extraClass || "");
    button.setAttribute("aria-pressed", String(pressed));
    const swatch = document.createElement("span");
    swatch.className = "kf-swatch";
    swatch.setAttribute("aria-hidden", "true");
    button.append(swatch, document.createTextNode(label));
    button.addEventListener("click", () => {
      const now = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(now));
      onClick(now);
    });
    return button;
  }

  function legend(chart, data) {
    const group = document.createElement("div");
    group.className = "kf-chart-legend";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", data.labels.series);
    const sets = chart.data.datasets;
    let comparing = false;
    const showPrevious = (k) =>
      sets.forEach((set, i) => {
        if (set.kfPrevious && set.kfSeries === k) {
          chart.setDatasetVisibility(i, comparing && chart.isDatasetVisible(k));
        }
      });
    data.series.forEach((series, k) => {
      const button = toggle(series.name, true, (shown) => {
        chart.setDatasetVisibility(k, shown);
        showPrevious(k);
        chart.update();
      }, "kf-series-" + (k % 4));
      group.append(button);
    });
    if (data.previous) {
      const button = toggle(data.labels.compare, false, (on) => {
        comparing = on;
        data.series.forEach((_, k) => showPrevious(k));
        chart.update();
      }, "kf-chart-compare");
      group.append(button);
    }
    return group;
  }

  function enhance(svg) {
    const source = document.getElementById(svg.id + "-data");
    if (!source) return;
    const data = JSON.parse(source.textContent);
    if (!data.x || !data.x.length || !data.series || !data.series.length) return;
    const bar = data.kind === "bar";
    const box = document.createElement("div");
    box.className = "kf-chart-live";
    const frame = document.createElement("div");
    frame.className = "kf-chart-frame";
    if (bar) frame.style.height = ROW_PX * data.x.length + 48 + "px";
    const canvas = document.createElement("canvas");
    canvas.id = svg.id + "-canvas";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", svg.getAttribute("aria-label") || "");
    canvas.textContent = svg.getAttribute("aria-label") || "";
    const tip = document.createElement("div");
    tip.className = "kf-chart-tip";
    tip.setAttribute("aria-hidden", "true");
    tip.hidden = true;
    frame.append(canvas, tip);
    box.append(frame);
    svg.after(box);
    const chart = new window.Chart(canvas, {
      type: bar ? "bar" : "line",
      data: { labels: data.x, datasets: datasets(data) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: bar ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        scales: { [bar ? "x" : "y"]: { beginAtZero: true } },
        plugins: {
          legend: { display: false },
          tooltip: { enabled: false, external: tooltip(tip, data) },
        },
      },
    });
    box.prepend(legend(chart, data));
    svg.classList.add("kf-chart-replaced");
  }

  document.querySelectorAll("svg.kf-chart[id]").forEach((svg) => {
    try {
      enhance(svg);
    } catch (error) {
      // The SVG and its table still show every number; say why in the console only.
      console.error("chart " + svg.id + " not enhanced:", error);
    }
  });
})();
