// Spoken calls: one at a time, in order, never cut off by the next; the hub renders the audio
// (chime + Mandarin) so a display PC needs no browser voices.
const STALE_MS = 120000; // a call still unspoken after two minutes is no use to anyone
const MAX_CLIP_MS = 20000; // if the audio device never reports the end, move on anyway

export class Announcer {
  constructor(el, soundButton) {
    this.el = el;
    this.soundButton = soundButton;
    this.queue = [];
    this.playing = false;
    this.total = 0;
    soundButton.addEventListener("click", () => {
      soundButton.hidden = true;
      this.next();
    });
  }

  /** Queue a call: its ticket number and window number (a recall is announced as one). */
  add(number, window, recall = false) {
    this.queue.push({ number, window, recall, at: Date.now() });
    this.total += 1;
    this.el.dataset.lastAnnouncement = `${number}→${window}`;
    this.el.dataset.lastRecall = String(recall);
    this.update();
    this.next();
  }

  update() {
    this.el.dataset.announcements = String(this.queue.length + (this.playing ? 1 : 0));
    this.el.dataset.announced = String(this.total);
  }

  async next() {
    if (this.playing) return;
    this.queue = this.queue.filter((item) => Date.now() - item.at < STALE_MS);
    const item = this.queue.shift();
    if (!item) {
      this.update();
      return;
    }
    this.playing = true;
    this.update();
    const url = `${this.el.dataset.voiceUrl}?${new URLSearchParams({ number: item.number, window: item.window, ...(item.recall ? { recall: "1" } : {}) })}`;
    const audio = new Audio(url);
    try {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, MAX_CLIP_MS);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        audio.addEventListener("ended", done, { once: true });
        audio.addEventListener("error", done, { once: true });
        audio.play().catch((err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
    } catch (err) {
      if (err?.name === "NotAllowedError") {
        // The browser wants a tap before it plays sound: keep the call and ask for one.
        this.queue.unshift(item);
        this.playing = false;
        this.soundButton.hidden = false;
        this.update();
        return;
      }
    }
    this.playing = false;
    this.update();
    this.next();
  }
}
