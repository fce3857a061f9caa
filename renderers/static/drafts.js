/* biaoge fill page: never lose a keystroke.
 * - Every change is kept at once in the browser (localStorage) and, a moment later, on the server
 *   as the person's 草稿 (POST data-draft-url); reopening the form brings the values back.
 * - Leaving with unsubmitted changes asks first (beforeunload).
 * - Submitting goes through fetch with an Idempotency-Key; without a connection the submission
 *   waits in the outbox (localStorage) and is sent when the connection returns — the key makes
 *   the server store it exactly once however often it is retried.
 * - A service worker (/sw.js) keeps the fill pages the person has opened working offline.
 * Without this script the form still posts as a plain HTML form. */
(function () {
  "use strict";
  var form = document.getElementById("biaoge-form");
  if (!form || !form.getAttribute("data-form-key")) return;
  var LOCAL = "biaoge:draft:" + form.getAttribute("data-form-key"), OUTBOX = "biaoge:outbox";
  var SKIP = { csrf_token: 1, draft_id: 1, idempotency_key: 1 };
  var status = document.getElementById("save-status");
  var idInput = form.querySelector('input[name="draft_id"]');
  var csrfInput = form.querySelector('input[name="csrf_token"]');
  var csrf = csrfInput ? csrfInput.value : "";
  var dirty = false, submitting = false, timer = null, flushing = false;
  var storage = null;
  try { storage = window.localStorage; storage.getItem(LOCAL); } catch (e) { storage = null; }

  function newId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function say(text, link) {
    if (!status) return;
    status.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = "查看记录";
      status.appendChild(document.createTextNode(" "));
      status.appendChild(a);
    }
  }

  function clock() {
    var d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) + ":" + ("0" + d.getSeconds()).slice(-2);
  }

  function read(key) {
    if (!storage) return null;
    try { return JSON.parse(storage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function write(key, value) {
    if (!storage) return false;
    try { storage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; }
  }

  /* What the person has typed, as (name, value) pairs in page order. */
  function pairs() {
    var out = [], els = form.querySelectorAll("input[name], select[name], textarea[name]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (SKIP[el.name] || el.name.indexOf("__i__") >= 0 || el.disabled) continue;
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) out.push([el.name, el.value]); }
      else if (el.value !== "") out.push([el.name, el.value]);
    }
    return out;
  }

  function ensureRow(name) {
    var m = /^(.*)\.(\d+)\.[^.]+$/.exec(name);
    if (!m) return;
    var add = form.querySelector('button.add-row[data-table="' + m[1] + '"]');
    for (var k = 0; add && k < 1000 && !form.querySelector('[name="' + name + '"]'); k++) add.click();
  }

  function apply(list) {
    var named = {};
    list.forEach(function (p) { named[p[0]] = true; });
    Object.keys(named).forEach(function (name) {
      ensureRow(name);
      var els = form.querySelectorAll('[name="' + name + '"]');
      for (var i = 0; i < els.length; i++) if (els[i].type === "radio" || els[i].type === "checkbox") els[i].checked = false;
    });
    list.forEach(function (p) {
      var els = form.querySelectorAll('[name="' + p[0] + '"]');
      for (var i = 0; i < els.length; i++) {
        var el = els[i];
        if (el.type === "radio" || el.type === "checkbox") { if (el.value === p[1]) el.checked = true; }
        else el.value = p[1];
      }
    });
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function saveLocal() {
    return write(LOCAL, { id: idInput.value, pairs: pairs(), saved: Date.now() });
  }

  function saveServer() {
    var url = form.getAttribute("data-draft-url");
    if (!url || !window.fetch) return;
    fetch(url.replace("__id__", idInput.value), {
      method: "POST", credentials: "same-origin", body: JSON.stringify({ pairs: pairs() }),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }
    }).then(function (r) {
      say(r.ok ? "草稿已保存（" + clock() + "），可在“我的草稿”中继续填写。" : "草稿已保存在本机。");
    }).catch(function () { say("草稿已保存在本机，联网后再同步到服务器。"); });
  }

  function changed() {
    if (submitting) return;
    dirty = true;
    saveLocal();
    clearTimeout(timer);
    timer = setTimeout(saveServer, 1200);
  }

  /* ---- submitting, online or not */
  function outbox() { return read(OUTBOX) || []; }

  function send(item) {
    return fetch(item.url, {
      method: "POST", credentials: "same-origin", body: item.body,
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": item.key }
    }).then(function (resp) {
      if (resp.ok && /\/records\/\d+/.test(resp.url)) return { stored: resp.url };
      if (resp.status === 422 || resp.status === 400 || resp.status === 403) return { refused: resp.status };
      throw new Error("HTTP " + resp.status);          // 409 (still being stored), 5xx: try again later
    });
  }

  function queue(item) {
    var box = outbox();
    if (!box.some(function (b) { return b.key === item.key; })) box.push(item);
    if (!write(OUTBOX, box)) { say("当前没有网络，本机存储已满，提交未能保存，请联网后再提交。"); return false; }
    if (storage) storage.removeItem(LOCAL);
    dirty = false;
    say("当前没有网络：已保存在本机，联网后会自动提交（不会重复提交）。");
    return true;
  }

  function flush() {
    if (flushing || !window.fetch) return;
    var box = outbox();
    if (!box.length) return;
    flushing = true;
    var item = box[0];
    send(item).then(function (r) {
      write(OUTBOX, outbox().filter(function (b) { return b.key !== item.key; }));
      if (r.stored) say("离线时填写的「" + item.title + "」已提交。", r.stored);
      else {
        write("biaoge:draft:" + item.form, { id: item.draft, pairs: item.pairs, saved: Date.now() });
        say("离线时填写的「" + item.title + "」未能提交（内容有误），已存为草稿，请打开该表单修改后再提交。");
      }
      flushing = false;
      flush();
    }).catch(function () { flushing = false; });
  }

  form.addEventListener("submit", function (ev) {
    if (!window.fetch || !window.URLSearchParams || submitting) return;
    ev.preventDefault();
    submitting = true;
    clearTimeout(timer);
    var keyInput = form.querySelector('input[name="idempotency_key"]');
    if (!keyInput) {
      keyInput = document.createElement("input");
      keyInput.type = "hidden";
      keyInput.name = "idempotency_key";
      keyInput.value = newId() + newId();
      form.appendChild(keyInput);
    }
    var body = new URLSearchParams(), els = form.querySelectorAll("input[name], select[name], textarea[name]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.disabled || el.name.indexOf("__i__") >= 0) continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      body.append(el.name, el.value);
    }
    var item = { url: form.action, body: body.toString(), key: keyInput.value, title: document.title.split(" - ")[0],
                 form: form.getAttribute("data-form-key"), draft: idInput.value, pairs: pairs(), at: Date.now() };
    say("正在提交……");
    send(item).then(function (r) {
      if (r.stored) {
        if (storage) storage.removeItem(LOCAL);
        dirty = false;
        window.location.href = r.stored;
      } else {
        form.submit();            // the server's page says what to correct (nothing was stored)
      }
    }).catch(function () {
      if (!queue(item)) submitting = false;
      else { submitting = false; keyInput.remove(); form.reset(); }
    });
  });

  window.addEventListener("beforeunload", function (ev) {
    if (dirty && !submitting) { ev.preventDefault(); ev.returnValue = ""; return ""; }
  });

  /* ---- start */
  if (!idInput.value) {
    var kept = form.hasAttribute("data-restore") ? read(LOCAL) : null;
    idInput.value = kept && kept.id ? kept.id : newId();
    if (kept && kept.pairs && kept.pairs.length) {
      apply(kept.pairs);
      dirty = true;
      say("已恢复上次未提交的内容。");
    }
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", function (ev) { if (ev.isTrusted) changed(); });
  var saveButton = form.querySelector("button.save-draft");
  if (saveButton) {
    saveButton.hidden = false;
    saveButton.addEventListener("click", function () { saveLocal(); saveServer(); dirty = false; });
  }
  window.addEventListener("online", flush);
  setInterval(flush, 15000);
  if (navigator.onLine !== false) flush();
  if (navigator.serviceWorker && form.getAttribute("data-sw")) {
    navigator.serviceWorker.register(form.getAttribute("data-sw"), { scope: "/" }).catch(function () {});
  }
})();
