"""The parse cache is one kind of the one store (cachestore.py): its files live in
`.git/reqtrace/parse/`, named by the store's scheme under the parse stamp; entries another
parser wrote are removed by the store's routine; an entry of the wrong shape is parsed again."""

from __future__ import annotations

import json
import re

from conftest import requirement_yaml
from reqtrace.changes.diff import diff_json, diff_revisions
from reqtrace.core import cachestore
from reqtrace.core.config import Config, find_spec_repo
from reqtrace.core.parse_cache import KIND, ParseCache, cache_key, pack_name, parse_stamp
from reqtrace.io import gitio
from reqtrace.io.cachefile import seal

OLD_STAMP = "0123456789abcdef"
FILES = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Customers book up to 14 days ahead."),
    "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel", "Customers cancel online until a day before."),
}


def test_entries_another_parser_wrote_are_removed_and_the_pack_is_named_by_the_store(make_repo, run_cli):
    repo = make_repo(FILES, tag="v1")
    folder = repo.root / ".git" / "reqtrace" / "parse"
    folder.mkdir(parents=True)
    old = [folder / f"{OLD_STAMP}-{'a' * 64}.json", folder / f"{OLD_STAMP}-{'b' * 64}.idx"]
    for path in old:
        path.write_bytes(b"written by another parser")
    (folder / "notes.txt").write_text("not an entry", encoding="utf-8")

    first = run_cli("check", cwd=repo.root)
    assert first.exit_code == 0, first.stdout + first.stderr
    assert not any(path.exists() for path in old)
    left = {path.name for path in folder.iterdir()} - {"notes.txt"}
    assert pack_name() in left and all(re.fullmatch(rf"{parse_stamp()}-[0-9a-f]{{64}}\.(json|idx)", name) for name in left)
    assert pack_name() == cachestore.entry_name(KIND, "pack", ".idx", parse_stamp())
    # Narrower than the store's stamp: an edit outside the parser keeps every parse.
    assert parse_stamp() != cachestore.code_stamp()
    again = run_cli("check", cwd=repo.root)
    assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout)


def test_a_planted_entry_of_the_wrong_shape_is_parsed_again(make_repo):
    repo = make_repo(FILES, tag="v1")
    repo.write({"specs/REQ-1.yaml": FILES["specs/REQ-1.yaml"].replace("14 days", "30 days")})
    spec = find_spec_repo(repo.root)
    expected = diff_json(diff_revisions(spec, "v1", cache=ParseCache(None)))
    assert expected["changes"]

    written = ParseCache.for_git(repo.root)
    assert diff_json(diff_revisions(spec, "v1", cache=written)) == expected
    written.flush()
    folder = repo.root / ".git" / "reqtrace" / "parse"
    entries = sorted(folder.glob("*.json"))
    assert entries and all(re.fullmatch(rf"{parse_stamp()}-[0-9a-f]{{64}}\.json", path.name) for path in entries)

    # Sealed under the right key (so the hash verifies), but items that are not items.
    planted = 0
    for path, text in FILES.items():
        for data in (text, (repo.root / path).read_text(encoding="utf-8")):
            key = cache_key("requirement", path, gitio.blob_id(data.encode()), Config.id_pattern)
            entry = folder / cachestore.entry_name(KIND, key, ".json", parse_stamp())
            if entry.is_file():
                forged = {"key": key, "items": [["REQ-1", "FORGED"]], "findings": []}
                entry.write_bytes(seal(key, json.dumps(forged).encode()))
                planted += 1
    assert planted

    cache = ParseCache.for_git(repo.root)
    got = diff_json(diff_revisions(spec, "v1", cache=cache))
    cache.flush()
    assert got == expected and "FORGED" not in json.dumps(got)
    assert cache.hits == 0 and cache.misses >= planted
    rebuilt = ParseCache.for_git(repo.root)  # the planted entries were written anew
    assert diff_json(diff_revisions(spec, "v1", cache=rebuilt)) == expected
    assert rebuilt.hits >= planted and rebuilt.misses == 0
