"""A judged query set for site search, and its measures (recall@10, MRR).

The queries are written from the documents (the generated corpus of bench/search_corpus.py and
the demo's articles and regions) and judged without the search engine:

- fragment: a quoted run of 2–8 characters copied from a body; relevant: every document that
  holds it (as Ctrl-F would find it);
- word: a topic word; relevant: the documents that hold it (or a synonym of it);
- place: a region's full name or its name without 县/区/自治县 (and the people's name);
  relevant: the region's page;
- pinyin: a place's pinyin or initials (its page), or a title's topic word in pinyin or
  initials (the documents whose title holds the word);
- synonym: one word of a synonym group; relevant: the documents holding any word of the group;
- title: a document's whole title; relevant: the documents of that title (MRR).

Tests and bench/bench_search.py run the same set, the bench also against SQLite FTS5.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

KINDS = ("fragment", "word", "place", "pinyin", "synonym", "title")
#: The fragments citizens tried on the demo's articles.
DEMO_FRAGMENTS = ("迁家庭有", "有发展能", "指标均达", "都安瑶族", "城乡建设")
TOPIC_WORDS = """产业扶贫 危房改造 小额信贷 易地搬迁 教育资助 健康扶贫 兜底保障 转移就业
扶贫车间 雨露计划 补助标准 精准扶贫 脱贫攻坚 驻村工作队 第一书记 结对帮扶
消费扶贫 光伏扶贫 公益岗位 医疗救助 大病保险 安置点 技能培训 务工补助
动态监测 防止返贫 特色产业 龙头企业 乡村振兴 扶贫资金 生态护林员 控辍保学
家庭医生 以工代赈 补助 资金 项目 就业 培训 合作社 村民 茶叶 柑橘 养殖
电商 低保""".split()
_CHINESE = re.compile(r"^[\u4e00-\u9fff]+$")
_SUFFIX = re.compile(r"(自治县|自治州|县|区|市|乡|镇|村)$")
_PEOPLES = "各族 壮族 瑶族 苗族 侗族 仫佬族 毛南族 回族 京族 彝族 水族 仡佬族 土家族 布依族"
_PEOPLE = re.compile("(" + "|".join(_PEOPLES.split()) + ")+$")


def short_name(name: str) -> str:
    """都安瑶族自治县 → 都安, 兴宁区 → 兴宁: the name as people say it (at least 2 characters)."""
    short = _PEOPLE.sub("", _SUFFIX.sub("", name))
    return short if len(short) >= 2 else name


@dataclass(frozen=True)
class Doc:
    url: str
    title: str
    body: str


@dataclass(frozen=True)
class Place:
    url: str
    name: str
    short: str  # the name without its ending and people's name, as people say it


@dataclass(frozen=True)
class Judged:
    kind: str
    text: str
    relevant: frozenset[str]  # URLs


@dataclass(frozen=True)
class Figures:
    queries: int
    recall: float  # mean recall@10: relevant found in the top 10 / min(10, relevant)
    mrr: float  # mean reciprocal rank of the first relevant result (0 past rank 10)


def write_queries(docs: Sequence[Doc], places: Sequence[Place], groups: Sequence[Sequence[str]],
                  seed: int = 20) -> list[Judged]:
    """About 360 judged queries from ``docs``, ``places`` and synonym ``groups``."""
    rng = random.Random(seed)
    texts = [(d.url, d.title + "\n" + d.body) for d in docs]

    def holding(*needles: str) -> frozenset[str]:
        return frozenset(url for url, text in texts if any(n in text for n in needles))

    queries = [Judged("fragment", f'"{f}"', holding(f)) for f in DEMO_FRAGMENTS if holding(f)]
    while len(queries) < 120:
        doc = rng.choice(docs)
        size = rng.randint(2, 8)
        start = rng.randrange(max(1, len(doc.body) - size))
        fragment = doc.body[start:start + size]
        if len(fragment) == size and _CHINESE.match(fragment):
            queries.append(Judged("fragment", f'"{fragment}"', holding(fragment)))
    same = {w: list(g) for g in groups for w in g}
    words = [w for w in TOPIC_WORDS if holding(w)]
    queries += [Judged("word", w, holding(w, *same.get(w, ())))
                for w in rng.sample(words, min(50, len(words)))]

    chosen = rng.sample(list(places), min(30, len(places)))
    queries += [Judged("place", p.name, frozenset({p.url})) for p in chosen]
    shorts = [p for p in places if p.short != p.name]
    for p in rng.sample(shorts, min(30, len(shorts))):
        same = frozenset(q.url for q in places if p.short in (q.short, q.name))
        queries.append(Judged("place", p.short, same))
    for p in rng.sample(shorts, min(20, len(shorts))):
        spelled = "".join(lazy_pinyin(p.short))
        same = frozenset(q.url for q in places if "".join(lazy_pinyin(q.short)) == spelled)
        queries.append(Judged("pinyin", spelled, same))
    for p in rng.sample(shorts, min(10, len(shorts))):
        letters = "".join(lazy_pinyin(_SUFFIX.sub("", p.name), style=Style.FIRST_LETTER))
        queries.append(Judged("pinyin", letters, frozenset({p.url})))
    titled = [w for w in TOPIC_WORDS if len(w) >= 4 and any(w in d.title for d in docs)]
    for i, word in enumerate(rng.sample(titled, min(30, len(titled)))):
        relevant = frozenset(d.url for d in docs if word in d.title)
        halves = [word[:2], word[2:]]  # topic words of four or more characters: two words
        if i % 3 == 2:
            text = "".join(lazy_pinyin(word, style=Style.FIRST_LETTER))
        else:
            text = " ".join("".join(lazy_pinyin(h)) for h in halves)
        queries.append(Judged("pinyin", text, relevant))

    for group in groups:
        relevant = holding(*group)
        queries += [Judged("synonym", w, relevant) for w in group if relevant]
    for doc in rng.sample(list(docs), min(50, len(docs))):
        queries.append(Judged("title", doc.title,
                              frozenset(d.url for d in docs if d.title == doc.title)))
    return queries


def measure(queries: Sequence[Judged], run: Callable[[str], list[str]]
            ) -> dict[str, Figures]:
    """Recall@10 and MRR by kind; ``run(text)`` answers the URLs found, best first."""
    figures = {}
    for kind in KINDS:
        mine = [q for q in queries if q.kind == kind and q.relevant]
        if not mine:
            continue
        recall = mrr = 0.0
        for q in mine:
            found = list(dict.fromkeys(run(q.text)))[:10]
            hits = [i for i, url in enumerate(found) if url in q.relevant]
            recall += len(hits) / min(10, len(q.relevant))
            mrr += 1 / (hits[0] + 1) if hits else 0.0
        figures[kind] = Figures(len(mine), recall / len(mine), mrr / len(mine))
    return figures


def misses(queries: Sequence[Judged], run: Callable[[str], list[str]], kind: str
           ) -> list[str]:
    """The queries of a kind whose top 10 holds none of their relevant documents."""
    return [q.text for q in queries if q.kind == kind and q.relevant
            and not set(run(q.text)[:10]) & q.relevant]
