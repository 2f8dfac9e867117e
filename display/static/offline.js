// The display's offline page: ask the hub every few seconds; reload the page once it answers.
const RETRY_MS = 3000;

async function retry() {
  try {
    const response = await fetch(location.href, { cache: "no-store" });
    if (response.ok) {
      location.reload();
      return;
    }
  } catch {
    // Still away: try again shortly.
  }
  setTimeout(retry, RETRY_MS);
}
setTimeout(retry, RETRY_MS);
