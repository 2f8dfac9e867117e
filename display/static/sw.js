// The display's service worker: a board or window screen reloaded while the hub is down shows
// the display's own offline page (never the browser's error page), which reloads by itself
// once the hub answers again.
const CACHE = "onewindow-display-v1";
const scope = new URL(self.registration.scope);
const OFFLINE = new URL("offline", scope).pathname;
const SHELL = [
  OFFLINE,
  new URL("static/offline.js", scope).pathname,
  new URL("static/display.css", scope).pathname,
  new URL("../static/clients/base.css", scope).pathname,
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const path = new URL(request.url).pathname;
  if (request.mode === "navigate") {
    // Network first: a display always shows the hub's current page when it can.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
    return;
  }
  if (SHELL.includes(path)) {
    event.respondWith(fetch(request).catch(() => caches.match(path)));
  }
});
