"""QR codes drawn by the hub as SVG: sharp on paper and on any screen."""

import io


def svg(text: str, *, border: int = 4) -> bytes:
    """The QR code of ``text`` as SVG, at level M: a poster at an entrance gets scuffed, and M
    still reads with 15 % of it gone.

    qrcode (and Pillow behind it) is imported with the first code drawn: a serving process
    that draws none keeps the 6 MiB (docs/performance.md).
    """
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=border,
    )
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
