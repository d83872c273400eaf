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
