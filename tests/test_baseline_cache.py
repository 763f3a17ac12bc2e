"""What is kept of baselines (cachestore.py, .git/reqtrace/baseline-*/) against the plain computation.

What never changes about a baseline - every requirement's digest at its
commit, and its parsed manifest - is kept between runs. Each test compares the
kept answer with the one computed without any store, and attacks the store's
files: a flipped bit, a file replaced by another entry, a planted value of the
wrong shape, a symlink. Every attack gives the plain answer.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

import reqtrace.baselines.baseline as baseline_module
from conftest import CONFIG, git, requirement_yaml, write_files
from reqtrace.baselines.baseline import (
    DIGESTS_KIND,
    MANIFEST_KIND,
    _frozen_key,
    digest_entries,
    frozen_entries,
    parse_manifest,
    read_manifest,
    requirements_at,
    scan_baselines,
)
from reqtrace.baselines.verify import verify_manifest
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo

FLIPS = 12  # per file: a fixed seed, so a failure is reproducible


def _identity() -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.test",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.test",
        "GIT_CONFIG_NOSYSTEM": "1",
    }


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spec repo with two baselines at two commits and a change since: built once per module."""
    from reqtrace.baselines.baseline import create_baseline

    root = tmp_path_factory.mktemp("baseline-cache") / "repo"
    home = root.parent / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**_identity(), "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig")}.items():
            patch.setenv(key, value)
        files = {"reqtrace.yaml": CONFIG}
        files.update({f"specs/area/REQ-{i}.yaml": requirement_yaml(f"REQ-{i}", f"Requirement {i}", f"The system shall do {i}; 预约 {i}.", priority="must") for i in range(1, 9)})
        write_files(root, files)
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "first")
        repo = find_spec_repo(root)
        create_baseline(repo, "v1")
        write_files(root, {"specs/area/REQ-3.yaml": requirement_yaml("REQ-3", "Requirement 3, revised", priority="should"), "specs/other/REQ-20.yaml": requirement_yaml("REQ-20", "Added")})
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "second")
        create_baseline(repo, "v2")
        write_files(root, {"specs/area/REQ-4.yaml": requirement_yaml("REQ-4", "Drift after v2")})
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "drift")
    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    return root


@pytest.fixture
def spec(prepared: Path, tmp_path: Path):
    """A copy of the prepared repo, without any cache."""
    root = tmp_path / "repo"
    shutil.copytree(prepared, root, symlinks=True)
    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    return find_spec_repo(root)


def _store_files(repo) -> list[Path]:
    return sorted(path for kind in (DIGESTS_KIND, MANIFEST_KIND) for path in (repo.git_top / ".git" / "reqtrace" / kind).glob("*.json"))


def _plain_entries(repo, commit: str):
    return [(e.id, e.digest, e.path) for e in digest_entries(requirements_at(repo, commit)[1])]


def _entries(repo, commit: str):
    return [(e.id, e.digest, e.path) for e in frozen_entries(repo, commit)]


def _manifest_view(baseline):
    """Everything about a parsed manifest, line numbers included (they are compare=False)."""
    return (baseline, baseline.lines, tuple(e.line for e in baseline.requirements))


def _commits(repo) -> list[str]:
    return [baseline.commit for baseline in scan_baselines(repo).baselines]


def test_frozen_entries_are_the_plain_digests_cold_and_warm(spec):
    commits = _commits(spec)
    assert len(commits) == 2 and commits[0] != commits[1]
    plain = {commit: _plain_entries(spec, commit) for commit in commits}
    assert plain[commits[0]] != plain[commits[1]]  # REQ-3 changed, REQ-20 added
    shutil.rmtree(spec.git_top / ".git" / "reqtrace", ignore_errors=True)
    for commit in commits:
        assert _entries(spec, commit) == plain[commit]  # cold: computed and stored
    assert len(_store_files(spec)) == 2
    for commit in commits:
        assert _entries(spec, commit) == plain[commit]  # warm: from the store


def test_create_stores_what_verify_reads(prepared, spec):
    """`baseline create` keeps the entries it computed: verifying needs no second parse."""
    from reqtrace.baselines.baseline import create_baseline

    git(spec.root, "config", "user.name", "Test")
    git(spec.root, "config", "user.email", "test@example.test")
    created = create_baseline(spec, "v3", commit=False)
    files = _store_files(spec)
    assert len(files) == 1
    assert _entries(spec, created.baseline.commit) == _plain_entries(spec, created.baseline.commit)


def test_a_flipped_bit_or_a_replaced_file_gives_the_plain_digests(spec):
    first, second = _commits(spec)
    plain = {first: _plain_entries(spec, first), second: _plain_entries(spec, second)}
    _entries(spec, first)
    _entries(spec, second)
    files = [cachestore.entry_path(spec.git_top, DIGESTS_KIND, _frozen_key(spec, commit)) for commit in (first, second)]
    assert all(path.is_file() for path in files)
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    for path in files:
        original = path.read_bytes()
        for _ in range(FLIPS):
            damaged = bytearray(original)
            position = rng.randrange(len(damaged))
            damaged[position] ^= 1 << rng.randrange(8)
            path.write_bytes(bytes(damaged))
            assert _entries(spec, first) == plain[first]
            assert _entries(spec, second) == plain[second]
        path.write_bytes(original)
    # Another commit's entry, whole and correctly sealed, put in this commit's place.
    one, other = files
    saved = one.read_bytes()
    one.write_bytes(other.read_bytes())
    assert _entries(spec, first) == plain[first]
    assert _entries(spec, second) == plain[second]
    one.write_bytes(saved)


