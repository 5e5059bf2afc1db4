"""Enrollment QR codes without a window: decode camera frames of the server's real QR image,
read the payload, refuse other QR codes, and the scan/enroll presenters around them."""
from __future__ import annotations

import io
import sys

import pytest
import qrcode
from PIL import Image, ImageDraw, ImageFilter

from mobile import qrscan
from mobile.presenters import EnrollPresenter, ScanPresenter
from server.services.enrollment import new_code, qr_png
from shared import wire

SERVER = "http://192.168.1.10:8000"


def frame_of(png: bytes, fmt: str = "rgba", bottom_up: bool = False) -> tuple[bytes, int, int, str, bool]:
    """A PNG as raw camera pixels, the way a camera source hands them over."""
    mode = {"rgba": "RGBA", "rgb": "RGB", "gray": "L"}[fmt]
    img = Image.open(io.BytesIO(png)).convert(mode)
    if bottom_up:
        img = img.transpose(Image.FLIP_TOP_BOTTOM)
    return img.tobytes(), img.width, img.height, fmt, bottom_up


def camera_shot(png: bytes) -> bytes:
    """The QR as a camera sees it: smaller, slightly turned and blurred, on a grey desk, 640×480."""
    qr = Image.open(io.BytesIO(png)).convert("L")
    qr = qr.resize((260, 260), Image.BILINEAR).rotate(7, expand=True, fillcolor=150)
    scene = Image.new("L", (640, 480), 150)
    ImageDraw.Draw(scene).rectangle((20, 20, 200, 120), fill=90)          # something else on the desk
    scene.paste(qr, (250, 90))
    out = io.BytesIO()
    scene.filter(ImageFilter.GaussianBlur(1.2)).convert("RGBA").save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def enrollment_qr():
    code = new_code()
    return code, qr_png(wire.enroll_uri(SERVER, code))      # the image the ward server prints


# Both decoders: zxing-cpp (desktop) and zbar (the Android build's, python-for-android recipes).
DECODER = pytest.mark.parametrize("decoder", [
    "zxing",
    pytest.param("zbar", marks=pytest.mark.skipif(
        "zbar" not in qrscan.available_decoders(),
        reason="zbar needs pyzbar (tablet extra) and the libzbar0 library (scripts/system-deps.sh installs it)")),
])


@DECODER
def test_the_servers_enrollment_qr_decodes_to_server_and_code(enrollment_qr, decoder):
    code, png = enrollment_qr
    payload = qrscan.decode_frame(*frame_of(png), decoder=decoder)
    assert payload == wire.enroll_uri(SERVER, code)
    assert qrscan.parse_enrollment_payload(payload) == (SERVER, code)


@DECODER
@pytest.mark.parametrize("fmt,bottom_up", [("rgba", True), ("rgb", False), ("gray", False)])
def test_frame_layouts(enrollment_qr, fmt, bottom_up, decoder):
    code, png = enrollment_qr
    payload = qrscan.decode_frame(*frame_of(png, fmt, bottom_up), decoder=decoder)
    assert qrscan.parse_enrollment_payload(payload) == (SERVER, code)


@DECODER
def test_a_camera_like_frame_decodes(enrollment_qr, decoder):
    code, png = enrollment_qr
    pixels, w, h, fmt, up = frame_of(camera_shot(png))
    assert (w, h) == (640, 480)
    assert qrscan.parse_enrollment_payload(qrscan.decode_frame(pixels, w, h, fmt, up, decoder=decoder)) == (SERVER, code)


@DECODER
def test_a_frame_without_a_qr_code_is_none_and_a_wrong_buffer_is_refused(decoder):
    blank = bytes([200]) * (320 * 240 * 4)
    assert qrscan.decode_frame(blank, 320, 240, decoder=decoder) is None
    with pytest.raises(ValueError):
        qrscan.decode_frame(blank[:-4], 320, 240, decoder=decoder)


def test_zbar_is_used_when_zxing_is_missing(monkeypatch, enrollment_qr):
    if "zbar" not in qrscan.available_decoders():
        pytest.skip("zbar needs pyzbar and libzbar0 (scripts/system-deps.sh installs it)")
    monkeypatch.setitem(sys.modules, "zxingcpp", None)              # as on the Android build
    assert qrscan.available_decoders() == ["zbar"]
    code, png = enrollment_qr
    assert qrscan.parse_enrollment_payload(qrscan.decode_frame(*frame_of(png))) == (SERVER, code)


