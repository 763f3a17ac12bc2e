"""The one module that reads YAML.

Stricter than YAML itself, because in a contract a silently changed value is
lost data: duplicate keys and aliases are refused, mapping keys stay text
(`on:` is a field name, not `True`), and every mapping remembers the line of
each key so that findings can point at it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:  # libyaml's C parser is about 12x faster on many small files
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


class YamlProblem(Exception):
    """A file that cannot be read as the YAML reqtrace accepts."""

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line


class Mapping(dict):  # type: ignore[type-arg]
    """A dict that remembers where it and each of its keys stood in the file."""

    __slots__ = ("line", "lines", "raw")

    def __init__(self) -> None:
        super().__init__()
        self.line = 0
        self.lines: dict[str, int] = {}
        # The source text of scalar values YAML turned into something other than
        # text (`NO` -> False, `1.10` -> 1.1), so a finding can quote what was written.
        self.raw: dict[str, str] = {}


class _StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    line_offset = 0

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise YamlProblem(
                "yaml-alias",
                "YAML aliases (*name) are not allowed in spec files; write the value out in full",
                node.start_mark.line + 1 + self.line_offset,
            )
        return super().construct_object(node, deep=deep)

    def construct_strict_mapping(self, node: Any) -> Mapping:
        if not isinstance(node, MappingNode):  # pragma: no cover - the tag decides
            raise YamlProblem("yaml-syntax", "expected a mapping", self._line(node))
        result = Mapping()
        result.line = self._line(node)
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise YamlProblem(
                    "yaml-syntax", "a mapping key must be plain text", self._line(key_node)
                )
            key = key_node.value  # keys are field names: never booleans, numbers or dates
            line = self._line(key_node)
            if key in result.lines:
                raise YamlProblem(
                    "duplicate-key",
                    f"key '{key}' appears twice (lines {result.lines[key]} and {line}); "
                    "YAML would silently keep only the last one — remove or rename one",
                    line,
                )
            value = self.construct_object(value_node, deep=True)
            result.lines[key] = line
            result[key] = value
            if isinstance(value_node, ScalarNode) and not isinstance(value, str):
                result.raw[key] = value_node.value
        return result

    def construct_strict_sequence(self, node: Any) -> list[Any]:
        if not isinstance(node, SequenceNode):  # pragma: no cover - the tag decides
            raise YamlProblem("yaml-syntax", "expected a list", self._line(node))
        return [self.construct_object(child, deep=True) for child in node.value]

    def _line(self, node: Any) -> int:
        return int(node.start_mark.line) + 1 + self.line_offset


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_strict_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:seq", _StrictLoader.construct_strict_sequence)


def decode_text(data: bytes) -> str:
    """UTF-8 text of a file, or a YamlProblem saying where it is not UTF-8."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    if b"\x00" in data[:8192]:
        raise YamlProblem("not-utf8", "binary file, not UTF-8 text; remove it or move it out of the spec folders", 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlProblem(
            "not-utf8",
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}); "
            "save the file as UTF-8",
            line,
        ) from None


