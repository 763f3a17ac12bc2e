"""The labelled triage data: invented domains and real sources, both trained on and each
measured by a model fitted without it (leave-one-domain-out; for a real source, leave-one-source-out).

- tests/data/triage/ (labelled.yaml, fresh*.yaml, probe.yaml against baseline/): one domain,
  "worked-example"; its `needs-review` items are left out of the four-class figures.
- tests/data/triage/domains/<domain>/: baseline/**/*.yaml and requests.yaml.
- tests/data/triage/real/<project>/: baseline/**/*.yaml and issues.yaml (real issues of a project
  against its own specification).
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reqtrace.core.model import Config  # noqa: E402
from reqtrace.core.parse import parse_requirements  # noqa: E402
from reqtrace.triage import BaselineIndex  # noqa: E402

DATA = ROOT / "tests" / "data" / "triage"
FOUR = ("defect", "change", "new-scope", "out-of-scope")
CLINIC_SETS = ("labelled.yaml", "fresh.yaml", "probe.yaml", *(f"fresh{n}.yaml" for n in range(2, 12)))


@dataclass
class Domain:
    name: str
    baseline: Path
    files: tuple[Path, ...]
    real: bool = False
    _index: BaselineIndex | None = None
    _items: list[dict] | None = None

    @property
    def index(self) -> BaselineIndex:
        if self._index is None:
            self._index = BaselineIndex.build(load_baseline(self.baseline))
        return self._index

    @property
    def items(self) -> list[dict]:
        if self._items is None:
            found = []
            for path in self.files:
                found.extend(i for i in yaml.safe_load(path.read_text(encoding="utf-8"))["items"] if i.get("label") in FOUR)
            self._items = found
        return self._items


def load_baseline(folder: Path) -> list:
    requirements = []
    for path in sorted(folder.rglob("*.yaml")):
        parsed = parse_requirements(path.relative_to(folder).as_posix(), path.read_bytes(), Config(project="bench"))
        requirements.extend(parsed.items)
    return requirements


def invented_domains() -> list[Domain]:
    found = [Domain("worked-example", DATA / "baseline", tuple(DATA / name for name in CLINIC_SETS))]
    folder = DATA / "domains"
    if folder.is_dir():
        for path in sorted(p for p in folder.iterdir() if (p / "requests.yaml").is_file() and (p / "baseline").is_dir()):
            found.append(Domain(path.name, path / "baseline", (path / "requests.yaml",)))
    return found


def real_sources() -> list[Domain]:
    folder = DATA / "real"
    if not folder.is_dir():
        return []
    return [Domain(p.name, p / "baseline", (p / "issues.yaml",), real=True)
            for p in sorted(folder.iterdir()) if (p / "issues.yaml").is_file() and (p / "baseline").is_dir()]


def training_domains() -> list[Domain]:
    """Every labelled domain the classifier learns from: the invented ones, then the real sources."""
    return [*invented_domains(), *real_sources()]


def fingerprint_of(domains: list[Domain], code: tuple[str, ...]) -> str:
    """A hash of the training data and of the code that makes the features."""
    digest = hashlib.sha256()
    for domain in domains:
        for path in [*sorted(domain.baseline.rglob("*.yaml")), *domain.files]:
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes().replace(b"\r\n", b"\n"))
    for name in code:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()
