"""Caches that lie: damaged, planted, blocking or stale cache files change nothing a user sees.

Every cache under `.git/reqtrace/` is a hint (see src/reqtrace/io/cachefile.py): each
reproduction below runs a command with the cache file attacked and compares its
output and exit code with the answer given with no cache at all.
"""

from __future__ import annotations

import io
import os
import pickle
import random
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from conftest import (
    SpecRepoFixture,
    copy_repo,
    keep_triage_dictionaries,
    make_repo_in,
    requirement_yaml,
)
from reqtrace.core import parse_cache as parsecache

BASELINE = Path(__file__).parent / "data" / "triage" / "baseline"
FLIPS = 40  # per cache file: a fixed seed, so a failure is reproducible
HEAD = 64  # bytes where the formats keep magic, digests, stamps and lengths: damaged more densely


@pytest.fixture(autouse=True)
def caches_read_by_every_command(monkeypatch):
    """Every command here reads the caches under attack: no whole answer kept (trace, impact, status, diff)
    stands in for them, nor a graph of only the files a cold trace reads (graph/scoped.py)."""
    monkeypatch.setenv("REQTRACE_NO_KEPT_ANSWERS", "1")
    monkeypatch.setenv("REQTRACE_NO_SCOPED", "1")


def flip_positions(size: int, flips: int, rng: random.Random) -> list[int]:
    """Where to flip a bit: a quarter of the flips in the head, the rest one in each equal
    stretch of the body. Every part of the file is hit, which 100 uniform flips did not promise
    (they hit the 64-byte head about once per file, stretches of a large body never)."""
    head = min(size, HEAD)
    in_head = [rng.randrange(head) for _ in range(flips // 4)] if head else []
    body, rest = size - head, flips - len(in_head)
    if body <= 0:
        return in_head + [rng.randrange(size) for _ in range(rest)]
    stretch = body / rest
    return in_head + [head + int(index * stretch) + rng.randrange(max(1, int(stretch))) for index in range(rest)]
REQUEST = """\
id: RQ-12
received: 2026-07-10
from: "Dr. Chen Jing"
channel: email
title: Patients want to book further ahead
text: |
  Please change it so patients can book 30 days ahead instead of 14.
refs: [REQ-3]
"""
ASK = "Patients should be able to book 30 days ahead instead of 14. Reminder at sunrise-clinic.example please."


@pytest.fixture(scope="module")
def clinic_template(tmp_path_factory, build_env, triage_dictionaries) -> Path:
    """The spec repo, committed and tagged once per module. No command has run in it: its only
    caches are the dictionaries of a first triage, made once per run, as in any repo where
    someone has triaged once."""
    files = {f"specs/{p.relative_to(BASELINE).as_posix()}": p.read_text(encoding="utf-8") for p in BASELINE.rglob("*.yaml")}
    files["specs/extra/REQ-40.yaml"] = requirement_yaml(
        "REQ-40", "Mail from sunrise-clinic.example", "Reminders are sent from noreply@sunrise-clinic.example.", parents=["REQ-3"]
    )
    files["records/requests/RQ-12.yaml"] = REQUEST
    root = make_repo_in(tmp_path_factory.mktemp("hostile-cache"))(files, tag="baseline/v1.0").root
    keep_triage_dictionaries(triage_dictionaries, root)
    return root


@pytest.fixture
def clinic(clinic_template, tmp_path) -> SpecRepoFixture:
    # A copy per test (every test attacks its caches): ~0.1 s instead of a new repo and commit.
    return copy_repo(clinic_template, tmp_path / "repo")


def run_in_process(monkeypatch: pytest.MonkeyPatch, root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`reqtrace ARGS` in this process (a subprocess per flip would take minutes): exit code, stdout, stderr."""
    import typer.main

    from hostile.kit import _built_once
    from reqtrace import cli
    from reqtrace.cli import output

    with monkeypatch.context() as patch:
        # typer builds the same click command tree on every call, most of a run's time here.
        patch.setattr(typer.main, "get_command", _built_once(typer.main.get_command))
        patch.chdir(root)
        patch.setattr(output, "json_requested", False)
        patch.setattr(cli, "_debug", False)
        patch.setattr(sys, "argv", ["reqtrace", *args])
        patch.delenv("REQTRACE_NO_CACHE", raising=False)
        for key, value in (env or {}).items():
            patch.setenv(key, value)
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                cli.main()
            except SystemExit as done:
                code = int(done.code or 0)
    return code, out.getvalue(), err.getvalue()


def cache_folder(root: Path) -> Path:
    return root / ".git" / "reqtrace"


def graph_cache_file(root: Path) -> Path:
    """Where the working tree's graph is kept (cachestore's place and name for it)."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.graph.cache import cache_file

    found = cache_file(find_spec_repo(root), worktree=True)
    assert found is not None
    return found


def flip_bits(monkeypatch: pytest.MonkeyPatch, root: Path, cache: Path, args: tuple[str, ...], seed: int, flips: int = FLIPS) -> None:
    """For `flips` single-bit flips of `cache`: the command's answer is the one given with no cache."""
    expected = run_in_process(monkeypatch, root, *args, env={"REQTRACE_NO_CACHE": "1"})
    assert expected[0] == 0, expected
    original = cache.read_bytes()
    assert run_in_process(monkeypatch, root, *args) == expected  # the cache as written: same answer
    rng = random.Random(seed)  # noqa: S311 - reproducible damage, not secrets
    for flip, position in enumerate(flip_positions(len(original), flips, rng)):
        damaged = bytearray(original)
        damaged[position] ^= 1 << rng.randrange(8)
        cache.write_bytes(bytes(damaged))
        got = run_in_process(monkeypatch, root, *args)
        assert got == expected, f"flip {flip}: bit at byte {position} of {cache.name} changed the answer"


# slow: 52 runs of trace/status, one per flipped bit
@pytest.mark.slow
def test_bit_flips_in_the_graph_cache_change_nothing(clinic, monkeypatch):
    args = ("trace", "REQ-3", "--format", "json")
    run_in_process(monkeypatch, clinic.root, *args)
    cache = graph_cache_file(clinic.root)
    assert cache.is_file()
    flip_bits(monkeypatch, clinic.root, cache, args, seed=16)
    # status reads the same file (the status facts kept beside each node): its whole answer
    # is not kept here (REQTRACE_NO_KEPT_ANSWERS, above)
    flip_bits(monkeypatch, clinic.root, cache, ("status", "--format", "json"), seed=17, flips=12)


def test_bit_flips_in_the_parse_pack_change_nothing(clinic, monkeypatch):
    args = ("list", "--kind", "all", "--format", "json")
    run_in_process(monkeypatch, clinic.root, *args)
    cache = cache_folder(clinic.root) / "parse" / parsecache.pack_name()
    assert cache.is_file()
    flip_bits(monkeypatch, clinic.root, cache, args, seed=18)


# slow: 48 diff runs, one per flipped bit
@pytest.mark.slow
def test_bit_flips_in_a_parse_cache_entry_change_nothing(clinic, monkeypatch):
    clinic.commit({"specs/booking/REQ-3.yaml": (clinic.root / "specs/booking/REQ-3.yaml").read_text() + "tags: [changed]\n"})
    # diff's whole answer is not kept here (REQTRACE_NO_KEPT_ANSWERS, above), so that every run reads the parse entries.
    args = ("diff", "v1.0", "--format", "json")
    run_in_process(monkeypatch, clinic.root, *args)
    entries = sorted(path for path in (cache_folder(clinic.root) / "parse").glob("*.json") if path.is_file())
    assert entries
    for number, entry in enumerate(entries[:4]):
        flip_bits(monkeypatch, clinic.root, entry, args, seed=30 + number, flips=12)


# slow: 52 triage runs, one per flipped bit
@pytest.mark.slow
def test_bit_flips_in_the_triage_index_change_nothing(clinic, monkeypatch):
    args = ("triage", "--text", ASK, "--baseline", "v1.0", "--format", "json")
    run_in_process(monkeypatch, clinic.root, *args)
    (index,) = (cache_folder(clinic.root) / "triage-index").glob("*.idx")
    flip_bits(monkeypatch, clinic.root, index, args, seed=19)
    flip_bits(monkeypatch, clinic.root, index, ("triage", "RQ-12", "--baseline", "v1.0"), seed=20, flips=12)


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated", "old format", "another shape, sealed"])
def test_a_corrupted_triage_index_gives_the_uncached_answer_and_exit_0(clinic, monkeypatch, damage):
    import marshal

    from reqtrace.core.config import find_spec_repo
    from reqtrace.io import cachefile
    from reqtrace.triage import INDEX_FORMAT
    from reqtrace.triage.repo import _index_path

    args = ("triage", "RQ-12", "--baseline", "v1.0")
    expected = run_in_process(monkeypatch, clinic.root, *args)
    (index,) = (cache_folder(clinic.root) / "triage-index").glob("*.idx")
    data = index.read_bytes()
    _path, stamp = _index_path(find_spec_repo(clinic.root), clinic.git("rev-parse", "baseline/v1.0"))  # type: ignore[misc]
    # A record cut short passes marshal and, unchecked, broke the classifier (exit 4).
    shape = cachefile.seal(stamp, marshal.dumps((INDEX_FORMAT, [("REQ-3",)], {"w:book": (b"\0\0\0\0", b"\0\0\0\0")}, [()])))
    index.write_bytes({"garbage": os.urandom(len(data)), "empty": b"", "truncated": data[: len(data) // 2],
                       "old format": data[data.index(b"\n") + 1 + 32 + 8 + 40 :], "another shape, sealed": shape}[damage])
    assert run_in_process(monkeypatch, clinic.root, *args) == expected
    assert expected[0] == 0 and "REQ-3" in expected[1]


def test_a_forged_index_entry_is_not_quoted_as_signed(clinic, monkeypatch):
    """A cache that verifies but says something git does not: triage quotes what git holds."""
    import marshal

    from reqtrace.core.config import find_spec_repo
    from reqtrace.io import cachefile
    from reqtrace.triage.repo import _index_path

    args = ("triage", "RQ-12", "--baseline", "v1.0", "--format", "json")
    expected = run_in_process(monkeypatch, clinic.root, *args)
    assert "14 days" in expected[1]
    repo = find_spec_repo(clinic.root)
    commit = clinic.git("rev-parse", "baseline/v1.0")
    path, stamp = _index_path(repo, commit)  # type: ignore[misc]
    version, records, postings, concepts = marshal.loads(cachefile.unseal(path.read_bytes(), stamp))  # type: ignore[arg-type]  # noqa: S302 - our own file
    records = [(r[0], r[1], r[2].replace("14 days", "365 days (forged)"), *r[3:]) if r[0] == "REQ-3" else r for r in records]
    path.write_bytes(cachefile.seal(stamp, marshal.dumps((version, records, postings, concepts))))
    got = run_in_process(monkeypatch, clinic.root, *args)
    assert got == expected and "forged" not in got[1]


def test_a_forged_requirement_in_the_parse_pack_is_refused(clinic, monkeypatch):
    """A pack that passes its hash but carries one of reqtrace's own dataclasses: refused."""
    from reqtrace.core.model import Requirement
    from reqtrace.core.parse import Parsed
    from reqtrace.io import cachefile, gitio

    args = ("list", "--format", "json")
    expected = run_in_process(monkeypatch, clinic.root, *args, env={"REQTRACE_NO_CACHE": "1"})
    data = (clinic.root / "specs/booking/REQ-3.yaml").read_bytes()
    key = parsecache.cache_key("requirement", "specs/booking/REQ-3.yaml", gitio.blob_id(data), r"^[A-Z][A-Z0-9]*-[0-9]+$")
    forged = Parsed([Requirement(id="REQ-3", title="FORGED title", statement="Forged.", path="specs/booking/REQ-3.yaml")], [])
    with pytest.raises(pickle.UnpicklingError):
        parsecache.load_parsed(pickle.dumps([forged]))
    pack = cache_folder(clinic.root) / "parse" / parsecache.pack_name()
    pack.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": parsecache.PACK_FORMAT, "segments": [((key,), pickle.dumps([forged]))]}
    pack.write_bytes(cachefile.seal(parsecache._pack_stamp(), pickle.dumps(payload)))
    got = run_in_process(monkeypatch, clinic.root, *args)
    assert got == expected and "FORGED" not in got[1]
    # trace builds its graph through the same pack
    pack.write_bytes(cachefile.seal(parsecache._pack_stamp(), pickle.dumps(payload)))
    trace = run_in_process(monkeypatch, clinic.root, "trace", "REQ-3", "--format", "json")
    assert trace[0] == 0 and "FORGED" not in trace[1]


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_an_edit_git_status_does_not_report_still_shows(clinic, monkeypatch, flag):
    args = ("trace", "REQ-40", "--format", "json")
    first = run_in_process(monkeypatch, clinic.root, *args)
    assert "Mail from sunrise-clinic.example" in first[1]
    clinic.git("update-index", flag, "specs/extra/REQ-40.yaml")
    path = clinic.root / "specs/extra/REQ-40.yaml"
    path.write_text(path.read_text().replace("Mail from", "Letters from"))
    assert clinic.git("status", "--porcelain") == ""  # git itself does not see the edit
    got = run_in_process(monkeypatch, clinic.root, *args)
    assert got == run_in_process(monkeypatch, clinic.root, *args, env={"REQTRACE_NO_CACHE": "1"})
    assert "Letters from sunrise-clinic.example" in got[1] and "Mail from" not in got[1]
    status = run_in_process(monkeypatch, clinic.root, "status", "--format", "json")
    assert status == run_in_process(monkeypatch, clinic.root, "status", "--format", "json", env={"REQTRACE_NO_CACHE": "1"})


def _cli(root: Path, *args: str) -> tuple[int, str]:
    # A subprocess with a time limit: a run that blocks on a FIFO fails the test instead of hanging it.
    proc = subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=root, capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout


FIFO_COMMANDS = [("trace", "REQ-3", "--format", "json"), ("list", "--format", "json"), ("triage", "RQ-12", "--baseline", "v1.0", "--format", "json")]


@pytest.fixture(scope="module")
def cached_clinic(clinic_template, tmp_path_factory, build_env) -> tuple[Path, list[tuple[int, str]]]:
    """The repo after the FIFO commands ran once, as real processes (their caches written), and
    their answers. Each FIFO case copies it (caches and all) instead of running them again."""
    root = copy_repo(clinic_template, tmp_path_factory.mktemp("hostile-cache-fifo") / "repo").root
    return root, [_cli(root, *command) for command in FIFO_COMMANDS]


@pytest.mark.parametrize("which", ["graph", "parse-pack", "triage-index"])
def test_a_fifo_in_place_of_a_cache_file_does_not_hang(cached_clinic, tmp_path, monkeypatch, which):
    template, expected = cached_clinic
    clinic = copy_repo(template, tmp_path / "repo")
    if which == "graph":
        # The graph cache is named after the repo's place (the parse pack and the triage index
        # after content only, so the copied ones serve): write the copy's own.
        run_in_process(monkeypatch, clinic.root, *FIFO_COMMANDS[0])
    folder = cache_folder(clinic.root)
    targets = list((folder / "triage-index").glob("*")) if which == "triage-index" else [graph_cache_file(clinic.root) if which == "graph" else folder / "parse" / parsecache.pack_name()]
    assert targets
    for target in targets:
        target.unlink()
        os.mkfifo(target)
    assert [_cli(clinic.root, *command) for command in FIFO_COMMANDS] == expected


def test_a_symlink_in_place_of_a_cache_file_is_not_followed(clinic, tmp_path):
    command = ("trace", "REQ-3", "--format", "json")
    expected = _cli(clinic.root, *command)
    cache = graph_cache_file(clinic.root)
    elsewhere = tmp_path / "elsewhere.pickle"
    elsewhere.write_bytes(cache.read_bytes())
    cache.unlink()
    cache.symlink_to(elsewhere)
    from reqtrace.io.cachefile import read_regular

    assert read_regular(cache) is None
    assert _cli(clinic.root, *command) == expected


def test_a_discarded_cache_is_noted_under_debug(clinic, run_cli):
    run_cli("trace", "REQ-3", cwd=clinic.root)
    cache = graph_cache_file(clinic.root)
    data = bytearray(cache.read_bytes())
    data[len(data) // 2] ^= 0x10  # in the graph (the index, last, is checked only when a patch needs it)
    cache.write_bytes(bytes(data))
    quiet = run_cli("trace", "REQ-3", cwd=clinic.root)
    assert quiet.exit_code == 0 and "cache" not in quiet.stderr
    cache.write_bytes(bytes(data))
    loud = run_cli("--debug", "trace", "REQ-3", cwd=clinic.root)
    assert loud.exit_code == 0 and f"{cache.name} not used" in loud.stderr


def test_a_forged_node_in_a_verifying_graph_cache_is_not_shown(clinic, monkeypatch):
    """A graph cache that passes its hash but holds another title: trace shows the file's."""
    from reqtrace.io import cachefile

    args = ("trace", "REQ-40", "--format", "json")
    expected = run_in_process(monkeypatch, clinic.root, *args, env={"REQTRACE_NO_CACHE": "1"})
    run_in_process(monkeypatch, clinic.root, *args)
    cache = graph_cache_file(clinic.root)
    data = cache.read_bytes()
    table_end = len(cachefile.MAGIC) + 32 + 8 + 5 * (8 + 32)
    stamp = pickle.loads(data[table_end:])["stamp"]  # noqa: S301 - our own file
    sealed = cachefile.Sealed(data, stamp)
    header, (blobs, baselines), index, facts, parents = (pickle.loads(sealed.section(number)) for number in range(5))  # noqa: S301
    attrs, out, into = pickle.loads(blobs["REQ-40"])  # noqa: S301
    blobs["REQ-40"] = pickle.dumps(({**attrs, "title": "Mail from stnrise-clinic.example"}, out, into))
    cache.write_bytes(cachefile.seal(stamp, *(pickle.dumps(part) for part in (header, (blobs, baselines), index, facts, parents))))
    got = run_in_process(monkeypatch, clinic.root, *args)
    assert got == expected and "stnrise" not in got[1]
