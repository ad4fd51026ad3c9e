/* The creator page: the follow button, through the same API and toggle as the video page. */
(function () {
  "use strict";
  const root = document.getElementById("creator");
  const button = root ? root.querySelector("[data-action=follow]") : null;
  if (!button) return;
  const stringsEl = document.getElementById("feed-strings");
  const S = stringsEl ? JSON.parse(stringsEl.textContent) : {};
  const countEl = document.getElementById("follower-count");
  const statusEl = document.getElementById("creator-status");
  button.addEventListener("click", async () => {
    const result = await KF.toggle(button, "/api/v1/creators/" + root.dataset.creatorId + "/follow", countEl);
    if (result === "ok") {
      button.textContent = button.getAttribute("aria-pressed") === "true" ? S.following : S.follow;
    } else if (result === "login") {
      KF.loginRequired(root);
    } else {
      statusEl.textContent = S.error || "";
    }
  });
})();
