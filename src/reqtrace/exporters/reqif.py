"""Requirements as ReqIF 1.2 (the OMG format every requirements tool reads).

Each document becomes a SPECIFICATION, its sections SPEC-HIERARCHY nodes over a
section object (`ReqIF.ChapterName`), each requirement a SPEC-OBJECT with the
standard attributes (`ReqIF.ForeignID` = id, `ReqIF.Name` = title and `ReqIF.Text`
= statement, both XHTML), each parent link a SPEC-RELATION of type `Parent` from
the child to the parent. reqtrace's other fields and the team's `x-` fields are
string attributes named after the field; a value that is not text (a number, a
list, a mapping) is written as JSON and marked so in the attribute definition's
DESC, so that `reqtrace import reqif` reads it back as it was.

Only string, XHTML and JSON-in-string attributes are written: StrictDoc's ReqIF
import, for one, refuses integer and boolean attributes. The title is XHTML, as
DOORS writes it: StrictDoc (0.30) garbles non-ASCII text in string attributes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from reqtrace.baselines.baseline import resolve_read_at
from reqtrace.core.config import SpecRepo
from reqtrace.core.model import Requirement, Snapshot, natural_key
from reqtrace.core.snapshot import load_snapshot
from reqtrace.errors import InputError, UsageError
from reqtrace.importers.reqif import FIELD_ATTRIBUTES, JSON_MARK
from reqtrace.io import clock, gitio, xhtmltext
from reqtrace.io.files import output_path, output_writer

try:  # the document outline (documents, sections, order) where the package models it
    from reqtrace.core import structure as _structure
except ImportError:  # pragma: no cover - depends on the package version
    _structure = None  # type: ignore[assignment]

REQIF_NS = "http://www.omg.org/spec/ReqIF/20110401/reqif.xsd"

_DT_STRING = "reqtrace-datatype-string"
_DT_XHTML = "reqtrace-datatype-xhtml"
_TYPE_REQUIREMENT = "reqtrace-type-requirement"
_TYPE_SECTION = "reqtrace-type-section"
_TYPE_TEXT = "reqtrace-type-text"
_TYPE_PARENT = "reqtrace-type-parent"
_TYPE_SPECIFICATION = "reqtrace-type-specification"


@dataclass(frozen=True)
class _Section:
    id: str
    title: str
    sections: tuple[_Section, ...]
    items: tuple[Any, ...]


@dataclass(frozen=True)
class _Document:
    id: str
    title: str
    sections: tuple[_Section, ...]
    items: tuple[Any, ...]


@dataclass
class Exported:
    data: bytes
    requirements: int
    specifications: int
    relations: int
    links_left_out: list[str]


def outline(snapshot: Snapshot) -> tuple[Any, ...]:
    """The documents to export: the package's outline where it has one, else one
    document per folder of requirement files, requirements in natural id order."""
    if _structure is not None:
        return tuple(_structure.outline(snapshot))
    folders: dict[str, list[str]] = {}
    for rid, requirement in snapshot.requirements.items():
        folders.setdefault(str(PurePosixPath(requirement.path).parent), []).append(rid)
    return tuple(_Document(folder, PurePosixPath(folder).name or folder, (), tuple(sorted(ids, key=natural_key)))
                 for folder, ids in sorted(folders.items()))


def export_reqif(snapshot: Snapshot, *, created: str, title: str) -> Exported:
    """The ReqIF file for `snapshot`; `created` (ISO 8601) stamps every element, so the
    same revision always gives the same bytes."""
    return _Builder(snapshot, created, title).build(outline(snapshot))


def ncname(text: str, taken: set[str]) -> str:
    """An XML identifier (xsd:ID) for `text`, unique among `taken` (which it joins)."""
    candidate = re.sub(r"[^A-Za-z0-9_.-]", "_", text)
    if not re.match(r"^[A-Za-z_]", candidate):
        candidate = "_" + candidate
    if candidate in taken:
        candidate = f"{candidate}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
        while candidate in taken:
            candidate += "_"
    taken.add(candidate)
    return candidate


def _e(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{REQIF_NS}}}{tag}", {k.replace("_", "-"): xhtmltext.xml_safe(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xhtmltext.xml_safe(text)
    return element


class _Builder:
    def __init__(self, snapshot: Snapshot, created: str, title: str) -> None:
        self.snapshot = snapshot
        self.created = created
        self.title = title
        self.taken: set[str] = {_DT_STRING, _DT_XHTML, _TYPE_REQUIREMENT, _TYPE_SECTION, _TYPE_TEXT, _TYPE_PARENT, _TYPE_SPECIFICATION}
        self.object_ids: dict[str, str] = {}  # requirement id -> SPEC-OBJECT IDENTIFIER
        self.definitions: dict[str, tuple[str, str, bool]] = {}  # attribute name -> (IDENTIFIER, kind, json)

    # ---------------------------------------------------------------- values

    def _attribute_values(self, requirement: Requirement) -> list[tuple[str, str, str, bool]]:
        """(attribute name, kind STRING|XHTML, text, whether the text is JSON) for one requirement."""
        values = [("ReqIF.ForeignID", "STRING", requirement.id, False), ("ReqIF.Name", "XHTML", requirement.title, False),
                  ("ReqIF.Text", "XHTML", requirement.statement, False)]
        if requirement.rationale:
            values.append(("RATIONALE", "XHTML", requirement.rationale, False))
        for name, attribute in FIELD_ATTRIBUTES.items():
            value = getattr(requirement, name)
            if value not in (None, ()):
                values.append((attribute, "STRING", *_text_or_json(list(value) if isinstance(value, tuple) else value)))
        for key, value in requirement.extra:
            values.append((key, "STRING", *_text_or_json(value)))
        return values

    # ---------------------------------------------------------------- the file

    def build(self, documents: Iterable[Any]) -> Exported:
        requirements = self.snapshot.requirements
        # First pass: which attributes exist, and with which kind (JSON marks a non-text value).
        for requirement in requirements.values():
            for name, kind, _text, is_json in self._attribute_values(requirement):
                self._define(name, kind, is_json)
        root = etree.Element(f"{{{REQIF_NS}}}REQ-IF", nsmap={None: REQIF_NS, "xhtml": xhtmltext.XHTML_NS})
        header = _e(_e(root, "THE-HEADER"), "REQ-IF-HEADER", IDENTIFIER="reqtrace-header")
        _e(header, "COMMENT", "Written by reqtrace export reqif")
        _e(header, "CREATION-TIME", self.created)
        _e(header, "REQ-IF-TOOL-ID", "reqtrace")
        _e(header, "REQ-IF-VERSION", "1.0")
        _e(header, "SOURCE-TOOL-ID", "reqtrace")
        _e(header, "TITLE", self.title)
        content = _e(_e(root, "CORE-CONTENT"), "REQ-IF-CONTENT")
        datatypes = _e(content, "DATATYPES")
        _e(datatypes, "DATATYPE-DEFINITION-STRING", IDENTIFIER=_DT_STRING, LAST_CHANGE=self.created, LONG_NAME="String", MAX_LENGTH="1000000")
        _e(datatypes, "DATATYPE-DEFINITION-XHTML", IDENTIFIER=_DT_XHTML, LAST_CHANGE=self.created, LONG_NAME="XHTML")
        spec_types = _e(content, "SPEC-TYPES")
        self._object_type(spec_types, _TYPE_REQUIREMENT, "Requirement", list(self.definitions.items()))
        self._object_type(spec_types, _TYPE_SECTION, "Section", [("ReqIF.ChapterName", (self._id("attribute-chapter-name"), "STRING", False)),
                                                                  ("ReqIF.ForeignID", (self._id("attribute-section-id"), "STRING", False))])
        self._object_type(spec_types, _TYPE_TEXT, "Text", [("ReqIF.Text", (self._id("attribute-text-node"), "XHTML", False))])
        _e(spec_types, "SPEC-RELATION-TYPE", IDENTIFIER=_TYPE_PARENT, LAST_CHANGE=self.created, LONG_NAME="Parent")
        _e(spec_types, "SPECIFICATION-TYPE", IDENTIFIER=_TYPE_SPECIFICATION, LAST_CHANGE=self.created, LONG_NAME="Specification")
        spec_objects = _e(content, "SPEC-OBJECTS")
        for rid in sorted(requirements, key=natural_key):
            self._requirement_object(spec_objects, requirements[rid])
        relations_element = _e(content, "SPEC-RELATIONS")
        relations, left_out = 0, []
        for rid in sorted(requirements, key=natural_key):
            for parent in requirements[rid].parents:
                if parent not in self.object_ids:
                    left_out.append(f"{rid} → {parent}")
                    continue
                relation = _e(relations_element, "SPEC-RELATION", IDENTIFIER=self._id(f"link-{rid}-{parent}"), LAST_CHANGE=self.created)
                _e(_e(relation, "SOURCE"), "SPEC-OBJECT-REF", self.object_ids[rid])
                _e(_e(relation, "TARGET"), "SPEC-OBJECT-REF", self.object_ids[parent])
                _e(_e(relation, "TYPE"), "SPEC-RELATION-TYPE-REF", _TYPE_PARENT)
                relations += 1
        specifications = _e(content, "SPECIFICATIONS")
        count = 0
        for document in documents:
            specification = _e(specifications, "SPECIFICATION", IDENTIFIER=self._id(f"document-{document.id}"),
                               LAST_CHANGE=self.created, LONG_NAME=document.title)
            _e(_e(specification, "TYPE"), "SPECIFICATION-TYPE-REF", _TYPE_SPECIFICATION)
            self._children(specification, spec_objects, document, f"document-{document.id}")
            count += 1
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        return Exported(data, len(requirements), count, relations, left_out)

    def _id(self, text: str) -> str:
        return ncname(text, self.taken)

    def _define(self, name: str, kind: str, is_json: bool) -> None:
        if name not in self.definitions:
            self.definitions[name] = (self._id(f"attribute-{name}"), kind, is_json)
        elif is_json and not self.definitions[name][2]:
            identifier, kind_before, _ = self.definitions[name]
            self.definitions[name] = (identifier, kind_before, True)

    def _object_type(self, parent: etree._Element, identifier: str, long_name: str,
                     attributes: list[tuple[str, tuple[str, str, bool]]]) -> None:
        spec_type = _e(parent, "SPEC-OBJECT-TYPE", IDENTIFIER=identifier, LAST_CHANGE=self.created, LONG_NAME=long_name)
        holder = _e(spec_type, "SPEC-ATTRIBUTES")
        for name, (attribute_id, kind, is_json) in attributes:
            extra = {"DESC": JSON_MARK} if is_json else {}
            definition = _e(holder, f"ATTRIBUTE-DEFINITION-{kind}", IDENTIFIER=attribute_id, LAST_CHANGE=self.created, LONG_NAME=name, **extra)
            _e(_e(definition, "TYPE"), f"DATATYPE-DEFINITION-{kind}-REF", _DT_XHTML if kind == "XHTML" else _DT_STRING)
        if long_name == "Section":
            self.chapter_attribute, self.section_id_attribute = attributes[0][1][0], attributes[1][1][0]
        elif long_name == "Text":
            self.text_attribute = attributes[0][1][0]

    def _value(self, values: etree._Element, kind: str, attribute_id: str, text: str, as_json: bool, is_json: bool = False) -> None:
        if kind == "XHTML":
            value = _e(values, "ATTRIBUTE-VALUE-XHTML")
            _e(_e(value, "DEFINITION"), "ATTRIBUTE-DEFINITION-XHTML-REF", attribute_id)
            _e(value, "THE-VALUE").append(xhtmltext.to_xhtml(text))
            return
        if as_json and not is_json:
            text = json.dumps(text, ensure_ascii=False)  # a text value of a field that also holds JSON ones
        value = _e(values, "ATTRIBUTE-VALUE-STRING", THE_VALUE=text)
        _e(_e(value, "DEFINITION"), "ATTRIBUTE-DEFINITION-STRING-REF", attribute_id)

    def _requirement_object(self, parent: etree._Element, requirement: Requirement) -> None:
        mid = getattr(requirement, "mid", None)
        identifier = self._id(mid if isinstance(mid, str) and mid else requirement.id)
        self.object_ids[requirement.id] = identifier
        spec_object = _e(parent, "SPEC-OBJECT", IDENTIFIER=identifier, LAST_CHANGE=self.created)
        _e(_e(spec_object, "TYPE"), "SPEC-OBJECT-TYPE-REF", _TYPE_REQUIREMENT)
        values = _e(spec_object, "VALUES")
        for name, kind, text, is_json in self._attribute_values(requirement):
            attribute_id, _kind, as_json = self.definitions[name]
            self._value(values, kind, attribute_id, text, as_json, is_json)

    def _plain_object(self, parent: etree._Element, identifier: str, type_id: str, values: list[tuple[str, str, str]]) -> None:
        """A section or text object: (kind, attribute IDENTIFIER, text) for each value."""
        spec_object = _e(parent, "SPEC-OBJECT", IDENTIFIER=identifier, LAST_CHANGE=self.created)
        _e(_e(spec_object, "TYPE"), "SPEC-OBJECT-TYPE-REF", type_id)
        holder = _e(spec_object, "VALUES")
        for kind, attribute_id, text in values:
            self._value(holder, kind, attribute_id, text, False)

    def _children(self, holder: etree._Element, spec_objects: etree._Element, node: Any, path: str) -> None:
        children = _e(holder, "CHILDREN")
        for item in node.items:
            if isinstance(item, str):
                if item not in self.object_ids:
                    continue
                hierarchy = _e(children, "SPEC-HIERARCHY", IDENTIFIER=self._id(f"node-{path}-{item}"), LAST_CHANGE=self.created)
                _e(_e(hierarchy, "OBJECT"), "SPEC-OBJECT-REF", self.object_ids[item])
            else:
                text_id = self._id(f"text-{path}")
                self._plain_object(spec_objects, text_id, _TYPE_TEXT, [("XHTML", self.text_attribute, item.text)])
                hierarchy = _e(children, "SPEC-HIERARCHY", IDENTIFIER=self._id(f"node-{text_id}"), LAST_CHANGE=self.created)
                _e(_e(hierarchy, "OBJECT"), "SPEC-OBJECT-REF", text_id)
        for section in node.sections:
            section_path = f"{path}-{section.id}"
            section_id = self._id(f"section-{section_path}")
            self._plain_object(spec_objects, section_id, _TYPE_SECTION, [("STRING", self.chapter_attribute, section.title),
                                                                         ("STRING", self.section_id_attribute, section.id)])
            hierarchy = _e(children, "SPEC-HIERARCHY", IDENTIFIER=self._id(f"node-{section_id}"), LAST_CHANGE=self.created)
            _e(_e(hierarchy, "OBJECT"), "SPEC-OBJECT-REF", section_id)
            self._children(hierarchy, spec_objects, section, section_path)
        if not len(children):
            holder.remove(children)


def _text_or_json(value: Any) -> tuple[str, bool]:
    """A field's value as attribute text, and whether that text is JSON (for a value that is not text)."""
    if isinstance(value, str):
        return value, False
    return json.dumps(value, ensure_ascii=False, sort_keys=True), True


