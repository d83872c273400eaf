"""With the page cache off, the notices' pages serve from rows remembered per worker
(``notices.public``): they follow every write and the clock as a fresh render does."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from sunshine.notices import services
from tests.notices.conftest import objection_data, published
from tests.notices.test_story import test_a_villager_objects_and_reads_the_ruling_in_the_result

#: The story of the notices, told again with nothing kept but the remembered rows.
test_the_story_with_the_page_cache_off = test_a_villager_objects_and_reads_the_ruling_in_the_result
del test_a_villager_objects_and_reads_the_ruling_in_the_result


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"PAGE_CACHE": False}


def test_lists_and_pages_follow_writes_and_the_clock(app, client, users, register,
                                                     clock) -> None:
    notice = published(users["county"])
    for url in ("/notices/", "/"):
        assert "还剩 <strong>7</strong> 天" in client.get(url).text
    assert "收到异议" not in client.get("/notices/").text
    assert client.post(f"/notices/{notice.id}/objection",
                       data=objection_data(app)).status_code == 200
    assert "收到异议 1 条，已处理 0 条" in client.get("/notices/").text
    exported = list(csv.reader(io.StringIO(client.get("/notices/export.csv").text)))
    assert exported[1][9:11] == ["1", "0"]
    assert client.get(f"/api/v1/notices/{notice.id}").json["objections"]["received"] == 1
    clock.set(clock.day(3, hour=1))
    assert "还剩 <strong>5</strong> 天" in client.get("/notices/").text
    assert '<strong class="days">5</strong>' in client.get(f"/notices/{notice.id}").text
    assert "公示中" in client.get("/feeds/notices.xml").text
    services.withdraw(users["county"], notice, "名单有误，重新评议。")
    for url in (f"/notices/{notice.id}", f"/notices/{notice.id}/print", "/feeds/notices.xml"):
        assert "名单有误，重新评议。" in client.get(url).text
    assert "notice-card notice-withdrawn" in client.get("/notices/").text
    assert "目前没有正在公示的内容" in client.get("/").text
