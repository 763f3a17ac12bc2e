"""Every command's text output, on the demo repo, at 80 and 120 columns.

A line may not be wider than the terminal, and wrapping may never cut an id
(REQ-…, RQ-…, MTG-…), a commit hash, an email address, a baseline name or a
file path in two. A new command is covered by adding one line to COMMANDS.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from rich.cells import cell_len

from conftest import ROOT, copy_demo, git
from hostile.kit import run as run_through_main
from reqtrace.cli import output

WIDTHS = (80, 120)
EXAMPLE = ROOT / "examples" / "clinic"

# (label, arguments, whether it writes into the repo: then it runs on a fresh copy).
# `{tmp}` is a scratch folder outside the repo, `{example}` the demo's source folder.
COMMANDS: list[tuple[str, tuple[str, ...], bool]] = [
    ("help", ("--help",), False),
    ("check", ("check", "--strict"), False),
    ("list", ("list",), False),
    ("list all", ("list", "--kind", "all"), False),
    ("show requirement", ("show", "REQ-3"), False),
    ("show request", ("show", "RQ-13"), False),
    ("show email", ("show", "MAIL-1fd14d9e4a"), False),
    ("diff contract", ("diff", "contract-v1.0"), False),
    ("diff", ("diff",), False),
    ("log", ("log", "REQ-14"), False),
    ("trace requirement", ("trace", "REQ-3"), False),
    ("trace request", ("trace", "RQ-6"), False),
    ("impact", ("impact", "REQ-1"), False),
    ("status", ("status",), False),
    ("triage all", ("triage", "--all"), False),
    ("triage one", ("triage", "RQ-13"), False),
    ("baseline list", ("baseline", "list"), False),
    ("baseline show", ("baseline", "show", "contract-v1.0"), False),
    ("baseline verify", ("baseline", "verify", "contract-v1.0"), False),
    ("baseline verify accepted", ("baseline", "verify", "delivery-v1.0"), False),
    ("triage write", ("triage", "RQ-13", "--write"), True),
    ("decide", ("decide", "RQ-13", "--as", "out-of-scope", "--status", "rejected", "--by", "Li Wei <li.wei@brightpath.example>",
                "--note", "Printer driver on the clinic's own PC; not part of the delivered system."), True),
    ("new requirement", ("new", "requirement", "--title", "Book an appointment online"), True),
    ("ingest", ("ingest", "{example}/inbox/08-director-wechat-pay.eml"), True),
    ("baseline create", ("baseline", "create", "review-v1.1", "-m", "Scope as reviewed in October"), True),
    ("baseline sign", ("baseline", "sign", "contract-v1.0", "--signer", "Li Wei <li.wei@brightpath.example>", "--meaning", "reviewed",
                       "--role", "vendor", "--key", ".git/reqtrace-demo-keys/vendor"), True),
    ("pack build", ("pack", "build", "delivery-v1.0", "-o", "{tmp}/acceptance.zip"), True),
    ("init", ("init", "{tmp}/fresh-project"), True),
]
# Commands whose output is a file format, not text for people: checked elsewhere.
NOT_TEXT = {"schema", "graph", "demo"}

ID = re.compile(r"\b(?:REQ|RQ|MTG|MAIL|DOC)-(?!ID\b)[\w-]+")  # RQ-ID is a placeholder in a hint
EMAIL_FRAGMENT = re.compile(r"[\w.+-]*@[\w.-]*")


@pytest.fixture(scope="module")
def demo(demo_build, tmp_path_factory):
    return copy_demo(demo_build, tmp_path_factory.mktemp("fit") / "demo")


@pytest.fixture(scope="module")
def known(demo):
    return known_tokens(demo)


def known_tokens(repo: Path) -> dict:
    """What must never be cut: ids, emails, baseline and tag names, paths, commit ids."""
    listed = run_through_main(["graph", "--format", "json"], repo)  # in-process: ~0.3 s less per call
    assert listed.code == 0, listed.describe()
    graph = json.loads(listed.stdout)
    tokens = {node["id"] for node in graph["nodes"]}
    tokens |= set(git(repo, "tag").split())
    tokens |= {tag.removeprefix("baseline/") for tag in git(repo, "tag").split()}
    tokens |= set(git(repo, "ls-files", "--others", "--cached").split("\n"))
    tokens |= set(git(repo, "log", "--all", "--format=%ae%n%ce").split("\n"))
    for path in repo.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            tokens |= set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", path.read_text("utf-8", "replace")))
    commits = git(repo, "rev-list", "--all").split()
    emails = {token for token in tokens if "@" in token}
    prefixes: dict[str, set[str]] = {}
    # Output shows commit ids shortened to any length from 7 characters.
    for token in tokens | {commit[:length] for commit in commits for length in range(7, 41)}:
        for cut in range(1, len(token)):
            prefixes.setdefault(token[:cut], set()).add(token[cut:])
    return {"tokens": tokens, "emails": emails, "prefixes": prefixes}


def cut_tokens(text: str, prefixes: dict[str, set[str]], width: int) -> list[str]:
    """Tokens that a line break cuts: a word ends with a token's head and a word of the
    next line, starting at or left of it (the next line of the same column), begins
    with the rest of it. A token wider than the terminal cannot but be cut."""
    lines = text.split("\n")
    found = []
    for upper, lower in zip(lines, lines[1:], strict=False):
        lower_words = [(m.start(), m.group()) for m in re.finditer(r"\S+", lower)]
        for word in re.finditer(r"\S+", upper):
            candidates = [w for start, w in lower_words if start <= word.start()]
            if not candidates:
                continue
            head_word = word.group()
            for cut in range(1, len(head_word) + 1):
                head = head_word[-cut:]
                if cut < len(head_word) and re.match(r"[\w@.+-]", head_word[-cut - 1]):
                    continue  # the head does not start at a word boundary
                for rest in prefixes.get(head, ()):
                    if cell_len(head + rest) > width:
                        continue
                    for following in candidates:
                        if following.startswith(rest) and _ends_there(following[len(rest):]):
                            found.append(f"{head}|{rest}")
    return found


def _ends_there(after: str) -> bool:
    """Whether a token can end where `after` begins ("REQ-2" ends before ", " or ". " but not before "0" or ".5")."""
    return not after or re.match(r"[^\w@.\-/]|\.(?!\w)", after) is not None


def problems(text: str, width: int, known: dict) -> list[str]:
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        if cell_len(line) > width:
            found.append(f"line {number} is {cell_len(line)} columns wide: {line!r}")
        for fragment in EMAIL_FRAGMENT.findall(line):
            if fragment != "@" and fragment.strip(".") not in known["emails"]:
                found.append(f"line {number} shows a cut email {fragment!r}: {line!r}")
        for fragment in ID.findall(line):
            if fragment not in known["tokens"]:
                found.append(f"line {number} shows an unknown or cut id {fragment!r}: {line!r}")
    found += [f"cut across two lines: {cut!r}" for cut in cut_tokens(text, known["prefixes"], width)]
    return found


@pytest.fixture
def short_tmp():
    """A scratch folder with a short path, like a user's: pytest's own are 60+ characters,
    and a command that prints a path it wrote would fail the width for the test's sake."""
    folder = Path(tempfile.mkdtemp(prefix="fit"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run_at(width: int, args: tuple[str, ...], cwd: Path, tmp: Path, *, in_process: bool = False) -> subprocess.CompletedProcess:
    """`reqtrace ARGS` at `width` columns: a real process, or (for the commands that only read)
    through `reqtrace.cli.main` in this process, which test_in_process_output_is_the_real_one
    shows gives the same text at both widths."""
    argv = [arg.format(tmp=tmp, example=EXAMPLE) for arg in args]
    if in_process:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("COLUMNS", str(width))
            outcome = run_through_main(argv, cwd)
        assert outcome.escaped is None, outcome.describe()
        return subprocess.CompletedProcess(argv, outcome.code, outcome.stdout, outcome.stderr)
    return subprocess.run([sys.executable, "-m", "reqtrace", *argv], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": str(width)})


@pytest.fixture(scope="module")
def pack_builds(demo):
    """`pack build` as a real process at each width, once per module (~3 s of CPU a build): its
    text is checked by test_output_fits_the_terminal, its pack verified by test_pack_verify_fits.
    It writes the pack outside the repo and nothing in it, so it runs on the shared demo."""
    args = next(args for label, args, _ in COMMANDS if label == "pack build")
    built = {}
    for width in WIDTHS:
        folder = Path(tempfile.mkdtemp(prefix="fit"))  # as short as `short_tmp`'s: the output names the pack
        built[width] = (run_at(width, args, demo, folder), folder / "acceptance.zip")
    assert git(demo, "status", "--porcelain") == ""
    yield built
    for _result, pack in built.values():
        shutil.rmtree(pack.parent, ignore_errors=True)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("label", "args", "writes"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_output_fits_the_terminal(request, demo, known, short_tmp, label, args, writes, width):
    cwd = demo
    if label == "pack build":
        result, _pack = request.getfixturevalue("pack_builds")[width]
        assert result.returncode == 0, result.stderr
        found = problems(result.stdout + result.stderr, width, known)
        assert not found, f"reqtrace {' '.join(args)} at {width} columns:\n" + "\n".join(found[:15])
        return
    if writes:
        cwd = short_tmp / "repo"
        shutil.copytree(demo, cwd, symlinks=True)
    # The commands that write run as real processes; those that only read, in-process (all
    # but --help, whose usage line names the program as started: `python -m reqtrace`).
    result = run_at(width, args, cwd, short_tmp, in_process=not writes and label != "help")
    assert result.returncode in (0, 1), result.stderr
    output = result.stdout + result.stderr
    assert output.strip(), f"{label} printed nothing"
    found = problems(output, width, known_tokens(cwd) if writes else known)
    assert not found, f"reqtrace {' '.join(args)} at {width} columns:\n" + "\n".join(found[:15])


def test_pack_verify_fits(demo, known, short_tmp, pack_builds):
    """`pack verify` needs a pack: the one `pack build` made at 80 columns, verified at each width."""
    _result, pack = pack_builds[WIDTHS[0]]
    for width in WIDTHS:
        result = run_at(width, ("pack", "verify", str(pack)), demo, short_tmp, in_process=True)
        assert result.returncode == 0, result.stdout + result.stderr
        found = problems(result.stdout + result.stderr, width, known)
        assert not found, f"pack verify at {width} columns:\n" + "\n".join(found[:15])


@pytest.mark.parametrize("width", WIDTHS)
def test_in_process_output_is_the_real_one(demo, short_tmp, width):
    """The read-only commands above run in-process: there, as in a real process, the width
    comes from COLUMNS, and the text is the same, byte for byte."""
    for args in (("status",), ("trace", "REQ-3"), ("baseline", "show", "contract-v1.0")):
        real = run_at(width, args, demo, short_tmp)
        inside = run_at(width, args, demo, short_tmp, in_process=True)
        assert (inside.returncode, inside.stdout, inside.stderr) == (real.returncode, real.stdout, real.stderr), args


def test_the_checker_catches_what_it_is_for(known):
    """The checks above must be able to fail: a cut email, a cut id, a cut commit, a long line."""
    email = next(iter(sorted(known["emails"])))
    cut = len(email) // 2
    assert problems(f"signed by <{email[:cut]}\n  {email[cut:]}>", 80, known)
    assert problems("held by MTG-2026-\n        01-12", 80, known)
    assert problems("  REQ-1\n  2 is the one", 80, known)
    assert problems("x" * 81, 80, known)
    assert problems("宽" * 41, 80, known)
    assert not problems(f"signed by <{email}>\nREQ-1 and REQ-12", 80, known)


def _graph(demo: Path, *args: str, in_process: bool = True) -> tuple[dict, str]:
    result = run_at(80, ("graph", "--format", "json", *args), demo, demo, in_process=in_process)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), " ".join(result.stderr.split())


def test_a_focused_graph_is_readable_and_says_what_it_left_out(demo):
    # One real process (graph's JSON on stdout, the note on stderr); the rest in-process.
    whole, _ = _graph(demo, in_process=False)
    focused, note = _graph(demo, "--focus", "REQ-3")
    # One link by default: REQ-3, what it came from, who named it, the baselines holding it.
    kept = {node["id"] for node in focused["nodes"]}
    assert {"REQ-3", "REQ-1", "REQ-9", "RQ-6", "RQ-12", "MTG-2026-01-12", "baseline/contract-v1.0"} <= kept
    assert len(kept) == 15 and len(whole["nodes"]) == 67, sorted(kept)
    assert note == "graph: 15 of 67 items, 37 links: REQ-3 and what is within 1 link of it; left out: 26 more at 2 links (--depth 2)"
    for line in note.split(";"):
        assert cell_len(line) <= 80

    # Two links deep, a baseline is not walked through: it would bring every requirement it holds.
    deeper, note = _graph(demo, "--focus", "REQ-3", "--depth", "2")
    through, _ = _graph(demo, "--focus", "REQ-3", "--depth", "2", "--through-baselines")
    behind = {n["id"] for n in through["nodes"]} - {n["id"] for n in deeper["nodes"]}
    assert behind and all(node.startswith(("REQ-", "DOC-")) for node in behind), behind  # held, or sign-off evidence
    assert f"{len(behind)} more through baselines (--through-baselines)" in note
    assert len(through["nodes"]) == 52  # what `--focus REQ-3` showed by default before


def _said(markup: str, width: int, hang: int = 4) -> list[str]:
    stream = io.StringIO()
    console = output._console_class()(file=stream, width=width, highlight=False, no_color=True)
    output.say(console, markup, hang=hang)
    return stream.getvalue().splitlines()


def test_say_wraps_at_spaces_keeps_commands_and_cjk_readable(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    lines = _said("  ✗ gone: retire it with `git tag -d baseline/delivery-v1.0` on purpose", 40)
    assert any(line.strip() == "`git tag -d baseline/delivery-v1.0`" for line in lines), lines
    assert all(cell_len(line) <= 40 for line in lines) and lines[-1] == "      on purpose"
    lines = _said("决定：预约天数改为 30 天（RQ-12）和周六只上半天（RQ-17）属于变更，李伟在 8 月 31 日前报价。", 30)
    assert all(cell_len(line) <= 30 for line in lines) and "RQ-12" in "".join(lines) and "RQ-17" in "".join(lines)
    assert not any(line.lstrip().startswith(("，", "）")) for line in lines)
    # What follows a newline is to be copied: whole, however wide.
    assert _said("add the line:\n  li.wei@brightpath.example namespaces=\"reqtrace\" ssh-ed25519 AAAAC3Nza", 30)[1].endswith("AAAAC3Nza")


def test_say_leaves_a_piped_line_whole_when_no_width_is_given(monkeypatch):
    monkeypatch.delenv("COLUMNS")
    assert _said("word " * 30, 40) == ["word " * 30]


SAID_LINES = [
    "[bold]specs/REQ-1.yaml[/]",
    "     3  [yellow]warning[/] [cyan]unapproved-change[/]  REQ-1 changed since release-3.0 [dim](REQ-1)[/]",
    output.esc("[draft] a title that looks like markup [/] and \\[ escapes \\"),
    "control \x1b[31mred\x1b[0m bell \x07 overrides \u202eevil\u202c and C1 \x9b done",
    "决定：预约天数改为 30 天（RQ-12）  :smile: :thumbs_up: stays or not, as rich says",
    "trailing spaces   ",
    "",
    "a line with a quoted part:\n  li.wei@example namespaces=\"reqtrace\" ssh-ed25519 AAAA   ",
    "word " * 40,
]


def test_a_piped_say_all_writes_what_rich_writes(monkeypatch):
    """Piped with no width (soft wrap, no colours), say_all writes the lines' plain text
    itself: byte for byte what rich's print of them writes; a tab is left to rich."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)

    def console_on(stream, printing=True):
        console = output._console_class()(file=stream, highlight=False, no_color=False)
        console.soft_wrap = True
        if not printing:
            def refused(*_args, **_kwargs):
                raise AssertionError("rich printed")
            console.print = refused
        return console

    from rich.text import Text

    for lines in ([line] for line in SAID_LINES):
        expected = io.StringIO()
        console = console_on(expected)
        shown = [part for markup in lines for part in console.render_str(markup).split("\n", allow_blank=True)]
        console.print(Text("\n").join(shown), soft_wrap=True)
        fast = io.StringIO()
        output.say_all(console_on(fast, printing=False), lines)
        assert fast.getvalue() == expected.getvalue(), lines
    written = io.StringIO()
    output.say_all(console_on(written, printing=False), SAID_LINES, hang=7)
    expected = io.StringIO()
    console = console_on(expected)
    console.print(Text("\n").join([part for markup in SAID_LINES for part in console.render_str(markup).split("\n", allow_blank=True)]), soft_wrap=True)
    assert written.getvalue() == expected.getvalue()
    tabbed = io.StringIO()
    output.say_all(console_on(tabbed), ["a\ttab"])
    assert tabbed.getvalue() == "a       tab\n"
