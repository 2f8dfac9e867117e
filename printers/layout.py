"""What a queue ticket says, and how it is rendered into ESC/POS commands."""

from __future__ import annotations

import functools
import math
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .errors import PrinterError

if TYPE_CHECKING:
    from escpos.escpos import Escpos
    from PIL import Image, ImageFont

# qrcode, Pillow and python-escpos (~25 MiB) are imported where a ticket is drawn: the hub
# builds layouts (TicketLayout) but only the print worker draws them.

FS_CHINESE_ON = b"\x1c\x26"  # FS &: select Chinese (double-byte) character mode
FS_CHINESE_OFF = b"\x1c\x2e"  # FS .: cancel Chinese character mode

#: Dots of the printer's font A glyph: 12 wide, 24 high (a Chinese glyph is 24 x 24).
FONT_A_WIDTH = 12
FONT_A_HEIGHT = 24
MAX_SCALE = 8  # GS ! allows width and height multipliers 1..8

CJK_FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    # In the Noto CJK collections face 2 is Simplified Chinese (0 is Japanese).
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


@dataclass(frozen=True)
class Paper:
    """A paper roll: its width in characters of font A and in dots."""

    mm: int
    columns: int
    dots: int


PAPERS: dict[int, Paper] = {80: Paper(80, 48, 576), 58: Paper(58, 32, 384)}


def paper_for(paper_mm: int) -> Paper:
    """Return the paper of a given width; raises PrinterError for an unknown width."""
    try:
        return PAPERS[paper_mm]
    except KeyError:
        widths = ", ".join(f"{mm} mm" for mm in PAPERS)
        raise PrinterError(
            f"不支持的纸宽 / unsupported paper width: {paper_mm} mm (use {widths})"
        ) from None


@dataclass(frozen=True)
class TicketLayout:
    """Everything a printed queue ticket shows, already formatted for people."""

    hall: str
    number: str
    matter: str
    queue: str
    ahead: int
    estimated_wait_s: int | None
    issued_at: str
    status_url: str
    notice: str = "请留意叫号屏幕与语音提示 Please watch the display"
    priority: str | None = None


@dataclass(frozen=True)
class Line:
    """One line of text as the printer sets it."""

    text: str
    align: Literal["left", "center"] = "center"
    scale: int = 1
    bold: bool = False


@dataclass(frozen=True)
class QrCode:
    """A QR code the printer draws itself."""

    content: str


Block = Line | QrCode


def display_width(text: str) -> int:
    """Return how many font A columns a string takes (a Chinese character takes two)."""
    if text.isascii():
        return len(text)
    return sum(_char_width(ch) for ch in text)


@functools.lru_cache(maxsize=8192)
def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _tokens(text: str) -> list[str]:
    """Split text into unbreakable pieces: Latin words, single wide characters, spaces."""
    tokens: list[str] = []
    for ch in text:
        narrow = display_width(ch) == 1
        if ch == " " or not narrow:
            tokens.append(ch)
        elif tokens and tokens[-1] != " " and display_width(tokens[-1][-1]) == 1:
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def wrap(text: str, columns: int) -> list[str]:
    """Wrap text into lines of at most `columns` font A columns, breaking between words."""
    # A ticket's hall, matter and fixed lines repeat from ticket to ticket: wrap them once.
    return list(_wrapped(text, columns))


@functools.lru_cache(maxsize=1024)
def _wrapped(text: str, columns: int) -> tuple[str, ...]:
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        while display_width(token) > columns:
            room = columns - display_width(current)
            head = token[:room] if room > 0 else ""
            if not head:
                lines.append(current.rstrip())
                current = ""
                continue
            lines.append(current + head)
            current, token = "", token[len(head) :]
        if display_width(current + token) > columns:
            lines.append(current.rstrip())
            current = ""
        if token == " " and not current:
            continue
        current += token
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return tuple(lines)


def _wait_text(seconds: int | None) -> tuple[str, str]:
    if seconds is None:
        return "预计等候：暂无估计", "Wait: unknown"
    if seconds <= 0:
        return "预计等候：无需等候", "Wait: none"
    minutes = math.ceil(seconds / 60)
    return f"预计等候：约 {minutes} 分钟", f"Wait: about {minutes} min"


def _ahead_text(ahead: int) -> tuple[str, str]:
    people = "person" if ahead == 1 else "people"
    return f"前面还有 {ahead} 人", f"{ahead} {people} ahead"


