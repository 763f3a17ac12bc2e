"""`reqtrace import reqif` and `reqtrace export reqif`, on real exports of DOORS, Polarion,
ReqIF Studio, Enterprise Architect, RMF and StrictDoc (tests/data/reqif, with SOURCES.txt)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from reqif.parser import ReqIFParser

from conftest import CONFIG, DATA, DemoBuild, copy_demo, git, write_files
from hostile.kit import run as run_through_main
from reqtrace.core.config import find_spec_repo
from reqtrace.core.digest import normalise_text, requirement_digest
from reqtrace.core.id_pattern import id_matcher
from reqtrace.core.snapshot import load_snapshot
from reqtrace.exporters import reqif as reqif_exporter
from reqtrace.exporters.reqif import export_reqif
from reqtrace.importers.model import Imported, SourceError
from reqtrace.importers.reqif import read_reqif
from reqtrace.importers.writer import render_tree
from reqtrace.io import xhtmltext

MATERIAL = DATA / "reqif"
ID_OK = id_matcher(r"^[A-Z][A-Z0-9]*-[0-9]+$")
STAMP = "2026-12-06T12:00:00+00:00"


def _read(*names: str) -> Imported:
    return read_reqif({name: (MATERIAL / name).read_bytes() for name in names}, ID_OK)


def _cli(*args: str, cwd: Path, real: bool = False) -> subprocess.CompletedProcess[str]:
    """`reqtrace ARGS` at 200 columns: a real process (`real`, one import and one export, as a user
    runs them), or through `reqtrace.cli.main` in this process, which gives the same exit code and
    text without ~0.25 s of CPU to start a process."""
    if real:
        return subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=cwd, capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "200"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "200")
        outcome = run_through_main(list(args), cwd)
    assert outcome.escaped is None, outcome.describe()
    return subprocess.CompletedProcess(list(args), outcome.code, outcome.stdout, outcome.stderr)


def _spec_repo(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    root.mkdir(parents=True)
    write_files(root, {"reqtrace.yaml": CONFIG, "specs/.gitkeep": "", **(files or {})})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    return root


def _everything(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


# ---------------------------------------------------------------- import: every real file


EXPECTED = {  # file -> (requirements, sections in all documents)
    "doors_01_date_datatype.reqif": (1, 0),
    "doors_02_user_example.reqif": (0, 3),  # three chapter headings, no text
    "doors_10_capella_requirements_vp.reqif": (1, 0),
    "polarion_01_anonymized.reqif": (58, 43),
    "reqifstudio_01_anonymized.reqif": (137, 0),
    "reqifz_02_nested_attachment.reqifz": (2, 0),
    "rmf_01_specRelationTest_manual.reqif": (1, 1),
    "rmf_TC1200_reference.reqif": (44, 0),
    "rmf_TC1700_reference.reqifz": (2, 0),
    "sparx_ea8_01_example.reqif": (3, 0),
    "strictdoc_sample2_sdoc.reqif": (8, 10),
}


def _sections(sections: list[dict]) -> int:
    return sum(1 + _sections(s.get("sections", [])) for s in sections)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_real_export_imports_with_nothing_dropped_silently(name: str) -> None:
    imported = _read(name)
    requirements, sections = EXPECTED[name]
    assert len(imported.requirements) == requirements
    assert sum(_sections(d.get("sections", [])) for d in imported.documents.values()) == sections
    rendered = render_tree(imported)  # every file renders and reads back as YAML
    for requirement in imported.requirements:
        assert requirement.title.strip() and requirement.statement.strip()
        assert ID_OK(requirement.id) and requirement.fields.get("mid")
        assert set(requirement.custom) <= set(imported.kept)  # every custom field is in the report
    assert all(yaml.safe_load(data) for path, data in rendered.items())


def test_strictdoc_export_keeps_sections_order_and_identity() -> None:
    imported = _read("strictdoc_sample2_sdoc.reqif")
    [(folder, document)] = imported.documents.items()
    assert folder == "Sample-document" and document["document"] == "Sample-document" and document["title"] == "Sample document"
    assert [s["id"] for s in document["sections"]] == ["section-1", "section-2", "section-3", "section-4"]
    assert document["sections"][2]["sections"][0]["sections"][0]["title"] == "Section 3.1.1"
    c = next(r for r in imported.requirements if r.fields.get("mid") == "REQUIREMENT-5fd3d97c-4acc-4f48-9f3a-bb8b7a399b23")
    assert (c.statement, c.fields.get("section"), c.fields.get("order")) == ("The system shall do C.", "section-2-1", 30)
    assert c.title == "Requirement C"
    assert not any(r.title.startswith("Section") for r in imported.requirements)  # headings without text are sections
    data = yaml.safe_load(render_tree(imported)[f"{folder}/{c.id}.yaml"])
    assert list(data)[:6] == ["id", "title", "statement", "section", "order", "mid"]
    assert imported.mapped["ReqIF.Name"] == "title" and imported.mapped["ReqIF.Text"] == "statement"


def test_doors_polarion_and_sparx_attributes_map_to_fields_the_rest_kept() -> None:
    doors = _read("doors_02_user_example.reqif")  # a module of three chapter headings
    [document] = doors.documents.values()
    assert [s["title"] for s in document["sections"]] == ["Carbon Trust Standard", "CRC and CCA", "Picture or Whitepaper"]
    # What a section cannot carry is said, attribute by attribute.
    assert any(line.startswith("attributes of headings") and "ReqIF.ForeignModifiedBy (3)" in line for line in doors.not_mapped)
    polarion = _read("polarion_01_anonymized.reqif")
    assert polarion.kept["x-reqif-foreigncreatedon"] == 58
    assert all(r.fields.get("section") for r in polarion.requirements if r.custom.get("x-reqif-no-text") is None)
    capella = _read("doors_10_capella_requirements_vp.reqif")
    [requirement] = capella.requirements
    assert requirement.id == "PUID-1" and requirement.statement == "Requirement-1"
    assert requirement.custom["x-ie-object-type"] == "Requirement"  # an enumeration: the value's name
    sparx = _read("sparx_ea8_01_example.reqif")
    assert sparx.mapped["FUNC-REQ-TXT"] == "statement" and sparx.mapped["SPEC-OBJECT LONG-NAME"] == "title"
    # Its hierarchy names objects the file does not hold: said, and the objects still imported.
    assert any("FUNC-REQ-1, which the file does not hold" in line for line in sparx.not_mapped)
    assert any("in no SPECIFICATION" in note for note in sparx.notes)


def test_relations_become_parents_and_the_rest_is_kept() -> None:
    studio = _read("reqifstudio_01_anonymized.reqif")
    assert sum(len(r.parents) for r in studio.requirements) == 14  # its 14 SPEC-RELATIONs
    assert studio.mapped == {**studio.mapped, "SPEC-RELATION _gFhrYGojEeuExICsU7Acmg": "parents"}
    relation_test = _read("rmf_01_specRelationTest_manual.reqif")
    [requirement] = relation_test.requirements  # the other object is a heading: a section
    assert requirement.custom["x-reqif-relations"] == [{"type": "SpecRelationType1", "from": "_3f0ff3a8-49b4-4d51-b1bf-e10e5a3f0ff3"}] \
        or requirement.custom["x-reqif-relations"][0]["type"] == "SpecRelationType1"


def test_xhtml_becomes_text_with_its_structure() -> None:
    tc1200 = {r.custom["x-tc1200-attributedefinitionstring"]: r.statement for r in _read("rmf_TC1200_reference.reqif").requirements}
    assert tc1200["xhtml.br.type"] == "XhtmlPType"
    assert "text before br\ntext after br" in tc1200["xhtml.p.type"]
    assert "**XhtmlStrongType**" in tc1200["xhtml.p.type"] and "*XhtmlEmType*" in tc1200["xhtml.p.type"]
    assert tc1200["xhtml.ul.type"] == "XhtmlDivType\n\n- XhtmlLiType" and tc1200["xhtml.ol.type"] == "XhtmlDivType\n\n1. XhtmlLiType"
    assert tc1200["xhtml.div.type"].startswith("text before h1\n\n# XhtmlH1Type\n\ntext after h1 text before h2\n\n## XhtmlH2Type")
    nested = xhtmltext.parse_fragment("<div><p>Intro<br/>second line</p><ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"
                                      "<table><tr><td>x</td><td>y</td></tr></table><object data='files/pic.png'>Picture</object></div>")
    attachments: list[str] = []
    assert xhtmltext.to_text(nested, attachments) == "Intro\nsecond line\n\n- a\n  - b\n- c\n\n| x | y |\n\n[attachment: files/pic.png — Picture]"
    assert attachments == ["files/pic.png"]


def test_text_to_xhtml_and_back_is_the_identity() -> None:
    text = "First paragraph\nwith a line break & <angle> brackets\n\n- item\n  - nested item\n\n1. numbered\n\n**bold** 中文"
    div = xhtmltext.to_xhtml(text)
    assert xhtmltext.to_text(div) == text


def test_import_writes_documents_and_reports_attachments(tmp_path: Path) -> None:
    repo = _spec_repo(tmp_path / "repo")
    result = _cli("import", "reqif", str(MATERIAL / "reqifz_02_nested_attachment.reqifz"), "--into", "legacy", cwd=repo, real=True)
    assert result.returncode == 0, result.stderr
    assert "imported 2 requirements" in result.stdout and "kept as custom fields:" in result.stdout
    assert "Yin_yang.svg: an attachment (239 bytes)" in result.stdout  # not mapped, said
    document = yaml.safe_load((repo / "specs/legacy/sample/_document.yaml").read_text())
    assert document["document"] == "sample" and document["title"] == "sample"
    files = sorted(p.name for p in (repo / "specs/legacy/sample").iterdir())
    assert len(files) == 3 and files[-1] == "_document.yaml"


# ---------------------------------------------------------------- bad input


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<REQ-IF xmlns="http://www.omg.org/spec/ReqIF/20110401/reqif.xsd"><THE-HEADER>&lol3;</THE-HEADER></REQ-IF>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<REQ-IF xmlns="http://www.omg.org/spec/ReqIF/20110401/reqif.xsd"><THE-HEADER>&secret;</THE-HEADER></REQ-IF>
"""


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


