/* The spec field, checked as the editor types by the server's own parser (every problem shown),
   with a preview on a sample asset and its output size. Plain JavaScript. */
"use strict";
(function () {
  const WAIT_MS = 250;  // after the last keystroke: a request per pause, not per key

  document.addEventListener("DOMContentLoaded", () => {
    const panel = document.getElementById("spec-check");
    const input = document.getElementById("id_spec");
    if (!panel || !input) return;
    const status = document.getElementById("spec-status");
    const errors = document.getElementById("spec-errors");
    const canonical = document.getElementById("spec-canonical");
    const sample = document.getElementById("spec-sample");
    const preview = document.getElementById("spec-preview");
    const size = document.getElementById("spec-size");
    let timer = null;
    let asked = 0;

    async function check() {
      const number = ++asked;
      const params = new URLSearchParams({ spec: input.value });
      if (sample) params.set("asset", sample.value);
      const response = await fetch(`${panel.dataset.checkUrl}?${params}`, { credentials: "same-origin" });
      const result = await response.json();
      if (number !== asked) return;  // a later keystroke's answer wins
      show(result);
    }

    function show(result) {
      errors.replaceChildren(...result.errors.map((message) => Object.assign(document.createElement("li"), { textContent: message })));
      errors.hidden = result.errors.length === 0;
      input.setAttribute("aria-invalid", String(result.errors.length > 0));
      panel.classList.toggle("is-invalid", result.errors.length > 0);
      if (result.errors.length) {
        status.textContent = result.errors.length === 1 ? "1 problem:" : `${result.errors.length} problems:`;
        canonical.hidden = true;
        return;
      }
      status.textContent = "Valid.";
      canonical.hidden = false;
      canonical.querySelector("code").textContent = result.canonical;
      showPreview(result.preview);
    }

    function showPreview(found) {
      if (!preview || !found) return;
      if (found.error) { size.textContent = found.error; preview.hidden = true; return; }
      size.textContent = `${found.width}×${found.height} px, ${found.format} (from ${found.asset.width}×${found.asset.height})`;
      preview.hidden = false;
      preview.onload = () => addBytes(found);
      preview.src = found.url;
    }

    /* The made file's bytes: a HEAD of the same URL (the render just happened). */
    async function addBytes(found) {
      try {
        const response = await fetch(found.url, { method: "HEAD", credentials: "same-origin" });
        const bytes = Number(response.headers.get("Content-Length"));
        if (bytes) size.textContent += ` · ${(bytes / 1024).toFixed(1)} KB`;
      } catch (error) { /* the size in pixels stands */ }
    }

    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, WAIT_MS); });
    if (sample) sample.addEventListener("change", check);
    if (input.value) check();
  });
})();
