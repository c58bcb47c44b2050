// The playground: controls built from /v1/models capabilities, calls through the console's proxy
// (the session's key stays on the server), a mask painted on the first image, streamed partial images.
(function () {
  "use strict";
  const API = "/console/proxy/v1";
  const form = document.getElementById("playground");
  const csrf = form.dataset.csrf;
  const maxImages = Number(form.dataset.maxImages);
  const $ = (id) => document.getElementById(id);
  const status = $("pg-status");
  const results = $("pg-results");
  const base = $("pg-base");
  const paint = $("pg-mask");
  let models = {};
  let painted = false;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children || []) node.append(child);
    return node;
  }

  function select(name, label, values) {
    const choice = el("select", {name}, values.map((v) => el("option", {value: v}, [v === "" ? "default" : v])));
    return el("label", {}, [label, choice]);
  }

  function buildControls() {
    const caps = models[$("pg-model").value].capabilities;
    const controls = $("pg-controls");
    controls.replaceChildren();
    const mode = $("pg-mode");
    const current = mode.value;
    mode.replaceChildren(...["generations", "edits", "variations"].filter((e) => caps.endpoints.includes(e))
      .map((e) => el("option", {value: e}, [e === "generations" ? "generate" : e === "edits" ? "edit" : "variation"])));
    if ([...mode.options].some((o) => o.value === current)) mode.value = current;
    if (caps.sizes.length) controls.append(select("size", "Size", ["", ...caps.sizes]));
    else if (caps.aspect_ratios.length) controls.append(select("aspect_ratio", "Aspect ratio", ["", ...caps.aspect_ratios]));
    if (caps.resolutions.length) controls.append(select("resolution", "Resolution", ["", ...caps.resolutions]));
    controls.append(el("label", {}, ["n", el("input", {name: "n", type: "number", min: 1, max: caps.n_max, value: 1})]));
    if (caps.qualities.length) controls.append(select("quality", "Quality", ["", ...caps.qualities]));
    if (caps.styles.length) controls.append(select("style", "Style", ["", ...caps.styles]));
    for (const [name, field] of Object.entries(caps.option_fields)) {
      if (field.enum) controls.append(select(name, name, ["", ...field.enum.map(String)]));
      else if (field.type === "boolean") {
        controls.append(el("label", {class: "check"}, [el("input", {name, type: "checkbox", value: "true"}), name]));
      } else if (field.type === "integer") {
        const attrs = {name, type: "number"};
        if (field.minimum !== undefined) attrs.min = field.minimum;
        if (field.maximum !== undefined) attrs.max = field.maximum;
        controls.append(el("label", {}, [name, el("input", attrs)]));
      }
    }
    modeChanged();
  }

  function modeChanged() {
    const mode = $("pg-mode").value;
    const caps = models[$("pg-model").value].capabilities;
    $("pg-inputs").hidden = mode === "generations";
    $("pg-prompt").disabled = mode === "variations";
    $("pg-mask-tools").hidden = !(mode === "edits" && caps.mask && $("pg-images").files.length);
  }

  function showFirstImage() {
    const file = $("pg-images").files[0];
    painted = false;
    if (!file) return modeChanged();
    const img = new Image();
    img.onload = () => {
      for (const canvas of [base, paint]) { canvas.width = img.naturalWidth; canvas.height = img.naturalHeight; }
      base.getContext("2d").drawImage(img, 0, 0);
      paint.getContext("2d").clearRect(0, 0, paint.width, paint.height);
      URL.revokeObjectURL(img.src);
      modeChanged();
    };
    img.src = URL.createObjectURL(file);
  }

  function strokeAt(event) {
    const box = paint.getBoundingClientRect();
    const x = (event.clientX - box.left) * paint.width / box.width;
    const y = (event.clientY - box.top) * paint.height / box.height;
    const r = Number($("pg-brush").value) * paint.width / box.width / 2;
    const ctx = paint.getContext("2d");
    ctx.fillStyle = "#e0245e";
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fill();
    painted = true;
  }

  let drawing = false;
  paint.addEventListener("pointerdown", (e) => { drawing = true; paint.setPointerCapture(e.pointerId); strokeAt(e); });
  paint.addEventListener("pointermove", (e) => { if (drawing) strokeAt(e); });
  paint.addEventListener("pointerup", () => { drawing = false; });
  $("pg-clear-mask").addEventListener("click", () => {
    paint.getContext("2d").clearRect(0, 0, paint.width, paint.height);
    painted = false;
  });

  function maskBlob() {
    // OpenAI's mask: the image's size, opaque where it stays, transparent where it is painted.
    const mask = el("canvas", {width: paint.width, height: paint.height});
    const ctx = mask.getContext("2d");
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, mask.width, mask.height);
    ctx.globalCompositeOperation = "destination-out";
    ctx.drawImage(paint, 0, 0);
    return new Promise((resolve) => mask.toBlob(resolve, "image/png"));
  }

  function fields() {
    const data = new FormData(form);
    const out = {model: data.get("model")};
    if ($("pg-mode").value !== "variations") out.prompt = data.get("prompt");
    for (const control of $("pg-controls").querySelectorAll("[name]")) {
      if (control.type === "checkbox") { if (control.checked) out[control.name] = true; }
      else if (control.value !== "") out[control.name] = control.type === "number" ? Number(control.value) : control.value;
    }
    out.response_format = "b64_json";
    return out;
  }

  async function body(mode, values) {
    if (mode === "generations") return {body: JSON.stringify(values), type: "application/json"};
    const data = new FormData();
    for (const [k, v] of Object.entries(values)) data.append(k, String(v));
    const files = [...$("pg-images").files].slice(0, mode === "variations" ? 1 : maxImages);
    for (const file of files) data.append(mode === "variations" ? "image" : "image[]", file, file.name);
    if (mode === "edits" && painted) data.append("mask", await maskBlob(), "mask.png");
    return {body: data, type: null};
  }

  function figure(b64, format, caption) {
    const src = `data:image/${format || "png"};base64,${b64}`;
    const link = el("a", {href: src, download: `imagegate.${format || "png"}`}, ["Download"]);
    return el("figure", {}, [el("img", {src, alt: "result"}), el("figcaption", {}, [el("span", {class: "cost"}, [caption]), link])]);
  }

  async function readStream(response) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let preview = null;
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
        const data = block.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
        if (!data) continue;
        const event = JSON.parse(data);
        if (event.type === "error" || event.error) throw new Error((event.error || {}).message || "stream error");
        if (event.type.endsWith(".partial_image")) {
          const next = figure(event.b64_json, event.output_format, `partial ${event.partial_image_index + 1}`);
          next.classList.add("partial");
          preview ? preview.replaceWith(next) : results.prepend(next);
          preview = next;
        } else if (event.type.endsWith(".completed")) {
          const cost = event.usage && event.usage.cost_usd !== undefined ? `$${event.usage.cost_usd}` : "";
          const done = figure(event.b64_json, event.output_format, cost);
          preview ? preview.replaceWith(done) : results.append(done);
          preview = null;
        }
      }
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const mode = $("pg-mode").value;
    const values = fields();
    const {body: payload, type} = await body(mode, values);
    const headers = {"X-CSRF-Token": csrf};
    if (type) headers["Content-Type"] = type;
    results.replaceChildren();
    status.textContent = "Running…";
    status.removeAttribute("data-error");
    $("pg-run").disabled = true;
    try {
      const response = await fetch(`${API}/images/${mode}`, {method: "POST", headers, body: payload, credentials: "same-origin"});
      if (!response.ok) {
        const text = await response.text();
        let message = text;
        try { message = JSON.parse(text).error.message; } catch (_) { /* not JSON */ }
        throw new Error(`${response.status}: ${message}`);
      }
      if (values.stream) await readStream(response);
      else {
        const answer = await response.json();
        const cost = `$${response.headers.get("x-imagegate-cost")}`;
        for (const item of answer.data) results.append(figure(item.b64_json, answer.output_format, cost));
      }
      status.textContent = "Done.";
    } catch (error) {
      status.textContent = String(error.message || error);
      status.setAttribute("data-error", "true");
    } finally {
      $("pg-run").disabled = false;
    }
  });

  $("pg-model").addEventListener("change", buildControls);
  $("pg-mode").addEventListener("change", modeChanged);
  $("pg-images").addEventListener("change", showFirstImage);

  fetch(`${API}/models`, {credentials: "same-origin"}).then((r) => r.json()).then((list) => {
    models = Object.fromEntries(list.data.map((m) => [m.id, m]));
    $("pg-model").replaceChildren(...list.data.map((m) => el("option", {value: m.id}, [m.id])));
    if (list.data.length) buildControls();
    form.dataset.ready = "true";
  });
})();
