"""The demo's evidence pack in real Chromium, at a narrow and a wide window: no email,
id, commit id, digest or key fingerprint is drawn across two lines, the page never
scrolls sideways, and the trace graph shows every id whole inside its box."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from browser import Browser, chromium_path
from conftest import copy_demo

pytestmark = [pytest.mark.browser]

# Runs in the page: every token in the text, and the client rectangles it is drawn in.
LAYOUT = r"""(() => {
  const token = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b(?:REQ|RQ|MTG|MAIL|DOC)-[\w-]*\w|\b[0-9a-f]{12,64}\b|SHA256:[A-Za-z0-9+\/]{43}|\b\d{4}-\d\d-\d\d\b/g;
  const split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest("svg, title")) continue;
    for (const match of node.data.matchAll(token)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (lines.size > 1) split.push(match[0]);
    }
  }
  const boxes = Array.from(document.querySelectorAll(".graph g")).map(g => {
    const box = g.querySelector("rect").getBBox();
    const outside = Array.from(g.querySelectorAll("text")).filter(t => t.getBBox().x + t.getBBox().width > box.x + box.width + 1);
    return {id: g.querySelector("text.id").textContent, title: g.querySelector("title").textContent, outside: outside.map(t => t.textContent)};
  });
  return JSON.stringify({split: [...new Set(split)], sideways: document.documentElement.scrollWidth - window.innerWidth, boxes});
})()"""


@pytest.fixture(scope="module")
def demo_pack(demo_build, tmp_path_factory) -> Path:
    chromium_path()  # skip (or fail in CI) before building anything
    folder = tmp_path_factory.mktemp("layout")
    env = {**os.environ, "COLUMNS": "200"}
    copy_demo(demo_build, folder / "demo")
    subprocess.run([sys.executable, "-m", "reqtrace", "pack", "build", "delivery-v1.0", "-o", str(folder / "pack.zip")],
                   cwd=folder / "demo", check=True, capture_output=True, env=env)
    with zipfile.ZipFile(folder / "pack.zip") as archive:
        archive.extractall(folder / "unzipped")
    return folder / "unzipped" / "index.html"


@pytest.mark.parametrize("width", [800, 1280])
def test_the_pack_keeps_every_address_id_and_hash_whole(demo_pack, width):
    with Browser(window=(width, 1200)) as browser:
        browser.open(demo_pack.as_uri())
        found = json.loads(browser.evaluate(LAYOUT))
    assert found["split"] == [], f"drawn across two lines at {width}px: {found['split']}"
    assert found["sideways"] <= 0, f"the page scrolls sideways by {found['sideways']}px at {width}px"
    boxes = found["boxes"]
    assert len(boxes) >= 20
    for box in boxes:
        assert "…" not in box["id"] and box["title"].startswith(box["id"]), box
        assert not box["outside"], f"label runs out of its box: {box}"


def test_the_layout_check_sees_a_cut_email(tmp_path):
    """The check above can fail: an address in a narrow cell that may break anywhere."""
    chromium_path()
    page = tmp_path / "cut.html"
    page.write_text('<table style="width:120px"><tr><td style="overflow-wrap:anywhere">Chen Jing &lt;chen.jing@sunrise-clinic.example&gt;</td></tr></table>'
                    '<div class="graph"></div>', encoding="utf-8")
    with Browser(window=(800, 600)) as browser:
        browser.open(page.as_uri())
        found = json.loads(browser.evaluate(LAYOUT))
    assert found["split"] == ["chen.jing@sunrise-clinic.example"]