def run_reqif_export(repo: SpecRepo, output_file: Path, *, rev: str | None = None, baseline: str | None = None) -> dict[str, Any]:
    """Export the spec repo at the working tree, `rev` or `baseline` to `output_file`; a JSON-ready summary."""
    if rev is not None and baseline is not None:
        raise UsageError("give --rev or --baseline, not both")
    target = output_path(output_file, what="ReqIF file", example="requirements.reqif")
    commit, label, _ = resolve_read_at(repo, rev, baseline)
    snapshot = load_snapshot(repo, commit)
    if not snapshot.requirements:
        raise InputError(f"no requirements to export at {label}",
                         hint=f"requirements are read from {snapshot.config.requirements_dir}/; `reqtrace check` says why none were read")
    if snapshot.commit is not None and repo.git_top is not None:
        created = gitio.commit_info(repo.git_top, snapshot.commit)["commit_date"]
    else:
        created = clock.timestamp()
    exported = export_reqif(snapshot, created=created, title=f"{repo.root.name}: requirements at {label}")
    with output_writer(target) as handle:
        handle.write(exported.data)
    return {"output": str(target), "commit": snapshot.commit, "baseline": baseline, "requirement_count": exported.requirements,
            "specification_count": exported.specifications, "relation_count": exported.relations, "links_left_out": exported.links_left_out}
