/* A lesson: resume where the student stopped, save progress, mark complete at 95%. */
(function () {
  "use strict";
  const player = document.getElementById("player");
  if (!player) return;
  const data = player.dataset;
  const status = document.getElementById("lesson-status");
  let watched = Number(data.watched) || 0, last = 0, previewTracked = false, ready = false;

  function restore() {
    const resume = Number(data.resume) || 0;
    /* ?t=SECONDS (a chapter link) wins over where the student stopped. */
    const start = data.start === "" || data.start === undefined ? null : Number(data.start);
    if (start !== null && start >= 0 && start < player.duration) player.currentTime = start;
    else if (resume > 1 && resume < player.duration - 1) player.currentTime = resume;
    last = player.currentTime;
    /* The speed last chosen in this course; set once the place is restored, because
       setting it fires "ratechange", which saves the place. */
    player.playbackRate = Number(data.rate) || 1;
    ready = true;
  }
  /* The metadata may have arrived before this script ran (a cached file). */
  if (player.readyState >= 1) restore();
  else player.addEventListener("loadedmetadata", restore, { once: true });
  player.addEventListener("timeupdate", () => {
    const delta = player.currentTime - last;
    if (delta > 0 && delta < 1.5) watched += delta;
    last = player.currentTime;
  });
  player.addEventListener("playing", () => {
    if (data.preview === "1" && !previewTracked) {
      previewTracked = true;
      KF.track("course.preview_played", { course_id: Number(data.courseId), props: { lesson_id: Number(data.lessonId) } });
    }
  });
  async function save() {
    if (data.save !== "1" || !ready) return; /* before metadata the place reads 0 */
    const result = await KF.api("PUT", "/api/v1/lessons/" + data.lessonId + "/progress", {
      position_seconds: player.currentTime, watched_seconds: Math.min(watched, player.duration || watched),
      playback_rate: Math.min(Math.max(player.playbackRate, 0.25), 4),
    });
    if (result.ok && result.data.completed) status.textContent = "✓";
  }
  /* Chapters: markers placed on the bar from their data (the CSP allows no inline styles),
     a click seeks instead of reloading, the chapter playing now is marked. */
  const marks = Array.from(document.querySelectorAll("[data-chapter-start]"));
  document.querySelectorAll(".chapter-mark").forEach((mark) => {
    mark.style.left = mark.dataset.left + "%";
    mark.style.width = mark.dataset.width + "%";
  });
  marks.forEach((mark) => mark.addEventListener("click", (event) => {
    event.preventDefault();
    player.currentTime = Number(mark.dataset.chapterStart);
    player.play().catch(() => {});
  }));
  player.addEventListener("timeupdate", () => {
    const now = player.currentTime;
    marks.forEach((mark) => {
      const on = now >= Number(mark.dataset.chapterStart) && now < Number(mark.dataset.chapterEnd);
      mark.classList.toggle("current", on);
      if (on) mark.setAttribute("aria-current", "true"); else mark.removeAttribute("aria-current");
    });
  });
  setInterval(() => { if (!player.paused) save(); }, 5000);
  player.addEventListener("pause", save);
  player.addEventListener("ratechange", save);
  player.addEventListener("ended", save);
  window.addEventListener("pagehide", save);
})();
