"""The composite GitHub Action (action.yml), its shell steps run as GitHub runs them:
`bash --noprofile --norc -eo pipefail`, with the environment variables and files a
runner provides (GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT,
GITHUB_PATH), the inputs and `github.action_path` put where the expressions stand."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, requirement_yaml
from pack_kit import build_repo

# slow: the action's install step makes a venv and pip-installs this checkout (~20 s, once per run)
pytestmark = pytest.mark.slow

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


@dataclass
class StepRun:
    exit_code: int
    log: str  # stdout and stderr, as the job's log shows them
    summary: str
    outputs: dict[str, str]  # the check step's, which the action's outputs name
    steps: dict[str, dict[str, str]]  # every step's outputs, by step id


def _expand(value: str, inputs: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "github.action_path":
            return str(ROOT)
        if name.startswith("inputs."):
            return inputs[name.removeprefix("inputs.")]
        raise AssertionError(f"the test does not know the expression {name!r}")

    return EXPRESSION.sub(one, value)


def _holds(condition: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> bool:
    """A step's `if:`, in the forms the action uses: `A == 'x'` or `A != 'x'`, joined by &&."""
    def value(name: str) -> str:
        if name.startswith("inputs."):
            return inputs[name.removeprefix("inputs.")]
        step, _, output = name.removeprefix("steps.").partition(".outputs.")
        return outputs.get(step, {}).get(output, "")

    for part in condition.split("&&"):
        match = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", part)
        assert match, f"the test does not know the condition {part!r}"
        name, operator, literal = match.groups()
        if (value(name) == literal) != (operator == "=="):
            return False
    return True


def run_action(workspace: Path, runner_temp: Path, **given: str) -> StepRun:
    """Run every step of the action in order, stopping at the first that fails, as GitHub does."""
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    inputs.update({name.replace("_", "-"): value for name, value in given.items()})
    files = {name: runner_temp / f"{name.lower()}-{os.getpid()}-{len(list(runner_temp.iterdir()))}" for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_PATH")}
    for path in files.values():
        path.write_text("")
    path_entries: list[str] = []
    log = []
    code = 0
    step_outputs: dict[str, dict[str, str]] = {}  # by step id; each step writes its own GITHUB_OUTPUT, as on GitHub
    for step in ACTION["runs"]["steps"]:
        if "if" in step and not _holds(step["if"], inputs, step_outputs):
            continue
        if "uses" in step:  # another action (actions/cache): GitHub runs it, not this test
            continue
        assert step["shell"] == "bash"
        files["GITHUB_OUTPUT"].write_text("")
        if step["name"] == "Install reqtrace" and (runner_temp / "reqtrace-venv").exists():
            path_entries = [str(runner_temp / "reqtrace-venv" / "bin")]  # installed by an earlier run of this worker
            continue
        env = {
            **os.environ,
            "PATH": os.pathsep.join([*path_entries, os.environ["PATH"]]),
            "CI": "true", "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp),
            **{name: str(path) for name, path in files.items()},
            **{name: _expand(str(value), inputs) for name, value in step.get("env", {}).items()},
        }
        script = runner_temp / "step.sh"
        script.write_text(step["run"])
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace, env=env, capture_output=True, text=True)
        log.append(proc.stdout + proc.stderr)
        path_entries = [line for line in files["GITHUB_PATH"].read_text().splitlines() if line][::-1] + path_entries
        step_outputs[step.get("id", "")] = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines() if "=" in line)
        code = proc.returncode
        if code:
            break
    return StepRun(code, "".join(log), files["GITHUB_STEP_SUMMARY"].read_text(), step_outputs.get("check", {}), step_outputs)


@pytest.fixture(scope="session")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # RUNNER_TEMP outlives the tests of a worker: reqtrace is installed into it once (~20 s).
    return tmp_path_factory.mktemp("runner-temp")


def test_the_action_is_a_composite_of_shell_steps_and_the_cache() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"path", "strict", "fail-on", "cache"}
    assert [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step] == ["actions/cache@v4"]
    for step in ACTION["runs"]["steps"]:
        # Inputs reach the scripts only through env: an expression inside `run:` would be
        # pasted into the script as code (script injection).
        assert "${{" not in step.get("run", ""), step["name"]