def _png_of(text: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(text, box_size=8, border=2).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("text", [
    "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",            # a web link
    "00020101021138570010A00000072701270006970436011300123456789",   # a bank transfer (VietQR-like) code
    "Xin chào",
])
def test_a_qr_code_that_is_not_an_enrollment_code_gets_a_clear_message(text):
    payload = qrscan.decode_frame(*frame_of(_png_of(text)))
    assert payload == text                                              # decoded fine, but not ours
    with pytest.raises(qrscan.QrError) as err:
        qrscan.parse_enrollment_payload(payload)
    assert "không phải mã đăng ký" in err.value.message_vi
    assert "not a ward tablet enrollment code" in err.value.message("en")


@pytest.mark.parametrize("text,words", [
    ("rasoat://enroll?server=http%3A%2F%2F10.0.0.2%3A8000", "thiếu địa chỉ máy chủ hoặc mã đăng ký"),
    ("rasoat://enroll?server=ftp%3A%2F%2Fx&code=ABCD-EFGH-JKLM", "Địa chỉ máy chủ trong mã QR không hợp lệ"),
    ("rasoat://enroll?server=http%3A%2F%2F10.0.0.2&code=%21%21", "Mã đăng ký trong mã QR không hợp lệ"),
    ("", "Mã QR trống"),
])
def test_a_broken_enrollment_payload_is_named(text, words):
    with pytest.raises(qrscan.QrError) as err:
        qrscan.parse_enrollment_payload(text)
    assert words in err.value.message_vi


def test_payload_is_normalised():
    assert qrscan.parse_enrollment_payload(
        " rasoat://enroll?server=https%3A%2F%2Fphuong.example%2F&code=abcd efgh-jklm ") == (
        "https://phuong.example", "ABCD-EFGH-JKLM")


def test_without_a_decoder_the_message_says_to_type(monkeypatch):
    monkeypatch.setitem(sys.modules, "zxingcpp", None)              # import zxingcpp now fails
    monkeypatch.setitem(sys.modules, "pyzbar", None)                # and pyzbar
    assert not qrscan.decoder_available()
    with pytest.raises(qrscan.DecoderMissing) as err:
        qrscan.decode_frame(b"\0" * 16, 2, 2)
    assert "hãy nhập mã đăng ký" in err.value.message_vi


# --- presenters -------------------------------------------------------------------------------

def test_scan_presenter_names_a_wrong_qr_keeps_scanning_then_returns_the_code(enrollment_qr):
    code, png = enrollment_qr
    got = []
    p = ScanPresenter(on_result=lambda server, c: got.append((server, c)))
    p.start()
    assert p.active and "Đưa mã QR" in p.message
    p.feed(None)                                                     # camera warming up
    p.feed(frame_of(_png_of("https://example.org/menu")))
    assert p.active and "không phải mã đăng ký" in p.error_vi and got == []
    p.lang = "en"                                                    # the language switch applies at once
    assert "not a ward tablet enrollment code" in p.error_vi and "Hold the QR code" in p.message
    p.lang = "vi"
    p.feed((bytes([255]) * (64 * 64 * 4), 64, 64, "rgba", True))  # nothing in view: the message stays
    assert p.active and "không phải mã đăng ký" in p.error_vi
    p.feed(frame_of(png, bottom_up=True))
    assert got == [(SERVER, code)] and not p.active and p.error_vi == ""
    p.feed(frame_of(png))                                            # after the result frames are ignored
    assert got == [(SERVER, code)] and p.frames == 3


def test_scan_presenter_stops_with_the_decoder_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    monkeypatch.setitem(sys.modules, "pyzbar", None)
    p = ScanPresenter()
    p.start()
    p.feed((b"\0" * 16, 2, 2, "rgba", False))
    assert not p.active and "bộ đọc mã QR" in p.error_vi


def test_enroll_presenter_refuses_the_scan_without_camera_or_decoder(store):
    p = EnrollPresenter(store)
    assert p.scan_refusal(camera_present=False, decoder_present=True).startswith(
        "Máy này không có camera — hãy nhập mã")
    assert "bộ đọc mã QR" in p.scan_refusal(camera_present=True, decoder_present=False)
    assert p.scan_refusal(camera_present=True, decoder_present=True) is None
    p.lang = "en"
    assert p.scan_refusal(False, True).startswith("This device has no camera — type the enrollment code")


def test_enroll_presenter_hands_scanned_values_to_the_screen(store):
    p = EnrollPresenter(store)
    seen = []
    p.bind(lambda: seen.append(p.fill))
    p.scanned(SERVER, "ABCD-EFGH-JKLM")
    assert seen == [(SERVER, "ABCD-EFGH-JKLM")] and SERVER in p.message and p.error_vi == ""


def test_the_kivy_camera_needs_a_provider_and_a_device(monkeypatch):
    import kivy.core.camera as core_camera

    from mobile.camera import KivyCamera
    monkeypatch.setattr(core_camera, "Camera", None)
    assert KivyCamera("linux").present() is False and KivyCamera("android").present() is False
    monkeypatch.setattr(core_camera, "Camera", object)
    monkeypatch.setattr("mobile.camera.glob.glob", lambda pattern: [])
    assert KivyCamera("linux").present() is False
    monkeypatch.setattr("mobile.camera.glob.glob", lambda pattern: ["/dev/video0"])
    assert KivyCamera("linux").present() is True