def load_yaml(text: str, *, line_offset: int = 0) -> Any:
    """Parse one YAML document from text; raise YamlProblem with a line on any trouble."""
    loader = _StrictLoader(text)
    loader.line_offset = line_offset
    try:
        return loader.get_single_data()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if mark is not None and "\t" in _line_text(text, mark.line):
            hint = " (tabs cannot indent YAML; use spaces)"
        elif "expected a single document" in str(exc):
            problem = "more than one YAML document (---) in the file"
        raise YamlProblem("yaml-syntax", f"YAML syntax error: {problem}{hint}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("yaml-syntax", f"YAML error: {exc}", None) from None
    finally:
        loader.dispose()


def _line_text(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def split_front_matter(text: str) -> tuple[str, int, str]:
    """Split Markdown with YAML front matter into (yaml text, its first line, body).

    Raises YamlProblem when the front matter is missing or never closed.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        raise YamlProblem(
            "front-matter",
            "no YAML front matter: the file must start with a line '---', "
            "the meeting's fields, and another '---'",
            1,
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            return "".join(lines[1:index]), 1, "".join(lines[index + 1 :])
    raise YamlProblem(
        "front-matter",
        "the YAML front matter is never closed: add a line '---' after the meeting's fields",
        1,
    )


try:  # libyaml's emitter is about 7x faster: a 10,000-requirement manifest in 0.2 s, not 1.5 s
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _BlockDumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Writes multi-line text as `|` blocks, so signatures and statements stay readable."""


def _represent_text(dumper: Any, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_text)


class FlowList(list):  # type: ignore[type-arg]
    """A list that dump_yaml writes on one line, `[REQ-1, RQ-7]`: for lists of ids."""


_BlockDumper.add_representer(FlowList, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True))


def dump_yaml(data: dict[str, Any], *, header: str = "") -> str:
    """YAML text for a file reqtrace writes itself (manifests, sign-offs), keys in the given order.

    The result is read back and compared, so what is written is what will be read.
    """
    text = yaml.dump(
        data,
        Dumper=_BlockDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=4096,
    )
    if load_yaml(text) != data:  # pragma: no cover - a bug in how the data was built
        raise ValueError("YAML written by reqtrace does not read back the same")
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment + text

# ---------------------------------------------------------------- round-trip editing


def _ruamel():  # type: ignore[no-untyped-def]
    from ruamel.yaml import YAML  # imported here: only the commands that write need it

    return YAML


def _top_level_keys(text: str) -> list[tuple[str, int]]:
    """(key, 0-based line) of each top-level key, in file order, read with ruamel.yaml."""
    from ruamel.yaml.error import YAMLError

    yaml_rt = _ruamel()(typ="rt")
    try:
        document = yaml_rt.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlProblem("yaml-syntax", f"YAML syntax error: {getattr(exc, 'problem', None) or exc}", mark.line + 1 if mark else None) from None
    if not hasattr(document, "lc") or not isinstance(document, dict):
        raise YamlProblem("schema", "the file is not a YAML mapping (key: value lines)", 1)
    return [(str(key), document.lc.key(key)[0]) for key in document]


def render_block(key: str, value: dict[str, Any], *, flow_lists: tuple[str, ...] = ()) -> str:
    """`key:` and its mapping as block YAML (ruamel.yaml), lists named in flow_lists as [a, b]."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    mapping = CommentedMap()
    for name, item in value.items():
        if isinstance(item, list | tuple):
            seq = CommentedSeq(item)
            if name in flow_lists:
                seq.fa.set_flow_style()
            mapping[name] = seq
        else:
            mapping[name] = item
    yaml_rt = _ruamel()(typ="rt")
    yaml_rt.width = 4096  # never fold a reason over two lines
    yaml_rt.allow_unicode = True
    yaml_rt.indent(mapping=2, sequence=4, offset=2)
    import io

    buffer = io.StringIO()
    yaml_rt.dump({key: mapping}, buffer)
    return buffer.getvalue()


def _block_end(lines: list[str], start: int, stop: int) -> int:
    """The line after the last line that belongs to the block starting at `start` (before `stop`)."""
    end = start + 1
    for index in range(start + 1, stop):
        line = lines[index]
        stripped = line.strip()
        if stripped and (line[0] in " \t" or stripped.startswith("- ")  or stripped == "-"):
            end = index + 1  # indented content (and indented comments) belong to the block
        elif stripped and not stripped.startswith("#"):
            break
    return end


def set_top_level_block(text: str, key: str, value: dict[str, Any], *, insert_before: tuple[str, ...] = (),
                        flow_lists: tuple[str, ...] = ()) -> str:
    """The text with top-level `key:` replaced by `value` (or added), every other byte unchanged.

    ruamel.yaml finds where each top-level key stands and renders the new block;
    the rest of the file — comments, key order, quoting, blank lines, line
    endings — is copied through as it was. A new block goes before the first
    key named in `insert_before` that the file has, else at the end.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    keys = _top_level_keys(body)
    newline = "\r\n" if "\r\n" in body else "\n"
    lines = body.splitlines(keepends=True)
    block = render_block(key, value, flow_lists=flow_lists).replace("\n", newline)
    positions = dict(keys)
    if key in positions:
        start = positions[key]
        following = [line for _, line in keys if line > start]
        end = _block_end(lines, start, min(following) if following else len(lines))
        new_lines = lines[:start] + [block] + lines[end:]
    else:
        anchor = next((positions[name] for name in insert_before if name in positions), None)
        if anchor is not None:
            # Keep comment lines that sit right above the anchor key with it.
            while anchor > 0 and lines[anchor - 1].lstrip().startswith("#") and not lines[anchor - 1][0].isspace():
                anchor -= 1
            new_lines = lines[:anchor] + [block] + lines[anchor:]
        else:
            if lines and not lines[-1].endswith(("\n", "\r")):
                lines[-1] += newline
            new_lines = [*lines, block]
    return bom + "".join(new_lines)


# --- writing and editing YAML that people also edit --------------------------------------
# ruamel.yaml's round-trip mode keeps comments, key order and quoting. It is
# imported only by the commands that write (ingest), never on the read path.


def _round_trip():  # type: ignore[no-untyped-def]
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a user's long line
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


_FLOW_SAFE = re.compile(r"^<?[A-Za-z0-9][A-Za-z0-9_.:@/+=$%-]*>?$")


def _flow_lists(value: Any) -> Any:
    """Lists of plain values on one line (`to: [a, b]`), lists of mappings as blocks."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _flow_lists(item)
        return mapping
    if isinstance(value, list | tuple):
        seq = CommentedSeq(_flow_lists(item) for item in value)
        # Only ids go on one line: free text in a flow list can start with '?'
        # or hold ', ' and then reads back differently.
        if all(isinstance(item, str) and _FLOW_SAFE.match(item) for item in value):
            seq.fa.set_flow_style()
        return seq
    return value


def edit_yaml_mapping(text: str, *, add_missing: dict[str, Any] | None = None, extend: dict[str, list[Any]] | None = None) -> str | None:
    """The text with keys added and list items appended, or None when nothing changes.

    Never rewrites what the user wrote: only the keys it changes may differ, and
    if ruamel would reformat any other line, YamlProblem is raised instead of
    writing. A key the user made something other than a list is left alone.
    """
    import difflib
    import io

    from ruamel.yaml.error import YAMLError as RuamelError
    from ruamel.yaml.util import load_yaml_guess_indent

    yaml = _round_trip()
    try:
        # Write lists the way this file already does (`- a` under the key, or indented).
        _, indent, block_seq_indent = load_yaml_guess_indent(text)
        if indent and block_seq_indent is not None:
            yaml.indent(mapping=indent, sequence=max(indent, block_seq_indent + 2), offset=block_seq_indent)
        data = yaml.load(text)
    except RuamelError as exc:
        raise YamlProblem("yaml-syntax", f"cannot edit: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise YamlProblem("schema", "cannot edit: the file does not hold a mapping")
    # Where each key the user wrote starts (0-based), before anything changes.
    starts = sorted((data.lc.key(key)[0], key) for key in data)
    changed: list[str] = []
    for key, items in (extend or {}).items():
        current = data.get(key)
        if current is None:
            if items:
                data[key] = _flow_lists(list(items))
                changed.append(key)
        elif isinstance(current, list):
            new = [item for item in items if item not in current]
            if new:
                if not current and hasattr(current, "fa"):
                    current.fa.set_flow_style()  # `thread: []` stays on one line
                current.extend(new)
                changed.append(key)
    for key, value in (add_missing or {}).items():
        if key not in data:
            data[key] = _flow_lists(value)
            changed.append(key)
    if not changed:
        return None
    stream = io.StringIO()
    yaml.dump(data, stream)
    result = stream.getvalue()
    # Lines of keys that were not changed must come out exactly as they went in.
    old_lines = text.splitlines()
    spans = []
    for index, (line, key) in enumerate(starts):
        if key in changed:
            end = starts[index + 1][0] if index + 1 < len(starts) else len(old_lines)
            spans.append((line, end))
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, old_lines, result.splitlines(), autojunk=False).get_opcodes():
        if tag in ("replace", "delete") and not any(start <= i1 and i2 <= end for start, end in spans):
            raise YamlProblem("reformat", f"cannot add {', '.join(changed)} without reformatting line {i1 + 1}; add it by hand", i1 + 1)
    return result

