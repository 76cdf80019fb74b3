// The facetrust page: upload → POST /v1/scan → boxes, verdicts and scores; past scans from /v1/scans.
"use strict";

const $ = (selector) => document.querySelector(selector);
const state = { objectUrl: null };

function token() { return $("#token").value || localStorage.getItem("facetrust-token") || ""; }

async function api(path, options = {}) {
  const headers = token() ? { Authorization: `Bearer ${token()}` } : {};
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({ detail: response.statusText }));
  if (response.status === 401) { $("#token-row").closest("details").open = true; }
  if (!response.ok) { throw new Error(`${response.status}: ${body.detail || response.statusText}`); }
  return body;
}

function setStatus(text, isError = false) {
  $("#status").textContent = text;
  $("#status").classList.toggle("error", isError);
}

async function scan(file) {
  if ($("#token").value) { localStorage.setItem("facetrust-token", $("#token").value); }
  const form = new FormData();
  form.append("file", file);
  if ($("#threshold").value !== "") { form.append("threshold", $("#threshold").value); }
  if ($("#video-threshold").value !== "") { form.append("video_threshold", $("#video-threshold").value); }
  if ($("#smallest-face").value !== "") { form.append("smallest_face", $("#smallest-face").value); }
  if ($("#noise-ceiling").value !== "") { form.append("noise_ceiling", $("#noise-ceiling").value); }
  form.append("uncertain_band", $("#uncertain-band").value || "0.1");
  form.append("agree", $("#agree").checked ? "true" : "false");
  form.append("emotion", $("#emotion").checked ? "true" : "false");
  form.append("explain", $("#explain").checked ? "true" : "false");
  setStatus(`scanning ${file.name}…`);
  try {
    const record = await api("/v1/scan", { method: "POST", body: form });
    if (state.objectUrl) { URL.revokeObjectURL(state.objectUrl); }
    // a still or an animated image (judged as a video) is shown; a video file is not
    state.objectUrl = file.type.startsWith("image/") ? URL.createObjectURL(file) : null;
    show(record, state.objectUrl);
    const cached = record.stored && record.stored.cached ? " (already scanned: stored result)" : "";
    setStatus(`done in ${Math.round(record.timings_ms.total)} ms${cached}`);
    loadHistory();
  } catch (error) {
    setStatus(`could not scan ${file.name}: ${error.message}`, true);
  }
}

function percent(p) { return p === null ? "–" : `${(100 * p).toFixed(1)}%`; }

function show(record, imageUrl) {
  $("#result").hidden = false;
  const verdict = record.verdict;
  $("#overall").innerHTML = "";
  const badge = document.createElement("span");
  badge.className = `badge ${verdict}`;
  badge.id = "overall-verdict";
  badge.textContent = verdict.replace("_", " ").toUpperCase();
  const summary = record.video
    ? `${record.video.tracks.length} face track(s) in ${record.video.frames.length} sampled frames, P(fake) ` +
      `${percent(record.p_fake)} (track ${record.video.deciding_track}, by ${record.video.aggregation})` +
      (record.video.deciding_segment
        ? `; strongest evidence ${record.video.deciding_segment.start.toFixed(1)}-` +
          `${record.video.deciding_segment.end.toFixed(1)} s (${record.video.deciding_segment.frames} frame(s))`
        : "")
    : `${record.faces.length} face(s), highest P(fake) ${percent(record.p_fake)}`;
  $("#overall").append(badge, ` ${record.input}: ${summary}` +
    ` — model ${record.model.name}, threshold ${record.model.threshold}` +
    (record.model.smallest_face_source === "override"
      ? `, smallest face judged ${record.model.smallest_face ? record.model.smallest_face + " px" : "none"} (set by you)` : "") +
    (record.model.noise_ceiling_source === "override"
      ? `, noisiest face called real ${record.model.noise_ceiling ? "grain " + record.model.noise_ceiling : "any"} (set by you)` : "") +
    (record.model.agree ? ", a photo's face called fake only if the soft branch agrees (set by you)" : "") +
    (record.stored ? `, scan #${record.stored.id}` : "") +
    (record.notes && record.notes.length ? `. Notes: ${record.notes.join("; ")}` : ""));
  showProvenance(record.provenance);
  showImage(record, imageUrl);
  showTimeline(record);
  const rows = record.faces.map((face, k) => {
    const where = face.time === undefined ? face.box.map(Math.round).join(", ")
      : `${face.time} s` + (face.track === undefined ? "" : `, track ${face.track}`);
    return `<tr><td>${k + 1}</td><td><span class="badge ${face.verdict}">${face.verdict}</span></td>` +
      `<td><span class="bar" style="width:${Math.round(80 * face.p_fake)}px"></span>${percent(face.p_fake)}` +
      `${routeNote(face)}</td>` +
      `<td>${where}</td><td>${expression(face)}</td><td>${heatmap(face)}</td></tr>`;
  });
  $("#faces tbody").innerHTML = rows.join("");
  $("#record").textContent = JSON.stringify(record, null, 2);
}

function showProvenance(provenance) {
  $("#provenance").hidden = !provenance;
  if (!provenance) { return; }
  $("#provenance").className = `provenance ${provenance.finding}`;
  $("#provenance-statement").textContent = provenance.statement + (provenance.error ? ` (unreadable: ${provenance.error})` : "");
}

// which route judged a face of a routed detector (the record's evidence key), as the CLI words it
const ROUTE_NOTES = {
  soft: "soft face: judged by the branch trained on blurred photos",
  grainy: "grainy face: smoothed, then judged by the branch trained on blurred photos",
};

