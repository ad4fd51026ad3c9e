/* Resumable chunked upload for the studio (see docs/studio.md).
 *
 * <div class="uploader" data-upload-purpose="short|lesson" data-create-url=".."
 *      data-asset-url="/api/v1/studio/assets/" data-target="<input or select id>">
 * Chunks are PUT with Content-Range. On a dropped request the script asks the
 * server for the acknowledged offset (GET the session) and continues from
 * there; the session URL is kept in localStorage, so choosing the same file
 * again after closing the tab resumes too. data-state on the element says
 * where it stands: uploading, processing, ready or failed.
 */
(function () {
  "use strict";

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  // Translated texts come from common.strings.upload_strings (json_script "upload-strings").
  var STRINGS = (function () {
    var node = document.getElementById("upload-strings");
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  })();
  function t(key, fallback, values) {
    var text = STRINGS[key] || fallback;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }

  async function api(url, opts) {
    opts = opts || {};
    opts.headers = Object.assign({ "X-CSRFToken": csrf(), "Accept": "application/json" }, opts.headers || {});
    opts.credentials = "same-origin";
    var res = await fetch(url, opts);
    var body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    return { res: res, body: body };
  }

  function storageKey(purpose, file) {
    return ["kf-upload", purpose, file.name, file.size, file.lastModified].join(":");
  }

  async function openSession(el, file) {
    var key = storageKey(el.dataset.uploadPurpose, file);
    var saved = localStorage.getItem(key);
    if (saved) {
      var old = await api(saved);
      if (old.res.ok && old.body.status === "active") return old.body;
      localStorage.removeItem(key);
    }
    var made = await api(el.dataset.createUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ purpose: el.dataset.uploadPurpose, filename: file.name, size_bytes: file.size })
    });
    if (!made.res.ok) throw new Error((made.body && made.body.message) || t("start_failed", "Could not start the upload."));
    localStorage.setItem(key, made.body.upload_url);
    return made.body;
  }

  async function send(el, file, say) {
    var bar = el.querySelector("progress");
    var session = await openSession(el, file);
    var offset = session.offset;
    var failures = 0;
    while (offset < file.size) {
      var end = Math.min(offset + session.chunk_bytes, file.size);
      var reply;
      try {
        reply = await api(session.upload_url, {
          method: "PUT",
          headers: { "Content-Type": "application/octet-stream", "Content-Range": "bytes " + offset + "-" + (end - 1) + "/" + file.size },
          body: file.slice(offset, end)
        });
      } catch (err) {
        failures += 1;
        if (failures > 8) throw new Error(t("dropping", "The connection keeps dropping; choose the file again to resume."));
        say(t("resuming", "Connection lost; resuming…"));
        await sleep(Math.min(250 * Math.pow(2, failures), 8000));
        try {
          var now = await api(session.upload_url);
          if (now.res.ok) { session = now.body; offset = session.offset; }
        } catch (e) { /* still offline: retry the same chunk */ }
        continue;
      }
      if (reply.res.status === 409 && reply.body && reply.body.code === "offset_mismatch") {
        offset = reply.body.extra.offset;
        continue;
      }
      if (!reply.res.ok) {
        localStorage.removeItem(storageKey(el.dataset.uploadPurpose, file));
        throw new Error((reply.body && reply.body.message) || t("upload_failed", "Upload failed ({status}).", { status: reply.res.status }));
      }
      failures = 0;
      session = reply.body;
      offset = session.offset;
      var pct = Math.floor((100 * offset) / file.size);
      bar.value = pct;
      bar.textContent = pct + "%";
      say(t("uploaded", "Uploaded {percent}%", { percent: pct }));
    }
    localStorage.removeItem(storageKey(el.dataset.uploadPurpose, file));
    return session.asset;
  }

  function attach(el, asset) {
    var target = document.getElementById(el.dataset.target || "");
    if (!target) return;
    if (target.tagName === "SELECT") {
      var option = document.createElement("option");
      option.value = asset.id;
      option.textContent = "#" + asset.id + " · " + t("new_upload", "new upload");
      target.appendChild(option);
    }
    target.value = asset.id;
  }

  async function watch(el, asset, say) {
    var url = el.dataset.assetUrl + asset.id;
    for (;;) {
      if (asset.status === "ready") {
        el.dataset.state = "ready";
        say(t("ready", "Ready: {seconds} s, {width}×{height}.", { seconds: Math.round(asset.duration_seconds), width: asset.width, height: asset.height }));
        return;
      }
      if (asset.status === "failed") {
        el.dataset.state = "failed";
        say(t("failed", "Failed: {reason}", { reason: asset.failure_reason }));
        if (asset.retryable) offerRetry(el, asset, say);
        return;
      }
      el.dataset.state = "processing";
      say(t("processing", "Processing…"));
      await sleep(1500);
      var now = await api(url);
      if (now.res.ok) asset = now.body;
    }
  }

  function offerRetry(el, asset, say) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small";
    button.textContent = t("retry", "Retry");
    button.addEventListener("click", async function () {
      button.remove();
      var r = await api(el.dataset.assetUrl + asset.id + "/retry", { method: "POST" });
      if (r.res.ok) watch(el, r.body, say); else say((r.body && r.body.message) || t("retry_failed", "Retry failed."));
    });
    el.querySelector(".upload-status").after(button);
  }

  function init(el) {
    var input = el.querySelector("input[type=file]");
    var status = el.querySelector(".upload-status");
    function say(text) { status.textContent = text; }
    input.addEventListener("change", async function () {
      var file = input.files[0];
      if (!file) return;
      el.dataset.state = "uploading";
      try {
        var asset = await send(el, file, say);
        el.dataset.assetId = asset.id;
        attach(el, asset);
        await watch(el, asset, say);
      } catch (err) {
        el.dataset.state = "error";
        say(err.message);
      }
    });
  }

  document.querySelectorAll(".uploader").forEach(init);
})();
