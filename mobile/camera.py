"""Camera frames for the QR scan view (Kivy's ``kivy.uix.camera.Camera``).

The scan view only talks to a *camera provider*, so tests inject one with fake frames:

- ``provider.present() -> bool``: is there a camera at all (cheap, opens nothing);
- ``provider.open() -> FrameSource``: opens it (may raise ``CameraError``);
- a ``FrameSource`` has ``widget`` (the preview to show, or None), ``start()``, ``stop()`` and
  ``read() -> (pixels, width, height, fmt, bottom_up) | None`` (the latest frame, see
  ``mobile.qrscan.decode_frame``).
"""
from __future__ import annotations

import glob
import logging

from .i18n import pair

log = logging.getLogger("rasoat.tablet.camera")

Frame = tuple[bytes, int, int, str, bool]


class CameraError(Exception):
    def __init__(self, message_vi: str, message_en: str):
        super().__init__(message_en)
        self.message_vi, self.message_en = message_vi, message_en

    def message(self, lang: str = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi


class KivyCameraSource:
    """Frames from Kivy's Camera widget (which is also the preview). Its texture reads back as
    RGBA, bottom row first."""

    def __init__(self, index: int = 0, resolution: tuple[int, int] = (640, 480)):
        from kivy.uix.camera import Camera
        try:
            self.widget = Camera(index=index, resolution=resolution, play=False, allow_stretch=True)
        except Exception as exc:          # the provider could not open the device
            raise CameraError(*pair("camera.open_failed", error=exc)) from exc
        if getattr(self.widget, "_camera", None) is None:
            raise CameraError(*pair("camera.none"))

    def start(self) -> None:
        self.widget.play = True

    def read(self) -> Frame | None:
        tex = self.widget.texture
        if tex is None:
            return None
        return bytes(tex.pixels), tex.width, tex.height, "rgba", True

    def stop(self) -> None:
        self.widget.play = False


class KivyCamera:
    """The device's camera through Kivy's camera providers (Android's, OpenCV, GStreamer)."""

    def __init__(self, platform: str):
        self.platform = platform

    def present(self) -> bool:
        try:
            from kivy.core.camera import Camera as CoreCamera
        except Exception:                 # no usable provider at all
            log.info("no Kivy camera provider", exc_info=True)
            return False
        if CoreCamera is None:
            return False
        if self.platform == "linux":      # a provider is installed; is there a device?
            return bool(glob.glob("/dev/video*"))
        return True

    def open(self) -> KivyCameraSource:
        if self.platform == "android":
            _android_camera_permission()
        return KivyCameraSource()


def _android_camera_permission() -> None:
    """Ask for the CAMERA permission; until it is granted say so (the user taps Scan again)."""
    try:
        from android.permissions import Permission, check_permission, request_permissions  # type: ignore
    except ImportError:
        return
    if not check_permission(Permission.CAMERA):
        request_permissions([Permission.CAMERA])
        raise CameraError(*pair("camera.permission"))


__all__ = ["CameraError", "KivyCamera", "KivyCameraSource"]
