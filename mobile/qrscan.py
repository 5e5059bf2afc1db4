"""Enrollment QR codes: decode a camera frame, read the ward server's enrollment payload (no Kivy).

The ward server prints a QR code whose text is ``wire.enroll_uri(server_url, code)``::

    rasoat://enroll?server=http%3A%2F%2F192.168.1.10%3A8000&code=ABCD-EFGH-JKLM

``decode_frame`` reads QR codes from raw camera pixels with zxing-cpp (module ``zxingcpp``, the
``tablet`` extra) or, where zxing-cpp is missing, with zbar through pyzbar — the decoder of the
Android build (python-for-android has ``libzbar`` and ``pyzbar`` recipes, none for zxing-cpp).
Without either, the enroll screen says to type the code. ``parse_enrollment_payload`` turns the
text into ``(server_url, code)`` or raises ``QrError`` with a Vietnamese message.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from shared import wire

from .i18n import pair

# Bytes per pixel of the frame layouts a camera source may hand over.
CHANNELS = {"rgba": 4, "bgra": 4, "rgb": 3, "bgr": 3, "gray": 1}


class QrError(ValueError):
    """A QR code that cannot be used for enrollment; ``message_vi`` is shown on the screen."""

    def __init__(self, message_vi: str, message_en: str):
        super().__init__(message_en)
        self.message_vi, self.message_en = message_vi, message_en

    def message(self, lang: str = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi


class DecoderMissing(QrError):
    def __init__(self) -> None:
        super().__init__(*pair("qr.no_decoder"))


def _zxing() -> Any:
    try:
        import zxingcpp
    except ImportError:
        return None
    return zxingcpp


def _zbar() -> Any:
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError):      # not installed, or the libzbar shared library is missing
        return None
    return pyzbar


DECODERS = {"zxing": _zxing, "zbar": _zbar}


def available_decoders() -> list[str]:
    """The decoders this device has, preferred first."""
    return [name for name, load in DECODERS.items() if load() is not None]


def decoder_available() -> bool:
    return bool(available_decoders())


def decode_frame(pixels: bytes | bytearray | memoryview, width: int, height: int, fmt: str = "rgba",
                 bottom_up: bool = False, decoder: str | None = None) -> str | None:
    """The text of the first QR code in one camera frame, or None when the frame holds none.

    ``pixels`` are ``width × height`` pixels, rows top to bottom (``bottom_up=True`` for
    OpenGL's order, as Kivy's ``Texture.pixels`` gives them), in ``fmt`` (``rgba``, ``bgra``,
    ``rgb``, ``bgr`` or ``gray``). ``decoder``: ``zxing`` or ``zbar`` (default: the first available).
    Raises ``DecoderMissing`` without a decoder and ``ValueError`` when the buffer does not match
    the size.
    """
    names = [decoder] if decoder else list(DECODERS)
    module, name = None, None
    for name in names:
        module = DECODERS[name]()
        if module is not None:
            break
    if module is None:
        raise DecoderMissing()
    channels = CHANNELS.get(fmt)
    if channels is None:
        raise ValueError(f"unknown pixel format {fmt!r}")
    if width <= 0 or height <= 0:
        return None
    row = width * channels
    data = bytes(pixels)
    if len(data) != row * height:
        raise ValueError(f"{len(data)} bytes is not {width}×{height} {fmt}")
    if bottom_up:
        data = b"".join(data[i:i + row] for i in range((height - 1) * row, -1, -row))
    if name == "zbar":
        return _decode_zbar(module, data, width, height, fmt)
    zx = module
    image_format = {"rgba": zx.ImageFormat.RGBA, "bgra": zx.ImageFormat.BGRA, "rgb": zx.ImageFormat.RGB,
                    "bgr": zx.ImageFormat.BGR, "gray": zx.ImageFormat.Lum}[fmt]
    view = zx.ImageView(data, width, height, image_format)
    for barcode in zx.read_barcodes(view, formats=zx.BarcodeFormat.QRCode):
        if barcode.text:
            return barcode.text
    return None


def _decode_zbar(pyzbar: Any, data: bytes, width: int, height: int, fmt: str) -> str | None:
    """zbar reads 8-bit grey: convert with Pillow (C speed; a 640×480 frame in about a millisecond)."""
    if fmt != "gray":
        from PIL import Image
        mode, raw = {"rgba": ("RGBA", "RGBA"), "bgra": ("RGBA", "BGRA"), "rgb": ("RGB", "RGB"),
                     "bgr": ("RGB", "BGR")}[fmt]
        data = Image.frombytes(mode, (width, height), data, "raw", raw).convert("L").tobytes()
    for found in pyzbar.decode((data, width, height), symbols=[pyzbar.ZBarSymbol.QRCODE]):
        text = found.data.decode("utf-8", errors="replace")
        if text:
            return text
    return None


NOT_ENROLLMENT = pair("qr.not_enrollment")


def parse_enrollment_payload(text: str) -> tuple[str, str]:
    """``(server_url, code)`` from the text of an enrollment QR code; ``QrError`` otherwise."""
    text = (text or "").strip()
    if not text:
        raise QrError(*pair("qr.empty"))
    parts = urlsplit(text)
    if parts.scheme.lower() != "rasoat" or parts.netloc.lower() != "enroll":
        raise QrError(*NOT_ENROLLMENT)
    q = parse_qs(parts.query)
    server = (q.get("server") or [""])[0].strip()
    code = (q.get("code") or [""])[0].strip()
    if not server or not code:
        raise QrError(*pair("qr.incomplete"))
    url = urlsplit(server)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise QrError(*pair("qr.bad_server", server=server))
    normalized = wire.normalize_enrollment_code(code)
    if not 4 <= len(normalized) <= 64:
        raise QrError(*pair("qr.bad_code"))
    return server.rstrip("/"), wire.format_enrollment_code(normalized)


__all__ = ["QrError", "DecoderMissing", "available_decoders", "decoder_available", "decode_frame",
           "parse_enrollment_payload"]