function routeNote(face) {
  const second = face.second_opinion ? ` (second opinion, soft branch: ${percent(face.second_opinion.p_fake)})` : "";
  return Object.keys(ROUTE_NOTES).filter((key) => face.evidence && key in face.evidence)
    .map((key) => ` (${ROUTE_NOTES[key]})`).join("") + second;
}

function heatmap(face) {
  if (!face.heatmap || !face.heatmap.startsWith("data:image/png;base64,")) { return ""; }
  return `<img class="heatmap" src="${face.heatmap}" alt="heatmap of face" width="96" height="96">`;
}

function expression(face) {
  if (!face.emotion) { return ""; }
  return `${face.emotion.label} ${percent(face.emotion.scores[face.emotion.label])}`;
}

function showImage(record, imageUrl) {
  const image = $("#preview-image");
  $("#boxes").innerHTML = "";
  $("#preview").hidden = !imageUrl;
  if (!imageUrl) { return; }
  image.onload = () => {
    if (record.kind !== "image") { return; }  // an animation's faces are of many frames: the timeline shows them
    const scale = image.clientWidth / record.width;
    record.faces.forEach((face, k) => {
      const [x1, y1, x2, y2] = face.box;
      const box = document.createElement("div");
      box.className = `box ${face.verdict}`;
      Object.assign(box.style, { left: `${x1 * scale}px`, top: `${y1 * scale}px`,
        width: `${(x2 - x1) * scale}px`, height: `${(y2 - y1) * scale}px` });
      box.innerHTML = `<span>${k + 1}: ${face.verdict} ${percent(face.p_fake)}</span>`;
      $("#boxes").append(box);
    });
  };
  image.onerror = () => { $("#preview").hidden = true; };  // a format this browser cannot show (HEIC in Chromium)
  image.src = imageUrl;
}

function showTimeline(record) {
  const svg = $("#timeline");
  const points = record.faces.filter((face) => face.time !== undefined && face.time !== null);
  $("#timeline-box").hidden = points.length === 0;
  if (points.length === 0) { return; }
  const end = Math.max(...points.map((face) => face.time), 0.001);
  const x = (t) => 5 + 990 * t / end;
  const y = (p) => 150 - 140 * p;
  svg.setAttribute("viewBox", "0 0 1000 160");
  const line = `<line x1="0" x2="1000" y1="${y(record.model.threshold)}" y2="${y(record.model.threshold)}"` +
    ` stroke="#9e9e9e" stroke-dasharray="6 4"/>`;
  const dots = points.map((face) =>
    `<circle cx="${x(face.time)}" cy="${y(face.p_fake)}" r="4" class="${face.verdict}" fill="currentColor"` +
    ` style="color: var(--${face.verdict})"><title>${face.time} s: ${percent(face.p_fake)}</title></circle>`);
  svg.innerHTML = line + dots.join("");
}

async function loadHistory() {
  const verdict = $("#verdict-filter").value;
  const provenance = $("#provenance-filter").value;
  try {
    const listing = await api(`/v1/scans?limit=25${verdict ? `&verdict=${verdict}` : ""}` +
      `${provenance ? `&provenance=${provenance}` : ""}`);
    $("#scans tbody").innerHTML = listing.scans.map((s) =>
      `<tr data-id="${s.id}"><td>${s.id}</td><td>${new Date(s.scanned_at).toLocaleString()}</td>` +
      `<td>${escapeHtml(s.input)}</td><td><span class="badge ${s.verdict}">${s.verdict}</span></td>` +
      `<td>${percent(s.p_fake)}</td><td>${s.faces}</td><td>${escapeHtml((s.provenance || "").replace("_", " "))}</td></tr>`
    ).join("");
  } catch (error) {
    setStatus(`could not load past scans: ${error.message}`, true);
  }
}

function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

async function openStored(id) {
  try {
    show(await api(`/v1/scans/${id}`), null);
    setStatus(`stored scan #${id} (the image itself is not kept, only its record)`);
  } catch (error) {
    setStatus(`could not open scan #${id}: ${error.message}`, true);
  }
}

async function loadModel() {
  try {
    const info = (await api("/v1/models")).active;
    $("#model-info").textContent = `model ${info.name} (${info.version}): fake if P(fake) ≥ ` +
      `${(info.threshold + info.uncertain_band).toFixed(2)}, real if < ${(info.threshold - info.uncertain_band).toFixed(2)}` +
      (info.smallest_face ? `, uncertain in between and for every face under ${info.smallest_face} px` : "") +
      (info.noise_ceiling ? ` (a face grainier than ${info.noise_ceiling} is never called real)` : "") +
      (info.video.frame_model ? `; faces in videos by ${info.video.frame_model.name} (${info.video.frame_model.version})` : "");
    $("#threshold").placeholder = info.threshold.toFixed(2);
    $("#video-threshold").placeholder = info.video.threshold.toFixed(2);
    $("#smallest-face").placeholder = info.smallest_face ? `${info.smallest_face}` : "none";
    $("#noise-ceiling").placeholder = info.noise_ceiling ? `${info.noise_ceiling}` : "none";
    $("#agree-row").hidden = info.architecture !== "routed";  // the second opinion is a routed model's soft branch
  } catch (error) {
    $("#model-info").textContent = `model unknown: ${error.message}`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const zone = $("#drop-zone");
  $("#file-input").addEventListener("change", (event) => { if (event.target.files[0]) { scan(event.target.files[0]); } });
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    if (event.dataTransfer.files[0]) { scan(event.dataTransfer.files[0]); }
  });
  $("#verdict-filter").addEventListener("change", loadHistory);
  $("#provenance-filter").addEventListener("change", loadHistory);
  $("#scans tbody").addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (row) { openStored(row.dataset.id); }
  });
  $("#token").value = localStorage.getItem("facetrust-token") || "";
  loadModel();
  loadHistory();
});
