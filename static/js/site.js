/* On every page. No inline scripts or handlers anywhere: the Content-Security-Policy
   (kfplatform/settings/base.py) refuses them. */
"use strict";
document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
