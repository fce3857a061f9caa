/* biaoge service worker: the fill pages a person has opened, and the assets they use, open without a
 * connection. Pages: network first, the last copy when offline. Assets (their URLs carry a digest of
 * their content): cache first. Nothing else is cached (records stay on the server). */
"use strict";
var CACHE = "biaoge-fill-v1";
var FILL = /^\/forms\/[^/]+$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (ev) { ev.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (ev) {
  var req = ev.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    ev.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(req).then(function (hit) {
        return hit || fetch(req).then(function (resp) { if (resp.ok) cache.put(req, resp.clone()); return resp; });
      });
    }));
  } else if (FILL.test(url.pathname) && !url.search) {
    ev.respondWith(fetch(req).then(function (resp) {
      if (resp.ok && !resp.redirected) {
        var copy = resp.clone();
        caches.open(CACHE).then(function (cache) { cache.put(req, copy); });
      }
      return resp;
    }).catch(function () {
      return caches.match(req).then(function (hit) { return hit || Response.error(); });
    }));
  }
});
