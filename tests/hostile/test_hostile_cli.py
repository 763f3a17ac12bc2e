"""Hostile command lines against the demo repo: revisions that are options or nonsense,
unknown options and empty strings, and `-o` targets a command must not write through."""

from __future__ import annotations

import os
import stat

import pytest

from .kit import ANY, Case, ids, judge, rng, run, run_process

pytestmark = pytest.mark.hostile

# --- revisions -------------------------------------------------------------------------

# (name, value, is a revision reqtrace may accept). `{outside}` is the folder no command may write.
REVISIONS = (
    ("dash", "-", False),
    ("double-dash", "--", False),
    ("opt-output-outside", "--output={outside}/pwned", False),
    ("opt-output-relative", "--output=pwned-relative", False),
    ("opt-all", "--all", False),
    ("opt-n1", "-n1", False),
    ("opt-help", "-h", False),
    ("opt-exec", "--exec=touch pwned-exec", False),
    ("opt-upload-pack", "--upload-pack=touch pwned-upload", False),
    ("opt-git-dir", "--git-dir={outside}", False),
    ("nonexistent", "no-such-revision", False),
    ("empty", "", False),
    ("space", " ", False),
    ("too-far-back", "HEAD~9999", False),
    ("tree", "HEAD^{tree}", False),
    ("blob", "HEAD:reqtrace.yaml", False),
    ("range", "HEAD~1..HEAD", False),
    ("symmetric-range", "HEAD...HEAD", False),
    ("previous-branch", "@{-1}", False),
    ("esc-sequences", "\x1b[2J\x1b]0;pwned\x07", False),
    ("non-utf8-argv", "\udcff\udcfe-rev", False),
    ("5000-chars", "a" * 5000, False),
    ("newline", "HEAD\nmain", False),
    ("shell-subst", "$(touch pwned-shell)", False),
    ("backticks", "`touch pwned-tick`", False),
    ("semicolon", "HEAD;touch pwned-semi", False),
    ("dotdot-ref", "refs/../../outside", False),
    ("blob-of-tag", "contract-v1.0^{blob}", False),
    ("WORKTREE", "WORKTREE", True),
    ("worktree-lowercase", "worktree", True),
    ("WORKTREE-parent", "WORKTREE~1", False),
    ("baseline-name", "contract-v1.0", True),
    ("baseline-tag", "baseline/contract-v1.0", True),
    ("commit-message-search", ":/RQ-23", True),
    ("reflog", "HEAD@{0}", True),
)

# Each command with a place for a revision; `{out}` is the named output folder.
REV_COMMANDS = (
    ("check", ["check", "--rev", "{rev}"]),
    ("list", ["list", "--rev", "{rev}", "--format", "json"]),
    ("status", ["status", "--rev", "{rev}"]),
    ("trace", ["trace", "REQ-4", "--rev", "{rev}"]),
    ("impact", ["impact", "REQ-4", "--rev", "{rev}"]),
    ("show", ["show", "REQ-4", "--rev", "{rev}"]),
    ("baseline-verify", ["baseline", "verify", "--rev", "{rev}"]),
    ("baseline-list", ["baseline", "list", "--rev", "{rev}"]),
    ("diff-from", ["diff", "{rev}"]),
    ("diff-to", ["diff", "contract-v1.0", "{rev}"]),
    ("log", ["log", "REQ-4", "--rev", "{rev}"]),
    ("triage-baseline", ["triage", "--all", "--baseline", "{rev}"]),
    ("graph", ["graph", "--rev", "{rev}", "-o", "{out}/graph.json", "--format", "json"]),
    ("pack-build-to", ["pack", "build", "contract-v1.0", "-o", "{out}/pack.zip", "--to", "{rev}"]),
)
COMMANDS_PER_REVISION = 3
# Every command meets the revisions that would write a file if passed to git as options.
EVERY_COMMAND = {"opt-output-outside", "opt-output-relative", "dash", "nonexistent"}


