"""member_problem's shortcut for plain names gives the answer of its rules checked one by one
(the plain computation, kept here), for hostile names and for many random ones."""

from __future__ import annotations

import random
import re

from reqtrace.io.archive import _RESERVED, MAX_MEMBER_LENGTH, member_name, member_problem

_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def plain_problem(name: str) -> str | None:
    if not name:
        return "empty member name"
    if len(name) > MAX_MEMBER_LENGTH:
        return "too long"
    if name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name):
        return "absolute"
    parts = name.split("/")
    if ".." in parts:
        return "dot-dot"
    for part in parts:
        if not _COMPONENT.match(part):
            return "component"
        if part.endswith("."):
            return "ends with a dot"
        if part.split(".", 1)[0].lower() in _RESERVED:
            return "reserved"
    return None


NAMES = [
    "", "a", "index.html", "data/baseline/yaml/req-1-0123456789ab.yaml", "../x", "a/../b", "/etc/passwd", "C:/x", "c:x",
    "a\\b", "CON", "con.txt", "data/aux.json", "data/Com1", "lpt9.x", "data/nul/x", "a.", "a/b.", ".hidden", "a/.b", "-a", "_a",
    "a_", "a-", "a..b", "a//b", "a/", "x" * MAX_MEMBER_LENGTH, "x" * (MAX_MEMBER_LENGTH + 1), "名字.txt", "a b", "a\n", "data/x\n",
    "a\x00b", "MANIFEST.sha256", "data/records/attachments/file-0123456789ab",
    "con", "CoN.x.y", "com0", "COM9.txt", "lpt0", "conx", "com", "com10", "lpt1x", "lpt1-x", "aux/x", "x/PRN", "x/nul.", "x/nula",
    "data/con_", "a/lpt5/b", "auxx/y", "Nul",
]


def test_the_shortcut_answers_as_the_rules_do():
    for name in NAMES:
        assert (member_problem(name) is None) == (plain_problem(name) is None), name
    rng = random.Random(18)  # noqa: S311 - reproducible test names, not secrets
    alphabet = "aZ09._-/\\:C O N\n名"
    for _ in range(20_000):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        assert (member_problem(name) is None) == (plain_problem(name) is None), repr(name)


def test_every_name_member_name_makes_is_accepted():
    for original in ["../../x", "/etc/passwd", "CON", "需求.yaml", "a" * 300, "x.", ".gitkeep", "specs/REQ-1.yaml"]:
        name = member_name("data/records/files", original)
        assert member_problem(name) is None and plain_problem(name) is None
