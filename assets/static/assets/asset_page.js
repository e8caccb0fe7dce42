/* The asset page: the focal point picker, copy buttons and "make now". Plain JavaScript. */
"use strict";
(function () {
  function focalPicker() {
    const img = document.getElementById("focal-image");
    const marker = document.getElementById("focal-marker");
    const fx = document.getElementById("id_focal_x");
    const fy = document.getElementById("id_focal_y");
    const auto = document.getElementById("focal-auto-marker");
    const autoHelp = document.getElementById("focal-auto-help");
    if (!img || !marker || !fx || !fy) return;
    function place(element, x, y) {
      element.style.left = (parseFloat(x) * img.clientWidth) + "px";
      element.style.top = (parseFloat(y) * img.clientHeight) + "px";
    }
    function show() {
      const unset = fx.value === "" || fy.value === "";
      // The automatic point (dashed) stands in until the editor sets one.
      const hasAuto = auto && auto.dataset.x !== "" && auto.dataset.y !== "";
      if (hasAuto) place(auto, auto.dataset.x, auto.dataset.y);
      if (auto) auto.hidden = !(unset && hasAuto);
      if (autoHelp) autoHelp.hidden = !(unset && hasAuto);
      if (unset) { marker.hidden = true; return; }
      place(marker, fx.value, fy.value);
      marker.hidden = false;
    }
    img.addEventListener("click", (event) => {
      const box = img.getBoundingClientRect();
      fx.value = ((event.clientX - box.left) / box.width).toFixed(4);
      fy.value = ((event.clientY - box.top) / box.height).toFixed(4);
      show();
    });
    document.getElementById("focal-clear").addEventListener("click", () => { fx.value = ""; fy.value = ""; show(); });
    [fx, fy].forEach((input) => input.addEventListener("input", show));
    window.addEventListener("resize", show);
    if (img.complete) show(); else img.addEventListener("load", show);
  }

  /* The clipboard API needs a secure context (https or localhost); elsewhere, the old way. */
  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    const area = Object.assign(document.createElement("textarea"), { value: text });
    area.style.position = "fixed"; area.style.opacity = "0";
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }

  function copyButtons() {
    document.querySelectorAll("button.copy[data-copy]").forEach((button) => {
      const label = button.textContent;
      button.addEventListener("click", async () => {
        try { await copy(button.dataset.copy); button.textContent = "Copied ✓"; }
        catch (error) { button.textContent = "Copy failed"; }
        setTimeout(() => { button.textContent = label; }, 1500);
      });
    });
  }

  /* "Make now" answers JSON here, so the card updates without reloading the page. */
  function makeNow() {
    const form = document.getElementById("make-now-form");
    if (!form) return;
    document.querySelectorAll("button.make-now").forEach((button) => {
      button.addEventListener("click", async (event) => {
        event.preventDefault();
        const card = button.closest(".rendition-card");
        button.disabled = true;
        button.textContent = "Making…";
        const body = new FormData(form);
        body.append("spec", button.value);
        const response = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin" });
        const result = await response.json().catch(() => ({ code: "error", message: `HTTP ${response.status}` }));
        if (!response.ok) {
          button.disabled = false;
          button.textContent = "Make now";
          card.querySelector(".rendition-facts").append(Object.assign(document.createElement("p"), {
            className: "rendition-reason", textContent: `${result.message} (${result.code})` }));
          return;
        }
        card.className = "rendition-card is-ready";
        const state = card.querySelector(".rendition-state");
        state.className = "rendition-state is-ready"; state.textContent = "ready";
        const preview = card.querySelector(".rendition-preview");
        const link = Object.assign(document.createElement("a"), { href: result.url, target: "_blank", rel: "noopener" });
        link.append(Object.assign(document.createElement("img"), { src: result.url, alt: "" }));
        preview.replaceChildren(link);
        const size = card.querySelector(".rendition-size");
        size.textContent = size.textContent.split("·")[0].trim() + result.variants.map((v) => ` · ${v.format} ${(v.byte_size / 1024).toFixed(1)} KB`).join("");
        button.remove();
      });
    });
  }

  /* A button that changes what the consuming app sees asks first (Restore). */
  function confirmations() {
    document.querySelectorAll("button[data-confirm]").forEach((button) => {
      button.addEventListener("click", (event) => {
        if (!window.confirm(button.dataset.confirm)) event.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => { focalPicker(); copyButtons(); makeNow(); confirmations(); });
})();
