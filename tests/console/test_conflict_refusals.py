"""The conflict pages answer an unknown conflict with the console's 404 page, never a 500, and the
service's refusals are 4xx errors wherever they escape."""
from __future__ import annotations

from server.errors import ApiError
from server.services import conflicts


def test_every_refusal_is_a_4xx_api_error_with_vietnamese():
    for status in (404, 409, 422):
        r = conflicts.Refused(status, ["x"] if status == 422 else None)
        assert isinstance(r, ApiError) and r.status == status and r.message_vi and r.code.startswith("conflict_")


def test_an_unknown_conflict_is_the_404_page(clients):
    r = clients["viewer"].get("/console/conflicts/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
