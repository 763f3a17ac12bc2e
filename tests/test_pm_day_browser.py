"""The PM's picture — `status --chart` and the pack's first page — looked at in headless Chromium.

Skipped when Chromium is missing, unless REQTRACE_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import shutil
import zipfile

import pytest

from browser import Browser, chromium_path
from conftest import copy_demo

pytestmark = [pytest.mark.browser]
LOCAL_SCHEMES = ("file:", "data:", "about:")

# What the chart shows of the demo, read back from the drawing itself.
CHART_FACTS = """(() => {
  const svg = document.querySelector('svg.chart');
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const bars = Array.from(svg.querySelectorAll('rect.bar'));
  return {
    width: box.width, right: box.right, viewport: document.documentElement.clientWidth,
    bars: bars.length,
    tallest: Math.max(...bars.map(b => b.getBBox().height)),
    titles: bars.map(b => b.querySelector('title').textContent),
    baselines: Array.from(svg.querySelectorAll('g.baseline text')).map(t => t.textContent),
    months: Array.from(svg.querySelectorAll('text.month')).map(t => t.textContent),
    legend: Array.from(svg.querySelectorAll('g.legend text')).map(t => t.textContent),
    overlapping: (() => {
      const labels = Array.from(svg.querySelectorAll('g.baseline text')).map(t => t.getBoundingClientRect());
      return labels.some((a, i) => labels.some((b, j) => i < j && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom));
    })(),
  };
})()"""


@pytest.fixture(scope="module")
def demo(demo_build, tmp_path_factory):
    chromium_path()  # skip (or fail in CI) before building anything
    return copy_demo(demo_build, tmp_path_factory.mktemp("chart") / "demo")


def _assert_demo_chart(facts):
    assert facts is not None, "no chart on the page"
    assert 0 < facts["width"] and facts["right"] <= facts["viewport"] + 1
    assert facts["bars"] >= 12 and facts["tallest"] > 50
    assert facts["baselines"] == ["contract-v1.0 2026-02-20", "delivery-v1.0 2026-06-30"]
    assert not facts["overlapping"]
    assert facts["months"][0] == "Jan 26" and facts["months"][-1] == "Oct 26"
    assert "requirement changes" in facts["legend"] and "defect requests" in facts["legend"]
    # Every bar says what it counts; the demo's acceptance month has its defect reports.
    assert any(t.startswith("2026-07: ") and t.endswith("defect requests") for t in facts["titles"]), facts["titles"]
    assert any(t.startswith("2026-04: ") and "requirement change" in t for t in facts["titles"])


def test_status_chart_is_an_offline_page_with_the_story_and_the_chart(demo, run_cli, tmp_path):
    page = tmp_path / "status.html"
    made = run_cli("status", "--chart", str(page), cwd=demo)
    assert made.exit_code == 0, made.stderr
    assert "wrote" in made.stderr and str(page) in "".join(made.stderr.split())
    assert made.stdout.startswith("Sunrise")  # the screen is still the screen
    with Browser(window=(900, 700)) as browser:
        browser.open(page.as_uri())
        _assert_demo_chart(browser.evaluate(CHART_FACTS))
        text = " ".join(browser.evaluate("document.body.innerText").split())
        assert "Since the customer first signed contract-v1.0 (2026-02-20): 6 requirement changes, 3 covered by an approved request, 3 not." in text
        assert "Accepted without approval: baseline delivery-v1.0 took in 3 changes" in text
        assert all(url.startswith(LOCAL_SCHEMES) for url in browser.requested_urls())
        assert browser.evaluate("document.scripts.length") == 0


def test_the_packs_first_page_shows_the_same_chart(demo, run_cli, tmp_path):
    out = tmp_path / "pack.zip"
    built = run_cli("pack", "build", "delivery-v1.0", "-o", str(out), cwd=demo)
    assert built.exit_code == 0, built.stderr
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    with Browser(window=(1280, 1000)) as browser:
        browser.open((folder / "index.html").as_uri())
        _assert_demo_chart(browser.evaluate(CHART_FACTS))
        # On the first screen: the story and its chart come before anything else of the summary.
        top = browser.evaluate("document.querySelector('svg.chart').getBoundingClientRect().top")
        facts_top = browser.evaluate("document.querySelector('dl.facts').getBoundingClientRect().top")
        assert top < facts_top
        assert all(url.startswith(LOCAL_SCHEMES) for url in browser.requested_urls())
    shutil.rmtree(folder)
