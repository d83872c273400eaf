"""Quality gates for every page of the URL map, in headless Chromium against a live server.

At 1280 px and 360 px each page must: answer below 400 (the 404 page: 404), have no console or
page error and ask for nothing outside 127.0.0.1, have no serious or critical axe-core violation,
and not scroll sideways on a 360 px phone. A full-page screenshot of each goes to
tests/browser/screenshots/ (git-ignored). The raw HTML of every page then goes through the
Nu HTML checker in one run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser.conftest import ROOT, Tab
from tests.conftest import SAMPLE

pytestmark = pytest.mark.browser

#: (name, path, expected status). Names are the screenshot and HTML file names.
PUBLIC_PAGES: list[tuple[str, str, int]] = [
    ("home", "/", 200),
    ("news", "/news/", 200),
    ("policies", "/policies/", 200),
    ("funds", "/funds/", 200),
    ("projects", "/projects/", 200),
    ("funds-county", f"/funds/?region={SAMPLE['county']}", 200),
    ("fund", "/funds/1", 200),
    ("funds-ledger", "/funds/ledger", 200),
    ("funds-timeliness", "/funds/timeliness", 200),
    ("projects-county", f"/projects/?region={SAMPLE['county']}", 200),
    ("project", "/projects/1", 200),
    ("stats", "/stats/", 200),
    ("stats-counties", "/stats/?part=counties", 200),
    ("stats-city", f"/stats/{SAMPLE['city']}", 200),
    ("stats-county", f"/stats/{SAMPLE['county']}", 200),
    ("notices", "/notices/", 200),
    ("notices-open", f"/notices/?state=open&region={SAMPLE['county']}", 200),
    ("notice", "/notices/1", 200),  # the demo's open notice, with objections
    ("notice-print", "/notices/1/print", 200),
    ("notice-result", "/notices/9", 200),  # the demo's result announcement
    ("complaints-new", "/complaints/new", 200),
    ("complaints-track", "/complaints/track", 200),
    ("complaints-stats", "/complaints/stats", 200),
    ("complaints-stats-county", f"/complaints/stats?region={SAMPLE['county']}", 200),
    ("complaints-answers", "/complaints/answers/", 200),
    ("help", "/help/", 200),
    ("help-all", f"/help/?state=all&region={SAMPLE['county']}", 200),
    ("help-need", "/help/2", 200),  # the demo's partly pledged need: two lines, a pledge
    ("help-need-done", "/help/6", 200),  # delivered and thanked
    ("help-thanks", "/help/thanks", 200),
    ("help-thanks-county", f"/help/thanks?region={SAMPLE['county']}", 200),
    ("help-confirm", "/help/confirm", 200),
    ("market", "/market/", 200),
    ("market-listing", "/market/1", 200),
    ("market-seller", "/market/sellers/1", 200),
    ("search", f"/search?q={quote(SAMPLE['city_name'][:-1])}", 200),  # 南宁 in Guangxi
    ("login", "/login", 200),
    ("register", "/register", 200),
    ("not-found", "/no-such-page/", 404),
]

ADMIN_PAGES: list[tuple[str, str, int]] = [
    ("admin", "/admin/", 200),
    ("admin-users", "/admin/users/", 200),
    ("admin-audit", "/admin/audit/", 200),
    ("admin-regions", "/admin/regions/", 200),
    ("admin-funds", "/admin/funds/", 200),
    ("admin-fund", "/admin/funds/1", 200),
    ("admin-funds-new", "/admin/funds/new", 200),
    ("admin-projects", "/admin/projects/", 200),
    ("admin-project", "/admin/projects/1", 200),
    ("admin-complaints", "/admin/complaints/", 200),
    ("admin-complaint", "/admin/complaints/1", 200),
    ("admin-notices", "/admin/notices/", 200),
    ("admin-notices-new", "/admin/notices/new", 200),
    ("admin-notice", "/admin/notices/1", 200),
    ("admin-notice-expired", "/admin/notices/2", 200),  # ready for its result announcement
    ("admin-notice-draft", "/admin/notices/8", 200),
    ("admin-notice-households", "/admin/notices/8/households", 200),
    ("admin-matching", "/admin/matching/", 200),
    ("admin-matching-need", "/admin/matching/4", 200),  # in delivery: every pledge step
    ("admin-matching-pending", "/admin/matching/9", 200),
    ("admin-market", "/admin/market/", 200),
    ("admin-market-listing", "/admin/market/listings/1", 200),
    ("admin-calendar", "/admin/calendar/", 200),
]

WIDTHS = [1280, 360]
STATIC = ROOT / "static"
BLOCKING_IMPACTS = {"serious", "critical"}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                              summary: n.failureSummary}))
  }));
}"""

