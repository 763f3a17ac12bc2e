"""The parsers build their items without the frozen dataclasses' __init__ (parse._built):
each item must still be exactly the one the constructor makes — every field set, no other
attribute, equal, the same hash and repr — for every kind of file, the usual and the odd."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from reqtrace.core.model import Config, Requirement
from reqtrace.core.parse import parse_email, parse_meeting, parse_request, parse_requirements, plain
from reqtrace.io.yamlio import load_yaml

REPO = Path(__file__).resolve().parents[1]
CLINIC = REPO / "examples" / "clinic"
CONFIG = Config(project="t")

ODD_REQUIREMENTS = [
    # x- fields of every shape, an unknown field, section, order, mid, reviewed stamps
    "id: REQ-1\ntitle: T\nstatement: S\nx-b: [1, two]\nx-a:\n  k: v\nx-c: 2026-01-05\nbogus: 1\nsection: SEC-1\norder: 2.5\n"
    "mid: M-1\nreviewed:\n  REQ-2: sha256:" + "a" * 64 + "\n",
    # a list of requirements, one broken, one without id
    "requirements:\n  - id: REQ-1\n    title: T\n    statement: S\n  - title: no id\n    statement: S\n  - 3\n  - id: REQ-2\n    title: NO\n    statement: 1.10\n",
    # YAML's typed values in text fields (kept as written)
    "id: REQ-3\ntitle: yes\nstatement: ~\npriority: must\nstatus: approved\nparents: REQ-1\ntags: [a, no]\nowner:\n",
]
ODD_REQUESTS = [
    "id: RQ-1\nreceived: 2026-01-05\ntitle: T\ntext: |\n  x\ntriage:\n  classification: defect\n  confidence: 0.5\n  on: 2026-01-06\n"
    "decision:\n  status: approved\n  as: change\n  when: 2026-01-07\n",
    "id: RQ-2\nreceived: soon\ntitle: [x]\nrefs: REQ-1\ntriage: no\ndecision: []\n",
]
ODD_EMAILS = [
    "id: MAIL-1\ndate: 2026-01-05\nto: [a, b]\nattachments:\n  - name: a.pdf\n    type: application/pdf\n    size: 3\n    sha256: x\n  - junk\n",
]
ODD_MEETINGS = ["---\nid: MTG-1\ndate: 2026-01-05\ntitle: T\ndecisions:\n  - text: ok\n    approves: [RQ-1]\n  - no\n---\nbody\n"]


def _same_as_constructed(item: Any) -> None:
    cls = type(item)
    names = {f.name for f in fields(cls)}
    assert set(vars(item)) == names, cls.__name__
    rebuilt = cls(**{name: getattr(item, name) for name in names})
    assert rebuilt == item and repr(rebuilt) == repr(item)
    if not any(isinstance(value, dict) for _key, value in getattr(item, "extra", ())):  # a mapping is no key
        assert hash(rebuilt) == hash(item)
    for name in names:  # nested items (a triage, a meeting's decisions) too
        value = getattr(item, name)
        for part in value if isinstance(value, tuple) else (value,):
            if is_dataclass(part):
                _same_as_constructed(part)


def test_every_item_a_parser_builds_is_the_constructed_one() -> None:
    files = [(parse_requirements, p) for p in sorted((REPO / "specs").rglob("*.yaml")) if p.name != "_document.yaml"]
    files += [(parse_requirements, p) for p in sorted((CLINIC / "specs").rglob("*.yaml"))]
    files += [(parse_request, p) for p in sorted((CLINIC / "records" / "requests").glob("*.yaml"))]
    files += [(parse_email, p) for p in sorted((CLINIC / "records" / "emails").glob("*.yaml"))]
    files += [(parse_meeting, p) for p in sorted((CLINIC / "records" / "meetings").glob("*.md"))]
    sources = [(parser, path.relative_to(REPO).as_posix(), path.read_bytes()) for parser, path in files]
    sources += [(parse_requirements, f"specs/odd-{n}.yaml", text.encode()) for n, text in enumerate(ODD_REQUIREMENTS)]
    sources += [(parse_request, f"records/requests/odd-{n}.yaml", text.encode()) for n, text in enumerate(ODD_REQUESTS)]
    sources += [(parse_email, f"records/emails/odd-{n}.eml.yaml", text.encode()) for n, text in enumerate(ODD_EMAILS)]
    sources += [(parse_meeting, f"records/meetings/odd-{n}.md", text.encode()) for n, text in enumerate(ODD_MEETINGS)]
    kinds: dict[str, int] = {}
    for parser, path, data in sources:
        for item in parser(path, data, CONFIG).items:
            _same_as_constructed(item)
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
    assert min(kinds.values()) >= 3 and set(kinds) == {"requirement", "request", "email", "meeting"}, kinds


def test_x_fields_are_every_x_key_sorted_with_its_plain_value() -> None:
    requirement = parse_requirements("specs/odd.yaml", ODD_REQUIREMENTS[0].encode(), CONFIG).items[0]
    loaded = load_yaml(ODD_REQUIREMENTS[0])
    assert type(requirement) is Requirement
    assert requirement.extra == tuple(sorted((k, plain(v)) for k, v in loaded.items() if k.startswith("x-")))
    assert [key for key, _ in requirement.extra] == ["x-a", "x-b", "x-c"]
    assert requirement.extra[2] == ("x-c", "2026-01-05")