def revision_cases() -> list[Case]:
    random = rng("revision")
    cases = []
    for name, value, acceptable in REVISIONS:
        commands = REV_COMMANDS if name in EVERY_COMMAND else random.sample(REV_COMMANDS, COMMANDS_PER_REVISION)
        for command, argv in commands:
            # A baseline as the --to of a pack that starts at contract-v1.0, or as both ends of a diff: fine.
            cases.append(Case("revision", f"{command}:{name}", (argv, value), ANY, not acceptable))
    return cases


def _expand(argv: list[str], ws, rev: str) -> list[str]:  # type: ignore[no-untyped-def]
    # Plain replacement, not str.format: revisions hold braces of their own (`HEAD^{tree}`).
    places = {"{rev}": rev, "{outside}": str(ws.outside), "{out}": str(ws.out)}
    expanded = []
    for part in argv:
        for place, value in places.items():
            part = part.replace(place, value) if place != "{rev}" or part == "{rev}" else part
        expanded.append(part)
    return expanded


REVISION_CASES = revision_cases()


@pytest.mark.parametrize("case", REVISION_CASES, ids=ids(REVISION_CASES))
def test_hostile_revision(demo_ws, case: Case) -> None:
    argv, value = case.payload  # type: ignore[misc]
    args = _expand(argv, demo_ws, rev=value)
    outputs = tuple(demo_ws.out / name for name in ("graph.json", "pack.zip"))
    sentinel = demo_ws.sentinel(outputs=outputs)
    try:
        judge(case, run(args, demo_ws.repo), sentinel)
    finally:
        for path in outputs:
            path.unlink(missing_ok=True)
        if sentinel.changes():
            demo_ws.reset()


# --- unknown options, empty strings, odd ids and roots --------------------------------------

BASE_COMMANDS = (
    ["check"], ["list"], ["show", "REQ-4"], ["trace", "REQ-4"], ["impact", "REQ-4"], ["log", "REQ-4"], ["status"],
    ["graph"], ["diff", "contract-v1.0"], ["triage", "RQ-11"], ["baseline", "verify"], ["baseline", "list"],
    ["baseline", "show", "contract-v1.0"], ["schema", "requirement"],
)
ID_COMMANDS = (["show"], ["trace"], ["impact"], ["log"], ["baseline", "show"], ["triage"], ["schema"])
HOSTILE_IDS = (
    ("empty", ""), ("dash", "-"), ("double-dash", "--"), ("unknown", "REQ-999"), ("esc", "\x1b[2J\x1b]0;pwned\x07"),
    ("path-traversal", "../../outside/secret"), ("10000-chars", "R" * 10_000), ("non-utf8", "\udcff\udcfe"),
    ("glob", "REQ-*"), ("regex", "REQ-(1|2)"), ("option-like", "--format=json"), ("markup", "[bold]REQ-4[/]"),
)
HOSTILE_ROOTS = (
    ("empty", ""), ("nonexistent", "{outside}/missing"), ("outside-folder", "{outside}"), ("a-file", "{outside}/notes.txt"),
    ("dash", "-"), ("dev-null", "/dev/null"),
)
HOSTILE_OPTIONS = (
    ("unknown-option", ["--no-such-option"], True),
    ("unknown-short", ["-Z"], True),
    ("empty-format", ["--format", ""], True),
    ("format-xml", ["--format", "xml"], True),
    ("stray-argument", ["stray", "arguments"], True),
    ("empty-argument", [""], True),
    ("debug-late", ["--debug"], True),  # --debug belongs before the command
    ("help", ["--help"], False),
)


