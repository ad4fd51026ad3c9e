/* Recommender insights in the admin: shades and heights drawn from data-level (0-100),
   set through the style object, which the Content-Security-Policy allows where a
   style="" attribute is refused. */
"use strict";
document.querySelectorAll(".kf-cell[data-level]").forEach((cell) => {
  const level = Number(cell.dataset.level);
  cell.style.backgroundColor = "color-mix(in srgb, #1f5fa8 " + level + "%, #ffffff)";
});
document.querySelectorAll(".kf-hours [data-level]").forEach((bar) => {
  bar.style.height = Number(bar.dataset.level) + "%";
});
