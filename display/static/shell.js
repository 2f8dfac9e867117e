// Installs the display's service worker (display/static/sw.js, served at /display/sw.js).
export function installOfflineShell() {
  const url = document.documentElement.dataset.serviceWorker;
  if (!url || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(url, { scope: url.replace(/sw\.js$/, "") }).catch(() => {
    // No service worker (an old browser, a plain-HTTP host name): the page still works.
  });
}
