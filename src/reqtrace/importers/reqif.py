"""ReqIF (`.reqif`) and ReqIF archives (`.reqifz`), read through the `reqif` library.

Every file is first parsed by lxml with entities left unresolved and no network, and
refused when it declares a DOCTYPE (ReqIF has none; a DOCTYPE is how entity expansion
and external entities get in). Only then does the `reqif` library read it. An archive's
member names and sizes are checked before anything is unpacked.

Each SPECIFICATION becomes a document (a folder with `_document.yaml`); its hierarchy
gives the sections (a node whose object is of a heading type, or has no text but a
heading (`ReqIF.ChapterName`) or children)
and the `order` of the requirements in them. Attributes map to fields by their names
(`ReqIF.ForeignID`, `ReqIF.ChapterName`, `ReqIF.Name`, `ReqIF.Text` and the usual DOORS,
Polarion and StrictDoc names); every other attribute is kept as an `x-` field.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from lxml import etree
from reqif.models.reqif_spec_object_type import ReqIFSpecObjectType
from reqif.models.reqif_spec_relation_type import ReqIFSpecRelationType
from reqif.models.reqif_types import SpecObjectAttributeType
from reqif.parser import ReqIFParser

from reqtrace.importers.model import (
    IdTest,
    Imported,
    ImportedRequirement,
    SourceError,
    first_line,
    generated_id,
    reqtrace_id,
    slug,
)
from reqtrace.io import xhtmltext

# Attribute names (compared in lower case) that carry reqtrace's own fields, best first.
ID_NAMES = ("reqif.foreignid", "uid", "id", "puid", "ie puid", "object identifier")
TITLE_NAMES = ("reqif.chaptername", "reqif.name", "title", "name", "object heading", "heading")
HEADING_NAMES = ("reqif.chaptername", "object heading", "heading")  # a title from these names a heading
STATEMENT_NAMES = ("reqif.text", "statement", "object text", "text", "description", "reqif.description")
RATIONALE_NAMES = ("rationale",)
# What `reqtrace export reqif` writes: reqtrace's other fields under these names, and a
# value that is not text as JSON, marked so in its attribute definition's DESC.
FIELD_ATTRIBUTES = {"priority": "reqtrace.priority", "status": "reqtrace.graph.status", "owner": "reqtrace.owner",
                    "tags": "reqtrace.tags", "acceptance": "reqtrace.acceptance", "sources": "reqtrace.sources"}
JSON_MARK = "reqtrace: the value is JSON"
_FIELD_OF_ATTRIBUTE = {attribute: name for name, attribute in FIELD_ATTRIBUTES.items()}
_CUSTOM_KEY = re.compile(r"^x-[A-Za-z0-9_.-]+$")
_TEXT_TYPE = re.compile(r"^(text|free ?text)$", re.IGNORECASE)
_HEADING_TYPE = re.compile(r"heading|section|chapter", re.IGNORECASE)
_CHILD_RELATION = re.compile(r"child", re.IGNORECASE)

# A .reqifz is a zip archive: these caps stop a zip bomb before it is unpacked.
MAX_MEMBERS = 1000
MAX_MEMBER_SIZE = 64 * 1024 * 1024
MAX_ARCHIVE_SIZE = 256 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for members larger than 1 MiB


@dataclass
class _Node:
    """One SPEC-HIERARCHY entry as reqtrace places it."""

    object_ref: str
    children: list[_Node] = field(default_factory=list)


@dataclass
class _Section:
    id: str
    title: str
    sections: list[_Section] = field(default_factory=list)
    texts: list[dict[str, Any]] = field(default_factory=list)  # prose nodes: {order, text}

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.texts:
            data["texts"] = self.texts
        if self.sections:
            data["sections"] = [s.as_data() for s in self.sections]
        return data


def read_reqif(files: dict[str, bytes], id_ok: IdTest) -> Imported:
    """Every .reqif / .reqifz among `files` (name -> content), as one import."""
    imported = Imported("reqif")
    reader = _Reader(imported, id_ok)
    for name, data in sorted(files.items()):
        if name.endswith(".reqifz"):
            for member, bundle in _archive_bundles(name, data, imported):
                reader.add_bundle(f"{name}!{member}", bundle)
        elif name.endswith(".reqif"):
            reader.add_bundle(name, parse_reqif(name, data))
    if not files:
        raise SourceError("(source)", None, "holds no .reqif or .reqifz file", hint="name a .reqif or .reqifz file, or a folder holding them")
    reader.finish()
    return imported


def parse_reqif(path: str, data: bytes) -> Any:
    """A ReqIFBundle for one ReqIF file, after the XML was checked to be safe to read."""
    text = safe_xml_text(path, data)
    try:
        return ReqIFParser.parse_from_string(text)
    except Exception as exc:  # the library raises its own errors and, on odd files, plain ones
        raise SourceError(path, None, f"not a ReqIF file the reqif library can read: {_one_line(exc)}",
                          hint="check that it is a ReqIF 1.x export (REQ-IF root element)") from None


def safe_xml_text(path: str, data: bytes) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False)
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        message = re.sub(r",? line \d+, column \d+.*$", "", exc.msg or "malformed")
        raise SourceError(path, line, f"malformed XML: {message}", hint="the file is damaged or not ReqIF; export it again") from None
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise SourceError(path, 1, "declares a DOCTYPE; ReqIF has none, and entities or external references are not read",
                          hint="remove the <!DOCTYPE ...> declaration (and any entity it defines)")
    if tree.getroot() is None or etree.QName(tree.getroot()).localname != "REQ-IF":
        raise SourceError(path, 1, "is XML but not ReqIF (the root element is not REQ-IF)", hint="name a ReqIF export")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(path, None, f"is not UTF-8 (byte {exc.start})", hint="ReqIF files are UTF-8; convert it") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _archive_bundles(path: str, data: bytes, imported: Imported) -> list[tuple[str, Any]]:
    """The ReqIF documents of a .reqifz, after checking every member's name and size;
    other members (attachments) are listed as not mapped."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise SourceError(path, None, f"not a readable .reqifz (zip) archive: {_one_line(exc)}", hint="export it again") from None
    if len(members) > MAX_MEMBERS:
        raise SourceError(path, None, f"holds {len(members)} members (at most {MAX_MEMBERS} are read)")
    total = 0
    for member in members:
        name = member.filename
        parts = PurePosixPath(name).parts
        if name.startswith("/") or "\\" in name or ".." in parts or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
            raise SourceError(f"{path}!{name}", None, "a member name that leaves the archive (absolute, '..' or a drive); not read",
                              hint="the archive is damaged or hostile; export it again")
        total += member.file_size
        if member.file_size > MAX_MEMBER_SIZE or total > MAX_ARCHIVE_SIZE:
            raise SourceError(f"{path}!{name}", None, f"unpacks to more than {MAX_MEMBER_SIZE // 2**20} MiB "
                              f"(or the archive to more than {MAX_ARCHIVE_SIZE // 2**20} MiB); not read",
                              hint="a zip bomb, or an export too large to import in one go")
        if member.file_size > 2**20 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise SourceError(f"{path}!{name}", None, f"compressed {member.file_size // max(member.compress_size, 1)}:1; "
                              "refused as a likely zip bomb", hint="a real ReqIF export does not compress that well")
    bundles = []
    for member in members:
        if member.is_dir():
            continue
        label = f"{path}!{member.filename}"
        if member.filename.lower().endswith((".reqif", ".xml")):
            bundles.append((member.filename, parse_reqif(label, _read_member(archive, member, label))))
        else:
            imported.not_mapped.append(f"{label}: an attachment ({member.file_size} bytes); reqtrace keeps no attachments, "
                                       "so it is not imported")
    if not bundles:
        raise SourceError(path, None, "holds no .reqif member", hint="a .reqifz holds at least one .reqif file")
    return bundles


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str) -> bytes:
    # The size in the header can lie: read at most the cap, and refuse what goes past it.
    try:
        with archive.open(member) as stream:
            data = stream.read(MAX_MEMBER_SIZE + 1)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise SourceError(label, None, f"cannot be unpacked: {_one_line(exc)}", hint="export the archive again") from None
    if len(data) > MAX_MEMBER_SIZE:
        raise SourceError(label, None, f"unpacks to more than {MAX_MEMBER_SIZE // 2**20} MiB; not read", hint="a zip bomb?")
    return data


