/* On every page. No inline scripts or handlers anywhere: the Content-Security-Policy
   (kfplatform/settings/base.py) refuses them. */
"use strict";
document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});

/* Phones: the top bar's links fold into a menu that this button opens and closes. */
document.querySelectorAll(".menu-toggle").forEach((button) => {
  const menu = document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  const set = (open) => { button.setAttribute("aria-expanded", String(open)); menu.classList.toggle("open", open); };
  button.addEventListener("click", () => set(button.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") set(false); });
  document.addEventListener("click", (event) => {
    if (!menu.contains(event.target) && !button.contains(event.target)) set(false);
  });
});
