"""A cold `trace` / `impact` answered from only the files it reads (graph/scoped.py).

Every answer is compared with the plain computation — the whole graph built from
every file, no cache — for every id of the demo (trace and impact, as data and,
for a few, through the command as JSON and text against REQTRACE_NO_CACHE), and
on a small repo of the cases a byte scan could get wrong: ids that are prefixes of
others (REQ-1, REQ-10, REQ-100), ids inside quoted text and in a meeting's prose,
an id spelled with a YAML escape, a file that does not parse (naming the id, and
elsewhere), two files with one id, an e-mail found only by its Message-ID, a
renamed id still named by a record, an uncommitted edit and a new file, `--rev`,
and a root whose walk fans out (every requirement file read, or the whole graph built).
"""

from __future__ import annotations

import functools
import json
import shutil

import pytest

from conftest import cold_copy, copy_demo, make_repo_in, requirement_yaml
from reqtrace.core.config import find_spec_repo
from reqtrace.core.digest import known_digest
from reqtrace.core.model import Config
from reqtrace.core.parse import parse_document, parse_email, parse_meeting, parse_request, record_id
from reqtrace.core.snapshot import resolve_revision
from reqtrace.errors import ReqtraceError
from reqtrace.graph.cache import _build
from reqtrace.graph.scoped import SpecFiles, WatchedGraph, no_digests, scoped_graph
from reqtrace.graph.trace import impact_of, trace_item


def digests_in(snapshot):
    return lambda ids: {rid: known_digest(snapshot.requirements[rid]) for rid in ids if rid in snapshot.requirements}


def outcome(work):
    try:
        return work()
    except ReqtraceError as error:
        return ("error", type(error).__name__, str(error))


def ask_trace(item_id, commit):
    return lambda graph, snapshot, baselines, digests: trace_item(graph, item_id, commit=commit, baselines=baselines, digests_of=digests).as_dict()


def ask_impact(item_id, commit):
    return lambda graph, snapshot, baselines, digests: impact_of(graph, item_id, commit=commit, baselines=baselines, digests_of=digests).as_dict()


def scoped_outcome(files, item_id, ask):
    """(the answer from the scoped graph, files read), as the commands get it; None when it
    goes to the whole graph."""
    probe = lambda graph, snapshot, baselines: ask(graph, snapshot, baselines, lambda ids: no_digests(graph, ids))  # noqa: E731
    found = scoped_graph(files.repo, files.config, files.commit, item_id, probe, files=files)
    if found.graph is None:
        return None
    watched = WatchedGraph(found.graph.graph)
    answer = outcome(lambda: ask(watched, found.graph.snapshot, found.graph.baselines, digests_in(found.graph.snapshot)))
    assert found.graph.covers(watched.reads), item_id
    return answer, found.graph.files


def repo_config(repo, commit):
    from reqtrace.core.config import parse_config
    from reqtrace.core.snapshot import Reader

    return parse_config(Reader(repo, commit).read_config())[0]


def compare_every_id(root, ids, rev=None):
    """For every id, trace and impact from the scoped graph equal the whole graph's (or
    its error). Returns {(question, id): files read, or None when built whole}."""
    repo = find_spec_repo(root)
    commit = resolve_revision(repo, rev) if rev else None
    whole = _build(repo, commit, parse_cache=False)
    files = SpecFiles(repo, repo_config(repo, commit), commit)
    read = {}
    for item_id in ids:
        for name, ask in (("trace", ask_trace(item_id, commit)), ("impact", ask_impact(item_id, commit))):
            found = outcome(functools.partial(scoped_outcome, files, item_id, ask))
            expected = outcome(functools.partial(ask, whole.graph, whole.snapshot, whole.baselines, digests_in(whole.snapshot)))
            if isinstance(found, tuple) and found[0] == "error":  # raised from what the scope read
                assert found == expected, (name, item_id)
                read[name, item_id] = 0
                continue
            if found is None:
                read[name, item_id] = None
                continue
            assert found[0] == expected, (name, item_id)
            read[name, item_id] = found[1]
    return read, len(whole.snapshot.files)


# --- the demo: every id -------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_build, build_env):
    return cold_copy(copy_demo(demo_build, tmp_path_factory.mktemp("scoped") / "source"), tmp_path_factory.mktemp("scoped-cold") / "demo")


