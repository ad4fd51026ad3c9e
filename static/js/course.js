/* The course page: the page-view event, "students also bought" and related videos. */
(function () {
  "use strict";
  const root = document.getElementById("course-page");
  if (!root) return;
  const page = root.dataset;
  const key = "c" + page.courseId;
  const rec = KF.surfaces; /* absent if surfaces.js failed to load: the page works without */
  /* Opened from a recommendation: the page view is that click-through. */
  const via = rec ? rec.arrival(key) : null;
  KF.track("course.viewed", Object.assign(
    { course_id: Number(page.courseId), creator_id: Number(page.creatorId), video_id: Number(page.fromVideo) || null },
    via ? { props: via } : {},
  ));
  if (rec) rec.similar(key).then((answer) => {
    rec.fill(document.getElementById("also-bought"), answer, "course", 4, new Set([key]));
    rec.fill(document.getElementById("related-videos"), answer, "video", 6, new Set());
  });
})();
