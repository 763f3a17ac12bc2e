"""A baseline verified from git's blob ids: a format 2 manifest names every frozen file's blob
id and a files digest over them, which the sign-offs sign; `baseline verify` then compares the
blob ids with one `ls-tree` of the baseline's commit and parses nothing.

Every state is also verified the plain way (`deep=True`: every digest recomputed), and both
must give the same findings. The demo's baselines are made by `baseline create` (format 2) and
signed with real ssh-keygen signatures; a format 1 manifest (every existing baseline) is made
by hand from one, signed again, and still verifies by its digests.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import (
    cold_copy,
    copy_demo,
    created_entries,
    git,
    make_repo_in,
    plain_baseline_entries,
    requirement_yaml,
)
from pack_kit import allowed_signers_line, make_key
from reqtrace.baselines import baseline as baseline_module
from reqtrace.baselines import verify as verify_module
from reqtrace.baselines.baseline import (
    MANIFEST_FORMAT,
    MANIFEST_FORMAT_DIGESTS_ONLY,
    create_baseline,
    files_digest,
    load_baseline,
)
from reqtrace.baselines.signoff import sign_baseline
from reqtrace.baselines.verify import verify_manifest, vouched_entries
from reqtrace.core.config import find_spec_repo

CONTRACT = "contract-v1.0"
DIGESTS = Path(".git/reqtrace/baseline-digests")


def findings(root: Path, name: str, *, deep: bool) -> list[tuple[str, str, int | None, str | None]]:
    repo = find_spec_repo(root)
    return [(f.code, f.message, f.line, f.id) for f in verify_manifest(repo, load_baseline(repo, name), deep=deep)]


def same_both_ways(root: Path, name: str) -> list[tuple[str, str, int | None, str | None]]:
    """The findings by blob ids, after checking that recomputing every digest (with no kept
    result at all) gives the same."""
    cheap = findings(root, name, deep=False)
    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    assert findings(root, name, deep=True) == cheap
    return cheap


def test_a_fresh_clone_verifies_a_new_baseline_without_parsing(demo_build, tmp_path, run_cli, run_in_process):
    source = copy_demo(demo_build, tmp_path / "demo")
    manifest = (source / "baselines" / CONTRACT / "manifest.yaml").read_text(encoding="utf-8")
    assert f"format: {MANIFEST_FORMAT}\n" in manifest and "\n  blob: " in manifest
    git(tmp_path, "clone", "-q", str(source), "clone")
    clone = tmp_path / "clone"
    result = run_cli("baseline", "verify", "--format", "json", cwd=clone)
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and {s["status"] for b in report["baselines"] for s in b["signoffs"]} == {"valid", "recorded"}
    assert any(s["method"] == "ssh" for b in report["baselines"] for s in b["signoffs"])
    assert not (clone / DIGESTS).exists()  # no requirement was parsed or digested
    assert run_in_process("check", cwd=clone).exit_code == 0
    deep = run_in_process("baseline", "verify", "--deep", cwd=clone)
    assert deep.exit_code == 0 and (clone / DIGESTS).is_dir()  # --deep recomputed the digests


@pytest.fixture
def demo(demo_build, tmp_path) -> Path:
    return copy_demo(demo_build, tmp_path / "demo")


def test_a_rewritten_history_fails_even_where_the_meaning_did_not_change(demo, run_in_process):
    """The tag moved to a commit that rewrote two frozen files, and the manifest edited to name
    that commit and tag: signatures and root digest still hold; the blob ids do not."""
    baseline = load_baseline(find_spec_repo(demo), CONTRACT)
    reworded, changed = baseline.requirements[0], baseline.requirements[1]
    branch = git(demo, "symbolic-ref", "--short", "HEAD")
    tag = f"baseline/{CONTRACT}"
    message = git(demo, "tag", "-l", "--format=%(contents)", tag)
    git(demo, "checkout", "-q", "--detach", baseline.commit)
    with (demo / reworded.path).open("a", encoding="utf-8") as file:
        file.write("# reworded after signing: a comment, no field changed\n")
    with (demo / changed.path).open("a", encoding="utf-8") as file:
        file.write("x-note: added after signing\n")
    git(demo, "commit", "-q", "-a", "--amend", "--no-edit")
    rewritten = git(demo, "rev-parse", "HEAD")
    git(demo, "checkout", "-q", branch)
    git(demo, "tag", "-f", "-a", tag, "-m", message, rewritten)
    path = demo / baseline.path
    path.write_text(path.read_text(encoding="utf-8").replace(baseline.commit, rewritten).replace(baseline.tag_object, git(demo, "rev-parse", f"refs/tags/{tag}")), encoding="utf-8")

    problems = same_both_ways(demo, CONTRACT)
    short = rewritten[:12]
    assert {code for code, *_ in problems} == {"baseline-tampered"} and len(problems) == 2
    assert any(message.startswith(f"{reworded.path} at commit {short} is blob ") and f"the manifest froze blob {reworded.blob[:12]}" in message
               and item == reworded.id for _, message, _, item in problems)
    assert any(message.startswith(f"{changed.id}: the manifest's digest") and item == changed.id for _, message, _, item in problems)
    for args in (("baseline", "verify", CONTRACT), ("check",)):
        result = run_in_process(*args, cwd=demo)
        assert result.exit_code == 1 and "baseline-tampered" in result.stdout, (args, result.stdout)
        assert f"{reworded.path} at commit {short} is blob" in " ".join(result.stdout.split())


def test_an_edited_blob_id_or_digest_in_the_manifest_fails(demo, run_in_process):
    baseline = load_baseline(find_spec_repo(demo), CONTRACT)
    path = demo / baseline.path
    original = path.read_text(encoding="utf-8")
    entry = baseline.requirements[2]
    other = "0123456789abcdef" * 2 + "01234567" if entry.blob != "0123456789abcdef" * 2 + "01234567" else "f" * 40
    assert entry.blob and f"  blob: {entry.blob}\n" in original

    # A blob id edited alone: the manifest no longer spells its own files digest.
    path.write_text(original.replace(f"  blob: {entry.blob}\n", f"  blob: {other}\n"), encoding="utf-8")
    problems = same_both_ways(demo, CONTRACT)
    assert [(code, item) for code, _, _, item in problems] == [("baseline-tampered", CONTRACT)]
    assert "files digest" in problems[0][1] and "the manifest was edited" in problems[0][1]

    # The files digest recomputed too: the sign-offs signed other files, and git holds another blob.
    forged = load_baseline(find_spec_repo(demo), CONTRACT).requirements  # the edited blob id
    path.write_text(original.replace(f"  blob: {entry.blob}\n", f"  blob: {other}\n").replace(baseline.files_digest or "?", files_digest("sha1", forged)), encoding="utf-8")
    problems = same_both_ways(demo, CONTRACT)
    assert [item for *_, item in problems] == [entry.id]
    assert f"{entry.path} at commit {baseline.commit[:12]} is blob {entry.blob[:12]}, but the manifest froze blob {other[:12]}" in problems[0][1]
    result = run_in_process("baseline", "verify", CONTRACT, cwd=demo)
    said = " ".join(result.stdout.split())
    assert result.exit_code == 1 and "signature-invalid" in said and "it signs other files" in said

    # A digest edited: the root digest no longer matches, and the requirement is named.
    forged_digest = entry.digest[:-4] + ("0000" if not entry.digest.endswith("0000") else "1111")
    path.write_text(original.replace(entry.digest, forged_digest), encoding="utf-8")
    problems = same_both_ways(demo, CONTRACT)
    assert any("root digest" in message for _, message, _, _ in problems)
    assert any(message.startswith(f"{entry.id}: the manifest's digest") for _, message, _, _ in problems)


def to_digests_only(text: str) -> str:
    """A format 2 manifest as a format 1 manifest (what earlier versions wrote): no blob ids."""
    text = text.replace(f"format: {MANIFEST_FORMAT}\n", f"format: {MANIFEST_FORMAT_DIGESTS_ONLY}\n")
    return re.sub(r"^(object_format|files_digest): .*\n|^  blob: .*\n", "", text, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def old_format(tmp_path_factory, build_env) -> Path:
    """A spec repo whose baseline v1 has a format 1 manifest, signed with a real SSH key."""
    folder = tmp_path_factory.mktemp("old-format")
    key = make_key(folder / "keys", "vendor", "li.wei@vendor.example")
    spec = make_repo_in(folder)({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Title {n}") for n in range(1, 6)}
                                | {".reqtrace/allowed_signers": allowed_signers_line(key, "li.wei@vendor.example")})
    repo = find_spec_repo(spec.root)
    created = create_baseline(repo, "v1", commit=False)
    created.manifest_path.write_text(to_digests_only(created.manifest_path.read_text(encoding="utf-8")), encoding="utf-8")
    spec.commit(message="Baseline v1 (format 1)")
    signed = sign_baseline(repo, "v1", signer="Li Wei <li.wei@vendor.example>", meaning="approved", role="vendor", key=key)
    assert signed.signoff.files_digest is None and "files-digest" not in signed.signoff.statement
    shutil.rmtree(spec.root / ".git" / "reqtrace", ignore_errors=True)
    return spec.root


def test_a_format_1_manifest_still_verifies_by_its_digests(old_format, tmp_path, run_in_process):
    git(tmp_path, "clone", "-q", str(old_format), "clone")
    clone = tmp_path / "clone"
    baseline = load_baseline(find_spec_repo(clone), "v1")
    assert baseline.files_digest is None and all(entry.blob is None for entry in baseline.requirements)
    result = run_in_process("baseline", "verify", "--format", "json", cwd=clone)
    assert result.exit_code == 0, result.stdout
    assert [s["status"] for s in json.loads(result.stdout)["baselines"][0]["signoffs"]] == ["valid"]
    assert (clone / DIGESTS).is_dir()  # verified by recomputing every digest, as before
    assert same_both_ways(clone, "v1") == []
    path = clone / baseline.path
    entry = baseline.requirements[0]
    path.write_text(path.read_text(encoding="utf-8").replace(entry.digest, "sha256:" + "0" * 64), encoding="utf-8")
    assert any(message.startswith(f"{entry.id}: the manifest's digest") for _, message, _, _ in same_both_ways(clone, "v1"))


def test_a_manifest_mixing_the_formats_is_refused(old_format, tmp_path):
    """Blob ids in a format 1 manifest, or a format 2 manifest without them, is an edited file."""
    root = shutil.copytree(old_format, tmp_path / "repo", symlinks=True)
    path = root / "baselines" / "v1" / "manifest.yaml"
    text = path.read_text(encoding="utf-8")
    for edited in (text.replace("  path: specs/REQ-1.yaml\n", "  path: specs/REQ-1.yaml\n  blob: " + "ab" * 20 + "\n"),
                   text.replace(f"format: {MANIFEST_FORMAT_DIGESTS_ONLY}\n", f"format: {MANIFEST_FORMAT}\n")):
        path.write_text(edited, encoding="utf-8")
        with pytest.raises(Exception, match="must not be edited"):
            load_baseline(find_spec_repo(root), "v1")


@pytest.fixture(scope="module")
def signed_then_edited(tmp_path_factory, build_env) -> Path:
    """Baseline v1 (format 2) signed with a real SSH key, then edits, a move, a removal and a
    new requirement committed; nothing kept in .git/reqtrace/ (as in a fresh clone)."""
    folder = tmp_path_factory.mktemp("signed")
    key = make_key(folder / "keys", "vendor", "li.wei@vendor.example")
    spec = make_repo_in(folder)({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Title {n}") for n in range(1, 7)}
                                | {".reqtrace/allowed_signers": allowed_signers_line(key, "li.wei@vendor.example")})
    repo = find_spec_repo(spec.root)
    create_baseline(repo, "v1")
    assert vouched_entries(repo, load_baseline(repo, "v1")) is None  # nobody signed it yet
    sign_baseline(repo, "v1", signer="Li Wei <li.wei@vendor.example>", meaning="approved", role="vendor", key=key)
    spec.commit({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Title 1, edited"),
        "specs/REQ-2.yaml": None,
        "specs/moved/REQ-2.yaml": requirement_yaml("REQ-2", "Title 2"),
        "specs/REQ-4.yaml": None,
        "specs/REQ-9.yaml": requirement_yaml("REQ-9", "Title 9"),
    })
    shutil.rmtree(spec.root / ".git" / "reqtrace")
    return spec.root


def test_create_in_a_fresh_clone_takes_unchanged_digests_from_a_signed_manifest(signed_then_edited, tmp_path, monkeypatch):
    root = cold_copy(signed_then_edited, tmp_path / "repo")
    repo = find_spec_repo(root)
    head = git(root, "rev-parse", "HEAD")
    assert [e.id for e in vouched_entries(repo, load_baseline(repo, "v1")) or []] == [f"REQ-{n}" for n in range(1, 7)]

    def every_file_read(*args: object) -> None:
        raise AssertionError("every requirement file was read")

    with monkeypatch.context() as patch:
        patch.setattr(baseline_module, "_entries_read", every_file_read)
        created = create_baseline(repo, "v2", vouched=vouched_entries)
    assert created_entries(created) == plain_baseline_entries(root, head)
    assert same_both_ways(root, "v2") == []


def test_a_broken_manifest_vouches_for_nothing(signed_then_edited, tmp_path, monkeypatch):
    """An edited digest (it would be carried: REQ-5 is unchanged since): every file is read."""
    root = cold_copy(signed_then_edited, tmp_path / "repo")
    repo = find_spec_repo(root)
    v1 = load_baseline(repo, "v1")
    path = root / v1.path
    entry = v1.requirements[4]
    path.write_text(path.read_text(encoding="utf-8").replace(entry.digest, "sha256:" + "0" * 64), encoding="utf-8")
    assert vouched_entries(repo, load_baseline(repo, "v1")) is None
    shutil.rmtree(root / ".git" / "reqtrace")  # the digests that verify computed are trusted
    head = git(root, "rev-parse", "HEAD")

    def carried(*args: object) -> None:
        raise AssertionError("digests were carried from a manifest nobody vouches for")

    with monkeypatch.context() as patch:
        patch.setattr(baseline_module, "_carried_and_read", carried)
        created = create_baseline(repo, "v2", vouched=vouched_entries, rev="HEAD")
    assert created_entries(created) == plain_baseline_entries(root, head)


def test_create_after_a_check_trusts_the_kept_verdict_only_for_the_same_content(signed_then_edited, tmp_path, monkeypatch, run_in_process):
    """`check` keeps which format 2 baselines verified clean with a trusted SSH sign-off: a
    `create` right after it carries v1's entries without verifying v1 again or listing the
    tree, and freezes what a plain create freezes. Once the trust changed (the allowed
    signers emptied after the check), the kept verdict is not used: v1 is verified again,
    vouches for nothing, and every file is read."""
    shortcut_root = cold_copy(signed_then_edited, tmp_path / "shortcut")
    plain_root = cold_copy(signed_then_edited, tmp_path / "plain")
    head = git(plain_root, "rev-parse", "HEAD")
    for root in (shortcut_root, plain_root):
        result = run_in_process("check", cwd=root)
        assert result.exit_code == 0, result.stdout + result.stderr
    (plain_root / ".reqtrace" / "allowed_signers").write_text("", encoding="utf-8")
    verified: list[str] = []
    real_verify = verify_module.verify_baseline

    def counted_verify(repo: object, baseline: object, **options: object) -> object:
        verified.append(baseline.name)  # type: ignore[attr-defined]
        return real_verify(repo, baseline, **options)  # type: ignore[arg-type]

    def carried(*args: object) -> None:
        raise AssertionError("digests were carried from a manifest nobody vouches for now")

    with monkeypatch.context() as patch:
        patch.setattr(verify_module, "verify_baseline", counted_verify)
        patch.setattr(baseline_module, "_carried_and_read", carried)
        plain = create_baseline(find_spec_repo(plain_root), "v2", vouched=vouched_entries)
    assert verified == ["v1"]

    def again(*args: object, **options: object) -> None:
        raise AssertionError("verified, listed or read again right after a check")

    with monkeypatch.context() as patch:
        for module, name in ((verify_module, "verify_baseline"), (baseline_module, "with_blobs"), (baseline_module, "_entries_read")):
            patch.setattr(module, name, again)
        shortcut = create_baseline(find_spec_repo(shortcut_root), "v2", vouched=vouched_entries)

    def rows(created: object) -> list[tuple[str, str, str, str | None]]:
        return [(e.id, e.digest, e.path, e.blob) for e in created.baseline.requirements]  # type: ignore[attr-defined]

    assert rows(shortcut) == rows(plain) and all(row[3] for row in rows(plain))
    assert (shortcut.baseline.files_digest, shortcut.baseline.root_digest) == (plain.baseline.files_digest, plain.baseline.root_digest)
    assert created_entries(plain) == plain_baseline_entries(plain_root, head)
    assert same_both_ways(shortcut_root, "v2") == []


def test_a_verdict_kept_before_it_named_vouched_baselines_still_loads_and_vouches_for_none():
    """A verdict a `check` kept before this change has no "vouched": it still serves `check`,
    and `create` then verifies the baseline itself; a damaged list is no verdict at all."""
    older = {"findings": [], "commits": ["a" * 40], "accepted": ["v1", "a" * 40]}
    kept = verify_module._verdict_of(older)
    assert kept is not None and kept.vouched == [] and kept.accepted == ("v1", "a" * 40)
    assert verify_module._verdict_of({**older, "vouched": ["v1"]}).vouched == ["v1"]  # type: ignore[union-attr]
    assert verify_module._verdict_of({**older, "vouched": "v1"}) is None
    assert verify_module._verdict_of({**older, "vouched": [1]}) is None
