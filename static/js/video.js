/* The video page: interactions, resume position and speed, watch tracking. */
(function () {
  "use strict";
  const root = document.getElementById("watch");
  if (!root) return;
  const stringsEl = document.getElementById("feed-strings");
  window.KF_STRINGS = stringsEl ? JSON.parse(stringsEl.textContent) : {};
  const S = window.KF_STRINGS;
  const player = document.getElementById("player");
  const statusEl = document.getElementById("watch-status");
  const id = root.dataset.videoId;
  const loggedIn = root.dataset.user === "1";
  const ids = { video_id: Number(id), creator_id: Number(root.dataset.creatorId), course_id: Number(root.dataset.courseId) || null };
  let watched = 0, last = 0, played = false, completed = false;

  const resume = Number(root.dataset.resume) || 0;
  player.playbackRate = Number(root.dataset.rate) || 1;
  /* ?t=SECONDS (a search result's on-screen moment) wins over the resume position. */
  const start = root.dataset.start === "" || root.dataset.start === undefined ? null : Number(root.dataset.start);
  function restore() {
    if (start !== null && start >= 0 && start < player.duration) player.currentTime = start;
    else if (resume > 1 && resume < player.duration - 1) player.currentTime = resume;
  }
  /* The metadata may have arrived before this script ran (a cached file). */
  if (player.readyState >= 1) restore(); else player.addEventListener("loadedmetadata", restore, { once: true });

  /* Opened from a recommendation: the page's events name its surface and the page it was on.
     The model version rides on the events after the impression only: the card's own impression
     already counted for that version, and its CTR is plays / impressions. */
  const rec = KF.surfaces; /* absent if surfaces.js failed to load: the page works without */
  const via = rec ? rec.arrival("v" + id) : null;
  function fields(extra, props, counted) {
    const merged = Object.assign({}, props);
    if (via) Object.assign(merged, { surface: via.surface, from: via.from, clicked: true }, counted ? { model_version: via.model_version } : {});
    return Object.assign({}, ids, extra, Object.keys(merged).length ? { props: merged } : {});
  }

  KF.track("video.impression", fields({}, {}, false));
  player.addEventListener("playing", () => { if (!played) { played = true; KF.track("video.played", fields({}, {}, true)); } });
  player.addEventListener("timeupdate", () => {
    const delta = player.currentTime - last;
    if (delta > 0 && delta < 1.5) watched += delta;
    last = player.currentTime;
    if (!completed && player.duration && player.currentTime >= player.duration * 0.95) {
      completed = true;
      KF.track("video.completed", fields({ value: watched }, {}, true));
    }
  });
  function heartbeat() {
    if (player.paused) return;
    KF.track("video.progress", fields({ value: Number(watched.toFixed(2)) }, { position: player.currentTime }, true));
    if (loggedIn) KF.api("PUT", "/api/v1/videos/" + id + "/watch-state", { position_seconds: player.currentTime, playback_rate: player.playbackRate });
  }
  setInterval(heartbeat, 5000);
  player.addEventListener("ratechange", heartbeat);
  window.addEventListener("pagehide", heartbeat);
  const cta = document.getElementById("cta");
  if (cta) cta.addEventListener("click", () => { KF.track("video.cta_clicked", fields({}, {}, true)); KF.flush(); });

  /* Similar videos (not this one, nor those "More from this creator" already shows), and a
     recommended course when the creator linked none: the creator's own CTA always wins. */
  const shown = new Set(["v" + id]);
  document.querySelectorAll("#more-from-creator a[href]").forEach((a) => {
    const match = a.getAttribute("href").match(/\/v\/(\d+)\//);
    if (match) shown.add("v" + match[1]);
  });
  /* Up next first (the sequence model's pick after this video), then similar videos without
     the ones it already shows. */
  if (rec) rec.upNext("v" + id).then((next) => {
    const section = document.getElementById("up-next");
    rec.fill(section, next, "video", 4, shown);
    if (section) section.querySelectorAll("[data-item-key]").forEach((n) => shown.add(n.dataset.itemKey));
    return rec.similar("v" + id);
  }).then((answer) => {
    rec.fill(document.getElementById("similar-videos"), answer, "video", 6, shown);
    if (!cta) rec.courseCta(document.getElementById("cta-recommended"), answer, id);
  });

  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    const countEl = button.querySelector(".count");
    if (action === "share") { await KF.share(id, countEl); statusEl.textContent = S.copied; return; }
    if (action === "comments") { KF.drawer.open(id, (d) => { countEl.textContent = Number(countEl.textContent) + d; }); return; }
    if (!loggedIn) { KF.loginRequired(root); return; }
    if (action === "like" || action === "favorite") {
      await KF.toggle(button, "/api/v1/videos/" + id + "/" + action, countEl);
    } else if (action === "follow") {
      if ((await KF.toggle(button, "/api/v1/creators/" + root.dataset.creatorId + "/follow")) === "ok") {
        button.textContent = button.getAttribute("aria-pressed") === "true" ? S.following : S.follow;
      }
    } else if (action === "report") {
      const result = await KF.api("POST", "/api/v1/videos/" + id + "/report", { reason: "misleading" });
      statusEl.textContent = result.ok ? S.reported : S.error;
    }
  });
})();
