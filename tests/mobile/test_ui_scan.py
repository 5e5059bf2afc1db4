"""The enrollment QR scan in a real Kivy window (Xvfb) against the real ward server on loopback.

A fake camera is injected (``RasoatApp(camera=...)``): it hands over frames the test chooses,
made from the QR PNG the server writes (``rasoat enroll-code --qr``). Without a camera (this
machine: no Kivy camera provider) the button says so and typing the code still enrolls.
"""
from __future__ import annotations

import io
import os

import pytest

if not os.environ.get("DISPLAY"):
    pytest.skip("UI tests need a display: run under xvfb-run -a", allow_module_level=True)

import qrcode  # noqa: E402
from kivy.graphics.texture import Texture  # noqa: E402
from kivy.tests.fixtures import kivy_app  # noqa: E402,F401  (the fixture)
from kivy.uix.image import Image as KivyImage  # noqa: E402
from PIL import Image  # noqa: E402

from mobile.camera import KivyCamera  # noqa: E402
from mobile.widgets import find  # noqa: E402

from .realserver import RealServer  # noqa: E402
from .uikit import TabletApp, skip_kivy_leak_check, screenshot, tap, type_into, until, widget  # noqa: E402,F401  (the fixture)

pytestmark = [pytest.mark.ui, pytest.mark.asyncio]

WORLD: dict = {}




def rgba_bottom_up(png: bytes) -> tuple[bytes, int, int]:
    """Pixels as Kivy's camera texture gives them: RGBA, bottom row first."""
    img = Image.open(io.BytesIO(png)).convert("RGBA").transpose(Image.FLIP_TOP_BOTTOM)
    return img.tobytes(), img.width, img.height


class FakeSource:
    """A camera that shows what the test holds in front of it (``show``)."""

    def __init__(self) -> None:
        self.widget = KivyImage(fit_mode="contain")
        self.frame: tuple | None = None
        self.reads = 0
        self.started = self.stopped = False
        self.fail_start = False

    def show(self, png: bytes | None) -> None:
        if png is None:
            self.frame = None
            return
        pixels, w, h = rgba_bottom_up(png)
        self.frame = (pixels, w, h, "rgba", True)
        tex = Texture.create(size=(w, h), colorfmt="rgba")
        tex.blit_buffer(pixels, colorfmt="rgba", bufferfmt="ubyte")
        self.widget.texture = tex

    def start(self) -> None:
        if self.fail_start:
            raise OSError("camera busy")
        self.started = True

    def read(self):
        self.reads += 1
        return self.frame

    def stop(self) -> None:
        self.stopped = True


class FakeCamera:
    def __init__(self) -> None:
        self.source = FakeSource()

    def present(self) -> bool:
        return True

    def open(self) -> FakeSource:
        return self.source


def png_of(text: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(text, box_size=8, border=2).save(out, format="PNG")
    return out.getvalue()


def make_plain_app():
    return TabletApp(data_dir=WORLD["plain_dir"], auto_sync_interval=3600)


def make_camera_app():
    WORLD["camera"] = FakeCamera()
    return TabletApp(data_dir=WORLD["camera_dir"], auto_sync_interval=3600, camera=WORLD["camera"])




@pytest.fixture(scope="module", autouse=True)
def world(tmp_path_factory):
    WORLD["plain_dir"] = tmp_path_factory.mktemp("tablet-plain")
    WORLD["camera_dir"] = tmp_path_factory.mktemp("tablet-camera")
    WORLD["qr_dir"] = tmp_path_factory.mktemp("qr")
    server = RealServer(tmp_path_factory.mktemp("server"), households=6)
    server.start()
    WORLD["server"] = server
    yield WORLD
    server.stop()


def devices(server) -> list[tuple]:
    return server.rows("SELECT name, revoked_at FROM devices ORDER BY enrolled_at")


@pytest.mark.parametrize("kivy_app", [(make_plain_app,)], indirect=True)
async def test_without_a_camera_the_button_says_so_and_typing_enrolls(kivy_app, world):
    app, server = kivy_app, world["server"]
    if app.camera.present():
        pytest.skip("this machine has a camera")
    assert isinstance(app.camera, KivyCamera)                     # the real detection, not a stub
    assert app.sm.current == "enroll"
    await tap(app, "enroll:scan")
    err = await widget(app, "enroll:error")
    await until(app, lambda: "Máy này không có camera — hãy nhập mã" in err.text, 5, "the no-camera message")
    assert app.sm.current == "enroll"
    await screenshot(app, "13-enroll-no-camera")

    await type_into(app, "enroll:server", server.url)
    await type_into(app, "enroll:code", server.enroll_code())
    await type_into(app, "enroll:name", "Máy gõ mã")
    await tap(app, "enroll:submit")
    await until(app, lambda: app.sm.current == "households", 15, "the household list")
    assert ("Máy gõ mã", None) in devices(server)


@pytest.mark.parametrize("kivy_app", [(make_camera_app,)], indirect=True)
async def test_scanning_the_servers_qr_fills_the_fields_and_enrolls(kivy_app, world):
    app, server, camera = kivy_app, world["server"], world["camera"]
    qr_path = world["qr_dir"] / "enroll.png"
    issued = server.enroll_qr(qr_path)                             # the QR the ward office prints
    assert issued["enroll_uri"].startswith("rasoat://enroll?")
    src = camera.source

    assert app.sm.current == "enroll"
    server_box, code_box = await widget(app, "enroll:server"), await widget(app, "enroll:code")
    assert code_box.text == ""
    src.fail_start = True                                           # the camera will not play: a message, no traceback
    await tap(app, "enroll:scan")
    err = await widget(app, "enroll:error")
    await until(app, lambda: "Không mở được camera (camera busy)" in err.text, 5, "the camera-failed message")
    assert app.sm.current == "enroll" and src.widget.parent is None

    src.fail_start = False
    await tap(app, "enroll:scan")
    await until(app, lambda: app.sm.current == "scan", 5, "the scan view")
    assert not err.text
    assert src.started and src.widget.parent is not None          # the preview is on screen
    await until(app, lambda: src.reads >= 2, 5, "frames being read")

    src.show(png_of("https://example.org/thuc-don"))                # someone holds up the wrong QR code
    err = await widget(app, "scan:error")
    await until(app, lambda: "không phải mã đăng ký" in err.text, 10, "the wrong-QR message")
    assert app.sm.current == "scan"
    await screenshot(app, "14-scan-wrong-qr")

    src.show(qr_path.read_bytes())                                  # then the enrollment slip
    await until(app, lambda: app.sm.current == "enroll", 10, "back on the enroll screen")
    assert src.stopped
    assert server_box.text == server.url and code_box.text == issued["code"]
    msg = await widget(app, "enroll:message")
    assert "Đã đọc mã QR" in msg.text
    await screenshot(app, "15-enroll-after-scan")

    await type_into(app, "enroll:name", "Máy quét QR")
    await tap(app, "enroll:submit")
    await until(app, lambda: app.sm.current == "households", 15, "the household list")
    await until(app, lambda: app.list_p.rows, 15, "households from the server")
    assert app.store.get("server_url") == server.url
    assert ("Máy quét QR", None) in devices(server)
    assert find(app.root, "list:count") is not None
