/* The vertical feed: one video per screen, autoplay muted, endless scroll, watch tracking. */
(function () {
  "use strict";
  const root = document.getElementById("feed");
  if (!root) return;
  const list = document.getElementById("feed-list");
  const statusEl = document.getElementById("feed-status");
  const template = document.getElementById("feed-item-template");
  const stringsEl = document.getElementById("feed-strings");
  window.KF_STRINGS = stringsEl ? JSON.parse(stringsEl.textContent) : {};
  const S = window.KF_STRINGS;
  const loggedIn = root.dataset.user === "1";
  const HEARTBEAT_MS = 5000;

  const state = { tab: null, next: null, offset: 0, loading: false, done: false, modelVersion: null, shown: new Set() };

  function endpoint() {
    if (state.tab === "for_you") return "/api/v1/recommendations/feed?limit=8&offset=" + state.offset;
    if (state.next) return state.next;
    const following = state.tab === "following" ? "&following=true" : "";
    const sort = state.tab === "trending" ? "trending" : "latest";
    return "/api/v1/videos?limit=8&sort=" + sort + following;
  }

  async function loadMore() {
    if (state.loading || state.done) return;
    if (state.tab === "following" && !loggedIn) { statusEl.textContent = S.login_following; state.done = true; return; }
    state.loading = true;
    statusEl.textContent = S.loading;
    const result = await KF.api("GET", endpoint());
    state.loading = false;
    if (!result.ok) { statusEl.textContent = (result.data && result.data.message) || S.error; return; }
    let entries;
    if (state.tab === "for_you") {
      state.modelVersion = result.data.model_version;
      entries = result.data.results.filter((r) => r.video).map((r) => ({ video: r.video, reason: r.reason, propensity: r.propensity, candidates: r.explore_candidates }));
      state.offset += result.data.results.length;
      state.done = result.data.results.length === 0;
    } else {
      entries = result.data.results.map((video) => ({ video, reason: "" }));
      state.next = result.data.next;
      state.done = !result.data.next;
    }
    /* A like between pages re-ranks the rest: never show one video twice. */
    entries.filter((entry) => !state.shown.has(entry.video.id)).forEach((entry) => {
      state.shown.add(entry.video.id);
      list.append(render(entry));
    });
    statusEl.textContent = state.done ? (list.children.length ? S.end : S.empty) : "";
  }

  function render({ video, reason, propensity, candidates }) {
    const node = template.content.firstElementChild.cloneNode(true);
    node.dataset.videoId = video.id;
    node.dataset.creatorId = video.creator.id;
    node.dataset.duration = video.duration_seconds;
    const player = node.querySelector("video");
    player.src = video.video_url;
    /* Portrait clips fill the frame (cover); a landscape clip is shown whole, with bars. */
    player.addEventListener("loadedmetadata", () => player.classList.toggle("landscape", player.videoWidth > player.videoHeight), { once: true });
    if (video.poster_url) player.poster = video.poster_url;
    if (video.captions) {
      const track = document.createElement("track");
      Object.assign(track, { kind: "subtitles", src: video.captions.url, srclang: video.captions.language, label: S.subtitles, default: true });
      player.append(track);
    }
    player.setAttribute("aria-label", video.title);
    node.querySelector(".reason").textContent = reason || "";
    const creator = node.querySelector(".creator-name");
    creator.textContent = "@" + video.creator.name;
    const titleLink = node.querySelector(".title a");
    titleLink.textContent = video.title;
    titleLink.href = "/v/" + video.id + "/";
    node.querySelector(".tags").textContent = video.tags.map((t) => "#" + t).join(" ");
    if (video.course) {
      const cta = node.querySelector(".cta");
      cta.hidden = false;
      cta.href = "/c/" + encodeURIComponent(video.course.slug) + "/?from_video=" + video.id;
      cta.querySelector(".cta-title").textContent = video.course.title;
      cta.querySelector(".price").textContent = video.course.price_minor ? "¥" + (video.course.price_minor / 100).toFixed(2) : S.free;
      cta.addEventListener("click", () => track(node, "video.cta_clicked", { course_id: video.course.id }));
    }
    const viewer = video.viewer || {};
    setButton(node, "like", viewer.liked, video.like_count);
    setButton(node, "favorite", viewer.favorited, video.favorite_count);
    setButton(node, "comments", false, video.comment_count);
    setButton(node, "share", false, video.share_count);
    const follow = node.querySelector(".follow-btn");
    follow.setAttribute("aria-pressed", String(Boolean(viewer.following_creator)));
    follow.textContent = viewer.following_creator ? S.following : S.follow;
    node.resume = { position: viewer.position_seconds || 0, rate: viewer.playback_rate || 1 };
    node.addEventListener("click", onAction);
    node.querySelector(".sound-toggle").addEventListener("click", () => toggleSound(node));
    player.addEventListener("click", () => toggleSound(node));
    /* Serving's probability of this pick here (below 1 for an exploration pick): every impression
       logs it, so the A/B report can estimate other exploration policies off-policy. */
    node.propensity = typeof propensity === "number" ? propensity : null;
    node.candidates = typeof candidates === "number" ? candidates : null;
    wireTracking(node, video);
    observer.observe(node);
    return node;
  }

  function setButton(node, action, active, count) {
    const button = node.querySelector('[data-action="' + action + '"]');
    if (!button) return;
    if (button.hasAttribute("aria-pressed")) button.setAttribute("aria-pressed", String(Boolean(active)));
    const countEl = button.querySelector(".count");
    if (countEl) countEl.textContent = count;
  }

  function toggleSound(node) {
    const player = node.querySelector("video");
    player.muted = !player.muted;
    const button = node.querySelector(".sound-toggle");
    button.setAttribute("aria-pressed", String(!player.muted));
    button.querySelector("use").setAttribute("href", player.muted ? "#i-sound-off" : "#i-sound-on");
    if (player.paused) player.play().catch(() => {});
  }

  async function onAction(event) {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const node = button.closest(".feed-item");
    const id = node.dataset.videoId;
    const action = button.dataset.action;
    const countEl = button.querySelector(".count");
    if (action === "share") { await KF.share(id, countEl); statusEl.textContent = S.copied; return; }
    if (action === "comments") {
      KF.drawer.open(id, (delta) => { countEl.textContent = Number(countEl.textContent) + delta; });
      return;
    }
    if (!loggedIn) { KF.loginRequired(root); return; }
    if (action === "like" || action === "favorite") {
      if ((await KF.toggle(button, "/api/v1/videos/" + id + "/" + action, countEl)) === "login") KF.loginRequired(root);
    } else if (action === "follow") {
      const outcome = await KF.toggle(button, "/api/v1/creators/" + node.dataset.creatorId + "/follow");
      if (outcome === "ok") button.textContent = button.getAttribute("aria-pressed") === "true" ? S.following : S.follow;
    } else if (action === "not-interested") {
      const result = await KF.api("POST", "/api/v1/videos/" + id + "/not-interested");
      if (result.ok) { node.classList.add("dismissed"); node.querySelector("video").pause(); statusEl.textContent = S.hidden; }
    }
  }

  /* Watch tracking: impression, play, heartbeats with watched seconds, complete, swipe-away. */
  function track(node, type, extra) {
    const video = node.video;
    KF.track(type, Object.assign({
      video_id: video.id, creator_id: video.creator.id, course_id: video.course ? video.course.id : null,
      props: { tab: state.tab, model_version: state.modelVersion },
    }, extra || {}));
  }

  function impressionProps(node) {
    const props = { tab: state.tab, model_version: state.modelVersion };
    if (node.propensity !== null) props.propensity = node.propensity;
    if (node.candidates !== null) props.explore_candidates = node.candidates;
    return { props };
  }

  function wireTracking(node, video) {
    node.video = video;
    node.watched = 0;
    node.lastTime = 0;
    const player = node.querySelector("video");
    player.addEventListener("timeupdate", () => {
      const delta = player.currentTime - node.lastTime;
      if (delta > 0 && delta < 1.5) node.watched += delta; /* seeks do not count as watching */
      node.lastTime = player.currentTime;
      if (!node.completed && player.duration && player.currentTime >= player.duration * 0.95) {
        node.completed = true;
        track(node, "video.completed", { value: node.watched });
      }
    });
    player.addEventListener("playing", () => { if (!node.played) { node.played = true; track(node, "video.played"); } });
    player.addEventListener("ratechange", () => saveState(node));
  }

  function heartbeat(node) {
    if (!node || node.querySelector("video").paused) return;
    track(node, "video.progress", { value: Number(node.watched.toFixed(2)), props: { position: node.querySelector("video").currentTime, tab: state.tab, model_version: state.modelVersion } });
    saveState(node);
  }

  function saveState(node) {
    if (!loggedIn) return;
    const player = node.querySelector("video");
    KF.api("PUT", "/api/v1/videos/" + node.dataset.videoId + "/watch-state", {
      position_seconds: player.currentTime, playback_rate: player.playbackRate,
    });
  }

  let current = null;
  let beat = null;
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const node = entry.target;
      const player = node.querySelector("video");
      if (entry.isIntersecting && entry.intersectionRatio >= 0.6) {
        if (current && current !== node) leave(current);
        current = node;
        if (!node.seen) { node.seen = true; track(node, "video.impression", impressionProps(node)); }
        if (node.resume.position > 1 && !node.resumed) { node.resumed = true; player.currentTime = node.resume.position; }
        player.playbackRate = node.resume.rate;
        player.play().catch(() => {});
        preloadNext(node);
        clearInterval(beat);
        beat = setInterval(() => heartbeat(current), HEARTBEAT_MS);
        if (node === list.lastElementChild || node === list.lastElementChild.previousElementSibling) loadMore();
      } else if (node === current && entry.intersectionRatio < 0.6) {
        leave(node);
        current = null;
      }
    }
  }, { threshold: [0, 0.6, 1] });

  function leave(node) {
    const player = node.querySelector("video");
    player.pause();
    heartbeat(node);
    const duration = Number(node.dataset.duration) || player.duration || 0;
    if (duration && node.watched < duration * 0.3) track(node, "video.swiped_away", { value: Number(node.watched.toFixed(2)) });
  }

  function preloadNext(node) {
    const next = node.nextElementSibling;
    if (next) next.querySelector("video").preload = "auto";
  }

  /* Keyboard: arrows move between videos, space plays/pauses, m toggles sound. */
  document.addEventListener("keydown", (event) => {
    if (!current || event.target.closest("input, textarea, select")) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const target = event.key === "ArrowDown" ? current.nextElementSibling : current.previousElementSibling;
      if (target) { event.preventDefault(); target.scrollIntoView({ behavior: "smooth" }); target.focus({ preventScroll: true }); }
    } else if (event.key === " ") {
      event.preventDefault();
      const player = current.querySelector("video");
      if (player.paused) player.play().catch(() => {}); else player.pause();
    } else if (event.key === "m") {
      toggleSound(current);
    }
  });

  function selectTab(tab) {
    if (state.tab === tab) return;
    Object.assign(state, { tab, next: null, offset: 0, loading: false, done: false, shown: new Set() });
    for (const button of root.querySelectorAll("[data-tab]")) button.setAttribute("aria-selected", String(button.dataset.tab === tab));
    if (current) leave(current);
    current = null;
    list.replaceChildren();
    history.replaceState(null, "", "?tab=" + tab);
    loadMore();
  }

  root.querySelectorAll("[data-tab]").forEach((button) => button.addEventListener("click", () => selectTab(button.dataset.tab)));
  selectTab(root.dataset.initialTab || "for_you");
})();
