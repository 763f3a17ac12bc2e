"""Check a replayed history: between any two replayed commits, `reqtrace diff` reports
exactly the requirements whose source changed, field by field, and nothing else.

    python bench/import_history_check.py SPEC_REPO SOURCE_REPO SOURCE_DIR doorstop|strictdoc [--pairs N]

The expectation is computed from the source repository directly (each source
commit is named in the replayed commit's `Imported-from:` line): Doorstop items
are read with PyYAML, StrictDoc blocks with the .sdoc tokenizer, and their
fields compared one by one. Consecutive commits are all checked, plus N random
pairs (seeded, so a run can be repeated). Prints a JSON summary; exit 1 on any
phantom or missing change.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from reqtrace.changes.diff import diff_json, diff_revisions
from reqtrace.core.config import find_spec_repo
from reqtrace.core.digest import normalise_text
from reqtrace.importers.strictdoc import parse_blocks


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True).stdout


def replayed_commits(spec: Path) -> list[tuple[str, str]]:
    """(spec commit, source commit) for every replayed commit, oldest first."""
    out = git(spec, "log", "--reverse", "--format=%H%x00%B%x01").decode()
    pairs = []
    for record in out.split("\x01"):
        if "\x00" not in record:
            continue
        commit, body = record.strip("\n").split("\x00", 1)
        match = re.search(r"^Imported-from: \S+ ([0-9a-f]{40})$", body, re.M)
        if match:
            pairs.append((commit, match.group(1)))
    return pairs


def files_at(repo: Path, commit: str, folder: str) -> dict[str, bytes]:
    """Every file under `folder` at `commit`, read through one `git cat-file --batch`."""
    entries = [e for e in git(repo, "ls-tree", "-r", "-z", commit, "--", folder).decode().split("\x00") if e]
    named = [(meta.split()[2], path) for meta, path in (e.split("\t", 1) for e in entries) if meta.split()[1] == "blob"]
    out = subprocess.run(["git", "cat-file", "--batch"], cwd=repo, input="".join(f"{oid}\n" for oid, _ in named).encode(),
                         capture_output=True, check=True).stdout
    files, at = {}, 0
    for _oid, path in named:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        files[path[len(folder) + 1 :] if folder else path] = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    return files


# ---------------------------------------------------------------- what the source says


def doorstop_records(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Doorstop's items that reqtrace keeps as requirements: not the non-normative ones
    (headings become sections, other text becomes text) unless a link names them or they
    name one. Each with its place: the heading above it and its level."""
    items = doorstop_items(files)
    linked = {target for item in items.values() for target in link_targets(item)}
    records = {}
    headings = {uid: level_key(item.get("level")) for uid, item in items.items()
                if item.get("normative") is False and uid not in linked and not link_targets(item) and is_heading(item.get("level"))}
    for uid, item in items.items():
        if item.get("normative") is False and uid not in linked and not link_targets(item):
            continue
        level = level_key(item.get("level"))
        folder = posixpath.dirname(item[FILE])
        above = max((h for h in headings if h != uid and posixpath.dirname(items[h][FILE]) == folder
                     and len(headings[h]) < len(level) and level[: len(headings[h])] == headings[h]),
                    key=lambda h: len(headings[h]), default=None)
        records[uid] = {**{k: v for k, v in item.items() if k != FILE}, FILE: item[FILE], PLACE: (folder, above, level)}
    return records


def link_targets(item: dict[str, Any]) -> list[str]:
    return [str(next(iter(link))) if isinstance(link, dict) else str(link) for link in item.get("links") or [] if isinstance(link, dict | str)]


def is_heading(level: Any) -> bool:
    parts = str(level if level is not None else "").split(".")
    return len(parts) > 1 and parts[-1] == "0"