def every_id(root):
    from reqtrace.core.snapshot import load_snapshot

    snapshot = load_snapshot(find_spec_repo(root))
    return sorted({*snapshot.requirements, *(item_id for items in snapshot.record_maps() for item_id in items)})


def test_every_id_of_the_demo_tells_the_whole_graphs_story(demo):
    ids = every_id(demo)
    assert len(ids) > 50
    read, files = compare_every_id(demo, [*ids, "NOPE-1", "REQ", "baseline/contract-v1.0"])
    # A leaf's story reads a few files, not the repo.
    leaf = min(count for (name, _), count in read.items() if name == "trace" and count)
    assert 0 < leaf < files / 4, (leaf, files)
    assert all(count is not None for count in read.values()), "the demo is small: nothing goes to the whole graph"


def test_the_commands_answer_as_without_any_cache(demo, run_in_process):
    for args in (("trace", "REQ-5"), ("impact", "REQ-5"), ("trace", "RQ-3"), ("trace", "MTG-2026-02-05"), ("trace", "NOPE-1"), ("impact", "RQ-3")):
        answers = []
        for env in ({"REQTRACE_NO_CACHE": "1"}, {}):
            run = run_in_process("--debug", *args, "--format", "json", cwd=demo, env={"REQTRACE_NO_KEPT_ANSWERS": "1", **env})
            text = run_in_process(*args, cwd=demo, env={"REQTRACE_NO_KEPT_ANSWERS": "1", "COLUMNS": "100", **env})
            answers.append((run.exit_code, run.stdout, text.exit_code, text.stdout, text.stderr))
            if not env and run.exit_code == 0:
                assert "graph: scoped" in run.stderr, args
        assert answers[0] == answers[1], args
    assert answers[0][0] == 2 and "impact is about requirements" in answers[0][4]
    assert not (demo / ".git" / "reqtrace" / "graph").exists(), "a scoped run keeps no graph"


# --- the cases a byte scan could get wrong ------------------------------------------

DIGEST = "sha256:" + "0" * 64


@pytest.fixture(scope="module")
def tricky(tmp_path_factory, build_env):
    files = {
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", "The root", status="approved"),
        "specs/REQ-10.yaml": requirement_yaml("REQ-10", "Not REQ-1: \"REQ-100\" is its child", parents=["REQ-1"]),
        "specs/REQ-100.yaml": requirement_yaml("REQ-100", "Below REQ-10", parents=["REQ-10"], reviewed={"REQ-10": DIGEST}),
        # An escape: the file never holds the bytes REQ-2's parent id is made of.
        "specs/REQ-2.yaml": 'id: REQ-2\ntitle: Escaped\nstatement: "The system shall."\nparents: ["REQ\\x2d1"]\n',
        "specs/REQ-3.yaml": "id: REQ-3\ntitle: Broken\nparents: [REQ-1\n",  # does not parse
        "specs/broken.yaml": "{{{ not: yaml\n",
        "specs/a/REQ-5.yaml": requirement_yaml("REQ-5", "First of two", parents=["REQ-1"]),
        "specs/b/REQ-5.yaml": requirement_yaml("REQ-5", "Second of two", parents=["REQ-10"]),
        "specs/REQ-6.yaml": requirement_yaml("REQ-6", "To be renamed", parents=["REQ-100"]),
        "records/requests/RQ-1.yaml": "id: RQ-1\nreceived: 2026-03-01\nfrom: Someone\ntitle: Change REQ-10\naffects: [REQ-10]\nrefs: [REQ-6]\n"
                                      "decision:\n  status: approved\n  in: MTG-1\n  when: 2026-03-05\n",
        "records/requests/RQ-2.yaml": "id: RQ-2\nreceived: 2026-03-02\nfrom: Someone\ntitle: Open one\naffects: [REQ-100]\nsources: [MAIL-1]\n",
        "records/meetings/MTG-1.md": "---\nid: MTG-1\ndate: 2026-03-05\ntitle: Review\nrefs: [REQ-1]\ndecisions:\n  - text: Go ahead\n    approves: [RQ-1]\n---\n"
                                     "# Review\n\nWe talked about REQ-100 and REQ-2 in passing.\n",
        "records/emails/MAIL-1.eml.yaml": "id: MAIL-1\nmessage_id: <first@example.com>\ndate: 2026-02-27\nsubject: About the root\nrefs: [REQ-1]\n",
        "records/emails/MAIL-2.eml.yaml": "id: MAIL-2\nmessage_id: <second@example.com>\ndate: 2026-02-28\nsubject: \"Re: the root\"\nin_reply_to: [<first@example.com>]\n",
    }
    repo = make_repo_in(tmp_path_factory.mktemp("tricky"))(files)
    # A rename: REQ-6 becomes REQ-7 in a new file; RQ-1 still names REQ-6.
    repo.commit({"specs/REQ-6.yaml": None, "specs/REQ-7.yaml": requirement_yaml("REQ-7", "Renamed from REQ-6", parents=["REQ-100"], status="superseded")}, "REQ-6 is REQ-7 now", tag="baseline/v1")
    return repo.root


