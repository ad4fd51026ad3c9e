/* kfplatform page helpers: API calls, the event queue, interaction buttons, comments. */
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, url, body) {
    const options = {
      method,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, data };
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  /* Events are queued and sent in batches: every 10 s, when 50 are waiting,
     and while the page hides or unloads (fetch keepalive survives unload). */
  const sessionId = sessionStorage.getItem("kf_session") || uuid();
  sessionStorage.setItem("kf_session", sessionId);
  let queue = [];

  function track(type, fields) {
    queue.push(Object.assign({ type, ts: new Date().toISOString(), client_event_id: uuid(), session_id: sessionId }, fields));
    if (queue.length >= 50) flush();
  }

  function flush() {
    if (!queue.length) return;
    const batch = queue.splice(0, 500);
    const body = JSON.stringify({ sent_at: new Date().toISOString(), events: batch });
    fetch("/api/v1/events/batch", {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body,
    }).catch(() => { queue = batch.concat(queue).slice(0, 1000); });
  }

  setInterval(flush, 10000);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });
  window.addEventListener("pagehide", flush);

  function loginRequired(root) {
    const url = (root && root.dataset.loginUrl) || "/accounts/login/?next=" + encodeURIComponent(location.pathname);
    location.href = url;
  }

  /* One toggle button (like, favourite, follow): optimistic, then the server's count wins. */
  async function toggle(button, url, countEl) {
    const active = button.getAttribute("aria-pressed") === "true";
    button.setAttribute("aria-pressed", String(!active));
    const result = await api(active ? "DELETE" : "POST", url);
    if (result.status === 401 || result.status === 403) { button.setAttribute("aria-pressed", String(active)); return "login"; }
    if (!result.ok) { button.setAttribute("aria-pressed", String(active)); return "error"; }
    if (countEl && result.data && "count" in result.data) countEl.textContent = result.data.count;
    return "ok";
  }

  async function share(videoId, countEl) {
    const link = location.origin + "/v/" + videoId + "/";
    try { await navigator.clipboard.writeText(link); } catch (e) { /* clipboard may be blocked */ }
    const result = await api("POST", "/api/v1/videos/" + videoId + "/share", { channel: "link" });
    if (countEl && result.ok) countEl.textContent = result.data.count;
    return link;
  }

  /* The comments drawer: list, post, reply, edit and delete one's own, report. */
  const drawer = {
    el: null, videoId: null, onCount: null,
    open(videoId, onCount) {
      this.el = document.getElementById("comments-drawer");
      if (!this.el) return;
      this.videoId = videoId; this.onCount = onCount;
      this.el.hidden = false;
      this.load();
      const form = document.getElementById("comment-form");
      if (form && !form.dataset.bound) { form.dataset.bound = "1"; form.addEventListener("submit", (e) => { e.preventDefault(); this.post(form); }); }
      if (!this.el.dataset.bound) {
        this.el.dataset.bound = "1";
        this.el.querySelector("[data-close]").addEventListener("click", () => { this.el.hidden = true; });
        this.el.addEventListener("click", (e) => this.onClick(e));
        this.el.addEventListener("keydown", (e) => { if (e.key === "Escape") this.el.hidden = true; });
      }
    },
    async load() {
      const list = document.getElementById("comment-list");
      const result = await api("GET", "/api/v1/videos/" + this.videoId + "/comments");
      list.replaceChildren();
      if (!result.ok) return;
      for (const comment of result.data) {
        const item = this.render(comment);
        const replies = document.createElement("ol");
        replies.className = "replies";
        comment.replies.forEach((reply) => replies.append(this.render(reply)));
        item.append(replies);
        list.append(item);
      }
    },
    render(comment) {
      /* textContent only: a comment is never parsed as HTML. */
      const li = document.createElement("li");
      li.className = "comment";
      li.dataset.id = comment.id;
      const head = document.createElement("p");
      head.className = "comment-head";
      head.textContent = comment.author + (comment.edited_at ? " · ✎" : "");
      const body = document.createElement("p");
      body.className = "comment-body";
      body.textContent = comment.body;
      const tools = document.createElement("p");
      tools.className = "comment-tools";
      const me = Number(document.body.dataset.userId || 0);
      const actions = comment.parent_id ? [] : ["reply"];
      if (me && comment.author_id === me) actions.push("edit", "delete"); else actions.push("report");
      for (const action of actions) {
        const b = document.createElement("button");
        b.type = "button"; b.className = "linklike"; b.dataset.commentAction = action;
        b.textContent = (window.KF_STRINGS && KF_STRINGS[action]) || action;
        tools.append(b);
      }
      li.append(head, body, tools);
      return li;
    },
    async post(form) {
      const errors = form.querySelector(".errors");
      const payload = { body: form.body.value };
      if (form.parent_id.value) payload.parent_id = Number(form.parent_id.value);
      const result = await api("POST", "/api/v1/videos/" + this.videoId + "/comments", payload);
      if (!result.ok) { errors.textContent = (result.data && result.data.message) || "Error"; return; }
      errors.textContent = ""; form.body.value = ""; form.parent_id.value = "";
      form.querySelector(".replying").hidden = true;
      if (this.onCount) this.onCount(1);
      this.load();
    },
    async onClick(event) {
      const form = document.getElementById("comment-form");
      if (event.target.matches("[data-cancel-reply]")) { form.parent_id.value = ""; form.querySelector(".replying").hidden = true; return; }
      const action = event.target.dataset.commentAction;
      if (!action) return;
      const item = event.target.closest(".comment");
      const id = item.dataset.id;
      if (action === "reply" && form) { form.parent_id.value = id; form.querySelector(".replying").hidden = false; form.body.focus(); }
      if (action === "delete") { await api("DELETE", "/api/v1/comments/" + id); if (this.onCount) this.onCount(-1); this.load(); }
      if (action === "edit") {
        const text = prompt("", item.querySelector(".comment-body").textContent);
        if (text) { await api("PATCH", "/api/v1/comments/" + id, { body: text }); this.load(); }
      }
      if (action === "report") {
        const result = await api("POST", "/api/v1/comments/" + id + "/report", { reason: "abuse" });
        if (result.ok) event.target.textContent = "✓";
      }
    },
  };

  window.KF = { api, track, flush, toggle, share, drawer, loginRequired, csrfToken };
})();
