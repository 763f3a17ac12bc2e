"""A published spec for the publish tests: pack_kit's signed repo plus a second document with
Markdown, a cross-document parent link and hostile text; published once per worker."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from conftest import requirement_yaml
from pack_kit import build_repo

STATEMENT = (
    "Staff sign in with **two factors**; see `otp` and [the guide](https://example.test/guide).\n\n"
    "- codes expire after *5 minutes*\n- 医生账户需要双重验证\n\n"
    "<script>alert('pwned')</script> [bad](javascript:alert(1))"
)
ACCOUNTS = """document: ACC
title: Accounts 账户
parent: SYS
sections:
  - id: intro
    title: Introduction
    texts:
      - order: 1
        text: |
          This document covers **sign-in**. 本文件描述登录。
  - id: login
    title: Sign-in
    sections:
      - id: lockout
        title: Lockout 锁定
"""
EXTRA = {
    "specs/system/_document.yaml": "document: SYS\ntitle: System requirements\n",
    "specs/system/REQ-20.yaml": requirement_yaml("REQ-20", "Always available", "The system is available 99.5 % of the time."),
    "specs/accounts/_document.yaml": ACCOUNTS,
    "specs/accounts/REQ-10.yaml": requirement_yaml("REQ-10", "Two-factor sign-in <b>staff</b>", STATEMENT, parents=["REQ-1"], tags=["security"],
                                                   x_contract_clause="4.2", section="login", order=2),
    "specs/accounts/REQ-11.yaml": requirement_yaml("REQ-11", "账户锁定", "连续五次输错密码后锁定账户十五分钟。", parents=["REQ-10"], section="lockout", order=1),
}
_BUILT: dict[str, Path] = {}


def signed_repo(make_repo, tmp_path: Path):
    return build_repo(make_repo, tmp_path, EXTRA)


def published_site(make_repo, run_cli, tmp_path: Path, *args: str) -> tuple[Path, dict]:
    """(the folder, the --format json output) of `reqtrace publish ARGS`, made once per worker."""
    key = " ".join(args)
    if key not in _BUILT:
        signed = signed_repo(make_repo, tmp_path)
        out = Path(tempfile.mkdtemp(prefix="published-", dir=tmp_path.parent)) / "site"
        result = run_cli("publish", "-o", str(out), "--format", "json", *args, cwd=signed.repo.root)
        assert result.exit_code == 0, result.stderr
        (out.parent / "result.json").write_text(result.stdout)
        _BUILT[key] = out
    out = _BUILT[key]
    copy = tmp_path / "site"
    shutil.copytree(out, copy)
    return copy, json.loads((out.parent / "result.json").read_text())


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if tag == "a" and found.get("href"):
            self.hrefs.append(found["href"] or "")


def links_and_ids(page: Path) -> tuple[list[str], set[str]]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.hrefs, parser.ids


def visible_text(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    html = re.sub(r"</?(?:dt|dd|li|p|div|br|h\d|ul|ol|article|section|header|nav)\b[^>]*>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").replace("&amp;", "&").replace("&#34;", '"')