TRICKY_IDS = ["REQ-1", "REQ-10", "REQ-100", "REQ-2", "REQ-3", "REQ-5", "REQ-6", "REQ-7", "RQ-1", "RQ-2", "MTG-1", "MAIL-1", "MAIL-2", "REQ", "baseline/v1"]


def test_prefixes_quotes_escapes_broken_files_duplicates_threads_and_renames(tricky, tmp_path, run_in_process):
    root = cold_copy(tricky, tmp_path / "repo")
    read, _files = compare_every_id(root, TRICKY_IDS)
    assert all(count is not None for count in read.values())
    # What the cases are about shows in the answers, the same as the whole graph's.
    repo = find_spec_repo(root)
    files = SpecFiles(repo, repo_config(repo, None), None)

    def trace(item_id):
        found = outcome(functools.partial(scoped_outcome, files, item_id, ask_trace(item_id, None)))
        return found if found[0] == "error" else found[0]

    assert trace("REQ-1")["downstream"] == ["REQ-2", "REQ-5", "REQ-7", "REQ-10", "REQ-100"]
    assert trace("REQ-5")["title"] == "First of two" and trace("REQ-5")["upstream"] == ["REQ-1"]
    assert [entry["id"] for entry in trace("MAIL-1")["timeline"] if entry["relation"] == "replied-by"] == ["MAIL-2"]
    assert trace("REQ-6")[0] == "error" and trace("REQ-3")[0] == "error"
    assert scoped_outcome(files, "REQ-100", ask_impact("REQ-100", None))[0]["open_requests"][0]["id"] == "RQ-2"
    # Edited and new files in the working tree, and the same at a revision.
    (root / "specs" / "REQ-8.yaml").write_text(requirement_yaml("REQ-8", "New, below REQ-100", parents=["REQ-100"]), encoding="utf-8")
    (root / "specs" / "REQ-10.yaml").write_text(requirement_yaml("REQ-10", "Edited", parents=["REQ-2"]), encoding="utf-8")
    compare_every_id(root, ["REQ-1", "REQ-2", "REQ-10", "REQ-100", "REQ-8"])
    compare_every_id(root, ["REQ-1", "REQ-10", "REQ-7", "MAIL-2"], rev="HEAD~1")
    # Through the command: JSON and text, the renamed id's error, as without any cache.
    for args in (("trace", "REQ-7"), ("trace", "REQ-6"), ("impact", "REQ-10"), ("trace", "REQ-1", "--rev", "HEAD~1")):
        got = [run_in_process(*args, *shape, cwd=root, env={"REQTRACE_NO_KEPT_ANSWERS": "1", "COLUMNS": "100", **env})
               for env in ({}, {"REQTRACE_NO_CACHE": "1"}) for shape in (("--format", "json"), ())]
        assert [(r.exit_code, r.stdout, r.stderr) for r in got[:2]] == [(r.exit_code, r.stdout, r.stderr) for r in got[2:]], args