SAMPLE = (MATERIAL / "rmf_01_specRelationTest_manual.reqif").read_bytes()
BAD_INPUT = {
    "malformed.reqif": (SAMPLE.replace(b"</SPEC-OBJECTS>", b"</SPEC-OBJECT>", 1), "malformed.reqif:", "malformed XML"),
    "laughs.reqif": (BILLION_LAUGHS, "laughs.reqif:1", "declares a DOCTYPE"),
    "external.reqif": (EXTERNAL_ENTITY, "external.reqif:1", "declares a DOCTYPE"),
    "not-reqif.reqif": (b"<?xml version='1.0'?><html/>", "not-reqif.reqif:1", "not ReqIF"),
    "traversal.reqifz": (_zip({"../../evil.reqif": SAMPLE}), "traversal.reqifz!../../evil.reqif", "leaves the archive"),
    "absolute.reqifz": (_zip({"/srv/evil.reqif": SAMPLE}), "absolute.reqifz!/srv/evil.reqif", "leaves the archive"),
    "bomb.reqifz": (_zip({"a.reqif": SAMPLE, "big.bin": bytes(3 * 2**20)}), "bomb.reqifz!big.bin", "zip bomb"),
    "broken.reqifz": (b"PK\x03\x04 not really a zip", "broken.reqifz", "not a readable .reqifz"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_bad_input_is_refused_with_file_and_place(name: str) -> None:
    data, where, message = BAD_INPUT[name]
    with pytest.raises(SourceError) as caught:
        read_reqif({name: data}, ID_OK)
    assert caught.value.message.startswith(where) and message in caught.value.message
    assert caught.value.hint


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    data, _, _ = BAD_INPUT["malformed.reqif"]
    line = data.decode().splitlines().index("      </SPEC-OBJECT>") + 1 if "      </SPEC-OBJECT>" in data.decode().splitlines() else None
    with pytest.raises(SourceError) as caught:
        read_reqif({"malformed.reqif": data}, ID_OK)
    assert caught.value.line is not None and (line is None or caught.value.line >= line - 1)


def test_a_bad_file_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    repo = _spec_repo(tmp_path / "repo")
    source = tmp_path / "exports"
    source.mkdir()
    shutil.copy(MATERIAL / "strictdoc_sample2_sdoc.reqif", source / "a-good.reqif")
    (source / "b-laughs.reqif").write_bytes(BILLION_LAUGHS)
    before = _everything(repo)
    result = _cli("import", "reqif", str(source), cwd=repo)
    assert result.returncode == 3
    assert "b-laughs.reqif:1: declares a DOCTYPE" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    assert _everything(repo) == before


# ---------------------------------------------------------------- export and round trip


def _imported_repo(root: Path, *names: str) -> tuple[Path, Imported]:
    imported = _read(*names)
    files = {f"specs/legacy/{path}": data for path, data in render_tree(imported).items()}
    return _spec_repo(root, files), imported


def _comparable(imported: Imported) -> dict[str, tuple]:
    return {r.id: (r.title, r.statement, sorted(r.parents), r.rationale, r.tags, {k: v for k, v in r.fields.items() if k not in ("mid", "section", "order")}, r.custom) for r in imported.requirements}


@pytest.mark.parametrize("name", ["strictdoc_sample2_sdoc.reqif", "reqifstudio_01_anonymized.reqif", "doors_02_user_example.reqif",
                                  "rmf_TC1200_reference.reqif", "rmf_01_specRelationTest_manual.reqif"])
def test_import_export_import_is_the_identity_on_real_files(tmp_path: Path, name: str) -> None:
    root, first = _imported_repo(tmp_path / "repo", name)
    snapshot = load_snapshot(find_spec_repo(root))
    exported = export_reqif(snapshot, created=STAMP, title="round trip")
    second = read_reqif({"again.reqif": exported.data}, ID_OK)
    assert _comparable(second) == _comparable(first)
    assert exported.relations == sum(len(r.parents) for r in first.requirements)


# The document outline as the structure contract gives it (structure.outline); the exporter
# uses the package's own where it has one. Here a stand-in with that shape drives it.
@dataclass(frozen=True)
class _TextNode:
    order: float | None
    text: str


@dataclass(frozen=True)
class _OutlineSection:
    id: str
    title: str
    sections: tuple
    items: tuple


@dataclass(frozen=True)
class _OutlineDocument:
    id: str
    title: str
    parent: str | None
    folder: str
    path: str
    sections: tuple
    items: tuple
    extra: tuple = ()


def test_sections_and_text_nodes_of_the_outline_travel_through_reqif(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _spec_repo(tmp_path / "repo", {
        "specs/srs/REQ-1.yaml": "id: REQ-1\ntitle: Top\nstatement: The top one.\n",
        "specs/srs/REQ-2.yaml": "id: REQ-2\ntitle: Child\nstatement: |\n  First line\n  second line\nparents: [REQ-1]\nx-risk: [low, 中]\n",
        "specs/srs/REQ-3.yaml": "id: REQ-3\ntitle: Loose\nstatement: Outside any section.\nx-count: 3\n",
    })
    login = _OutlineSection("login", "Logging in", (), ("REQ-2", _TextNode(15, "Why logging in matters.")))
    intro = _OutlineSection("intro", "Introduction", (login,), ("REQ-1",))
    document = _OutlineDocument("SRS", "Software requirements", None, "specs/srs", "specs/srs/_document.yaml", (intro,), ("REQ-3",))
    monkeypatch.setattr(reqif_exporter, "_structure", SimpleNamespace(outline=lambda _snapshot: (document,)))
    exported = export_reqif(load_snapshot(find_spec_repo(root)), created=STAMP, title="outline")
    back = read_reqif({"srs.reqif": exported.data}, ID_OK)
    [(folder, written)] = back.documents.items()
    assert folder == "Software-requirements" and written["title"] == "Software requirements"
    assert written["sections"] == [{"id": "intro", "title": "Introduction",
                                    "sections": [{"id": "login", "title": "Logging in", "texts": [{"order": 20, "text": "Why logging in matters."}]}]}]
    placed = {r.id: (r.fields.get("section"), r.fields.get("order"), r.parents, r.custom) for r in back.requirements}
    assert placed == {"REQ-3": (None, 10, [], {"x-count": 3}), "REQ-1": ("intro", 10, [], {}),
                      "REQ-2": ("login", 10, ["REQ-1"], {"x-risk": ["low", "中"]})}
    assert next(r for r in back.requirements if r.id == "REQ-2").statement == "First line\nsecond line"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_build: DemoBuild) -> Path:
    """The worked example (built once per run): its specs, baselines and history, on a copy of this module's own."""
    return copy_demo(demo_build, tmp_path_factory.mktemp("reqif-demo") / "demo")


def test_export_at_a_baseline_opens_in_the_reqif_library_and_imports_back(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "contract.reqif"
    result = _cli("export", "reqif", "-o", str(out), "--baseline", "contract-v1.0", "-f", "json", cwd=demo, real=True)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    repo = find_spec_repo(demo)
    frozen = load_snapshot(repo, "contract-v1.0")
    assert answer["requirement_count"] == len(frozen.requirements) and answer["links_left_out"] == []
    bundle = ReqIFParser.parse(str(out))
    content = bundle.core_content.req_if_content
    assert len(content.spec_objects) == len(frozen.requirements) and not bundle.exceptions
    assert len(content.spec_relations) == sum(len(r.parents) for r in frozen.requirements.values())
    assert {s.long_name for s in content.specifications} == {"booking", "accounts", "admin", "reminders", "nonfunctional"}
    # The same revision gives the same bytes (stamped with the commit's date, not the clock).
    again = tmp_path / "again.reqif"
    assert _cli("export", "reqif", "-o", str(again), "--rev", "contract-v1.0", cwd=demo).returncode == 0
    assert again.read_bytes().replace(b"contract-v1.0", b"") == out.read_bytes().replace(b"contract-v1.0", b"").replace(
        b"baseline ", b"revision ")
    # Round trip: the demo's requirements come back with the same meaning (digest), links and fields.
    target = _spec_repo(tmp_path / "target")
    imported = _cli("import", "reqif", str(out), "--into", "back", cwd=target)
    assert imported.returncode == 0, imported.stderr
    back = load_snapshot(find_spec_repo(target))
    assert sorted(back.requirements) == sorted(frozen.requirements)
    for rid, requirement in frozen.requirements.items():
        assert requirement_digest(back.requirements[rid]) == requirement_digest(requirement), rid
        assert back.requirements[rid].parents == requirement.parents


def test_export_refuses_bad_options_and_output_paths(demo: Path, tmp_path: Path) -> None:
    both = _cli("export", "reqif", "-o", str(tmp_path / "x.reqif"), "--rev", "HEAD", "--baseline", "contract-v1.0", cwd=demo)
    assert both.returncode == 2 and "not both" in both.stderr
    folder = _cli("export", "reqif", "-o", str(tmp_path), cwd=demo)
    assert folder.returncode == 3 and "is a folder" in folder.stderr
    unknown = _cli("export", "reqif", "-o", str(tmp_path / "x.reqif"), "--baseline", "nope", cwd=demo)
    assert unknown.returncode == 3 and "no baseline named 'nope'" in unknown.stderr
    assert not (tmp_path / "x.reqif").exists()
    empty = _spec_repo(tmp_path / "empty")  # an export that read nothing is not a success
    nothing = _cli("export", "reqif", "-o", str(tmp_path / "x.reqif"), cwd=empty)
    assert nothing.returncode == 3 and "no requirements to export at the working tree" in nothing.stderr
    assert not (tmp_path / "x.reqif").exists()


# ---------------------------------------------------------------- StrictDoc reads what reqtrace writes

# StrictDoc is large (a web server among its dependencies): the test installs it into a
# throw-away venv only when asked (.ci/run sets REQTRACE_REQUIRE_STRICTDOC=1), or uses the
# `strictdoc` named by REQTRACE_STRICTDOC.
STRICTDOC_VERSION = "strictdoc==0.30.4"


@pytest.fixture(scope="session")
def strictdoc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get("REQTRACE_STRICTDOC")
    if named:
        return Path(named)
    if os.environ.get("REQTRACE_REQUIRE_STRICTDOC") != "1":
        pytest.skip("StrictDoc is not installed for the tests (set REQTRACE_REQUIRE_STRICTDOC=1 or REQTRACE_STRICTDOC=PATH)")
    venv = tmp_path_factory.mktemp("strictdoc-venv")
    # A venv without its own pip (ensurepip costs seconds), filled by this environment's real pip;
    # --no-compile: StrictDoc's dependencies are compiled on import, only what `convert` imports.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", "--no-compile", STRICTDOC_VERSION], check=True)
    return venv / "bin" / "strictdoc"


# slow: in CI it pip-installs StrictDoc and its dependencies into a throw-away venv (~30 s), so its module goes first
@pytest.mark.slow
def test_strictdoc_imports_the_export(demo: Path, tmp_path: Path, strictdoc: Path) -> None:
    out = tmp_path / "demo.reqif"
    assert _cli("export", "reqif", "-o", str(out), "--baseline", "contract-v1.0", cwd=demo).returncode == 0
    converted = subprocess.run([str(strictdoc), "convert", "--output-format", "sdoc", str(out), str(tmp_path / "sdoc")],
                               capture_output=True, text=True)
    assert converted.returncode == 0, converted.stdout + converted.stderr
    assert sorted(p.name for p in (tmp_path / "sdoc").glob("*.sdoc")) == [
        "accounts.sdoc", "admin.sdoc", "booking.sdoc", "nonfunctional.sdoc", "reminders.sdoc"]
    # What StrictDoc wrote, read back by reqtrace's own StrictDoc importer: same ids, titles, links.
    target = _spec_repo(tmp_path / "target")
    back = _cli("import", "strictdoc", str(tmp_path / "sdoc"), "--into", "sd", cwd=target)
    assert back.returncode == 0, back.stderr
    again = load_snapshot(find_spec_repo(target)).requirements
    frozen = load_snapshot(find_spec_repo(demo), "contract-v1.0").requirements
    assert sorted(again) == sorted(frozen)
    for rid, requirement in frozen.items():
        assert again[rid].title == requirement.title
        assert normalise_text(again[rid].statement) == normalise_text(requirement.statement), rid
        assert sorted(again[rid].parents) == sorted(requirement.parents), rid
