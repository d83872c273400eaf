"""Synonym groups that editors keep in the back office, applied when a query is read.

A group is a few words that mean the same to a citizen (贫困户 建档立卡户). A query word or
quoted fragment that is in a group also finds the other words of it. A word belongs to one
group at most, so that what a word finds is plain to see.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from sunshine import audit, pagecache
from sunshine.extensions import db
from sunshine.failures import FieldError

#: The page-version scope of search settings: a change of a group bumps it.
SCOPE: pagecache.Scope = ("search", None)
MAX_WORDS = 12
MAX_WORD_LENGTH = 20
_SEPARATORS = re.compile(r"[\s,，、;；/|]+")

#: What the demo ships: words citizens and documents use for the same thing.
DEMO_GROUPS = [
    "建档立卡户 贫困户 建档立卡贫困户",
    "易地扶贫搬迁 易地搬迁 扶贫搬迁",
    "低保 最低生活保障",
    "特困供养 五保",
    "危房改造 危旧房改造",
    "小额信贷 扶贫小额信贷 小额贷款",
    "雨露计划 职业教育补助",
    "光伏扶贫 光伏电站",
    "消费扶贫 以购代捐",
    "驻村工作队 驻村干部",
    "公益岗位 公益性岗位",
    "脱贫攻坚 精准扶贫",
]


def _now() -> datetime:
    return datetime.now(UTC)


class SynonymGroup(db.Model):  # type: ignore[name-defined]
    __tablename__ = "search_synonym"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The words, separated by single spaces.
    words: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)

    @property
    def word_list(self) -> list[str]:
        return self.words.split()


class SynonymError(FieldError):
    """A group the editor must change before it is kept."""


def parse_words(text: str) -> list[str]:
    """The distinct words of ``text``, separated by spaces, commas, 、 or slashes.

    :raise SynonymError: fewer than two words, too many, or a word too long.
    """
    words = list(dict.fromkeys(w for w in _SEPARATORS.split(text.strip()) if w))
    if len(words) < 2:
        raise SynonymError("请至少填写两个意思相同的词，用空格或逗号分开", "words")
    if len(words) > MAX_WORDS:
        raise SynonymError(f"一组最多 {MAX_WORDS} 个词", "words")
    long = [w for w in words if len(w) > MAX_WORD_LENGTH]
    if long:
        raise SynonymError(f"词“{long[0][:MAX_WORD_LENGTH]}…”太长（每个词最多 "
                           f"{MAX_WORD_LENGTH} 个字）", "words")
    return words


def list_groups() -> list[SynonymGroup]:
    return list(db.session.execute(select(SynonymGroup).order_by(SynonymGroup.id)).scalars())


def groups_by_word() -> dict[str, list[str]]:
    """Each word (lowercased) → the other words of its group."""
    found: dict[str, list[str]] = {}
    for words in db.session.execute(select(SynonymGroup.words)).scalars():
        group = words.split()
        for word in group:
            found[word.lower()] = [w for w in group if w != word]
    return found


def save_group(text: str, actor: object, group: SynonymGroup | None = None) -> SynonymGroup:
    """Create or change a group (the caller commits).

    :raise SynonymError: the words are not a valid group, or one of them is in another group.
    """
    words = parse_words(text)
    for other in list_groups():
        if group is not None and other.id == group.id:
            continue
        shared = [w for w in words if w.lower() in {o.lower() for o in other.word_list}]
        if shared:
            raise SynonymError(f"“{shared[0]}”已在另一组近义词中：{other.words}", "words")
    if group is None:
        group = SynonymGroup(words=" ".join(words))
        db.session.add(group)
        db.session.flush()
        action = "synonyms_created"
    else:
        group.words, group.updated_at = " ".join(words), _now()
        action = "synonyms_changed"
    audit.record(action, actor, "search_synonym", group.id, detail=group.words)
    pagecache.changed(*SCOPE)
    return group


def delete_group(group: SynonymGroup, actor: object) -> None:
    """Remove a group (the caller commits)."""
    audit.record("synonyms_deleted", actor, "search_synonym", group.id, detail=group.words)
    db.session.delete(group)
    pagecache.changed(*SCOPE)


def load_demo_groups(ctx: object) -> None:
    """Demo step: the synonym groups above."""
    for text in DEMO_GROUPS:
        db.session.add(SynonymGroup(words=" ".join(parse_words(text))))
    db.session.flush()


ACTION_LABELS = {"synonyms_created": "新增近义词组", "synonyms_changed": "修改近义词组",
                 "synonyms_deleted": "删除近义词组"}
