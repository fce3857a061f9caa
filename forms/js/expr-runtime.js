/* Runtime for formulas translated by forms/expr.py (to_js).
 * Same semantics as the Python evaluator: empty counts as 0, text compares
 * without case, min/max skip empty values, round() rounds half away from zero,
 * daxie() writes RMB amounts in uppercase; date − date is days, date ± n a date;
 * a formula needing an empty date or divisor is empty (B.run gives null);
 * dividing by 0 is an error naming the divisor (B.run gives its message). */
(function (root) {
  "use strict";
  var DIGITS = "零壹贰叁肆伍陆柒捌玖", SMALL = ["", "拾", "佰", "仟"], GROUPS = ["", "万", "亿"];
  function isEmpty(v) { return v === null || v === undefined || v === ""; }
  function isNum(v) { return typeof v === "number" || typeof v === "boolean"; }
  function n(v) {
    if (isEmpty(v)) return 0;
    if (typeof v === "boolean") return v ? 1 : 0;
    if (typeof v === "number") return isFinite(v) ? v : 0;
    var x = Number(String(v).trim());
    return isFinite(x) ? x : 0;
  }
  function get(obj, path) {
    var cur = obj;
    for (var i = 0; i < path.length; i++) {
      if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return null;
      cur = Object.prototype.hasOwnProperty.call(cur, path[i]) ? cur[path[i]] : null;
    }
    return cur === undefined ? null : cur;
  }
  function col(d, tablePath, key) {
    var rows = get(d, tablePath) || [];
    return rows.map(function (r) { return r && typeof r === "object" ? get(r, [key]) : null; });
  }
  function flat(args) {
    var out = [];
    for (var i = 0; i < args.length; i++) {
      if (Array.isArray(args[i])) out = out.concat(args[i]); else out.push(args[i]);
    }
    return out;
  }
  function roundHalfAway(x, digits) {
    x = n(x); digits = Math.trunc(n(digits));
    // cut to 15 significant digits as spreadsheets do (12.5*1.13 = 14.124999999999998 -> 14.125),
    // then shift by the decimal string to avoid 1.005*100 = 100.4999
    var s = Number(Math.abs(x).toPrecision(15)).toString();
    var shifted = Number(Math.round(Number(s + "e" + digits)) + "e-" + digits);
    if (!isFinite(shifted)) shifted = Math.round(Math.abs(x) * Math.pow(10, digits)) / Math.pow(10, digits);
    return x < 0 ? -shifted : shifted;
  }
  function cmp(op, a, b) {
    if (Array.isArray(a) || Array.isArray(b)) {  // a multiple choice: == means "includes"
      var items = Array.isArray(a) ? a : b, value = Array.isArray(a) ? b : a;
      var found = items.some(function (x) { return cmp("==", x, value); });
      return op === "==" ? found : op === "!=" ? !found : false;
    }
    if (isEmpty(a)) a = isNum(b) ? 0 : "";
    if (isEmpty(b)) b = isNum(a) ? 0 : "";
    var x, y;
    if (isNum(a) && isNum(b)) { x = n(a); y = n(b); }
    else if (typeof a === "string" && typeof b === "string") { x = a.toLowerCase(); y = b.toLowerCase(); }
    else { x = isNum(a) ? 0 : 1; y = isNum(b) ? 0 : 1; }
    switch (op) {
      case "==": return x === y; case "!=": return x !== y;
      case "<": return x < y; case "<=": return x <= y;
      case ">": return x > y; case ">=": return x >= y;
    }
    throw new Error("bad operator " + op);
  }
  function truthy(v) { return typeof v === "string" ? v !== "" : n(v) !== 0; }
  function groupWords(g) {
    var out = "", zero = false;
    for (var pos = 3; pos >= 0; pos--) {
      var d = Math.floor(g / Math.pow(10, pos)) % 10;
      if (d === 0) { zero = out !== ""; continue; }
      if (zero) { out += DIGITS[0]; zero = false; }
      out += DIGITS[d] + SMALL[pos];
    }
    return out;
  }
  function integerWords(v) {
    if (v === 0) return DIGITS[0];
    var groups = [];
    while (v > 0) { groups.push(v % 10000); v = Math.floor(v / 10000); }
    var out = "", zeroPending = false;
    for (var i = groups.length - 1; i >= 0; i--) {
      var g = groups[i];
      if (g === 0) { zeroPending = out !== ""; continue; }
      if (out !== "" && (zeroPending || g < 1000)) out += DIGITS[0];
      out += groupWords(g) + GROUPS[i];
      zeroPending = false;
    }
    return out;
  }
  function daxie(v) {
    var cents = Math.round(roundHalfAway(Math.abs(n(v)), 2) * 100);
    if (cents === 0) return "零元整";
    var sign = n(v) < 0 ? "负" : "";
    var yuan = Math.floor(cents / 100), rest = cents % 100, jiao = Math.floor(rest / 10), fen = rest % 10;
    if (yuan >= 1e12) return "";
    var text = sign + (yuan ? integerWords(yuan) + "元" : "");
    if (rest === 0) return text + "整";
    if (jiao) text += DIGITS[jiao] + "角"; else if (yuan) text += DIGITS[0];
    if (fen) text += DIGITS[fen] + "分";
    return text;
  }
  function Empty() {}
  function DivisionByZero(what) { this.what = what; }
  var DAY = 86400000;
  function day(v) {
    var m = typeof v === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
    if (!m) throw new Empty();
    var t = Date.UTC(+m[1], +m[2] - 1, +m[3]), back = new Date(t);
    if (back.getUTCFullYear() !== +m[1] || back.getUTCMonth() !== +m[2] - 1 || back.getUTCDate() !== +m[3]) throw new Empty();
    return Math.round(t / DAY);
  }
  function pad(x, w) { x = String(x); while (x.length < w) x = "0" + x; return x; }
  function iso(dayNumber) {
    var x = new Date(dayNumber * DAY);
    return pad(x.getUTCFullYear(), 4) + "-" + pad(x.getUTCMonth() + 1, 2) + "-" + pad(x.getUTCDate(), 2);
  }
  /* A formula's value: {value} (null when empty), or {value: null, error} when it divides by 0. */
  function run(fn, d, r) {
    try { return { value: fn(d, r) }; } catch (e) {
      if (e instanceof Empty) return { value: null };
      if (e instanceof DivisionByZero) return { value: null, error: e.what + "为 0" };
      throw e;
    }
  }
  var B = {
    n: n, get: get, col: col, cmp: cmp, truthy: truthy, daxie: daxie, run: run,
    round: function (x, d) { return roundHalfAway(x, d === undefined ? 0 : d); },
    div: function (a, b, what) {
      if (isEmpty(b)) throw new Empty();
      if (n(b) === 0) throw new DivisionByZero(what || "除数");
      return n(a) / n(b);
    },
    days: function (a, b) { return day(a) - day(b); },
    datecmp: function (op, a, b) { if (isEmpty(a) || isEmpty(b)) throw new Empty(); return cmp(op, a, b); },
    dateadd: function (d, k) { return iso(day(d) + Math.trunc(roundHalfAway(k, 0))); },
    abs: function (x) { return Math.abs(n(x)); },
    sum: function () { return flat(arguments).reduce(function (s, v) { return s + n(v); }, 0); },
    min: function () { var v = flat(arguments).filter(function (x) { return !isEmpty(x); }).map(n); return v.length ? Math.min.apply(null, v) : 0; },
    max: function () { var v = flat(arguments).filter(function (x) { return !isEmpty(x); }).map(n); return v.length ? Math.max.apply(null, v) : 0; },
    and_: function () { return flat(arguments).every(truthy); },
    or_: function () { return flat(arguments).some(truthy); },
    not_: function (x) { return !truthy(x); }
  };
  if (typeof module !== "undefined" && module.exports) module.exports = B; else root.BiaogeExpr = B;
})(this);
