"""Read back the ESC/POS bytes a printer would receive, for assertions in tests.

A small tokenizer for the commands python-escpos and the printers package send, so
image and QR payloads are skipped by their declared lengths instead of being searched
for byte patterns that may occur inside them by chance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

ESC, FS, GS, DLE, LF = 0x1B, 0x1C, 0x1D, 0x10, 0x0A

# Commands with a fixed number of argument bytes after the two command bytes.
_ESC_ARGS = {
    b"@": 0, b"2": 0, b"t": 1, b"a": 1, b"E": 1, b"-": 1, b"!": 1, b"d": 1, b"M": 1,
    b"{": 1, b"G": 1, b"3": 1, b"J": 1, b"r": 1, b"=": 1, b"p": 3,
}  # fmt: skip
_GS_ARGS = {b"!": 1, b"B": 1, b"b": 1, b"|": 1, b"a": 1}


@dataclass(frozen=True)
class Token:
    """One command (kind is e.g. "ESC a", "GS ( k") or a text run (kind "text")."""

    kind: str
    data: bytes
    chinese: bool = False


def tokens(data: bytes) -> Iterator[Token]:
    """Split an ESC/POS byte stream into commands and text runs; unknown commands raise."""
    i, chinese, text = 0, False, bytearray()

    def flush() -> Iterator[Token]:
        if text:
            yield Token("text", bytes(text), chinese)
            text.clear()

    while i < len(data):
        byte = data[i]
        if byte == LF:
            yield from flush()
            yield Token("LF", b"")
            i += 1
        elif byte == ESC:
            yield from flush()
            name = data[i + 1 : i + 2]
            if name == b"c" and data[i + 2 : i + 3] == b"5":
                size = 2
            elif name in _ESC_ARGS:
                size = _ESC_ARGS[name] + 1
            else:
                raise ValueError(f"unknown ESC {name!r} at {i}")
            yield Token(f"ESC {name.decode()}", data[i + 2 : i + 1 + size])
            i += 1 + size
        elif byte == GS:
            yield from flush()
            name = data[i + 1 : i + 2]
            if name in _GS_ARGS:
                yield Token(f"GS {name.decode()}", data[i + 2 : i + 2 + _GS_ARGS[name]])
                i += 2 + _GS_ARGS[name]
            elif name == b"V":
                mode = data[i + 2]
                size = 1 if mode in (0, 1, 48, 49) else 2
                yield Token("GS V", data[i + 2 : i + 2 + size])
                i += 2 + size
            elif name == b"v":
                width_bytes = int.from_bytes(data[i + 4 : i + 6], "little")
                height = int.from_bytes(data[i + 6 : i + 8], "little")
                end = i + 8 + width_bytes * height
                yield Token("GS v 0", data[i + 3 : end])
                i = end
            elif name == b"(":
                length = int.from_bytes(data[i + 3 : i + 5], "little")
                end = i + 5 + length
                yield Token(f"GS ( {data[i + 2 : i + 3].decode()}", data[i + 5 : end])
                i = end
            else:
                raise ValueError(f"unknown GS {name!r} at {i}")
        elif byte == FS:
            yield from flush()
            name = data[i + 1 : i + 2]
            if name not in (b"&", b"."):
                raise ValueError(f"unknown FS {name!r} at {i}")
            chinese = name == b"&"
            yield Token(f"FS {name.decode()}", b"")
            i += 2
        elif byte == DLE:
            yield from flush()
            yield Token("DLE EOT", data[i + 2 : i + 3])
            i += 3
        elif byte < 0x20:
            raise ValueError(f"unknown control byte {byte:#04x} at {i}")
        elif chinese and byte >= 0x80:
            # GB18030: two bytes, or four when the second is an ASCII digit.
            size = 4 if 0x30 <= data[i + 1] <= 0x39 else 2
            text += data[i : i + size]
            i += size
        else:
            text.append(byte)
            i += 1
    yield from flush()


def chinese_runs(data: bytes) -> list[str]:
    """Return each text run sent in Chinese mode (between FS & and FS .), decoded as GB18030."""
    runs: list[str] = []
    current: list[str] | None = None
    for token in tokens(data):
        if token.kind == "FS &":
            current = []
        elif token.kind == "FS ." and current is not None:
            runs.append("".join(current))
            current = None
        elif token.kind == "text" and current is not None:
            current.append(token.data.decode("gb18030"))
    return runs


def text_lines(data: bytes) -> list[str]:
    """Return every printed text line, Chinese-mode runs decoded as GB18030, others as ASCII."""
    lines, current = [], ""
    for token in tokens(data):
        if token.kind == "text":
            current += token.data.decode("gb18030" if token.chinese else "ascii")
        elif token.kind == "LF":
            lines.append(current)
            current = ""
    if current:
        lines.append(current)
    return lines


def qr_payloads(data: bytes) -> list[str]:
    """Return the content of every native QR code (GS ( k, cn 49, fn 80: store the data)."""
    return [
        token.data[3:].decode("utf-8")
        for token in tokens(data)
        if token.kind == "GS ( k" and token.data[:3] == b"1P0"
    ]


def raster_images(data: bytes) -> list[tuple[int, int]]:
    """Return (width in dots, height in dots) of every GS v 0 raster image."""
    return [
        (int.from_bytes(t.data[1:3], "little") * 8, int.from_bytes(t.data[3:5], "little"))
        for t in tokens(data)
        if t.kind == "GS v 0"
    ]


def contains_cut(data: bytes) -> bool:
    """Whether the stream cuts the paper (GS V)."""
    return any(token.kind == "GS V" for token in tokens(data))
