"""Reliability, security and load harness of rasoat (issue 8). Full run: ``make harness``
(``python -m harness``); the fast subset runs in ``make test`` (tests/reliability/).
Traffic goes to 127.0.0.1 only. Results: docs/reliability.md."""