def test_a_walk_that_fans_out_reads_every_requirement_file_and_few_records(tricky, tmp_path, run_in_process, monkeypatch):
    """A trace of a root walks every requirement below it through parent links, which only
    requirement files make: every requirement file is read, but of the records only those
    naming a node whose other links it reads, or holding an item of an id it reads — here a
    request filed under a requirement's id (records come first: the request holds the id,
    and the requirement's parent link is gone in the whole graph too). An impact reads
    every descendant's other links: the whole graph."""
    root = cold_copy(tricky, tmp_path / "repo")
    (root / "specs" / "many").mkdir()
    for number in range(200, 300):
        (root / "specs" / "many" / f"REQ-{number}.yaml").write_text(requirement_yaml(f"REQ-{number}", parents=["REQ-10" if number < 220 else f"REQ-{number - 20}"]), encoding="utf-8")
    for number in range(300, 350):  # REQ-2's children: its walk fans out from one round to the next
        (root / "specs" / "many" / f"REQ-{number}.yaml").write_text(requirement_yaml(f"REQ-{number}", parents=["REQ-2"]), encoding="utf-8")
    for number in range(200, 260):  # records naming the requirements below, none the root
        (root / "records" / "requests" / f"RQ-{number}.yaml").write_text(f"id: RQ-{number}\nreceived: 2026-03-01\nfrom: Someone\ntitle: About REQ-{number}\nrefs: [REQ-{number}]\n", encoding="utf-8")
    (root / "records" / "requests" / "taken.yaml").write_text("id: REQ-250\nreceived: 2026-03-03\nfrom: Someone\ntitle: Filed under a requirement's id\n", encoding="utf-8")
    read, files = compare_every_id(root, ["REQ-1", "REQ-10", "REQ-299", "REQ-2", "REQ-250", "REQ-349"])
    assert read["impact", "REQ-1"] is None  # the whole graph
    requirement_files = len(list((root / "specs").rglob("*.yaml")))
    # Past the limit of files to parse (REQ-1), or from one round's ids to the next (REQ-2).
    for root_id in ("REQ-1", "REQ-2"):
        assert requirement_files < read["trace", root_id] < requirement_files + 12, (read, requirement_files, files)
    assert read["trace", "REQ-299"] and read["trace", "REQ-349"] < requirement_files  # a leaf: its line up, not the repo
    plain = run_in_process("trace", "REQ-1", "--format", "json", cwd=root, env={"REQTRACE_NO_CACHE": "1"})
    scoped = run_in_process("--debug", "trace", "REQ-1", "--format", "json", cwd=root)
    assert "graph: scoped" in scoped.stderr and scoped.stdout == plain.stdout
    downstream = json.loads(scoped.stdout)["downstream"]
    assert downstream[-1] == "REQ-349" and "REQ-299" in downstream and "REQ-249" in downstream and "REQ-250" not in downstream and "REQ-290" not in downstream
    # Grown without the baselines first (RT-272): REQ-2's impact (50 children) shows in its first
    # round that it reaches far, goes to the whole graph before their manifests are read, and the
    # whole build reads them beside its parse, once. REQ-1's trace reads every requirement file
    # first, and the baselines beside that parse. A leaf's trace is answered
    # without them: they are read, then the question grown with them. The answers are the plain ones.
    from reqtrace.baselines import baseline

    scans: list[str] = []
    parsing: list[bool] = []
    real_scan, real_read, real_parsed = baseline.ManifestsAlongside.run, SpecFiles.read_baselines, SpecFiles.parsed

    def parsed(self, paths, **kwargs):
        parsing.append(True)
        try:
            return real_parsed(self, paths, **kwargs)
        finally:
            parsing.pop()

    monkeypatch.setattr(baseline.ManifestsAlongside, "run", lambda self: scans.append("beside the whole parse") or real_scan(self))
    monkeypatch.setattr(SpecFiles, "read_baselines", lambda self: scans.append("beside the requirements" if parsing else "before") or real_read(self))
    monkeypatch.setattr(SpecFiles, "parsed", parsed)
    cases = {("trace", "REQ-1"): ["beside the requirements"], ("impact", "REQ-2"): ["beside the whole parse"], ("trace", "REQ-299"): ["before"]}
    for args, read in cases.items():
        if args != ("trace", "REQ-1"):  # its plain answer is the one above
            plain = run_in_process(*args, "--format", "json", cwd=root, env={"REQTRACE_NO_CACHE": "1"})
        shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
        baseline.forget_read_manifests()
        scans.clear()
        cold = run_in_process(*args, "--format", "json", cwd=root)
        assert cold.exit_code == 0 and cold.stdout == plain.stdout, (args, cold.stderr)
        assert scans == read, (args, scans)


