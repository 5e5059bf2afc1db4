"""The tablet app: local store, sync worker, presenters (plain Python) and Kivy screens.

Layers, wired in ``mobile.app.RasoatApp.build()``:

- ``store``      — local SQLite (sqlite-utils): households, outbox, settings, form versions;
- ``sync``       — HTTP client of the sync protocol and the background worker;
- ``presenters`` — screen logic in plain Python, testable without a window;
- ``app`` + ``kv/`` — Kivy screens: ``.kv`` layout and one-line handlers.

Imports ``shared`` (rules), never ``server``. Kivy is imported only by ``app``
and ``widgets`` so that everything else runs in plain Python tests.
"""
