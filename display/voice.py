"""Mandarin call announcements made offline: a chime, then espeak-ng's Mandarin voice.

Display PCs often have no browser voices, so the hub renders the audio itself. Nothing
well-kept on PyPI speaks Mandarin offline; espeak-ng from Debian does, driven as a process.
"""

import array
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
import wave
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


def speak(text: str) -> bytes:
    """espeak-ng's rendering of the text as 16-bit mono PCM frames at RATE."""
    engine = shutil.which("espeak-ng")
    if engine is None:
        raise VoiceUnavailable("语音引擎未安装 / espeak-ng is not installed on the hub")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speech.wav"
        subprocess.run(
            [engine, "-v", VOICE, "-s", str(SPEED_WPM), "-w", str(path), text],
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


def announcement(number: str, window: str, cache_dir: Path, *, recall: bool = False) -> bytes:
    """The WAV of one call (chime, then the words), cached on disk by number and window."""
    check(number, window)
    cached = cache_dir / f"{number}-{window}{'-recall' if recall else ''}.wav"
    if cached.exists():
        return cached.read_bytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(chime() + speak(announcement_text(number, window, recall=recall)))
    data = out.getvalue()
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Write then rename: two displays asking at once never read half a file.
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, cached)
    return data
