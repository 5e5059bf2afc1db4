"""Evidence on the household: GPS position and dwelling photos (plain Python, no Kivy).

- **GPS** comes from ``plyer.gps`` where the platform has it (Android); elsewhere
  ``GpsProvider.available`` is False and the form says *Không có GPS trên thiết bị
  này* (a position may then be typed by hand). A fix never blocks saving the form.
- **Photos** come from the camera (``plyer.camera`` on Android) or from a file (desktop);
  ``store_photo`` resizes them on the device with Pillow (long side 1280 px, JPEG quality
  80, EXIF orientation applied, metadata dropped) and stores them content-addressed as
  ``<data dir>/photos/<sha256>.jpg`` (temp file + fsync + rename). The household document
  names each photo by its SHA-256 and the question it documents.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .store import now_iso

log = logging.getLogger("rasoat.tablet.evidence")

MAX_SIDE = 1280
JPEG_QUALITY = 80

# Questions a dwelling photo can document (the form's field paths), in the order shown.
PHOTO_QUESTIONS: tuple[str, ...] = ("housing.walls", "housing.columns", "housing.roof", "latrine", "water_source")


class PhotoError(Exception):
    def __init__(self, message_vi: str, message_en: str = ""):
        super().__init__(message_en or message_vi)
        self.message_vi, self.message_en = message_vi, message_en or message_vi


def photo_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / "photos"


def photo_path(data_dir: str | os.PathLike[str], sha256: str) -> Path:
    return photo_dir(data_dir) / f"{sha256}.jpg"


def resize_jpeg(data: bytes, max_side: int = MAX_SIDE, quality: int = JPEG_QUALITY) -> bytes:
    """Any image Pillow reads → an RGB JPEG whose long side is at most ``max_side``."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    try:
        img = Image.open(io.BytesIO(data))
        img = ImageOps.exif_transpose(img)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise PhotoError("Tệp này không phải là ảnh hoặc ảnh bị hỏng.", f"not an image: {exc}") from exc
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    img.thumbnail((max_side, max_side), Image.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def store_photo(data_dir: str | os.PathLike[str], source: str | os.PathLike[str] | bytes,
                taken_at: str | None = None) -> dict[str, Any]:
    """Resize ``source`` (a path or the image bytes) and keep it under its SHA-256.

    Returns ``{sha256, path, size, content_type, taken_at}``. The same picture stored twice is
    one file.
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise PhotoError(f"Không mở được tệp ảnh: {source}", f"cannot read {source}: {exc}") from exc
    jpeg = resize_jpeg(data)
    sha = hashlib.sha256(jpeg).hexdigest()
    dest = photo_path(data_dir, sha)
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{sha}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(jpeg)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise PhotoError("Không lưu được ảnh: bộ nhớ máy tính bảng có thể đã đầy.", str(exc)) from exc
    return {"sha256": sha, "path": str(dest), "size": len(jpeg), "content_type": "image/jpeg",
            "taken_at": taken_at or now_iso()}


# --- GPS ---------------------------------------------------------------------------------------

class GpsProvider:
    """One GPS fix at a time. ``available`` is False where the device has no GPS (desktop)."""

    available = False
    reason_vi = "Không có GPS trên thiết bị này. Có thể nhập vĩ độ, kinh độ bằng tay (không bắt buộc)."
    reason_en = "No GPS on this device. Latitude and longitude may be typed by hand (optional)."

    def request_fix(self, on_fix: Callable[[dict[str, Any]], None],
                    on_error: Callable[[str], None], timeout: float = 60.0) -> None:
        on_error(self.reason_vi)


class PlyerGps(GpsProvider):
    """``plyer.gps`` (Android): starts the location service, delivers the first fix, stops."""

    available = True

    def __init__(self) -> None:
        from plyer import gps       # raises where plyer or a GPS backend is missing
        self._gps = gps

    def request_fix(self, on_fix: Callable[[dict[str, Any]], None],
                    on_error: Callable[[str], None], timeout: float = 60.0) -> None:
        done = threading.Event()

        def location(**kw: Any) -> None:
            if done.is_set():
                return
            done.set()
            try:
                self._gps.stop()
            except Exception:   # stopping the sensor is best effort; the fix is already in hand
                log.debug("GPS stop failed", exc_info=True)
            fix = {"lat": float(kw["lat"]), "lon": float(kw["lon"]), "captured_at": now_iso()}
            if kw.get("accuracy") is not None:
                fix["accuracy_m"] = round(float(kw["accuracy"]), 1)
            if kw.get("altitude") is not None:
                fix["altitude_m"] = round(float(kw["altitude"]), 1)
            on_fix(fix)

        def status(stype: str, status: str) -> None:
            if stype == "provider-disabled" and not done.is_set():
                done.set()
                on_error("GPS đang tắt: hãy bật Vị trí trong cài đặt máy rồi thử lại.")

        try:
            self._gps.configure(on_location=location, on_status=status)
            self._gps.start(minTime=1000, minDistance=0)
        except Exception as exc:        # no permission, no provider
            on_error(f"Không bật được GPS: {exc}")
            return

        def give_up() -> None:
            if not done.wait(timeout):
                done.set()
                try:
                    self._gps.stop()
                except Exception:   # best effort, as above
                    log.debug("GPS stop failed", exc_info=True)
                on_error("Chưa bắt được tín hiệu GPS; hãy ra chỗ thoáng và thử lại (không bắt buộc).")
        threading.Thread(target=give_up, daemon=True).start()


def gps_provider(platform: str) -> GpsProvider:
    """plyer's GPS on Android, the "not available" provider elsewhere."""
    if platform in ("android", "ios"):
        try:
            return PlyerGps()
        except Exception:   # no usable GPS service: the form says so and stays usable
            log.warning("GPS unavailable on this device", exc_info=True)
    return GpsProvider()


def parse_manual_gps(lat_text: str, lon_text: str, accuracy_text: str = "") -> dict[str, Any]:
    """A position typed by hand (Vietnamese decimal comma accepted). Raises PhotoError-like ValueError."""
    def num(t: str) -> float:
        return float(t.strip().replace(",", "."))
    try:
        lat, lon = num(lat_text), num(lon_text)
    except ValueError:
        raise ValueError("Vĩ độ và kinh độ phải là số, ví dụ 20,9512 và 107,0735") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("Vĩ độ phải trong −90..90 và kinh độ trong −180..180")
    fix: dict[str, Any] = {"lat": lat, "lon": lon, "captured_at": now_iso()}
    if accuracy_text.strip():
        try:
            fix["accuracy_m"] = abs(num(accuracy_text))
        except ValueError:
            raise ValueError("Độ chính xác phải là số mét") from None
    return fix


def has_camera(platform: str) -> bool:
    if platform != "android":
        return False
    try:
        from plyer import camera  # noqa: F401
        return True
    except Exception:
        return False


def take_picture(data_dir: str | os.PathLike[str], on_done: Callable[[str | None], None]) -> None:
    """Android: open the camera app; ``on_done(path)`` with the captured file (None if cancelled)."""
    from plyer import camera
    target = Path(data_dir) / "photos" / f"capture-{int(time.time() * 1000)}.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)

    def done(path: str) -> bool:
        on_done(path if path and Path(path).exists() else None)
        return False
    camera.take_picture(filename=str(target), on_complete=done)
