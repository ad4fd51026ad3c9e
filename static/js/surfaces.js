/* Recommendation surfaces on the video and course pages: similar videos, "students also
   bought" and the recommended course call-to-action, all from one answer of
   GET /api/v1/recommendations/similar/<item_key>; and "up next" after a video, from
   GET /api/v1/recommendations/up-next/<item_key> (its cards' surface is "up_next").

   Fetched here rather than rendered by the page views: those views live in `courses`, which may
   not import `recommendations` (.importlinter), the answer is cached per model version on the
   server, and the page stays complete without it. Every section starts hidden and is shown only
   when the answer has something for it; an error, a 404 (no active model version, malformed
   key) or an empty list leaves it hidden. Text goes in through textContent only.

   Events (no card-click type exists in analytics, and video.cta_clicked counts course CTA clicks
   per video): a card or CTA seen → video.impression with props {surface, model_version, from};
   a click is remembered for the next page (sessionStorage, see `remember`/`arrival`), whose
   own events then carry the same props plus clicked: true, so the click-through is the next
   page's video.impression or course.viewed. */
(function () {
  "use strict";
  const VIA_KEY = "kf_via";
  const VIA_MAX_AGE_MS = 120000;

  /* A recommendation list answer, or null when there is nothing to show. */
  async function load(path) {
    let result;
    try {
      result = await KF.api("GET", path);
    } catch (e) {
      return null; /* offline: the page works without the surfaces */
    }
    if (!result.ok || !result.data || !Array.isArray(result.data.results)) return null;
    return { modelVersion: result.data.model_version, results: result.data.results };
  }

  function similar(itemKey) {
    return load("/api/v1/recommendations/similar/" + encodeURIComponent(itemKey) + "?limit=20");
  }

  /* "Up next" after an item: the sequence model's list (similar items when it is absent). */
  function upNext(itemKey) {
    return load("/api/v1/recommendations/up-next/" + encodeURIComponent(itemKey) + "?limit=10");
  }

  /* "Courses for you": the viewer's course list (trending courses when not personalised). */
  function coursesForYou(limit) {
    return load("/api/v1/recommendations/courses?limit=" + limit);
  }

  /* Money as common.money.format_money writes it: ¥19.90, or 19.90 元 in Chinese. */
  const EXPONENT = { JPY: 0, KRW: 0 };
  const SYMBOL = { CNY: "¥", USD: "$", EUR: "€", GBP: "£", JPY: "¥", HKD: "HK$" };
  function money(minor, currency) {
    const digits = currency in EXPONENT ? EXPONENT[currency] : 2;
    const number = (minor / Math.pow(10, digits)).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    if (document.documentElement.lang.startsWith("zh") && currency === "CNY") return number + " 元";
    return SYMBOL[currency] ? SYMBOL[currency] + number : number + " " + currency;
  }

  function price(course, freeText) {
    return course.price_minor ? money(course.price_minor, course.currency) : freeText;
  }

  /* A click on a recommendation: the next page reads it back with `arrival`. */
  function remember(itemKey, props) {
    try {
      sessionStorage.setItem(VIA_KEY, JSON.stringify(Object.assign({ key: itemKey, at: Date.now() }, props)));
    } catch (e) { /* storage blocked: the click goes unattributed */ }
  }

  /* {surface, from, model_version, clicked} when this page was opened from a recommendation of
     `itemKey` a moment ago, else null. Read once: a reload is not a second click. */
  function arrival(itemKey) {
    let via = null;
    try {
      via = JSON.parse(sessionStorage.getItem(VIA_KEY) || "null");
      sessionStorage.removeItem(VIA_KEY);
    } catch (e) {
      return null;
    }
    if (!via || via.key !== itemKey || !(Date.now() - via.at < VIA_MAX_AGE_MS)) return null;
    return { surface: via.surface, from: via.from, model_version: via.model_version, clicked: true };
  }

  /* One video.impression per element, once at least half of it has been on screen. */
  const seen = new WeakSet();
  const observer = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting || seen.has(entry.target)) continue;
      seen.add(entry.target);
      observer.unobserve(entry.target);
      KF.track("video.impression", entry.target.impression);
    }
  }, { threshold: 0.5 }) : null;

  function watch(node, fields) {
    node.impression = fields;
    if (observer) observer.observe(node);
    else KF.track("video.impression", fields);
  }

  /* "<creator> · rest": the name links to their page when they have one. */
  function byline(node, creator, rest) {
    node.replaceChildren();
    if (creator.url) {
      const link = document.createElement("a");
      link.className = "creator-link";
      link.href = creator.url;
      link.textContent = creator.name;
      node.append(link);
    } else {
      node.append(creator.name);
    }
    node.append(rest);
  }

  function clone(templateId) {
    return document.getElementById(templateId).content.firstElementChild.cloneNode(true);
  }

  function videoCard(video, context) {
    const node = clone("rec-video-card");
    const href = "/v/" + video.id + "/";
    node.querySelectorAll("a").forEach((a) => { a.href = href; });
    const img = node.querySelector("img");
    if (video.poster_url) img.src = video.poster_url; else img.remove();
    const duration = node.querySelector(".duration"); /* its wording comes from the template, translated */
    duration.textContent = (duration.dataset.format || "{s} s").replace("{s}", Math.round(video.duration_seconds));
    node.querySelector(".title").textContent = video.title;
    byline(node.querySelector(".meta"), video.creator, " · ♥ " + video.like_count);
    node.dataset.itemKey = "v" + video.id;
    const props = { surface: context.surface, model_version: context.modelVersion, from: context.from };
    if (typeof context.propensity === "number") props.propensity = context.propensity;
    watch(node, { video_id: video.id, creator_id: video.creator.id, course_id: video.course ? video.course.id : null, props });
    node.addEventListener("click", (event) => { if (event.target.closest("a")) remember("v" + video.id, props); });
    return node;
  }

  /* The cover image, or the placeholder of the course's tone and initial, as
     templates/partials/course_cover.html draws them. */
  function cover(node, course, href) {
    node.querySelector(".cover-link").href = href;
    if (course.cover_url) {
      const img = node.querySelector("img.cover");
      img.src = course.cover_url;
      img.alt = img.dataset.format.replace("{title}", course.title);
      img.hidden = false;
      return;
    }
    const placeholder = node.querySelector(".cover-placeholder");
    placeholder.classList.add("tone-" + course.cover_tone);
    placeholder.firstElementChild.textContent = (course.title.trim()[0] || "·").toUpperCase();
    placeholder.hidden = false;
  }

  function courseCard(course, context, freeText, reason) {
    const node = clone("rec-course-card");
    const why = node.querySelector(".reason");
    if (why && reason) { why.textContent = reason; why.hidden = false; }
    const link = node.querySelector("a.title");
    link.href = "/c/" + encodeURIComponent(course.slug) + "/";
    link.textContent = course.title;
    cover(node, course, link.href);
    node.querySelector(".summary").textContent = course.summary;
    byline(node.querySelector(".meta"), course.creator, " · " + course.category_name);
    node.querySelector(".price").textContent = price(course, freeText);
    node.dataset.itemKey = "c" + course.id;
    const props = { surface: context.surface, model_version: context.modelVersion, from: context.from };
    if (typeof context.propensity === "number") props.propensity = context.propensity;
    watch(node, { course_id: course.id, creator_id: course.creator.id, props });
    link.addEventListener("click", () => remember("c" + course.id, props));
    return node;
  }

  /* Fill one hidden <section> (its [data-rec-list]) with up to `limit` cards of `kind`
     ("video" or "course"), skipping the item keys in the Set `exclude`; show it when any. */
  function fill(section, answer, kind, limit, exclude) {
    if (!section || !answer) return 0;
    const context = { surface: section.dataset.recSurface, modelVersion: answer.modelVersion, from: section.dataset.recItem };
    const freeText = section.dataset.free || "";
    const list = section.querySelector("[data-rec-list]");
    const showReasons = "recReasons" in section.dataset;
    const items = answer.results.filter((r) => r.type === kind && r[kind])
      .filter((r) => !exclude.has(kind[0] + r[kind].id)).slice(0, limit);
    list.replaceChildren();
    section.hidden = items.length === 0;
    /* Each card's impression logs serving's propensity of it (1 on these ranked lists). */
    items.forEach((r) => list.append(kind === "video"
      ? videoCard(r[kind], Object.assign({ propensity: r.propensity }, context))
      : courseCard(r[kind], Object.assign({ propensity: r.propensity }, context), freeText, showReasons ? r.reason : "")));
    return items.length;
  }

  /* The best course for a video without its creator's own: the first course in the answer. */
  function courseCta(cta, answer, videoId) {
    if (!cta || !answer) return null;
    const hit = answer.results.find((r) => r.type === "course" && r.course);
    if (!hit) return null;
    const course = hit.course;
    cta.href = "/c/" + encodeURIComponent(course.slug) + "/?from_video=" + videoId;
    cta.querySelector(".cta-title").textContent = course.title;
    cta.querySelector(".price").textContent = price(course, cta.dataset.free || "");
    cta.hidden = false;
    const props = { surface: "cta_recommended", model_version: answer.modelVersion, from: "v" + videoId };
    cta.dataset.itemKey = "c" + course.id;
    watch(cta, { course_id: course.id, creator_id: course.creator.id, props });
    cta.addEventListener("click", () => {
      remember("c" + course.id, props);
      KF.track("video.cta_clicked", { video_id: Number(videoId), course_id: course.id, props });
      KF.flush();
    });
    return course;
  }

  window.KF.surfaces = { similar, upNext, coursesForYou, fill, courseCta, arrival, money };
})();
