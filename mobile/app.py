"""The Kivy application: ``build()`` wires storage → presenters → screens.

Start it with the root ``main.py`` (``python main.py --help``). The data
directory is ``--data-dir``, else ``$RASOAT_TABLET_DATA_DIR``, else ``App.user_data_dir``.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.utils import platform

from . import qrscan
from . import store as st
from .camera import CameraError, KivyCamera
from .collect import Collection
from .i18n import tr
from .presenters import (EnrollPresenter, FormPresenter, HouseholdListPresenter, ScanPresenter, SummaryPresenter,
                         SyncPresenter)
from .screens import EnrollScreen, FormScreen, HouseholdsScreen, RootView, ScanScreen, SummaryScreen, SyncScreen
from .store import LocalStore, StoreError
from .sync import SyncWorker

KV_DIR = Path(__file__).parent / "kv"
log = logging.getLogger("rasoat.tablet.app")


def load_kv() -> None:
    """Load every .kv file once (UI tests import this module before their first app)."""
    for name in ("widgets.kv", "screens.kv"):
        path = str(KV_DIR / name)
        if path not in Builder.files:
            Builder.load_file(path)


load_kv()
from . import support_screen  # noqa: E402,F401  (its kv rules load with the others, before any app)


class RasoatApp(App):
    title = "Rà soát hộ nghèo"
    lang = StringProperty("vi")
    who = StringProperty("")
    sync_badge = StringProperty("")

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, server: str | None = None,
                 enroll_code: str | None = None, device_name: str | None = None, lang: str | None = None,
                 auto_sync_interval: float = 60.0, window_size: tuple[int, int] | None = (1280, 800),
                 camera: Any = None, **kw: Any):
        """``camera``: the QR scan's camera provider (``mobile.camera``); tests inject fake frames."""
        super().__init__(**kw)
        self._camera = camera
        self._data_dir = data_dir
        self._server, self._enroll_code, self._device_name = server, enroll_code, device_name
        self._lang_arg = lang
        self.auto_sync_interval = auto_sync_interval
        self.window_size = window_size
        self.store: LocalStore | None = None
        self.worker: SyncWorker | None = None

    # --- wiring --------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        if self._data_dir:
            return Path(self._data_dir)
        return st.default_data_dir(self.user_data_dir)

    def run_async(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``fn`` in a thread; deliver its result (or exception) on the UI thread."""
        def work() -> None:
            try:
                out = fn()
            except Exception as exc:
                out = exc
            Clock.schedule_once(lambda _dt: done(out), 0)
        threading.Thread(target=work, daemon=True, name="rasoat-call").start()

    def build(self):
        if self.window_size and platform not in ("android", "ios"):
            from .window import fit
            fit(Window, self.window_size)          # clamped to the screen and centred on it
        Window.clearcolor = (0.96, 0.96, 0.95, 1)
        data_dir = self.data_dir
        self.store = LocalStore.in_dir(data_dir)
        self.lang = self._lang_arg or self.store.get("lang") or "vi"
        self.collection = Collection(self.store)
        self.worker = SyncWorker(lambda: LocalStore.in_dir(data_dir), self._post_progress,
                                 auto_interval=self.auto_sync_interval)
        self.enroll_p = EnrollPresenter(self.store, self.run_async, on_enrolled=self._enrolled)
        self.camera = self._camera or KivyCamera(platform)
        self.scan_p = ScanPresenter(self.run_async, on_result=self._scanned)
        self.list_p = HouseholdListPresenter(self.store)
        from .evidence import gps_provider, has_camera
        self.has_camera = has_camera(platform)
        self.form_p = FormPresenter(self.collection, gps=gps_provider(platform),
                                    post=lambda fn: Clock.schedule_once(lambda _dt: fn(), 0))
        self.form_p.on_finished = self._finished
        self.summary_p = SummaryPresenter(self.collection)
        self.sync_p = SyncPresenter(self.store, self.worker)
        self.sync_p.listeners_after.append(self._after_sync)
        for p in self._presenters():
            p.lang = self.lang
        root = RootView()
        sm = root.ids.sm
        self.sm = sm
        for cls, name, p in ((EnrollScreen, "enroll", self.enroll_p), (ScanScreen, "scan", self.scan_p),
                             (HouseholdsScreen, "households", self.list_p),
                             (FormScreen, "form", self.form_p), (SummaryScreen, "summary", self.summary_p),
                             (SyncScreen, "sync", self.sync_p)):
            screen = cls(name=name)
            sm.add_widget(screen)
            screen.presenter = p
        from .support_screen import install as install_support      # support received, needs (issue 20)
        self.support_p = install_support(self, sm)
        self._update_badge()
        return root

    def _presenters(self) -> list[Any]:
        support = getattr(self, "support_p", None)        # installed after the others (support_screen)
        return [self.enroll_p, self.scan_p, self.list_p, self.form_p, self.summary_p, self.sync_p] + \
            ([support] if support is not None else [])

    def on_start(self) -> None:
        self._update_who()
        if self.enroll_p.enrolled:
            self.show_list()
        else:
            self.sm.current = "enroll"
            if self._server and self._enroll_code:          # `make run`: enrolled as the demo collaborator
                scr = self.sm.get_screen("enroll")
                scr.ids.server_input.text, scr.ids.code_input.text = self._server, self._enroll_code
                self.enroll_p.submit(self._server, self._enroll_code, self._device_name or "")
        self.worker.start()                # resumes pending sends after a restart

    def on_pause(self) -> bool:            # Android: keep state when the tablet sleeps
        return True

    def on_stop(self) -> None:
        from kivy.uix.textinput import TextInput
        if self.root is not None:      # a focused box is held by the keyboard manager after the app ends
            for w in self.root.walk(restrict=True):
                if isinstance(w, TextInput) and w.focus:
                    w.focus = False
        if self.worker is not None:
            self.worker.stop(wait=2)
        if self.store is not None:
            self.store.close()

    # --- navigation (one-line handlers in .kv call these) ------------------------------------

    def show_list(self) -> None:
        self.sm.current = "households"

    def show_sync(self) -> None:
        self.sm.current = "sync"

    def show_form(self) -> None:
        self.form_p.changed()
        self.sm.current = "form"

    def show_summary(self) -> None:
        self.summary_p.open(self.form_p.hid)
        self.sm.current = "summary"

    def open_household(self, hid: str) -> None:
        self.list_p.notice_hid = None          # the banner of the last finished household has been read
        self.form_p.open(hid)
        self.sm.current = "form"

    def new_household(self, group_code: str | None) -> None:
        groups = self.store.groups()
        code = group_code or (groups[0]["code"] if groups else "")
        try:
            hid = self.collection.new_household(code)
        except StoreError as exc:
            self.list_p.changed()
            self.sm.get_screen("households").banner = exc.message_vi
            return
        self.open_household(hid)

    def toggle_lang(self) -> None:
        self.lang = "en" if self.lang == "vi" else "vi"
        for p in self._presenters():
            p.lang = self.lang
        try:
            self.store.set(lang=self.lang)
        except StoreError:
            pass
        current = self.sm.current
        if current == "households":
            self.list_p.reload()
        elif current == "form":
            self.form_p.changed()
        elif current == "summary":
            self.summary_p.refresh()
        else:
            for p in self._presenters():
                p.changed()

    def scan_qr(self) -> None:
        """The enroll screen's *Quét mã QR*: the scan view where a camera and a QR decoder exist,
        else a message (typing always works)."""
        try:
            present = bool(self.camera.present())
        except Exception:                  # a broken camera provider counts as no camera
            log.warning("camera check failed", exc_info=True)
            present = False
        refusal = self.enroll_p.scan_refusal(present, qrscan.decoder_available())
        if refusal:
            self.enroll_p.show_error(refusal)
            return
        try:
            source = self.camera.open()
        except CameraError as exc:
            self.enroll_p.show_error(exc.message(self.lang))
            return
        except Exception as exc:           # the provider failed in its own way: say so, keep typing possible
            log.warning("camera did not open", exc_info=True)
            self.enroll_p.show_error(tr("scan.camera_failed", self.lang, error=exc))
            return
        scan = self.sm.get_screen("scan")
        try:
            scan.start(source)
        except Exception as exc:           # the camera would not play
            log.warning("camera did not start", exc_info=True)
            scan.stop()
            self.enroll_p.show_error(tr("scan.camera_failed", self.lang, error=exc))
            return
        self.enroll_p.show_error("")
        self.sm.current = "scan"

    def cancel_scan(self) -> None:
        self.sm.current = "enroll"         # leaving the scan screen stops the camera

    def _scanned(self, server_url: str, code: str) -> None:
        self.sm.current = "enroll"
        self.enroll_p.scanned(server_url, code)

    def take_photo(self, question: str) -> None:
        """Android: the camera app; the picture is resized, stored and tied to ``question``."""
        from .evidence import take_picture

        def done(path: str | None) -> None:
            if path:
                Clock.schedule_once(lambda _dt: self.form_p.add_photo(question, path), 0)
        try:
            take_picture(self.data_dir, done)
        except Exception as exc:            # no camera app, no permission
            self.form_p.error_vi = f"Không mở được máy ảnh: {exc}"
            self.form_p.changed()

    # --- sync ----------------------------------------------------------------------------------

    def _post_progress(self, event: dict[str, Any]) -> None:
        """Called from the worker thread: hop onto the UI thread."""
        Clock.schedule_once(lambda _dt: self.sync_p.on_progress(event), 0)

    def _after_sync(self, event: dict[str, Any]) -> None:
        self._update_badge()
        if event.get("phase") in ("done", "error", "cancelled"):
            if self.sm.current == "households":
                self.list_p.reload()
            elif self.sm.current == "form" and self.form_p.hid:
                self.form_p.changed()
            if event.get("error_code") in ("token_revoked", "token_expired", "unauthorized") or \
                    self.store.get("auth_error"):
                self.sm.get_screen("households").banner = self.store.get("auth_error") or ""

    def _finished(self) -> None:
        """'Hoàn thành và gửi' went through: back to the list, a banner naming the household and its state."""
        self.list_p.notice_hid = self.form_p.hid
        self.show_list()
        self.request_sync()

    def request_sync(self) -> None:
        self.worker.request(manual=True)

    def _enrolled(self) -> None:
        self._update_who()
        self.show_list()
        self.request_sync()

    def _update_who(self) -> None:
        c = self.store.get("collaborator") or {}
        self.who = c.get("name") or ""

    def _update_badge(self) -> None:
        counts = self.store.outbox_counts()
        pending = counts.get(st.OB_QUEUED, 0) + counts.get(st.OB_FAILED, 0)
        self.sync_badge = tr("sync.pending", self.lang, n=pending) if pending else ""
