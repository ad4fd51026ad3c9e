/* The home page: "Courses for you", the viewer's course recommendations with their reasons. */
(function () {
  "use strict";
  const rec = window.KF && KF.surfaces; /* absent if surfaces.js failed to load */
  const section = document.getElementById("courses-for-you");
  if (!rec || !section) return;
  rec.coursesForYou(4).then((answer) => rec.fill(section, answer, "course", 4, new Set()));
})();
