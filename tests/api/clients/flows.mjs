// A client in another language, written from docs/api.md and docs/renditions.md alone.
// Usage: DAM_URL=… DAM_API_KEY=… DAM_SIGNING_KEY=… IMAGE=photo.jpg BAD=evil.jpg node flows.mjs
import { createHmac, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";

const base = process.env.DAM_URL;
const auth = { Authorization: `Api-Key ${process.env.DAM_API_KEY}` };
const image = readFileSync(process.env.IMAGE);
const bad = readFileSync(process.env.BAD);
let passed = 0, failed = 0;

async function api(method, path, body) {
  const headers = { ...auth };
  let payload = body;
  if (body && !(body instanceof FormData)) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const response = await fetch(path.startsWith("http") ? path : `${base}/api/v1/${path}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type"), body: text ? JSON.parse(text) : null };
}

async function flow(name, fn) {
  try { await fn(); passed++; console.log(`ok   ${name}`); }
  catch (error) { failed++; console.log(`FAIL ${name}: ${error.stack}`); }
}

let asset;
await flow("401 without a key", async () => {
  const r = await fetch(`${base}/api/v1/assets/`);
  assert.equal(r.status, 401);
  assert.equal(r.headers.get("content-type"), "application/problem+json");
  assert.equal((await r.json()).code, "not_authenticated");
});
await flow("multipart create", async () => {
  const form = new FormData();
  form.append("file", new Blob([image], { type: "image/jpeg" }), "photo.jpg");
  form.append("title", "From Node"); form.append("tags", "node"); form.append("focal_point", "0.5,0.5");
  const r = await api("POST", "assets/", form);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  asset = r.body;
  assert.deepEqual(asset.tags, ["node"]);
});
await flow("refused upload has a stable code", async () => {
  const form = new FormData();
  form.append("file", new Blob([bad]), "evil.jpg");
  const r = await api("POST", "assets/", form);
  assert.equal(r.status, 400); assert.equal(r.body.code, "invalid_image");
});
await flow("list, filter, paginate", async () => {
  const r = await api("GET", "assets/?tag=node&page_size=1");
  assert.equal(r.status, 200);
  assert.equal(r.body.results[0].id, asset.id);
  assert.ok("next" in r.body && "previous" in r.body);
});
await flow("named rendition URL serves an image", async () => {
  const r = await fetch(asset.renditions.thumb.url);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), asset.renditions.thumb.content_type);
  assert.match(r.headers.get("cache-control"), /immutable/);
});
await flow("patch metadata and focal point", async () => {
  const r = await api("PATCH", `assets/${asset.id}/`, { alt_text: "alt", focal_point: { x: 0.25, y: 0.75 } });
  assert.equal(r.status, 200); assert.deepEqual(r.body.focal_point, { x: 0.25, y: 0.75, source: "editor" });
  asset = r.body;
});
await flow("signed URLs from the API", async () => {
  const r = await api("POST", `assets/${asset.id}/urls/`, { specs: ["format-png|width-40"] });
  assert.equal(r.status, 200); assert.equal(r.body.urls[0].spec, "width-40|format-png");
  const image = await fetch(r.body.urls[0].url);
  assert.equal(image.status, 200); assert.equal(image.headers.get("content-type"), "image/png");
  const invalid = await api("POST", `assets/${asset.id}/urls/`, { specs: ["fit-0x0"] });
  assert.equal(invalid.status, 400); assert.equal(invalid.body.code, "invalid_spec");
});
await flow("a URL signed by this client", async () => {
  const spec = "fit-50x50|format-webp";
  const signature = createHmac("sha256", process.env.DAM_SIGNING_KEY).update(`${asset.id}/${spec}/`).digest("hex").slice(0, 32);
  const point = spec.split("|").some((word) => word.startsWith("fill-")) ? asset.focal_point : null;
  const focal = point ? `${point.x.toFixed(4)},${point.y.toFixed(4)}` : "-";
  const key = createHash("sha256").update(`v1|${asset.checksum}|${focal}|${spec}`).digest("hex").slice(0, 20);
  const r = await fetch(`${base}/r/${asset.id}/${signature}/${encodeURIComponent(spec)}/${key}.webp`, { redirect: "manual" });
  assert.equal(r.status, 200, await r.text());
  const forged = await fetch(`${base}/r/${asset.id}/${"0".repeat(32)}/${encodeURIComponent(spec)}/${key}.webp`);
  assert.equal(forged.status, 403); assert.equal(forged.headers.get("x-error-code"), "bad_signature");
});
await flow("rendition specs", async () => {
  const r = await api("GET", "rendition-specs/");
  assert.ok(r.body.some((s) => s.name === "thumb" && s.max_width === 200));
});
await flow("direct upload: start, send, complete, complete again", async () => {
  const started = await api("POST", "uploads/", { filename: "direct.jpg", content_type: "image/jpeg", byte_size: image.length });
  assert.equal(started.status, 201);
  const early = await api("POST", `uploads/${started.body.upload.id}/complete/`, {});
  assert.equal(early.status, 409); assert.equal(early.body.code, "upload_incomplete");
  const how = started.body.instructions;
  const form = new FormData();
  for (const [k, v] of Object.entries(how.fields)) form.append(k, v);
  form.append(how.file_field, new Blob([image], { type: "image/jpeg" }), "direct.jpg");
  const sent = await fetch(how.url, { method: how.method, body: form });
  assert.ok(sent.status >= 200 && sent.status < 300, `send: ${sent.status}`);
  const done = await api("POST", `uploads/${started.body.upload.id}/complete/`, { title: "Direct" });
  assert.equal(done.status, 201); assert.equal(done.body.title, "Direct");
  const again = await api("POST", `uploads/${started.body.upload.id}/complete/`, {});
  assert.equal(again.status, 200); assert.equal(again.body.id, done.body.id);
});
await flow("delete", async () => {
  assert.equal((await api("DELETE", `assets/${asset.id}/`)).status, 204);
  const gone = await api("GET", `assets/${asset.id}/`);
  assert.equal(gone.status, 404); assert.equal(gone.body.code, "not_found");
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
