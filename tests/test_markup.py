"""The sanitizer: Markdown in, safe HTML out, against real attack payloads."""

import re
from html.parser import HTMLParser

from sunshine.markup import plain_text, render_markdown, sanitize
from tests.conftest import shared_data

FORBIDDEN_TAGS = {"script", "iframe", "svg", "object", "embed", "style", "math", "form",
                  "input", "base", "link", "meta", "frame", "frameset", "video", "audio"}


class Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
                self.problems.append(f"{tag}[{name}]")
            if name in {"href", "src"} and value:
                # What a browser does: drop tabs and newlines, trim controls and spaces.
                cleaned = re.sub(r"[\t\n\r]", "", value).strip("\x00\x01\x02 ").lower()
                scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", cleaned)
                if scheme and scheme.group(1) not in {"http", "https", "mailto"}:
                    self.problems.append(f"{tag}[{name}={value!r}]")


def problems(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    return inspector.problems


def test_markdown_features_survive() -> None:
    html = render_markdown("## 标题\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n正文[^1]\n\n"
                           "[^1]: 桂政发〔2019〕12号\n\n[链接](https://example.org) "
                           "[站内](/policies/) [邮件](mailto:a@example.org)")
    assert '<h2 id="标题">' in html and "<table>" in html and 'class="footnote' in html
    assert 'href="https://example.org"' in html and 'href="/policies/"' in html
    assert 'href="mailto:a@example.org"' in html


def test_every_xss_payload_is_neutralised_in_markdown_and_in_raw_html() -> None:
    payloads = shared_data("payloads", "xss.txt").read_text(encoding="utf-8").splitlines()
    for payload in payloads:
        for source in (payload, f"[点我]({payload})", f"![图]({payload})", f"<div>{payload}</div>"):
            html = render_markdown(source)
            assert problems(html) == [], (payload, html)
        assert problems(sanitize(payload)) == [], payload


def test_javascript_links_are_dropped() -> None:
    html = render_markdown("[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) "
                           "[z](data:text/html,x)")
    assert "javascript" not in html.lower() and "data:" not in html


def test_plain_text_for_search_and_feeds() -> None:
    assert plain_text(render_markdown("## 标题\n\n正文 **重点**")) == "标题 正文 重点"


FAKE_BADGES = [
    '<span class="badge badge-ok">扶贫产品</span>',
    "[扶贫产品](/market/?certified=1){: .badge .badge-ok }",
    "扶贫产品\n{: .badge .badge-ok #main }",
    '<div class="footnote badge-ok" id="main">扶贫产品</div>',
    "## 官方认定 {: #main .badge-ok }",
]


def attributes(html: str) -> list[tuple[str, str, str]]:
    """(tag, name, value) of every attribute of every element."""
    found: list[tuple[str, str, str]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.extend((tag, name, value or "") for name, value in attrs)

    Collector().feed(html)
    return found


def test_an_author_cannot_borrow_the_sites_classes_or_ids() -> None:
    """A seller's description must not paint the official 扶贫产品 badge (a class of the
    site's) or give an element an id of the page's; raw HTML shows as text."""
    for source in FAKE_BADGES:
        html = render_markdown(source)
        kept = [(tag, name, value) for tag, name, value in attributes(html)
                if name == "class" or (name, value) == ("id", "main")]
        assert kept == [], (source, html)
    assert "&lt;span" in render_markdown(FAKE_BADGES[0])
    assert sanitize('<span class="badge badge-ok">x</span>') == "<span>x</span>"
    assert sanitize('<h2 id="main-nav">x</h2><li id="main">y</li>') == \
        '<h2 id="main-nav">x</h2><li>y</li>'


def test_footnotes_and_the_table_of_contents_keep_their_classes_and_anchors() -> None:
    html = render_markdown("[TOC]\n\n## 资金 来源\n\n## 资金 来源\n\n正文[^1][^说明]\n\n"
                           "[^1]: 甲\n[^说明]: 乙")
    for part in ('<div class="toc">', '<h2 id="资金-来源">', '<h2 id="资金-来源_1">',
                 '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">',
                 '<li id="fn:说明">', 'class="footnote-backref"', '<div class="footnote">'):
        assert part in html, part