def test_a_planted_value_of_the_wrong_shape_or_a_symlink_is_no_cache(spec):
    first, _ = _commits(spec)
    plain = _plain_entries(spec, first)
    key = _frozen_key(spec, first)
    for planted in (
        {"commit": first, "entries": [["REQ-1", "sha256:0", "specs/x.yaml"]]} | {"commit": "0" * 40},
        {"commit": first, "entries": [["REQ-1", "sha256:0"]]},
        {"commit": first, "entries": [["REQ-1", 5, "specs/x.yaml"]]},
        {"commit": first, "entries": "REQ-1"},
        ["REQ-1"],
    ):
        cachestore.store(spec.git_top, DIGESTS_KIND, key, planted)
        assert _entries(spec, first) == plain
    target = cachestore.entry_path(spec.git_top, DIGESTS_KIND, key)
    elsewhere = spec.root.parent / "planted.json"
    shutil.copy(target, elsewhere)
    target.unlink()
    target.symlink_to(elsewhere)
    assert _entries(spec, first) == plain
    target.unlink()
    os.mkfifo(target)  # a FIFO must not block the run
    assert _entries(spec, first) == plain


def test_read_manifest_is_parse_manifest_cold_warm_and_damaged(spec):
    folders = sorted((spec.root / "baselines").iterdir())
    rng = random.Random(11)  # noqa: S311 - reproducible test data
    for folder in folders:
        path = f"baselines/{folder.name}/manifest.yaml"
        data = (spec.root / path).read_bytes()
        plain, findings = parse_manifest(path, data)
        assert plain is not None and not findings
        for _ in range(2):  # cold, then warm
            kept, kept_findings = read_manifest(spec, path, data)
            assert kept_findings == []
            assert _manifest_view(kept) == _manifest_view(plain)
            assert read_manifest(spec, path, data)[0] is kept  # read again in this process: the same object
            baseline_module._read_manifests.clear()  # the next read goes to the store
    files = _store_files(spec)
    assert len(files) == 2  # only the manifests were read
    for entry in files:
        original = entry.read_bytes()
        for _ in range(FLIPS):
            damaged = bytearray(original)
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
            entry.write_bytes(bytes(damaged))
            for folder in folders:
                path = f"baselines/{folder.name}/manifest.yaml"
                data = (spec.root / path).read_bytes()
                baseline_module._read_manifests.clear()  # the damaged store is read, not this process's copy
                assert _manifest_view(read_manifest(spec, path, data)[0]) == _manifest_view(parse_manifest(path, data)[0])
        entry.write_bytes(original)
    # v1's parse stored where v2's belongs: v2 still reads as v2.
    v1, v2 = (f"baselines/{folder.name}/manifest.yaml" for folder in folders)
    data1, data2 = (spec.root / v1).read_bytes(), (spec.root / v2).read_bytes()
    import hashlib

    entry1 = cachestore.entry_path(spec.git_top, MANIFEST_KIND, f"{v1}\x00{hashlib.sha256(data1).hexdigest()}")
    entry2 = cachestore.entry_path(spec.git_top, MANIFEST_KIND, f"{v2}\x00{hashlib.sha256(data2).hexdigest()}")
    entry2.write_bytes(entry1.read_bytes())
    baseline_module._read_manifests.clear()
    assert _manifest_view(read_manifest(spec, v2, data2)[0]) == _manifest_view(parse_manifest(v2, data2)[0])


def test_an_edited_manifest_is_still_tampered_with_a_warm_store(spec):
    """The store is keyed by content: an edited digest is a new manifest, parsed and compared anew."""
    baseline = next(b for b in scan_baselines(spec).baselines if b.name == "v1")
    assert verify_manifest(spec, baseline) == []  # warms both stores
    path = spec.root / baseline.path
    text = path.read_text(encoding="utf-8")
    entry = baseline.requirements[0]
    forged = entry.digest[:-4] + ("0000" if not entry.digest.endswith("0000") else "1111")
    path.write_text(text.replace(entry.digest, forged), encoding="utf-8")
    edited = next(b for b in scan_baselines(spec).baselines if b.name == "v1")
    problems = verify_manifest(spec, edited)
    codes = {p.code for p in problems}
    assert codes == {"baseline-tampered"}
    assert any(entry.id in p.message and "digest" in p.message for p in problems)


@pytest.mark.parametrize(
    "rows",
    [
        [{"id": "REQ-1", "digest": "sha256:" + "ab" * 32, "path": "specs/area/REQ-1.yaml"}, {"id": "SYS_2.1", "digest": "sha256:" + "0" * 64, "path": "specs/x-y/SYS_2.1.yml"}],
        [{"id": "REQ-1", "digest": "sha256:" + "ab" * 32, "path": "specs/预约/REQ-1.yaml"}],  # not plain-safe: dump_yaml
        [{"id": "no", "digest": "sha256:" + "ab" * 32, "path": "specs/no.yaml"}],  # reads as false when plain
        [{"id": "1.10", "digest": "sha256:" + "ab" * 32, "path": "specs/a b.yaml"}],
        [{"id": "REQ-1", "digest": "x: y", "path": "#p"}],
        [],
    ],
)
def test_manifest_rows_are_written_as_dump_yaml_writes_them(rows):
    from reqtrace.io.yamlio import dump_yaml, dump_yaml_rows, load_yaml

    data = {"format": "reqtrace-baseline-1", "name": "v1", "message": "Two lines\nof text", "tag": {"name": "baseline/v1", "object": "ab" * 20}}
    header = "written by a test.\nNever edit it."
    expected = dump_yaml({**data, "requirements": rows}, header=header)
    written = dump_yaml_rows(dict(data), "requirements", rows, header=header)
    assert written == expected
    assert load_yaml(written) == {**data, "requirements": rows}
