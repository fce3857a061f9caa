/* biaoge fill page, long forms: the section index follows the scroll (the part being read is marked),
 * each entry says how many required fields of its part are still empty, and the sticky action bar
 * shows the form's total as it changes. On a phone the index is a menu (closed until tapped). */
(function () {
  "use strict";
  var form = document.getElementById("biaoge-form");
  if (!form) return;
  var index = form.querySelector("details.section-index");
  var bar = form.querySelector(".bar-total");

  function parts() {
    if (!index) return [];
    return Array.prototype.map.call(index.querySelectorAll("a[href^='#']"), function (a) {
      return { link: a, badge: a.querySelector(".missing"), box: document.getElementById(a.getAttribute("href").slice(1)) };
    }).filter(function (p) { return p.box; });
  }

  function emptyRequired(box) {
    var seen = {}, n = 0, els = box.querySelectorAll("[required]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.disabled || seen[el.name]) continue;
      seen[el.name] = true;
      if (el.type === "radio" || el.type === "checkbox") {
        if (!box.querySelector('[name="' + el.name + '"]:checked')) n++;
      } else if (!el.value) n++;
    }
    return n;
  }

  var list = parts();

  function count() {
    list.forEach(function (p) {
      var n = emptyRequired(p.box);
      p.badge.hidden = n === 0;
      p.badge.textContent = n ? n + " 项未填" : "";
    });
    if (bar) {
      var outs = form.querySelectorAll("output.computed[data-kind='money']"), total = null;
      for (var i = outs.length - 1; i >= 0; i--) if (!outs[i].closest("table")) { total = outs[i]; break; }
      if (total) {
        var label = form.querySelector('label[for="' + total.id + '"]');
        bar.hidden = false;
        bar.textContent = (label ? label.firstChild.textContent.trim() : "合计") + "：" + (total.value || "0.00");
      }
    }
  }

  form.addEventListener("input", count);
  form.addEventListener("change", count);
  form.addEventListener("click", function (ev) {
    if (ev.target.closest && ev.target.closest("button")) setTimeout(count, 0);
  });
  if (index) {
    if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches) index.open = false;
    index.addEventListener("click", function (ev) {
      if (ev.target.closest("a") && window.matchMedia("(max-width: 700px)").matches) index.open = false;
    });
    var pending = false;
    var mark = function () {
      pending = false;
      var atEnd = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2;
      var line = atEnd ? window.innerHeight : window.innerHeight * 0.3, current = null;
      list.forEach(function (p) { if (!p.box.hidden && p.box.getBoundingClientRect().top <= line) current = p; });
      list.forEach(function (p) {
        if (p === current) p.link.setAttribute("aria-current", "true");
        else p.link.removeAttribute("aria-current");
      });
    };
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(mark); }
    }, { passive: true });
    mark();
  }
  count();
})();