@dataclass
class _Object:
    """A SPEC-OBJECT read into plain values: role fields, custom fields, and how it reads."""

    identifier: str
    where: str
    type_name: str
    source_id: str | None = None
    title: str | None = None
    heading: bool = False  # the title came from a heading attribute (ReqIF.ChapterName)
    statement: str | None = None
    rationale: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    custom_names: list[str] = field(default_factory=list)  # the attribute names behind `custom`
    statement_name: str = ""
    id_name: str = ""
    known: dict[str, Any] = field(default_factory=dict)
    attachments: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, imported: Imported, id_ok: IdTest) -> None:
        self.imported = imported
        self.id_ok = id_ok
        self.objects: dict[str, _Object] = {}
        self.placed: dict[str, ImportedRequirement] = {}  # object identifier -> requirement
        self.section_objects: set[str] = set()
        self.relations: list[tuple[str, str, str, str]] = []  # (where, type name, source ref, target ref)
        self.taken: set[str] = set()
        self.keys: dict[str, str] = {}  # attribute name -> x- key
        self.folders: set[str] = set()
        self.heading_attributes: dict[str, int] = {}  # attributes of objects that became sections -> how many

    # ---------------------------------------------------------------- one file

    def add_bundle(self, where: str, bundle: Any) -> None:
        for problem in bundle.exceptions or []:
            self.imported.notes.append(f"{where}: {_one_line(problem)}")
        content = bundle.core_content.req_if_content if bundle.core_content else None
        if content is None:
            self.imported.notes.append(f"{where}: no REQ-IF-CONTENT; nothing to import")
            return
        relation_types = {t.identifier: (t.long_name or t.identifier) for t in content.spec_types or []
                          if isinstance(t, ReqIFSpecRelationType)}
        for spec_object in content.spec_objects or []:
            if spec_object.identifier in self.objects:
                self.imported.not_mapped.append(f"{where}: SPEC-OBJECT {spec_object.identifier} appears twice; the second is left out")
                continue
            self.objects[spec_object.identifier] = self._read_object(where, bundle, spec_object)
        for relation in content.spec_relations or []:
            type_name = relation_types.get(relation.relation_type_ref, relation.relation_type_ref)
            self.relations.append((where, type_name, relation.source, relation.target))
        specifications = content.specifications or []
        for specification in specifications:
            self._add_specification(where, bundle, specification)

    def _read_object(self, where: str, bundle: Any, spec_object: Any) -> _Object:
        spec_type = bundle.lookup.get_spec_type_by_ref(spec_object.spec_object_type) if spec_object.spec_object_type else None
        definitions = spec_type.attribute_map if isinstance(spec_type, ReqIFSpecObjectType) else {}
        type_name = (spec_type.long_name or spec_type.identifier) if spec_type is not None else "?"
        read = _Object(spec_object.identifier, where, type_name)
        values: list[tuple[str, str, Any]] = []  # (name, kind, value)
        for attribute in spec_object.attributes:
            definition = definitions.get(attribute.definition_ref)
            name = (definition.long_name or definition.identifier) if definition is not None else attribute.definition_ref
            value = self._value(bundle, attribute, definition, read.attachments)
            if definition is not None and definition.description == JSON_MARK and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass  # not JSON after all: kept as the text it is
            if name in _FIELD_OF_ATTRIBUTE:
                if value not in (None, "", []):
                    read.known[_FIELD_OF_ATTRIBUTE[name]] = value
                self.imported.mapped[name] = _FIELD_OF_ATTRIBUTE[name]
                continue
            if value not in (None, "", []):
                values.append((name, attribute.attribute_type.name, value))
        used: set[int] = set()

        def pick(names: tuple[str, ...], role: str, kinds: tuple[str, ...] = ("STRING", "XHTML", "INTEGER")) -> str | None:
            for wanted in names:
                for index, (name, kind, value) in enumerate(values):
                    if index not in used and name.lower() == wanted and kind in kinds and str(value).strip():
                        used.add(index)
                        self.imported.mapped[name] = role
                        if role == "statement":
                            read.statement_name = name
                        elif role == "id":
                            read.id_name = name
                        return str(value).strip()
            return None

        read.source_id = pick(ID_NAMES, "id")
        read.title = pick(TITLE_NAMES, "title")
        read.heading = read.title is not None and any(values[i][0].lower() in HEADING_NAMES for i in used)
        read.statement = pick(STATEMENT_NAMES, "statement")
        read.rationale = pick(RATIONALE_NAMES, "rationale")
        if read.statement is None:
            # Tools name their text attribute freely (Sparx: FUNC-REQ-TXT): the first rich-text
            # attribute, else a string one whose name says text.
            for index, (name, kind, value) in enumerate(values):
                if index in used or name.lower().startswith("reqif."):  # ReqIF.Foreign*: who and when, never the text
                    continue
                if kind == "XHTML" or (kind == "STRING" and re.search(r"te?xt|desc", name, re.I)):
                    used.add(index)
                    self.imported.mapped[name] = "statement"
                    read.statement, read.statement_name = str(value).strip(), name
                    break
        if read.title is None and spec_object.long_name:
            read.title = spec_object.long_name.strip()
            self.imported.mapped["SPEC-OBJECT LONG-NAME"] = "title"
        for index, (name, _kind, value) in enumerate(values):
            if index not in used:
                read.custom[self._key(name)] = value
                read.custom_names.append(name)
        return read

    def _value(self, bundle: Any, attribute: Any, definition: Any, attachments: list[str]) -> Any:
        kind = attribute.attribute_type
        if kind is SpecObjectAttributeType.XHTML:
            fragment = attribute.value_stripped_xhtml if attribute.value_stripped_xhtml is not None else ""
            try:
                return xhtmltext.to_text(xhtmltext.parse_fragment(fragment), attachments)
            except etree.XMLSyntaxError:
                return " ".join(str(attribute.value).split())
        if kind is SpecObjectAttributeType.ENUMERATION:
            datatype = bundle.lookup.get_data_type_by_ref(definition.datatype_definition) if definition is not None else None
            names = []
            for ref in attribute.value or []:
                enum_value = getattr(datatype, "values_map", {}).get(ref)
                names.append((enum_value.long_name or enum_value.key or ref) if enum_value is not None else ref)
            if definition is not None and definition.multi_valued:
                return names
            return names[0] if len(names) == 1 else names
        if kind is SpecObjectAttributeType.INTEGER:
            try:
                return int(attribute.value)
            except (TypeError, ValueError):
                return attribute.value
        if kind is SpecObjectAttributeType.BOOLEAN:
            return {"true": True, "false": False}.get(str(attribute.value).strip().lower(), attribute.value)
        return attribute.value  # STRING, REAL, DATE: as written

    def _key(self, name: str) -> str:
        if _CUSTOM_KEY.match(name):
            return name  # already a custom field's name (reqtrace wrote it)
        if name not in self.keys:
            base = "x-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "attribute")
            key, number = base, 2
            while key in self.keys.values() or key in _RESERVED_KEYS:
                key, number = f"{base}-{number}", number + 1
            self.keys[name] = key
        return self.keys[name]

    # ---------------------------------------------------------------- the hierarchy

    def _add_specification(self, where: str, bundle: Any, specification: Any) -> None:
        title = (specification.long_name or "").strip() or PurePosixPath(where.split("!")[-1]).stem
        folder = self._folder(title)
        sections_by_id: set[str] = set()
        top_sections: list[_Section] = []
        top_texts: list[dict[str, Any]] = []
        counters: dict[str | None, int] = {}

        def visit(nodes: list[Any], section: _Section | None, siblings: list[_Section]) -> None:
            for node in nodes:
                read = self.objects.get(node.spec_object)
                children = node.children or []
                if read is None:
                    self.imported.not_mapped.append(f"{where}: SPEC-HIERARCHY {node.identifier} names SPEC-OBJECT "
                                                    f"{node.spec_object}, which the file does not hold")
                    visit(children, section, siblings)
                    continue
                if node.spec_object in self.placed or node.spec_object in self.section_objects:
                    self.imported.not_mapped.append(f"{where}: SPEC-OBJECT {node.spec_object} appears a second time in the "
                                                    f"hierarchy; it is imported once, where it first appears")
                    visit(children, section, siblings)
                    continue
                if _TEXT_TYPE.match(read.type_name) and read.source_id is None and read.statement:
                    # A prose node (StrictDoc [TEXT], reqtrace's own text nodes): text, not a requirement.
                    section_id = section.id if section else None
                    counters[section_id] = counters.get(section_id, 0) + 10
                    (section.texts if section else top_texts).append({"order": counters[section_id], "text": read.statement})
                    self.section_objects.add(node.spec_object)
                    visit(children, section, siblings)
                    continue
                if _HEADING_TYPE.search(read.type_name) or (read.statement is None and (read.heading or children)):
                    # The heading's own id names the section where it can (reqtrace's export writes it).
                    own = read.source_id if read.source_id and _SECTION_ID.match(read.source_id) else None
                    new = _Section(_unique(own or _section_id(read.title or "section"), sections_by_id),
                                   read.title or read.statement or read.source_id or "(untitled)")
                    sections_by_id.add(new.id)
                    siblings.append(new)
                    self.section_objects.add(node.spec_object)
                    said = [read.id_name] if read.source_id and not own else []
                    said += [read.statement_name] if read.statement else []
                    for dropped in said + list(read.custom_names):
                        self.heading_attributes[dropped] = self.heading_attributes.get(dropped, 0) + 1
                    visit(children, new, new.sections)
                    continue
                section_id = section.id if section else None
                counters[section_id] = counters.get(section_id, 0) + 10
                self._place(read, folder, section_id, counters[section_id])
                visit(children, section, siblings)

        visit(specification.children or [], None, top_sections)
        document: dict[str, Any] = {"document": folder, "title": title}
        if top_texts:
            document["texts"] = top_texts
        if top_sections:
            document["sections"] = [s.as_data() for s in top_sections]
        document["x-reqif-identifier"] = specification.identifier
        self.imported.documents[folder] = document

    def _folder(self, title: str) -> str:
        base = slug(title)
        folder, number = base, 2
        while folder.lower() in self.folders:
            folder, number = f"{base}-{number}", number + 1
        self.folders.add(folder.lower())
        return folder

    def _place(self, read: _Object, folder: str, section: str | None, order: int | None) -> None:
        rid, original = self._id(read)
        custom = dict(read.custom)
        if original is not None:
            custom["x-reqif-id"] = original
        title = read.title or first_line(read.statement or "") or rid
        statement = read.statement
        if not statement:
            statement = title
            custom["x-reqif-no-text"] = True
        known = dict(read.known)
        tags = known.pop("tags", None)
        requirement = ImportedRequirement(
            id=rid, title=" ".join(title.split()), statement=statement, source=read.where, folder=folder,
            rationale=read.rationale, custom=custom,
            tags=[str(t) for t in tags] if isinstance(tags, list) else [],
            fields={**known, "mid": read.identifier,
                    **({"section": section} if section else {}), **({"order": order} if order is not None else {})},
        )
        for attachment in read.attachments:
            self.imported.not_mapped.append(f"{read.where}: {rid} names the attachment {attachment!r} in its text; "
                                            "the text keeps the name, the file is not imported")
        self.placed[read.identifier] = requirement
        self.taken.add(rid)
        self.imported.requirements.append(requirement)

    def _id(self, read: _Object) -> tuple[str, str | None]:
        """The requirement's id, and the source id when the id is not it."""
        source_id = read.source_id
        if source_id is not None:
            rid = reqtrace_id(source_id, self.id_ok)
            if rid is None and source_id.isdigit():
                rid = reqtrace_id(f"REQ-{source_id}", self.id_ok)
            if rid is not None and rid not in self.taken:
                if rid != source_id:
                    self.imported.renamed[source_id] = rid
                return rid, (None if rid == source_id else source_id)
            if rid is not None:
                self.imported.notes.append(f"{read.where}: two SPEC-OBJECTs carry the id {source_id}; "
                                           f"the second ({read.identifier}) gets a generated id")
        rid = generated_id("REQ", read.identifier, self.taken, self.id_ok)
        if rid is None:
            raise SourceError(read.where, None, f"SPEC-OBJECT {read.identifier}: no id fits the repo's id_pattern",
                              hint="widen id_pattern in reqtrace.yaml (REQ-123456 must fit)")
        if source_id is not None:
            self.imported.renamed[source_id] = rid
        return rid, source_id

    # ---------------------------------------------------------------- after every file

    def finish(self) -> None:
        unplaced = [o for ref, o in self.objects.items() if ref not in self.placed and ref not in self.section_objects]
        if unplaced:
            folder = self._folder("unplaced")
            for read in unplaced:
                self._place(read, folder, None, None)
            self.imported.notes.append(f"{len(unplaced)} SPEC-OBJECTs are in no SPECIFICATION; they are in {folder}/")
        if self.heading_attributes:
            counted = ", ".join(f"{name} ({count})" for name, count in sorted(self.heading_attributes.items()))
            self.imported.not_mapped.append(f"attributes of headings, which become sections with only a title: {counted}")
        by_ref = self.placed
        for where, type_name, source, target in self.relations:
            child, parent = (target, source) if _CHILD_RELATION.search(type_name) else (source, target)
            if child in by_ref and parent in by_ref:
                if by_ref[parent].id not in by_ref[child].parents and parent != child:
                    by_ref[child].parents.append(by_ref[parent].id)
                self.imported.mapped[f"SPEC-RELATION {type_name}"] = "parents" + (" (of the target)" if child == target else "")
                continue
            kept = False
            for end, other, direction in ((source, target, "to"), (target, source, "from")):
                if end in by_ref:
                    relations = by_ref[end].custom.setdefault("x-reqif-relations", [])
                    relations.append({"type": type_name, direction: other})
                    kept = True
            if not kept:
                self.imported.not_mapped.append(f"{where}: SPEC-RELATION {type_name} from {source} to {target}: "
                                                "neither end is an imported requirement")
        for requirement in self.imported.requirements:
            requirement.parents.sort()
            for key in requirement.custom:
                self.imported.keep(key)


_SECTION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
_RESERVED_KEYS = {"x-reqif-id", "x-reqif-no-text", "x-reqif-relations"}


def _section_id(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "section"


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
