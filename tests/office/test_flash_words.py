"""What a process form did is said in the reader's language, from the console's catalogue (issue 22):
the flash after a form of the community-meeting pages is Vietnamese with a dd/mm/yyyy date on the
Vietnamese page and English on the English one (it was Vietnamese only, with an ISO date)."""
from __future__ import annotations

import re

import pytest

from tests.console.conftest import csrf_of
from tests.vn_check import problems


def _flash_after(client, url, data, shown_on=None):
    """The flash the next console page shows (the posting's own page is the printed list: no flash)."""
    r = client.post(url, data={"csrf_token": csrf_of(client), **data})
    assert r.status_code == 303, r.text[r.text.find("<main"):][:1500]
    page = client.get(shown_on or r.headers["location"]).text
    return page.split('class="flash', 1)[1].split("</", 1)[0] if 'class="flash' in page else page


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_posting_and_a_complaint_say_what_was_done_in_the_readers_language(office, as_role, lang):
    app, world = office
    w = world["work"]
    client = as_role["officer"]
    client.cookies.set("rasoat_lang", lang)
    posted = _flash_after(client, "/console/process/postings",
                          {"round": str(w["round"]), "standard": w["standard_id"], "posted_on": "2026-12-03"},
                          shown_on="/console/process")
    complaint = _flash_after(client, "/console/process/complaints",
                             {"round": str(w["round"]), "household_id": world["households"]["submitted"],
                              "received_on": "2026-12-03", "complainant": "Bà Hoa", "content": "Đề nghị xem lại",
                              "posting_id": str(w["posting_id"])})
    if lang == "vi":
        assert "Đã lập danh sách niêm yết đến hết ngày " in posted and "Đã ghi nhận khiếu nại" in complaint
        assert problems(posted, "posting flash") == [] and re.search(r"hết ngày \d\d/\d\d/20\d\d", posted)
    else:
        assert "Posting list drawn up, posted until " in posted and "Complaint recorded" in complaint
        assert "Đã" not in posted + complaint and re.search(r"until \d\d/\d\d/20\d\d", posted)