def test_the_cache_the_action_keeps_is_the_one_reqtrace_writes(make_repo, runner_temp: Path) -> None:
    """actions/cache saves the folder the cache-dir step names: it must be where reqtrace keeps
    its cache for the spec repo (in a subfolder too), and hold it after the check; saved under
    the commit, restored from the newest of any commit."""
    repo = make_repo({"spec/reqtrace.yaml": "project: P\n", "spec/specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    run = run_action(repo.root, runner_temp, path="spec")
    assert run.exit_code == 0, run.log
    kept = Path(run.steps["cache-dir"]["dir"])
    assert kept == (repo.root / ".git" / "reqtrace").resolve()
    assert any(kept.iterdir())  # what the check kept, and actions/cache will save
    cache_step = next(step for step in ACTION["runs"]["steps"] if "uses" in step)
    assert cache_step["with"]["path"] == "${{ steps.cache-dir.outputs.dir }}"
    assert cache_step["with"]["key"].endswith("${{ github.sha }}")
    assert cache_step["with"]["key"].startswith(cache_step["with"]["restore-keys"])
    assert "cache-dir" not in run_action(repo.root, runner_temp, path="spec", cache="false").steps


def test_a_clean_spec_repo_passes_with_a_summary(make_repo, runner_temp: Path) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    run = run_action(repo.root, runner_temp)
    assert run.exit_code == 0, run.log
    assert "::error" not in run.log
    assert run.summary.startswith("### reqtrace check: ✓ no problems")
    assert run.outputs == {"exit-code": "0"}
    assert (runner_temp / "reqtrace-venv" / "bin" / "reqtrace").exists()  # installed from this checkout


def test_findings_become_annotations_and_the_summary_names_the_limit(make_repo, runner_temp: Path) -> None:
    # 12 errors and 1 warning: GitHub shows 10 error annotations; the summary says so and lists all.
    files = {f"spec/specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", parents=[f"REQ-{n + 100}"]) for n in range(1, 13)}
    files["spec/specs/REQ-13.yaml"] = requirement_yaml("REQ-13") + "acceptence: [typo]\n"
    repo = make_repo({"spec/reqtrace.yaml": "project: P\n", **files})
    run = run_action(repo.root, runner_temp, path="spec")
    assert run.exit_code == 1
    errors = [line for line in run.log.splitlines() if line.startswith("::error ")]
    assert len(errors) == 12
    assert "::error file=spec/specs/REQ-1.yaml,line=4,title=dangling-ref::" in run.log
    assert any(line.startswith("::warning file=spec/specs/REQ-13.yaml") for line in run.log.splitlines())
    assert "### reqtrace check: ✗ 12 error(s), 1 warning(s)" in run.summary
    assert run.summary.count("| error | `dangling-ref` |") == 12
    assert "at most 10 error and 10 warning annotations per step" in run.summary
    assert run.outputs["exit-code"] == "1"


def test_strict_makes_warnings_fail(make_repo, runner_temp: Path) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1") + "acceptence: [typo]\n"})
    assert run_action(repo.root, runner_temp).exit_code == 0
    strict = run_action(repo.root, runner_temp, strict="true")
    assert strict.exit_code == 1 and "::error file=specs/REQ-1.yaml" in strict.log


def test_fail_on_unapproved_gates_changes_since_the_accepted_baseline(make_repo, tmp_path: Path, runner_temp: Path) -> None:
    built = build_repo(make_repo, tmp_path)  # baseline v1 accepted; then REQ-2 approved, REQ-3 and REQ-4 not
    without = run_action(built.repo.root, runner_temp)
    assert without.exit_code == 0, without.log
    assert "diff-exit-code" not in without.outputs
    run = run_action(built.repo.root, runner_temp, fail_on="unapproved")
    assert run.exit_code == 1, run.log
    assert run.outputs == {"exit-code": "0", "diff-exit-code": "1"}
    assert "REQ-3" in run.summary and "REQ-4" in run.summary and "unapproved" in run.summary.lower()


def test_a_shallow_checkout_explains_itself_in_the_summary(make_repo, tmp_path: Path, runner_temp: Path) -> None:
    built = build_repo(make_repo, tmp_path)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{built.repo.root}", str(shallow)], check=True)
    run = run_action(shallow, runner_temp, fail_on="unapproved")
    assert run.exit_code == 3, run.log
    assert "could not run (exit 3)" in run.summary and "fetch-depth" in run.summary
