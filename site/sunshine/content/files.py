"""Reading one article file: TOML front matter between ``+++`` lines, then Markdown.

Errors name the file and the line, so that ``sunshine content sync`` can point at them.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sunshine.content.models import LEVELS, NEWS_CATEGORIES, POLICY_TOPICS, Kind
from sunshine.regions.province import province_code

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
FOLDERS = {"news": Kind.NEWS, "policies": Kind.POLICY}


class ContentFileError(ValueError):
    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = str(path), line, message


@dataclass
class ArticleFile:
    kind: Kind
    slug: str
    title: str
    summary: str
    body_md: str
    category: str
    level: str
    region_code: str
    issuer: str
    document_number: str
    published_on: date
    expires_on: date | None
    tags: list[str] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)
    digest: str = ""


def parse_text(text: str, path: Path | str, kind: Kind) -> ArticleFile:
    """:raise ContentFileError: with the line of the problem."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "+++":
        raise ContentFileError(path, 1, "文件应以 +++ 开头的 TOML 前置信息开始")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        raise ContentFileError(path, len(lines), "前置信息缺少结尾的 +++") from None
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) + 1 if match else 1
        raise ContentFileError(path, line, f"前置信息不是合法的 TOML：{exc}") from None
    body = "\n".join(lines[end + 1:]).strip() + "\n"

    def line_of(key: str) -> int:
        for i in range(1, end):
            if lines[i].lstrip().startswith(key):
                return i + 1
        return 1

    def need(key: str, kind_: type | tuple[type, ...] = str) -> Any:
        if key not in meta:
            raise ContentFileError(path, 2, f"缺少字段 {key}")
        value = meta[key]
        if not isinstance(value, kind_) or (isinstance(value, str) and not value.strip()):
            raise ContentFileError(path, line_of(key), f"字段 {key} 的值不正确")
        return value

    title, slug = need("title").strip(), need("slug").strip()
    if not SLUG_RE.match(slug):
        raise ContentFileError(path, line_of("slug"), "slug 只能含小写字母、数字和短横线")
    published = need("date", date)
    category_key = "category" if kind is Kind.NEWS else "topic"
    category = need(category_key).strip()
    allowed = NEWS_CATEGORIES if kind is Kind.NEWS else POLICY_TOPICS
    if category not in allowed:
        raise ContentFileError(path, line_of(category_key),
                               f"{category_key} 应为：{'、'.join(allowed)}")
    level = meta.get("level", "省")
    if level not in LEVELS:
        raise ContentFileError(path, line_of("level"), f"level 应为：{'、'.join(LEVELS)}")
    region = str(meta.get("region", province_code()))
    if not (region.isdigit() and len(region) == 12):
        raise ContentFileError(path, line_of("region"), "region 应为 12 位区划代码")
    expires = meta.get("expires")
    if expires is not None and not isinstance(expires, date):
        raise ContentFileError(path, line_of("expires"), "expires 应为日期，例如 2020-12-31")
    tags = meta.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ContentFileError(path, line_of("tags"), "tags 应为字符串列表")
    attachments = meta.get("attachments", [])
    if not isinstance(attachments, list) or not all(
            isinstance(a, dict) and isinstance(a.get("title"), str)
            and isinstance(a.get("url"), str) for a in attachments):
        raise ContentFileError(path, line_of("[[attachments]]"), "附件应有 title 和 url")
    for attachment in attachments:
        if not attachment["url"].startswith(("/", "https://", "http://")):
            raise ContentFileError(path, line_of("url"), "附件地址应以 / 或 http(s):// 开头")
    return ArticleFile(
        kind=kind, slug=slug, title=title[:200], summary=str(meta.get("summary", ""))[:500],
        body_md=body, category=category, level=level, region_code=region,
        issuer=str(meta.get("issuer", ""))[:100],
        document_number=str(meta.get("document_number", ""))[:100],
        published_on=published if not hasattr(published, "date") else published.date(),
        expires_on=expires, tags=[t.strip() for t in tags if t.strip()][:20],
        attachments=[{"title": a["title"], "url": a["url"]} for a in attachments][:20],
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def parse_file(path: Path, kind: Kind) -> ArticleFile:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentFileError(path, 1, "文件不是 UTF-8 编码") from None
    return parse_text(text, path, kind)


def article_files(root: Path) -> list[tuple[Path, Kind]]:
    found = []
    for folder, kind in FOLDERS.items():
        base = root / folder
        if base.is_dir():
            found += [(p, kind) for p in sorted(base.glob("*.md"))]
    return found