def bilingual(chinese: str, english: str, columns: int) -> list[str]:
    """One "中文 / English" line if it fits, else the Chinese lines above the English ones."""
    joined = f"{chinese} / {english}"
    if display_width(joined) <= columns:
        return [joined]
    return wrap(chinese, columns) + wrap(english, columns)


def ticket_blocks(layout: TicketLayout, paper: Paper) -> list[Block]:
    """Lay a ticket out as lines and a QR code for the given paper, top to bottom."""
    columns = paper.columns
    hall_scale = 2 if display_width(layout.hall) <= columns // 2 else 1
    number_scale = max(
        1, min(MAX_SCALE, paper.dots // (FONT_A_WIDTH * max(1, display_width(layout.number))))
    )
    blocks: list[Block] = [
        Line(text, scale=hall_scale, bold=True) for text in wrap(layout.hall, columns // hall_scale)
    ]
    blocks += [Line(text, bold=True) for text in wrap(layout.matter, columns)]
    blocks.append(Line(""))
    blocks += [
        Line(text, scale=number_scale, bold=True)
        for text in wrap(layout.number, columns // number_scale)
    ]
    blocks.append(Line(""))
    blocks += [Line(text) for text in wrap(f"队列 Queue：{layout.queue}", columns)]
    if layout.priority:
        blocks += [
            Line(text, bold=True) for text in wrap(f"优先 Priority：{layout.priority}", columns)
        ]
    for chinese, english in (_ahead_text(layout.ahead), _wait_text(layout.estimated_wait_s)):
        blocks += [Line(text) for text in bilingual(chinese, english, columns)]
    blocks += [Line(text) for text in wrap(f"取号 Issued：{layout.issued_at}", columns)]
    blocks.append(QrCode(layout.status_url))
    blocks += [
        Line(text) for text in bilingual("扫码查看排队进度", "Scan to follow your turn", columns)
    ]
    blocks += [Line(text) for text in _split_languages(layout.notice, columns)]
    return blocks


def _split_languages(text: str, columns: int) -> list[str]:
    """Wrap "中文 English" text, breaking between the languages when it needs two lines."""
    if display_width(text) > columns:
        cut = len(text)
        while cut > 0 and text[cut - 1].isascii():
            cut -= 1
        chinese, english = text[:cut].strip(), text[cut:].strip().lstrip("/ ")
        if chinese and english:
            return bilingual(chinese, english, columns)
    return wrap(text, columns)


# What QR codes encode as "alphanumeric" (more compact than bytes).
QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def qr_module_size(content: str, paper: Paper) -> int:
    """Pick the QR dot size so the code, with its quiet zone, spans about 2/3 of the paper."""
    # The size depends only on the length and the kind of characters: every ticket's status
    # link has the same length, so the version search (~1 ms, pure Python) runs once.
    kind = "alnum" if QR_ALPHANUMERIC.issuperset(content) else "bytes"
    key = (len(content.encode()), kind, paper.dots)
    size = _MODULE_SIZES.get(key)
    if size is None:
        if len(_MODULE_SIZES) > 256:
            _MODULE_SIZES.clear()
        size = _MODULE_SIZES[key] = _module_size(content, paper.dots)
    return size


_MODULE_SIZES: dict[tuple[int, str, int], int] = {}


def _module_size(content: str, dots: int) -> int:
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    # No mixed-mode optimisation: the largest version for this length, whatever the content.
    code.add_data(content, optimize=0)
    # Only the version (hence the size) is needed: best_fit() finds it without building
    # and scoring the eight masks that make() would (~1 ms instead of ~13 ms a ticket).
    version = code.best_fit()
    modules = 17 + 4 * version + 2 * code.border
    return max(1, min(8, (dots * 2 // 3) // modules))


def _text_line(printer: Escpos, line: Line) -> None:
    printer.set(
        align=line.align, bold=line.bold, custom_size=True, width=line.scale, height=line.scale
    )
    if line.text.isascii():
        # ASCII is the same in every code page (ESC @ selected the default one):
        # python-escpos's code page search per line is not needed.
        printer._raw(line.text.encode("ascii") + b"\n")
    else:
        # python-escpos's text() sends GB18030 without entering Chinese mode and turns
        # Chinese punctuation into "?", so Chinese goes out raw between FS & and FS .
        printer._raw(FS_CHINESE_ON + line.text.encode("gb18030") + FS_CHINESE_OFF + b"\n")


def _qr(printer: Escpos, code: QrCode, paper: Paper) -> None:
    # Native QR cannot be centred by python-escpos itself, but ESC a centres it.
    printer.set(align="center", bold=False, custom_size=True, width=1, height=1)
    from escpos.constants import QR_ECLEVEL_M

    printer.qr(code.content, ec=QR_ECLEVEL_M, size=qr_module_size(code.content, paper), native=True)
    printer._raw(b"\n")


@functools.cache
def cjk_font_file() -> tuple[str, int] | None:
    """Find a font file (path, face index) with Simplified Chinese glyphs, or None."""
    for path, index in CJK_FONT_CANDIDATES:
        if Path(path).is_file():
            return path, index
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        found = subprocess.run(
            [fc_list, ":lang=zh-cn", "file", "index"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for entry in sorted(found.splitlines(), key=lambda e: "Sans" not in e):
        path, _, rest = entry.partition(":")
        index = rest.partition("index=")[2].split(":")[0].strip()
        if path and Path(path).is_file():
            return path, int(index) if index.isdigit() else 0
    return None


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    found = cjk_font_file()
    if found is None:
        # No CJK font installed (Debian: fonts-noto-cjk): Pillow's own font still
        # prints Latin text and digits, Chinese comes out as boxes.
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(found[0], size=size, index=found[1])


def raster_image(lines: Sequence[Line], paper: Paper) -> Image.Image:
    """Draw text lines as a one-bit image as wide as the paper."""
    from PIL import Image, ImageDraw

    rendered: list[tuple[Line, ImageFont.FreeTypeFont | ImageFont.ImageFont, int, int]] = []
    for line in lines:
        size = FONT_A_HEIGHT * line.scale
        font = _font(size)
        while size > 8 and font.getlength(line.text) > paper.dots:
            size -= 2
            font = _font(size)
        rendered.append((line, font, size, int(font.getlength(line.text))))
    height = sum(math.ceil(size * 1.25) for _, _, size, _ in rendered) or 1
    image = Image.new("L", (paper.dots, height), 255)
    draw = ImageDraw.Draw(image)
    top = 0
    for line, font, size, width in rendered:
        left = (paper.dots - width) // 2 if line.align == "center" else 0
        draw.text(
            (left, top),
            line.text,
            font=font,
            fill=0,
            stroke_width=1 if line.bold else 0,
            stroke_fill=0,
        )
        top += math.ceil(size * 1.25)
    # Threshold here: the escpos image path would dither anti-aliased edges into noise.
    return image.point(lambda value: 0 if value < 160 else 255).convert("1")


def _ensure_media_width(printer: Escpos, paper: Paper) -> None:
    media = printer.profile.profile_data.get("media", {})
    if media.get("width", {}).get("pixels") in (None, "Unknown"):
        # python-escpos prints a warning to stdout for every image when the profile
        # does not know the paper width; give this printer's profile its own copy.
        data = dict(printer.profile.profile_data)
        data["media"] = {**media, "width": {"mm": paper.mm, "pixels": paper.dots}}
        printer.profile.profile_data = data


def render_blocks(
    printer: Escpos, blocks: Sequence[Block], paper: Paper, *, raster_text: bool = False
) -> None:
    """Write laid-out blocks to any Escpos printer, then feed and cut."""
    printer.hw("INIT")
    if raster_text:
        _ensure_media_width(printer, paper)
    pending: list[Line] = []
    for block in [*blocks, None]:
        if isinstance(block, Line):
            if raster_text:
                pending.append(block)
            else:
                _text_line(printer, block)
            continue
        if pending:
            printer.image(raster_image(pending, paper), impl="bitImageRaster")
            pending = []
        if isinstance(block, QrCode):
            _qr(printer, block, paper)
    printer.set(align="left", bold=False, custom_size=True, width=1, height=1)
    printer.cut()


def render_ticket(
    printer: Escpos, layout: TicketLayout, *, paper_mm: int = 80, raster_text: bool = False
) -> None:
    """Write a ticket to any Escpos printer (a Dummy for tests, an open device otherwise)."""
    paper = paper_for(paper_mm)
    render_blocks(printer, ticket_blocks(layout, paper), paper, raster_text=raster_text)