def test_the_files_naming_ids_of_several_first_bytes_are_those_each_id_finds_alone(tricky):
    """SpecFiles.naming scans once per first byte of the ids: the files found are those that
    name one of the ids as a whole word, file by file (id_search.names_word), and the escaped."""
    from reqtrace.changes.id_search import names_word

    repo = find_spec_repo(tricky)
    files = SpecFiles(repo, repo_config(repo, None), None)
    for words in (["REQ-1", "RQ-1", "MAIL-2", "MTG-1", "baseline/v1"], ["REQ-10", "REQ-100", "RQ-2"], ["MAIL-1"], ["NOPE-1", "ZZ"], []):
        plain = [path for path in files.paths if path in files.escaped or any(names_word(files.texts[path], word) for word in words)] if words else []
        assert files.naming(words) == plain, words


def test_a_record_files_id_is_what_its_parser_files_its_item_under():
    cases = {
        "request": (parse_request, ["id: RQ-1\ntitle: t\n", "id: 'REQ-1'\n", "title: no id\n", "- a list\n", "{{{ broken\n", "", "id: [REQ-1]\n"]),
        "meeting": (parse_meeting, ["---\nid: MTG-1\ndate: 2026-01-01\n---\n# id: MTG-2\n", "id: MTG-3\n", "---\nid: \"MTG\\x2d4\"\n---\n"]),
        "email": (parse_email, ["id: MAIL-1\nmessage_id: <a@b>\n", "id: 12\n"]),
        "document": (parse_document, ["id: DOC-1\ntitle: t\n", "id: '  '\n"]),
    }
    for kind, (parser, texts) in cases.items():
        for text in texts:
            data = text.encode()
            items = [item.id for item in parser(f"records/x/{kind}.yaml", data, Config(project="p")).items]
            assert [record_id(kind, f"records/x/{kind}.yaml", data)] == (items or [None]), (kind, text)
    with pytest.raises(KeyError):
        record_id("requirement", "specs/REQ-1.yaml", b"id: REQ-1\n")


def test_the_whole_graph_built_from_the_bytes_the_scope_read_is_the_plain_one(tricky, tmp_path, monkeypatch):
    """When a question reaches much of the repo, the whole graph is built from the files'
    bytes the scoped attempt read (SpecFiles.texts), not read again: the same snapshot and
    graph as a build that reads every file, in the working tree (with an edit and a new
    file) and at a revision."""
    from reqtrace.core import snapshot as snapshot_module

    root = cold_copy(tricky, tmp_path / "repo")
    (root / "specs" / "REQ-8.yaml").write_text(requirement_yaml("REQ-8", "New, below REQ-100", parents=["REQ-100"]), encoding="utf-8")
    (root / "specs" / "REQ-10.yaml").write_text(requirement_yaml("REQ-10", "Edited", parents=["REQ-2"]), encoding="utf-8")
    repo = find_spec_repo(root)
    opened = []
    real_read = snapshot_module._read_file

    def counted(path, *args, **kwargs):
        opened.append(path)
        return real_read(path, *args, **kwargs)

    for commit in (None, resolve_revision(repo, "HEAD~1")):
        files = SpecFiles(repo, repo_config(repo, commit), commit)
        assert "specs/REQ-1.yaml" in files.texts
        plain = _build(repo, commit, parse_cache=False)
        monkeypatch.setattr(snapshot_module, "_read_file", counted)
        opened.clear()
        reused = _build(repo, commit, parse_cache=False, texts=files.texts)
        monkeypatch.setattr(snapshot_module, "_read_file", real_read)
        assert not set(opened) & set(files.texts), "a file the scope read was read again"
        assert reused.snapshot == plain.snapshot and reused.snapshot.files == plain.snapshot.files
        assert sorted(reused.graph.nodes.items()) == sorted(plain.graph.nodes.items())
        assert sorted(reused.graph.edges(), key=lambda link: link[:3]) == sorted(plain.graph.edges(), key=lambda link: link[:3])
