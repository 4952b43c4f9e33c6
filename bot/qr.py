"""QR code images of deep links (invitations, check-in), as PNG bytes."""

from __future__ import annotations

import io


def qr_png(data: str, *, box_size: int = 8) -> bytes:
    """A PNG of a QR code for ``data``."""
    import qrcode  # with Pillow: only when a code is drawn, not at every start of the bot
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=3)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