def level_key(level: Any) -> tuple[int, ...]:
    parts = [int(part) if part.isdigit() else 0 for part in str(level if level is not None else "").split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def doorstop_items(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    folders = {posixpath.dirname(p): yaml.safe_load(d)["settings"]["prefix"] for p, d in files.items() if p.endswith(".doorstop.yml")}
    records = {}
    for path, data in files.items():
        name = posixpath.basename(path)
        owner = posixpath.dirname(path)
        while owner not in folders and owner:
            owner = posixpath.dirname(owner)
        if owner in folders and name.endswith(".yml") and not name.startswith(".") and name.startswith(str(folders[owner])):
            item = yaml.safe_load(data)
            # Doorstop fills in what a file leaves out: `header: ''` written or not is the same item.
            records[name[:-4]] = {**{k: v for k, v in item.items() if DOORSTOP_DEFAULTS.get(k, object()) != v}, FILE: path}
    return records


DOORSTOP_DEFAULTS = {"active": True, "derived": False, "normative": True, "ref": "", "references": None,
                     "reviewed": None, "header": "", "links": []}


def doorstop_fields(key: str, record: dict[str, Any]) -> set[str]:
    """The reqtrace fields a change of source field `key` may show up in."""
    return {
        "text": {"statement", "title", "x-doorstop-no-text"},
        "header": {"title", "statement"},
        "links": {"parents", "x-doorstop-link-stamps"},
        "level": set(),  # a place, not a field: the section and order (a move, when the order changes)
    }.get(key, {f"x-doorstop-{key}", f"x-{key}", key})


FILE = "\x00file"  # where a record is, kept beside its fields: a move is not a field change
PLACE = "\x00place"  # (document, section, position): where it stands in reading order
TAG = "\x00tag"  # the element: [REQUIREMENT], [COMPOSITE_REQUIREMENT], a grammar's own


def strictdoc_records(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Each requirement's fields, and its place: the file, the titles of the sections
    around it (within the file) and its position among the nodes there."""
    records: dict[str, dict[str, Any]] = {}
    for path, data in sorted(files.items()):
        if not path.endswith(".sdoc"):
            continue
        sections: list[str] = []
        count: dict[tuple[str, ...], int] = {}
        for block in parse_blocks(path, data):
            if block.closing:
                if (block.tag == "SECTION" or block.double) and sections:
                    sections.pop()
                continue
            if block.tag == "SECTION":
                sections.append(str(block.first("TITLE") or ""))
                continue
            if block.tag in ("TEXT", "FREETEXT"):
                count[tuple(sections)] = count.get(tuple(sections), 0) + 1
                continue
            if block.tag in ("DOCUMENT", "GRAMMAR", "DOCUMENT_FROM_FILE", "FRAGMENT_FROM_FILE", "FRAGMENT"):
                continue
            fields: dict[str, Any] = {}
            for name, value, _line in block.fields:
                fields.setdefault(name, []).append(value)
            uid, mid = block.first("UID"), block.first("MID")
            key = str(uid) if uid else f"MID:{mid}" if mid else f"T:{block.first('TITLE') or first_text(block.first('STATEMENT'))}"
            count[tuple(sections)] = count.get(tuple(sections), 0) + 1
            records[key] = {**fields, TAG: block.tag, FILE: path, PLACE: (path, tuple(sections), count[tuple(sections)])}
            if block.double:
                sections.append(str(block.first("TITLE") or block.tag))
    return records


def first_text(text: Any) -> str:
    return next((line.strip() for line in str(text or "").splitlines() if line.strip()), "")


def strictdoc_fields(key: str, record: dict[str, Any]) -> set[str]:
    slug = "x-" + key.lower().replace("_", "-")
    return {
        "STATEMENT": {"statement", "title", "x-strictdoc-no-statement"},
        "TITLE": {"title", "statement"},
        "RATIONALE": {"rationale"},
        "TAGS": {"tags"},
        "RELATIONS": {"parents", "x-strictdoc-relations", "x-strictdoc-unresolved"},
        "REFS": {"parents", "x-strictdoc-relations", "x-strictdoc-unresolved"},
        "UID": {"x-strictdoc-uid"},
        "MID": set(),  # an identity, not a field: `mid`
        TAG: {"x-strictdoc-element"},
    }.get(key, {slug})


def relation_targets(record: dict[str, Any] | None) -> set[str]:
    targets = set()
    for relations in (record or {}).get("RELATIONS", []) + (record or {}).get("REFS", []):
        for entry in relations or []:
            if isinstance(entry, dict) and entry.get("TYPE") in ("Parent", "Child") and not entry.get("ROLE"):
                targets.add(str(entry.get("VALUE")))
    return targets


def child_targets(record: dict[str, Any] | None) -> set[str]:
    targets = set()
    for relations in (record or {}).get("RELATIONS", []) + (record or {}).get("REFS", []):
        for entry in relations or []:
            if isinstance(entry, dict) and entry.get("TYPE") == "Child" and not entry.get("ROLE"):
                targets.add(str(entry.get("VALUE")))
    return targets


# ---------------------------------------------------------------- what reqtrace says


def spec_keys(spec: Path, commit: str, folder: str) -> dict[str, str]:
    """Source key -> reqtrace id, from the requirement files of the spec repo at `commit`."""
    keys = {}
    for path, data in files_at(spec, commit, folder).items():
        if posixpath.basename(path).startswith((".", "_document.")) or not path.endswith((".yaml", ".yml")):
            continue  # a document's _document.yaml is not a requirement
        item = yaml.safe_load(data)
        for key in (item.get("x-doorstop-uid"), item.get("x-strictdoc-uid"), f"MID:{item.get('mid')}", f"T:{item['title']}", f"T:{first_text(item['statement'])}", item["id"]):
            if key:
                keys.setdefault(str(key), item["id"])
    return keys


def reqtrace_diff(spec: Path, old: str, new: str) -> tuple[dict[str, tuple[str, set[str]]], dict[str, str], set[str]]:
    """What `reqtrace diff OLD NEW --format json` reports, computed in this process (no start-up per pair):
    the changes, the renames (id at TO -> id at FROM), and the ids it reports moved in reading order."""
    result = diff_json(diff_revisions(find_spec_repo(spec), old, new))
    # A section renamed (an id that changed while its title and parent did not) is counted: fewer is steadier ids.
    STATS["section_renames"] += sum(" renamed to " in line for document in result.get("documents") or [] for line in document["details"])
    changes = {change["id"]: (change["change"], {f["field"] for f in change["fields"]}) for change in result["changes"]}
    renamed = {change["id"]: change["renamed_from"] for change in result["changes"] if change.get("renamed_from")}
    placed = {change["id"] for change in result["changes"] if change.get("move")}
    return changes, renamed, placed


def meaning(value: Any) -> Any:
    """A value as reqtrace's digest weighs it: text with its white space collapsed (a re-wrapped
    paragraph is a formatting change, listed by `diff --all`, not a change of meaning)."""
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, list):
        return [meaning(item) for item in value]
    if isinstance(value, dict):
        return {str(key): meaning(item) for key, item in value.items()}
    return value


def same(one: Any, other: Any) -> bool:
    # Type-aware: `level: 1.0` and `level: 1` are different values in YAML (and in Doorstop, where 1.0 marks a heading).
    return json.dumps(meaning(one), sort_keys=True, default=str) == json.dumps(meaning(other), sort_keys=True, default=str)


STATS = {"moves": 0, "renames": 0, "section_renames": 0}  # over all pairs checked: moves in reading order, renames and section renames reported


def check_pair(args: argparse.Namespace, a: tuple[str, str], b: tuple[str, str], cache: dict[str, Any]) -> list[str]:
    records = doorstop_records if args.kind == "doorstop" else strictdoc_records
    fields_for = doorstop_fields if args.kind == "doorstop" else strictdoc_fields
    for commit in (a[1], b[1]):
        if commit not in cache:
            cache[commit] = records(files_at(args.source, commit, args.source_dir))
    old, new = cache[a[1]], cache[b[1]]
    keys_old, keys_new = spec_keys(args.spec, a[0], args.into), spec_keys(args.spec, b[0], args.into)
    expected: dict[str, tuple[str, set[str]]] = {}
    expected_extra: dict[str, set[str]] = {}
    actual, renamed, placed = reqtrace_diff(args.spec, a[0], b[0])
    STATS["moves"] += len(placed)
    STATS["renames"] += len(renamed)
    if args.kind == "strictdoc":
        # A relation to a UID outside the import is kept unresolved; when that UID appears
        # (or goes), the relation resolves (or not): a change of the requirement that holds it.
        appeared = (old.keys() - new.keys()) | (new.keys() - old.keys())
        for key in old.keys() & new.keys():
            if relation_targets(new[key]) & appeared and keys_new.get(key):
                expected_relinked = expected_extra.setdefault(keys_new[key], set())
                expected_relinked |= {"parents", "x-strictdoc-unresolved"}
    moved_in_spec = {rid for rid, (change, _fields) in actual.items() if change == "moved" and rid not in placed}
    # A requirement whose place changed may be reported moved in reading order (the diff reports
    # the fewest moves that explain the new order); a section whose order changed must show one.
    may_move = {keys_new[key] for key in old.keys() & new.keys() if keys_new.get(key) and old[key][PLACE] != new[key][PLACE]}
    # A requirement renamed (a new UID, the same MID) is two keys of the source: compare its places under both.
    key_at_old = {rid: key for key, rid in keys_old.items() if key in old}
    key_at_new = {rid: key for key, rid in keys_new.items() if key in new}
    may_move |= {rid for rid, earlier in renamed.items()
                 if rid in key_at_new and earlier in key_at_old and old[key_at_old[earlier]][PLACE] != new[key_at_new[rid]][PLACE]}
    problems = []
    for rid in placed - may_move:
        problems.append(f"phantom move in reading order: {rid}")
    for section, (before, after) in _section_orders(old, new).items():
        if before != after and not {keys_new.get(key) for key in after} & placed:
            problems.append(f"missing move: the order in {section} changed ({len(after)} requirements) and no move was reported")
    for key in old.keys() | new.keys():
        if same({**(old.get(key) or {}), PLACE: None}, {**(new.get(key) or {}), PLACE: None}) and (key in old) == (key in new):
            continue
        if key in old and key in new and same({**old[key], FILE: "", PLACE: None}, {**new[key], FILE: "", PLACE: None}) and keys_new[key] not in moved_in_spec:
            continue  # moved between files, and reqtrace keeps it where it was (one folder per document it came from)
        if key not in old:
            expected[keys_new[key]] = ("added", set())
        elif key not in new:
            expected[keys_old[key]] = ("removed", set())
        else:
            changed = {k for k in old[key].keys() | new[key].keys() if not same(old[key].get(k), new[key].get(k))}
            moved = FILE in changed
            changed -= {FILE, PLACE}
            allowed = set().union(*(fields_for(k, new[key]) for k in changed))
            if not allowed and not moved:
                continue  # only its place changed (a level, a MID): a move in reading order at most, checked above
            # A record moved to another file may show as `moved` (or, with its fields, `modified`).
            expected[keys_new[key]] = ("moved" if moved else "modified", allowed | ({"x-doorstop-document"} if moved else set()))
            if args.kind == "strictdoc":
                for target in child_targets(old[key]) ^ child_targets(new[key]):
                    if target in new and keys_new.get(target) and keys_new[target] not in expected:
                        expected[keys_new[target]] = ("modified", {"parents"})
    for rid, extra in expected_extra.items():
        change, allowed = expected.get(rid, ("modified", set()))
        expected[rid] = (change, allowed | extra)
    # A rename reqtrace recognises (the same MID under a new UID) is one modified requirement.
    for rid, earlier in renamed.items():
        if expected.get(rid, ("",))[0] == "added" and expected.get(earlier, ("",))[0] == "removed":
            del expected[earlier]
            expected[rid] = ("modified", actual[rid][1])
    for rid, (change, fields) in actual.items():
        if rid not in expected and change == "moved" and rid in placed and rid in may_move:
            continue  # moved in reading order, as its source moved
        if rid not in expected and change == "modified" and not fields and rid in renamed:
            continue  # renamed, nothing else: checked above
        if rid not in expected:
            problems.append(f"phantom: {rid} {change} {sorted(fields)}")
        elif change == "moved" and expected[rid][0] != "moved" and rid not in placed:
            problems.append(f"phantom move: {rid}")
        elif change in ("modified", "moved") and not fields <= expected[rid][1]:
            problems.append(f"phantom field: {rid} {sorted(fields - expected[rid][1])}")
    for rid, (change, _allowed) in expected.items():
        if rid not in actual:
            problems.append(f"missing: {rid} {change}")
    return [f"{a[1][:10]}..{b[1][:10]}: {p}" for p in problems]


def _section_orders(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> dict[Any, tuple[list[str], list[str]]]:
    """For each place (document and section) holding requirements at both ends: the keys of
    those it holds at both, in their order before and after."""
    def runs(records: dict[str, dict[str, Any]]) -> dict[Any, list[str]]:
        found: dict[Any, list[tuple[Any, str]]] = {}
        for key, record in records.items():
            document, section, position = record[PLACE]
            found.setdefault((document, section), []).append((position, key))
        return {place: [key for _position, key in sorted(items)] for place, items in found.items()}

    before, after = runs(old), runs(new)
    orders = {}
    for place in before.keys() & after.keys():
        common = set(before[place]) & set(after[place])
        orders[place] = ([k for k in before[place] if k in common], [k for k in after[place] if k in common])
    return orders


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec", type=Path)
    parser.add_argument("source", type=Path)
    parser.add_argument("source_dir")
    parser.add_argument("kind", choices=["doorstop", "strictdoc"])
    parser.add_argument("--into", default=None, help="the import folder inside the spec repo (default specs/<source dir name>)")
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--all-problems", action="store_true", help="list every problem on stderr, one a line")
    args = parser.parse_args()
    args.into = args.into or f"specs/{Path(args.source_dir).name}"
    commits = replayed_commits(args.spec)
    pairs = list(zip(commits, commits[1:], strict=False))
    rng = random.Random(13)  # noqa: S311 - picks pairs to check, repeatably; nothing secret
    for _ in range(args.pairs):
        i, j = sorted(rng.sample(range(len(commits)), 2))
        pairs.append((commits[i], commits[j]))
    started = time.perf_counter()
    cache: dict[str, Any] = {}
    problems = []
    for a, b in pairs:
        problems += check_pair(args, a, b, cache)
    if args.all_problems:
        print("\n".join(problems), file=sys.stderr)
    print(json.dumps({"replayed_commits": len(commits), "pairs_checked": len(pairs), "problems": len(problems),
                      "first_problems": problems[:20], "moves_reported": STATS["moves"], "renames_reported": STATS["renames"],
                      "section_renames_reported": STATS["section_renames"],
                      "seconds": round(time.perf_counter() - started, 1)}, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
