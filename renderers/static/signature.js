// The decision form's signature pad: draw with a finger, a pen or the mouse; on submit the
// drawing goes with the decision as a PNG data URL (hidden input "signature"), nothing when
// the pad is empty. The canvas is at most 600 x 200 CSS px at up to 2x density (the server
// accepts at most 1200 x 600 px and 200 KB).
(function () {
  "use strict";
  var pad = document.getElementById("signature-pad");
  if (!pad) return;
  var input = document.getElementById("signature-input");
  var form = pad.closest("form");
  var ctx = pad.getContext("2d");
  var drawn = false, last = null;

  function size() {
    var ratio = Math.min(window.devicePixelRatio || 1, 2);
    var w = Math.min(pad.clientWidth || 300, 600), h = Math.min(pad.clientHeight || 150, 200);
    pad.width = Math.round(w * ratio);
    pad.height = Math.round(h * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#000";
    drawn = false;
    input.value = "";
  }

  function at(ev) {
    var r = pad.getBoundingClientRect();
    return {x: ev.clientX - r.left, y: ev.clientY - r.top};
  }

  pad.addEventListener("pointerdown", function (ev) {
    ev.preventDefault();
    pad.setPointerCapture(ev.pointerId);
    last = at(ev);
    ctx.beginPath();
    ctx.arc(last.x, last.y, 1, 0, 2 * Math.PI);
    ctx.fill();
    drawn = true;
  });
  pad.addEventListener("pointermove", function (ev) {
    if (!last) return;
    var p = at(ev);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    pad.addEventListener(name, function () { last = null; });
  });
  document.getElementById("signature-clear").addEventListener("click", function () {
    ctx.clearRect(0, 0, pad.width, pad.height);
    drawn = false;
    input.value = "";
  });
  form.addEventListener("submit", function () {
    input.value = drawn ? pad.toDataURL("image/png") : "";
  });
  size();
})();
