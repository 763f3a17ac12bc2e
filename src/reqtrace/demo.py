"""`reqtrace demo`: replay the worked example into a git repository with its real dates.

The example (examples/clinic/) holds the final state of a spec repo plus
`story.yaml`: the steps that made it, each a commit with the story's date and
author. A step may ingest the emails that arrived with it (before its commit)
and run reqtrace commands after it (create and sign a baseline), as of its date.
"""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from reqtrace.errors import InputError, ReqtraceError, ToolMissing
from reqtrace.io import gitio
from reqtrace.io.files import atomic_write, inside
from reqtrace.io.gitattributes import write_gitattributes
from reqtrace.io.yamlio import YamlProblem, decode_text, load_yaml

EXAMPLE = "clinic"
DEMO_KEYS = ".git/reqtrace-demo-keys"  # private keys stay inside .git: never committed


@dataclass(frozen=True)
class Step:
    date: dt.datetime
    author_name: str
    author_email: str
    message: str
    files: tuple[tuple[str, str], ...]  # repo path, source path in the example
    remove: tuple[str, ...] = ()
    ingest: tuple[str, ...] = ()  # emails (paths in the example) ingested before the commit
    run: tuple[tuple[str, ...], ...] = ()


@dataclass
class DemoResult:
    target: Path
    commits: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    commands: list[str] = field(default_factory=list)


def example_folder() -> Path:
    """The example shipped in the wheel, or the one in a source checkout."""
    packaged = resources.files("reqtrace").joinpath("_example", EXAMPLE)
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(__file__).resolve().parents[2] / "examples" / EXAMPLE
    if source.is_dir():
        return source
    raise InputError("the worked example is missing from this installation", hint="reinstall reqtrace")


def _author(text: str) -> tuple[str, str]:
    name, _, rest = text.partition("<")
    return name.strip(), rest.rstrip(">").strip()