# The elements that stick out past ``limit``: those not inside a box that scrolls or clips on its
# own, and absolutely positioned ones, which can escape such a box.
OVERFLOW = """(limit) => {
  const out = [];
  const contained = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    const position = getComputedStyle(el).position;
    if (r.width && r.right > limit &&
        (position === "absolute" || position === "fixed" || !contained(el))) {
      const cls = typeof el.className === "string" ? el.className.trim() : "";
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
               (cls ? "." + cls.split(/\\s+/).join(".") : "") + " right=" + Math.round(r.right));
    }
    if (out.length >= 8) break;
  }
  return out;
}"""


def _format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node['html']}")
            summary = (node.get("summary") or "").replace("\n", "\n        ")
            if summary:
                lines.append(f"        {summary}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def check_page(tab: Tab, axe_source: str, screenshots: Path, name: str, path: str,
               status: int, width: int) -> None:
    page = tab.page
    page.set_viewport_size({"width": width, "height": 800})
    response = tab.goto(path)
    assert response is not None, f"{path}: no response"
    problems: list[str] = []
    if status < 400:
        if response.status >= 400:
            problems.append(f"status {response.status}, expected below 400")
    elif response.status != status:
        problems.append(f"status {response.status}, expected {status}")

    page.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=True)

    page.evaluate(axe_source)
    violations = [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING_IMPACTS]
    if violations:
        problems.append("axe-core violations:\n" + _format_violations(violations))

    if width <= 360:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width + 1:
            wide = page.evaluate(OVERFLOW, width + 1)
            problems.append(f"scrolls sideways at {width} px: scrollWidth {scroll_width}; "
                            f"too wide: {', '.join(wide)}")

    if status >= 400:
        # Chromium logs the error status of the document itself; that one is expected here.
        expected = f"the server responded with a status of {status} "
        tab.problems.console[:] = [m for m in tab.problems.console
                                   if not (expected in m and response.url in m)]
    problems += tab.problems.report()
    assert not problems, f"{path} at {width} px:\n" + "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "path", "status"), PUBLIC_PAGES,
                         ids=[p[0] for p in PUBLIC_PAGES])
def test_public_page(anon_tab: Tab, axe_source: str, screenshots: Path, name: str, path: str,
                     status: int, width: int) -> None:
    check_page(anon_tab, axe_source, screenshots, name, path, status, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "path", "status"), ADMIN_PAGES,
                         ids=[p[0] for p in ADMIN_PAGES])
def test_admin_page(admin_tab: Tab, axe_source: str, screenshots: Path, name: str, path: str,
                    status: int, width: int) -> None:
    check_page(admin_tab, axe_source, screenshots, name, path, status, width)


def _save_raw_html(tab: Tab, pages: list[tuple[str, str, int]], folder: Path) -> list[Path]:
    """The server's own bytes for each page (not the DOM after scripts), one file per page."""
    files = []
    for name, path, status in pages:
        response = tab.page.request.get(tab.base_url + path, max_redirects=0)
        try:
            assert response.status == status, f"{path}: status {response.status}"
            assert response.headers.get("content-type", "").startswith("text/html"), \
                f"{path}: {response.headers.get('content-type')}"
            file = folder / f"{name}.html"
            file.write_bytes(response.body())
        finally:
            response.dispose()
        files.append(file)
    return files


def _short(url: str) -> str:
    path = Path(url.removeprefix("file:"))
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def test_html_is_valid(anon_tab: Tab, admin_tab: Tab, vnu_jar: Path, html_dir: Path) -> None:
    """Every page's HTML, and the site's CSS and SVG files, pass the Nu HTML checker (one Java
    run for all files)."""
    files = _save_raw_html(anon_tab, PUBLIC_PAGES, html_dir)
    files += _save_raw_html(admin_tab, ADMIN_PAGES, html_dir)
    files += sorted(STATIC.rglob("*.css")) + sorted(STATIC.rglob("*.svg"))
    result = subprocess.run(
        ["java", "-jar", str(vnu_jar), "--errors-only", "--also-check-css", "--also-check-svg",
         "--format", "json", *map(str, files)],
        capture_output=True, text=True, timeout=240, check=False)
    # vnu prints its JSON report on stderr; exit status 1 means it found errors.
    try:
        messages = json.loads(result.stderr or "{}").get("messages", [])
    except json.JSONDecodeError:
        pytest.fail(f"the Nu HTML checker failed (exit {result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}")
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    lines = [f"{_short(m.get('url', '?'))}:{m.get('lastLine', '?')}: {m.get('message')}"
             + (f"\n    {m['extract'].strip()}" if m.get("extract") else "")
             for m in errors]
    if len(lines) > 60:
        lines = lines[:60] + [f"... and {len(lines) - 60} more"]
    assert not errors, (f"the Nu HTML checker found {len(errors)} errors:\n" + "\n".join(lines))
    assert result.returncode == 0, result.stderr
