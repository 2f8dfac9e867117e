"""Mandarin call announcements made offline: a chime, then espeak-ng's Mandarin voice.

Display PCs often have no browser voices, so the hub renders the audio itself. Nothing
well-kept on PyPI speaks Mandarin offline; espeak-ng from Debian does, driven as a process.

The endpoint is public (displays carry no token), so a request never runs the engine: an
announcement is joined from a fixed set of clips (digits, letters, 十, 请, 号, 到, 号窗口办理,
再次呼叫), each rendered once and kept as a file; joined announcements are kept in memory
up to a bound, and making new ones is rate-limited per address.
"""

import array
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from collections import OrderedDict
from pathlib import Path

from hall.errors import BadRequest, HallError

NUMBER = re.compile(r"^[A-Z]{1,4}[0-9]{1,5}$")
WINDOW = re.compile(r"^[0-9A-Za-z]{1,8}$")
DIGITS = "零一二三四五六七八九"
VOICE = "cmn"  # espeak-ng's Mandarin voice (Latin letters read as English letters)
RATE = 22050  # espeak-ng writes 16-bit mono at this rate; the chime matches it
SPEED_WPM = 140


class VoiceUnavailable(HallError):
    """The speech engine is not installed on the hub."""

    status = 503
    code = "voice_unavailable"


def check(number: str, window: str) -> None:
    """Refuse anything but a ticket number and a window number."""
    if not NUMBER.match(number or ""):
        raise BadRequest("票号格式无效 / invalid ticket number", code="bad_number")
    if not WINDOW.match(window or ""):
        raise BadRequest("窗口号格式无效 / invalid window number", code="bad_window")


def spell(text: str) -> str:
    """Read character by character: A023 → A 零 二 三."""
    return " ".join(DIGITS[int(c)] if c.isdigit() else c for c in text)


def window_words(window: str) -> str:
    """Window numbers up to 99 as spoken numerals (12 → 十二); others character by character."""
    if not window.isdigit() or int(window) > 99 or int(window) == 0:
        return spell(window)
    tens, units = divmod(int(window), 10)
    head = "" if tens == 0 else ("十" if tens == 1 else DIGITS[tens] + "十")
    return head + (DIGITS[units] if units else "")


def announcement_text(number: str, window: str, *, recall: bool = False) -> str:
    """What is said: 请 A 零 二 三 号 到 五 号窗口办理 (a recall begins 再次呼叫)."""
    text = f"请 {spell(number)} 号,到 {window_words(window)} 号窗口办理"
    return f"再次呼叫,{text}" if recall else text


def chime() -> bytes:
    """Two soft bell tones (E5 then C5) and a short rest, as 16-bit mono samples."""
    samples = array.array("h")
    for freq, length in ((659.25, 0.32), (523.25, 0.5)):
        count = int(RATE * length)
        for i in range(count):
            t = i / RATE
            envelope = math.exp(-4.0 * t / length) * min(1.0, i / 200)
            tone = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            samples.append(int(9000 * envelope * tone))
    samples.extend([0] * int(RATE * 0.25))
    return samples.tobytes()


def speak(text: str, speed_wpm: int = SPEED_WPM) -> bytes:
    """espeak-ng's rendering of the text as 16-bit mono PCM frames at RATE."""
    engine = shutil.which("espeak-ng")
    if engine is None:
        raise VoiceUnavailable("语音引擎未安装 / espeak-ng is not installed on the hub")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speech.wav"
        subprocess.run(
            [engine, "-v", VOICE, "-s", str(speed_wpm), "-w", str(path), text],
            check=True,
            timeout=15,
            capture_output=True,
        )
        with wave.open(str(path), "rb") as speech:
            if (speech.getframerate(), speech.getsampwidth(), speech.getnchannels()) != (
                RATE,
                2,
                1,
            ):
                raise VoiceUnavailable("语音引擎输出格式异常 / unexpected espeak-ng output format")
            return speech.readframes(speech.getnframes())


# The finite set of clips every announcement is made of: each rendered once by espeak-ng and
# kept (a few dozen small files), so no request can make the hub run the engine again.
PHRASES = {"please": "请", "number": "号", "to": "到", "window": "号窗口办理", "recall": "再次呼叫"}
CLIPS: dict[str, str] = {
    **{f"digit-{i}": DIGITS[i] for i in range(10)},
    "ten": "十",
    **{f"letter-{c}": c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{f"word-{key}": text for key, text in PHRASES.items()},
}
WORD_GAP_S = 0.02
PAUSE_S = 0.18
CLIP_WPM = 165  # a word alone is drawn out; a little faster joins like a sentence
SILENCE = 500  # |sample| below this is the silence espeak-ng puts around each clip
MARGIN = int(RATE * 0.03)


def _char_clips(text: str) -> list[str]:
    return [f"digit-{c}" if c.isdigit() else f"letter-{c.upper()}" for c in text]


def _window_clips(window: str) -> list[str]:
    if not window.isdigit() or int(window) > 99 or int(window) == 0:
        return _char_clips(window)
    tens, units = divmod(int(window), 10)
    head = [] if tens == 0 else (["ten"] if tens == 1 else [f"digit-{tens}", "ten"])
    return head + ([f"digit-{units}"] if units else [])


def clip_names(number: str, window: str, *, recall: bool = False) -> list[str]:
    """The clips of one call, in order; "," marks a pause (the words of announcement_text)."""
    names = ["word-recall", ","] if recall else []
    names += ["word-please", *_char_clips(number), "word-number", ","]
    return names + ["word-to", *_window_clips(window), "word-window"]


def _trim(pcm: bytes) -> bytes:
    samples = array.array("h", pcm)
    loud = [i for i, value in enumerate(samples) if abs(value) > SILENCE]
    if not loud:
        return b""
    start, end = max(0, loud[0] - MARGIN), min(len(samples), loud[-1] + MARGIN)
    return samples[start:end].tobytes()


def clip(name: str, clip_dir: Path) -> bytes:
    """One clip's PCM, from its file, rendered once by espeak-ng when it has none."""
    text = CLIPS[name]  # KeyError for a name outside the set: never reached from a request
    path = clip_dir / f"{name}.pcm"
    if path.exists():
        return path.read_bytes()
    data = _trim(speak(text, CLIP_WPM))
    clip_dir.mkdir(parents=True, exist_ok=True)
    # Write then rename: two displays asking at once never read half a file.
    fd, tmp = tempfile.mkstemp(dir=clip_dir, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
    return data


def _silence(seconds: float) -> bytes:
    return bytes(2 * int(RATE * seconds))


def announcement(number: str, window: str, clip_dir: Path, *, recall: bool = False) -> bytes:
    """The WAV of one call: the chime, then the call's clips joined with short gaps."""
    check(number, window)
    parts = [chime()]
    for name in clip_names(number, window, recall=recall):
        if name == ",":
            parts.append(_silence(PAUSE_S))
        else:
            parts += [clip(name, clip_dir), _silence(WORD_GAP_S)]
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(b"".join(parts))
    return out.getvalue()


class ClipCache:
    """Announcements made recently, in memory, bounded in bytes (least recently used go)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The cached WAV, marked as used; None when not held."""
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: str, data: bytes) -> None:
        """Keep a WAV, dropping the least recently used past the bound."""
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self.size -= len(old) if old is not None else 0
            self._items[key] = data
            self.size += len(data)
            while self.size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self.size -= len(dropped)
