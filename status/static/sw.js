// The status page's service worker (served at /s/sw.js, scope /s/). Android Chrome shows a
// notification only through a service worker: the page asks this one to show "your turn soon"
// and "called"; a tap on the notification brings the ticket's page back. No caching: a
// ticket's page is never kept (Cache-Control: no-store).
self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = event.notification.data?.url;
  if (!url) return;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((open) => {
      const page = open.find((client) => client.url.split("?")[0] === url.split("?")[0]);
      return page ? page.focus() : self.clients.openWindow(url);
    }),
  );
});
