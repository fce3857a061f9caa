/* biaoge records list: columns sort when their header is clicked (within the page shown: by the
 * cell's data-sort value when it has one — numbers as numbers — else by its text). */
(function () {
  "use strict";
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    var heads = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(heads, function (th, col) {
      if (th.classList.contains("nosort")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var down = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        var key = function (tr) {
          var td = tr.cells[col];
          if (!td) return "";
          var v = td.hasAttribute("data-sort") ? td.getAttribute("data-sort") : td.textContent.trim();
          return v !== "" && isFinite(Number(v)) ? Number(v) : v;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b), r;
          if (typeof x === "number" && typeof y === "number") r = x - y;
          else r = String(x).localeCompare(String(y), "zh-CN");
          return down ? -r : r;
        });
        rows.forEach(function (tr) { body.appendChild(tr); });
      });
    });
  });
})();

/* biaoge records list: the archive download, with its progress and its outcome said in words.
 * Without this script the link still downloads the zip; with it, a download that breaks off
 * (the server cuts a failed archive short) is reported as failed instead of leaving a bad file. */
(function () {
  "use strict";
  var link = document.getElementById("archive-link");
  var status = document.getElementById("archive-status");
  if (!link || !status || !window.fetch || !window.ReadableStream) return;

  function say(text, failed) {
    status.textContent = text;
    status.className = failed ? "archive-status failed" : "archive-status";
    status.setAttribute("role", failed ? "alert" : "status");
  }

  function mb(n) { return (n / 1048576).toFixed(1) + " MB"; }

  /* The zip's end record (signature PK\x05\x06) and its comment: "biaoge archive: records=N failed=M". */
  function summary(bytes) {
    for (var i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
      if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 0x05 && bytes[i + 3] === 0x06) {
        var len = bytes[i + 20] | (bytes[i + 21] << 8);
        var text = String.fromCharCode.apply(null, bytes.subarray(i + 22, i + 22 + len));
        var m = /records=(\d+) failed=(\d+)/.exec(text);
        return m ? { records: +m[1], failed: +m[2] } : { records: null, failed: 0 };
      }
    }
    return null;
  }

  function save(blob) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = link.getAttribute("data-filename") || "archive.zip";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  link.addEventListener("click", function (ev) {
    ev.preventDefault();
    if (link.getAttribute("aria-busy") === "true") return;
    link.setAttribute("aria-busy", "true");
    say("正在生成归档……", false);
    var parts = [], got = 0;
    fetch(link.href, { credentials: "same-origin" }).then(function (resp) {
      if (!resp.ok) {
        return resp.text().then(function (body) {
          var m = /<p class="error-summary">([^<]*)<\/p>/.exec(body);
          throw new Error(m ? m[1] : "服务器返回错误 " + resp.status);
        });
      }
      var reader = resp.body.getReader();
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) return;
          parts.push(r.value);
          got += r.value.length;
          say("正在生成归档……已接收 " + mb(got), false);
          return pump();
        });
      }
      return pump();
    }).then(function () {
      var bytes = new Uint8Array(got), at = 0;
      parts.forEach(function (p) { bytes.set(p, at); at += p.length; });
      var info = summary(bytes);
      if (!info) throw new Error("文件不完整");
      save(new Blob([bytes], { type: "application/zip" }));
      if (info.failed) say("归档已下载，共 " + info.records + " 条记录，其中 " + info.failed + " 条生成失败，详见归档中的清单。", true);
      else say("归档已下载" + (info.records !== null ? "，共 " + info.records + " 条记录。" : "。"), false);
    }).catch(function (err) {
      var why = err && err.message && !/fetch|network|Failed/i.test(err.message) ? err.message : "下载中断，文件不完整";
      say("归档失败：" + why + "。请稍后重试；如果一再失败，请联系管理员。", true);
    }).then(function () { link.removeAttribute("aria-busy"); });
  });
})();
