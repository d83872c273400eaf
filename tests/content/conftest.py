"""A small content/ folder written per test, so tests do not depend on the demo articles."""

from __future__ import annotations

from pathlib import Path

import pytest

POLICY = """+++
title = "{title}"
date = {date}
slug = "{slug}"
summary = "{summary}"
topic = "{topic}"
level = "省"
region = "{region}"
issuer = "广西壮族自治区扶贫开发办公室"
tags = ["{topic}"]
{extra}
+++
## 补助标准

{body}

| 等级 | 补助 |
|---|---|
| D 级 | 20000 元 |
"""

NEWS = """+++
title = "{title}"
date = {date}
slug = "{slug}"
summary = "{summary}"
category = "工作动态"
level = "县"
region = "{region}"
+++
{body}
"""


def write_policy(root: Path, slug: str, title: str, topic: str = "危房改造",
                 body: str = "农村危房改造补助标准如下。", date: str = "2019-03-12",
                 region: str = "450000000000", summary: str = "摘要", extra: str = "") -> Path:
    path = root / "policies" / f"{date}-{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(POLICY.format(title=title, date=date, slug=slug, summary=summary,
                                  topic=topic, region=region, body=body, extra=extra),
                    encoding="utf-8")
    return path


def write_news(root: Path, slug: str, title: str, body: str = "全县推进产业扶贫工作。",
               date: str = "2020-05-01", region: str = "450102000000") -> Path:
    path = root / "news" / f"{date}-{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NEWS.format(title=title, date=date, slug=slug, summary="新闻摘要",
                                region=region, body=body), encoding="utf-8")
    return path


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    write_policy(root, "weifang-2019", "2019年农村危房改造补助标准")
    write_policy(root, "xiaoe-xindai", "扶贫小额信贷政策", topic="小额信贷",
                 body="5万元以下、3年以内、免担保免抵押。")
    write_policy(root, "old-school-aid", "旧的教育资助办法", topic="教育资助",
                 body="已被新办法取代。", extra="expires = 2018-12-31")
    write_news(root, "chanye-2020", "兴宁区产业扶贫见成效")
    return root


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, str]:
    """The articles written here, like those of content/, are about Guangxi: a site serving
    another province would pass them over (tests/test_province.py)."""
    return {"CONTENT_DIR": str(tmp_path / "content"), "PROVINCE_CODE": "450000000000"}