def cli_cases() -> list[Case]:
    random = rng("cli")
    cases = []
    for base in BASE_COMMANDS:
        for name, extra, must in HOSTILE_OPTIONS:
            # `--format` is not everyone's option, but a wrong one is refused either way.
            cases.append(Case("cli", f"{'-'.join(base[:2])}:{name}", [*base, *extra], ANY, must))
    for command in ID_COMMANDS:
        for name, value in HOSTILE_IDS:
            cases.append(Case("cli-id", f"{'-'.join(command)}:{name}", [*command, value], ANY, True))
    for base in random.sample(BASE_COMMANDS[:-1], 6):
        for name, value in HOSTILE_ROOTS:
            # An empty --root is the current folder to a lenient reader: any answer but a crash.
            cases.append(Case("cli-root", f"{'-'.join(base[:2])}:{name}", [*base, "--root", value], ANY, name != "empty"))
    return cases


CLI_CASES = cli_cases()


@pytest.mark.parametrize("case", CLI_CASES, ids=ids(CLI_CASES))
def test_hostile_command_line(demo_ws, case: Case) -> None:
    args = [part.replace("{outside}", str(demo_ws.outside)) for part in case.payload]  # type: ignore[attr-defined]
    sentinel = demo_ws.sentinel()
    judge(case, run(args, demo_ws.repo), sentinel)


# --- -o targets --------------------------------------------------------------------------

# (name, how to make the target inside out/, may a command write there)
TARGETS = ("folder", "symlink-to-outside-file", "symlink-to-outside-new", "dangling-symlink", "missing-parent", "device", "fifo", "empty-path", "absent-file")
OUTPUT_COMMANDS = (
    ("graph-o", ["graph", "--format", "json", "-o", "{target}"]),
    ("pack-build-o", ["pack", "build", "contract-v1.0", "-o", "{target}"]),
    ("pack-build-html-dir", ["pack", "build", "contract-v1.0", "-o", "{out}/ok.zip", "--html-dir", "{target}"]),
)


def _make_target(ws, name: str, command: str):  # type: ignore[no-untyped-def]
    """The path to pass, and the outputs the command may create (none but for a good target)."""
    target = ws.out / f"{command}-{name}"
    if name == "folder":
        target.mkdir()
        (target / "inside.txt").write_text("keep\n")
    elif name == "symlink-to-outside-file":
        target.symlink_to(ws.outside / "notes.txt")
    elif name == "symlink-to-outside-new":
        target.symlink_to(ws.outside / f"{command}-new")
    elif name == "dangling-symlink":
        target.symlink_to(ws.out / "nowhere" / "x")
    elif name == "missing-parent":
        target = ws.out / f"{command}-missing" / "deeper" / "x"
    elif name == "device":
        os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
    elif name == "fifo":
        os.mkfifo(target)
    elif name == "empty-path":
        return "", ()
    return str(target), ()


# What --html-dir may be given: a folder (its purpose), or one to create.
HTML_DIR_OK = {"absent-file", "folder", "missing-parent"}
OUTPUT_CASES = [
    Case("output", f"{command}:{name}", (command, argv, name), ANY, name not in (HTML_DIR_OK if command == "pack-build-html-dir" else {"absent-file"}))
    for command, argv in OUTPUT_COMMANDS for name in TARGETS
]


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=ids(OUTPUT_CASES))
def test_hostile_output_target(demo_ws, case: Case) -> None:
    command, argv, name = case.payload  # type: ignore[misc]
    if name == "device" and os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    target, _ = _make_target(demo_ws, name, command)
    allowed = [demo_ws.out / "ok.zip"]
    if name == "absent-file":
        allowed.append(demo_ws.out / f"{command}-absent-file")
    if command == "pack-build-html-dir" and name in HTML_DIR_OK:
        allowed.append(demo_ws.out / f"{command}-missing")  # an --html-dir folder may be created, with its parents
        allowed.append(demo_ws.out / f"{command}-{name}")
    sentinel = demo_ws.sentinel(outputs=tuple(allowed))
    args = [part.format(target=target, out=demo_ws.out) for part in argv]
    # A FIFO blocks whoever opens it for writing: only a separate process can be given up on.
    outcome = run_process(args, demo_ws.repo, timeout=20) if name == "fifo" else run(args, demo_ws.repo)
    judge(case, outcome, sentinel)