def load_story(example: Path) -> list[Step]:
    path = example / "story.yaml"
    try:
        data = load_yaml(decode_text(path.read_bytes()))
    except (OSError, YamlProblem) as exc:
        raise InputError(f"cannot read the demo story {path}: {exc}") from None
    steps = []
    for index, raw in enumerate(data.get("steps", []), start=1):
        try:
            when = raw["date"]
            date = when if isinstance(when, dt.datetime) else dt.datetime.fromisoformat(str(when))
            name, email = _author(str(raw["author"]))
            steps.append(
                Step(
                    date=date,
                    author_name=name,
                    author_email=email,
                    message=str(raw["message"]),
                    files=tuple((str(k), str(v)) for k, v in (raw.get("files") or {}).items()),
                    remove=tuple(str(p) for p in raw.get("remove") or ()),
                    ingest=tuple(str(p) for p in raw.get("ingest") or ()),
                    run=tuple(tuple(str(a) for a in argv) for argv in raw.get("run") or ()),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"demo story step {index} is malformed: {exc}") from None
    return steps


def _git_env(step: Step) -> dict[str, str]:
    stamp = step.date.isoformat()
    return {
        "GIT_AUTHOR_NAME": step.author_name,
        "GIT_AUTHOR_EMAIL": step.author_email,
        "GIT_COMMITTER_NAME": step.author_name,
        "GIT_COMMITTER_EMAIL": step.author_email,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
        "SOURCE_DATE_EPOCH": str(int(step.date.timestamp())),
    }


def _make_demo_key(target: Path, email: str) -> Path:
    keys = target / DEMO_KEYS
    keys.mkdir(parents=True, exist_ok=True)
    key = keys / "vendor"
    if shutil.which("ssh-keygen") is None:
        raise ToolMissing("ssh-keygen is not installed; the demo signs its baselines with an SSH key", hint="install OpenSSH (Debian: apt-get install openssh-client)")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", email, "-f", str(key)], check=True, capture_output=True)
    public = (keys / "vendor.pub").read_text().split()
    atomic_write(target / ".reqtrace" / "allowed_signers", f'{email} namespaces="reqtrace" {public[0]} {public[1]}\n')
    return key


def materialise(target: Path, *, example: Path | None = None, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Build the demo repository in `target`, which must not exist or be empty."""
    example = example or example_folder()
    target = Path(target).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target} exists and is not empty; the demo needs a new folder", hint="name another folder: `reqtrace demo DIR`")
    steps = load_story(example)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot make the demo folder {target}: {exc.strerror or exc}", hint="name a folder in a place you may write to: `reqtrace demo DIR`") from None
    result = DemoResult(target)
    try:
        gitio.init_repository(target, branch="main")
        vendor_email = steps[0].author_email if steps else "vendor@example.invalid"
        keys = _make_demo_key(target, vendor_email).parent
        write_gitattributes(target)  # committed with the first step
        for step in steps:
            env = _git_env(step)
            for repo_path, source in step.files:
                data = (example / source).read_bytes()
                atomic_write(inside(target, repo_path), data)
            for repo_path in step.remove:
                inside(target, repo_path).unlink(missing_ok=True)
            if step.ingest:
                # Before the commit: a request citing an email lands in one commit with it.
                if progress:
                    progress(f"{step.date.date()}  reqtrace ingest {' '.join(step.ingest)}")
                _run_reqtrace(target, ["ingest", *(str(example / path) for path in step.ingest)], env)
            if gitio.commit_everything(target, step.message, env):
                result.commits += 1
            for argv in step.run:
                args = [a.replace("{example}", str(example)).replace("{keys}", str(keys)) for a in argv]
                if progress:  # as it ran, quoted: a line that can be copied and run again
                    progress(f"{step.date.date()}  reqtrace {shlex.join(args)}")
                _run_reqtrace(target, args, env)
                if gitio.commit_everything(target, f"reqtrace {' '.join(argv[:3])}", env):
                    result.commits += 1
            result.first = result.first or step.date
            result.last = step.date
    except ReqtraceError:
        raise
    except (OSError, subprocess.CalledProcessError) as exc:
        raise InputError(f"building the demo in {target} failed: {exc}") from None
    return result


def _run_reqtrace(target: Path, args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reqtrace", *args],
        cwd=target,
        capture_output=True,
        text=True,
        env={**gitio.git_env(env), "NO_COLOR": "1"},
    )
    if proc.returncode != 0:
        raise InputError(f"demo step `reqtrace {' '.join(args)}` failed (exit {proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")


def suggested_commands() -> list[tuple[str, str]]:
    """What to run next, as (command, why); the CLI shows those that exist. The same
    list, in the same order, as the README's "The demo, step by step" (a test keeps them equal)."""
    return [
        ("reqtrace check", "sound? (exit 0)"),
        ("reqtrace baseline list", "who signed what, and is it intact"),
        ("reqtrace baseline verify contract-v1.0", "every frozen file as signed? every signature valid?"),
        ("reqtrace diff contract-v1.0", "6 changes since the contract: 3 approved (RQ-7, RQ-8, RQ-9), 3 nobody approved"),
        ("reqtrace log REQ-14", "one requirement's life, commit by commit"),
        ("reqtrace trace REQ-3", "the email that asked, the meeting that agreed, the baselines that hold it"),
        ("reqtrace status", "the PM's one screen: since the customer first signed, 6 changes, 3 not approved — and delivery-v1.0 accepted them"),
        ("reqtrace status --chart status.html", "the same story as a picture: changes and requests per month, baselines marked"),
        ("reqtrace triage --all", "the post-delivery asks: defect, change, new scope or not ours, with the signed text"),
        ("reqtrace triage RQ-13 --write", "keep the recommendation in the request file (comments and layout kept)"),
        ('reqtrace decide RQ-13 --as out-of-scope --status rejected --by "Li Wei" \\\n'
         '    --note "Printer driver on the customer\'s own PC; not part of the delivered system."', ""),
        ('git add records && git commit -m "RQ-13 triaged and decided"', "decide and triage --write do not commit"),
        ("reqtrace pack build delivery-v1.0 -o acceptance.zip", "the evidence pack"),
        ("reqtrace pack verify acceptance.zip", "anyone can check it, no git needed"),
    ]


