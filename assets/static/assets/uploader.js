/* The admin's uploader: a drop zone and a file picker; each file in its own requests, a few at a
   time, each with its own progress bar and its own result. Plain JavaScript, no build step.

   Per file: check size and type here (the server checks again) → SHA-256 → "already in the
   library?" → start a direct upload → send the bytes (straight to S3 with a presigned POST, or to
   this app on local storage) → complete (the server validates and makes the asset).
   Without JavaScript the form posts all files at once, as before. */
"use strict";
(function () {
  const MiB = 1024 * 1024;
  // First bytes of each format (the server's assets/metadata.py sniffs the same way).
  const SIGNATURES = [
    ["JPEG", [0xff, 0xd8, 0xff]],
    ["PNG", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
    ["GIF", [0x47, 0x49, 0x46, 0x38]],
    ["TIFF", [0x49, 0x49, 0x2a, 0x00]],
    ["TIFF", [0x4d, 0x4d, 0x00, 0x2a]],
    ["BMP", [0x42, 0x4d]],
  ];
  const ISO_BRANDS = { avif: "AVIF", avis: "AVIF", heic: "HEIF", heix: "HEIF", hevc: "HEIF", heim: "HEIF",
    heis: "HEIF", hevm: "HEIF", hevs: "HEIF", mif1: "HEIF", msf1: "HEIF" };
  const LABELS = { JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WebP", AVIF: "AVIF", HEIF: "HEIC" };

  function ascii(bytes, start, end) {
    return String.fromCharCode.apply(null, Array.from(bytes.slice(start, end)));
  }

  function sniff(bytes) {
    if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "WEBP";
    if (ascii(bytes, 4, 8) === "ftyp") {
      const brands = [ascii(bytes, 8, 12)];
      for (let i = 16; i + 4 <= Math.min(bytes.length, 64); i += 4) brands.push(ascii(bytes, i, i + 4));
      if (brands.some((b) => b === "avif" || b === "avis")) return "AVIF";
      const known = brands.find((b) => ISO_BRANDS[b]);
      return known ? ISO_BRANDS[known] : null;
    }
    for (const [name, signature] of SIGNATURES) {
      if (signature.every((byte, i) => bytes[i] === byte)) return name;
    }
    return null;
  }

  function humanSize(bytes) {
    if (bytes >= MiB) return (bytes / MiB).toFixed(1) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " bytes";
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  class Refusal extends Error {
    constructor(code, message) { super(message); this.code = code; }
  }

  async function json(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    if (!response.ok) {
      throw new Refusal((body && body.code) || "error", (body && body.message) || `The server answered ${response.status}.`);
    }
    return body;
  }

  function postJSON(url, data) {
    return json(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(data) });
  }

  /* The bytes, with progress: XMLHttpRequest, since fetch() reports no upload progress. */
  function send(instructions, file, onProgress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      Object.entries(instructions.fields).forEach(([name, value]) => form.append(name, value));
      form.append(instructions.file_field, file);  // last: S3 ignores fields after the file
      const xhr = new XMLHttpRequest();
      xhr.open(instructions.method, instructions.url);
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status >= 200 && xhr.status < 300) { onProgress(1); resolve(); return; }
        let code = "upload_failed", message = `Storage refused the file (HTTP ${xhr.status}).`;
        try {
          const body = JSON.parse(xhr.responseText);
          code = body.code || code; message = body.detail || body.message || message;
        } catch (error) { /* S3 answers XML: keep the generic message */ }
        reject(new Refusal(code, message));
      });
      xhr.addEventListener("error", () => reject(new Refusal("upload_failed", "The connection failed while sending the file.")));
      xhr.send(form);
    });
  }

  async function sha256(file) {
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    return Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  class Row {
    constructor(list, file) {
      this.li = document.createElement("li");
      this.li.className = "upload-item";
      this.li.dataset.state = "queued";
      const name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      const size = document.createElement("span");
      size.className = "upload-size";
      size.textContent = humanSize(file.size);
      this.bar = document.createElement("progress");
      this.bar.max = 100;
      this.bar.value = 0;
      this.bar.setAttribute("aria-label", `Upload of ${file.name}`);
      this.status = document.createElement("span");
      this.status.className = "upload-status";
      this.status.textContent = "Waiting…";
      this.li.append(name, size, this.bar, this.status);
      list.append(this.li);
    }

    state(name, text) {
      this.li.dataset.state = name;
      if (text !== undefined) this.status.textContent = text;
    }

    progress(fraction) {
      this.bar.value = Math.round(fraction * 100);
      this.state("sending", `Sending… ${this.bar.value} %`);
    }

    refuse(code, message) {
      this.state("refused");
      this.status.replaceChildren(document.createTextNode(`${message} `), Object.assign(document.createElement("code"), { textContent: code }));
    }

    done(asset, duplicate, lookalike) {
      this.state("done");
      const link = Object.assign(document.createElement("a"), { href: asset.url, textContent: asset.title });
      this.status.replaceChildren(document.createTextNode("Added: "), link);
      if (duplicate) this.status.append(document.createTextNode(" "), this.twinNote(duplicate));
      if (lookalike) this.status.append(document.createTextNode(" "), this.lookalikeNote(lookalike));
    }

    /* A near-duplicate (perceptual hash): another file that looks like this one. */
    lookalikeNote(other) {
      const note = document.createElement("span");
      note.className = "upload-similar";
      note.append("· It looks like ", Object.assign(document.createElement("a"), { href: other.url, textContent: other.title }), ", already in the library.");
      return note;
    }

    twinNote(twin) {
      const note = document.createElement("span");
      note.className = "upload-duplicate";
      note.append("Already in the library as ", Object.assign(document.createElement("a"), { href: twin.url, textContent: twin.title }), ".");
      return note;
    }

    /* Resolves true (upload anyway) or false (skip). */
    askAboutDuplicate(twin) {
      this.state("duplicate");
      this.status.replaceChildren(this.twinNote(twin));
      return new Promise((resolve) => {
        const keep = Object.assign(document.createElement("button"), { type: "button", className: "button", textContent: "Upload anyway" });
        const skip = Object.assign(document.createElement("button"), { type: "button", className: "button", textContent: "Skip" });
        keep.addEventListener("click", () => resolve(true));
        skip.addEventListener("click", () => resolve(false));
        this.status.append(" ", keep, " ", skip);
      });
    }
  }

  class Uploader {
    constructor(root, config, fields) {
      this.config = config;
      this.fields = fields;  // () => {title, tags, …} shared by every file
      this.list = root.querySelector(".upload-list");
      this.summary = root.querySelector(".upload-summary");
      this.queue = [];
      this.active = 0;
      this.counts = { done: 0, refused: 0, skipped: 0 };
      this.total = 0;
    }

    /* Each file is checked here at once (an empty file is refused by name without waiting for
       a slot); only the files that pass wait in the queue for their turn to be sent. */
    add(files) {
      for (const file of files) {
        this.total += 1;
        const row = new Row(this.list, file);
        this.checkHere(file).then((format) => {
          this.queue.push({ file, row, format, keep: false });
          this.pump();
        }, (refusal) => {
          row.refuse(refusal.code, refusal.message);
          this.counts.refused += 1;
          this.report();
        });
      }
    }

    pump() {
      while (this.active < this.config.concurrency && this.queue.length) {
        const item = this.queue.shift();
        this.active += 1;
        this.process(item).finally(() => { this.active -= 1; this.pump(); this.report(); });
      }
    }

    async process(item) {
      const { file, row, format } = item;
      try {
        if (!item.keep && window.crypto && crypto.subtle) {
          row.state("checking", "Looking for duplicates…");
          const { duplicate } = await json(`${this.config.checkUrl}?checksum=${await sha256(file)}`);
          if (duplicate) {
            // Free the slot while the editor decides; a "keep" comes back to the front of the queue.
            row.askAboutDuplicate(duplicate).then((keep) => {
              if (!keep) { row.state("skipped", "Skipped."); this.counts.skipped += 1; this.report(); return; }
              item.keep = true;
              this.queue.unshift(item);
              this.pump();
            });
            return;
          }
        }
        const started = await postJSON(this.config.startUrl, { filename: file.name, content_type: this.config.declare[format], byte_size: file.size });
        row.progress(0);
        await send(started.instructions, file, (fraction) => row.progress(fraction));
        row.state("completing", "Checking the image…");
        const url = this.config.completeUrl.replace("00000000-0000-0000-0000-000000000000", started.upload);
        const made = await postJSON(url, this.fields());
        row.done(made.asset, made.duplicate, made.similar);
        this.counts.done += 1;
      } catch (error) {
        const refusal = error instanceof Refusal ? error : new Refusal("error", String(error));
        row.refuse(refusal.code, refusal.message);
        this.counts.refused += 1;
      }
    }

    /* Size and type, before a byte is sent (the server checks both again). */
    async checkHere(file) {
      if (file.size === 0) throw new Refusal("empty_file", "The file is empty.");
      if (file.size > this.config.maxBytes) {
        throw new Refusal("file_too_large", `The file is larger than the limit of ${humanSize(this.config.maxBytes)}.`);
      }
      const head = new Uint8Array(await file.slice(0, 64).arrayBuffer());
      const format = sniff(head);
      if (format === null) throw new Refusal("invalid_image", "The file is not an image.");
      if (!this.config.formats.includes(format)) {
        const allowed = this.config.formats.map((f) => LABELS[f] || f).join(", ");
        throw new Refusal("unsupported_format", `${LABELS[format] || format} images are not accepted (allowed: ${allowed}).`);
      }
      return format;
    }

    report() {
      const { done, refused, skipped } = this.counts;
      const finished = done + refused + skipped === this.total;
      this.summary.hidden = false;
      const parts = [`${done} added`];
      if (refused) parts.push(`${refused} refused`);
      if (skipped) parts.push(`${skipped} skipped`);
      this.summary.querySelector(".upload-counts").textContent = parts.join(", ") + (finished ? "." : " so far…");
      this.summary.dataset.finished = String(finished);
    }
  }

  function dropZone(zone, onFiles) {
    const input = zone.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach((kind) => zone.addEventListener(kind, (event) => {
      event.preventDefault();
      zone.classList.add("is-over");
    }));
    ["dragleave", "drop"].forEach((kind) => zone.addEventListener(kind, () => zone.classList.remove("is-over")));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) onFiles(Array.from(event.dataTransfer.files));
    });
    return input;
  }

  function formFields(form) {
    return () => {
      const data = {};
      ["title", "alt_text", "credit", "tags", "collection"].forEach((name) => {
        const field = form.elements.namedItem(name);
        if (field) data[name] = field.value;
      });
      return data;
    };
  }

  /* The upload page: the picker fills the queue when the form is sent; a drop sends at once. */
  function enhanceUploadPage(form, config) {
    const uploader = new Uploader(form.closest("#content-main"), config, formFields(form));
    const input = dropZone(form.querySelector(".upload-dropzone"), (files) => uploader.add(files));
    input.accept = [...config.types, ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".heic", ".heif"].join(",");
    // What is chosen, said at once: the files wait for Upload (and the fields above it).
    const chosen = Object.assign(document.createElement("p"), { className: "upload-chosen", hidden: true });
    chosen.setAttribute("aria-live", "polite");
    input.closest(".upload-dropzone").appendChild(chosen);
    const showChosen = () => {
      const names = Array.from(input.files, (file) => file.name);
      const shown = names.slice(0, 5).join(", ") + (names.length > 5 ? `, and ${names.length - 5} more` : "");
      chosen.textContent = names.length ? `${names.length === 1 ? "1 file" : `${names.length} files`} chosen: ${shown}. Press Upload to send.` : "";
      chosen.hidden = !names.length;
    };
    input.addEventListener("change", showChosen);
    form.addEventListener("submit", (event) => {
      if (!input.files.length) return;  // nothing chosen: let the server say so
      event.preventDefault();
      uploader.add(Array.from(input.files));
      input.value = "";
      showChosen();
    });
  }

  /* The library page: drop or pick, and the files go at once. */
  function enhanceLibrary(zone, config) {
    zone.hidden = false;
    const uploader = new Uploader(zone, config, () => (config.collection ? { collection: String(config.collection) } : {}));
    const input = dropZone(zone, (files) => uploader.add(files));
    input.accept = config.types.join(",");
    input.addEventListener("change", () => { uploader.add(Array.from(input.files)); input.value = ""; });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const data = document.getElementById("uploader-config");
    if (!data) return;
    const config = JSON.parse(data.textContent);
    const form = document.getElementById("asset-upload-form");
    if (form) enhanceUploadPage(form, config);
    const zone = document.getElementById("library-dropzone");
    if (zone) enhanceLibrary(zone, config);
    document.documentElement.classList.add("has-uploader");
  });

  window.damUploader = { sniff, humanSize };
})();
