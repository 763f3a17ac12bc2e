"""The built wheel installs under its PyPI name and gives the `reqtrace` command.

`reqtrace` on PyPI is somebody else's project, so the distribution is
`reqtrace-cli`; the command and the import package stay `reqtrace`. This builds
the wheel from the source tree (offline, with the hatchling of the test extras)
and installs it into a fresh virtual environment with `pip install --no-index`
(this environment's pip, pointed at the fresh one with `--python`), then runs
the installed command. The dependencies are made visible to the fresh
environment through a path entry to this environment's
site-packages (offline: nothing is downloaded); reqtrace itself must come from
the wheel. `.ci/run` repeats the check with the real pipx.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

import reqtrace

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "reqtrace-cli"


def test_the_distribution_name_is_not_the_unrelated_pypi_project() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DISTRIBUTION
    assert project["scripts"] == {"reqtrace": "reqtrace.cli:run"}
    # Every install line names the distribution, never the unrelated `reqtrace` on PyPI.
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for word in ("pip install reqtrace", "pipx install reqtrace", "uv tool install reqtrace"):
            start = 0
            while (index := text.find(word, start)) != -1:
                following = text[index + len(word) : index + len(word) + 4]
                assert following.startswith("-cli"), f"{doc.name}: '{word}{following}' installs the unrelated PyPI project"
                start = index + 1


# slow: builds the wheel, makes a venv and pip-installs the wheel into it (~8 s of CPU)
@pytest.mark.slow
def test_the_built_wheel_installs_into_a_fresh_environment_and_runs(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True, check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("*.whl")
    assert wheel.name.startswith("reqtrace_cli-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        assert f"Name: {DISTRIBUTION}\n" in archive.read(metadata).decode("utf-8")
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode("utf-8")
        assert "reqtrace = reqtrace.cli:run" in entry_points
        assert "reqtrace/_example/clinic/reqtrace.yaml" in names  # the demo ships inside

    fresh = tmp_path / "venv"
    # Without pip of its own (ensurepip costs ~4 s of CPU): this environment's pip installs into
    # it through `--python` (pipx, too, shares one pip among its environments).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    python = fresh / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    fresh_site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], capture_output=True, text=True, check=True).stdout.strip()
    # A plain path entry: the dependencies import from here, but this environment's
    # editable reqtrace (its own .pth in site-packages) is not processed from it.
    Path(fresh_site, "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    install = subprocess.run([*pip, "install", "-q", "--no-index", "--no-deps", str(wheel)], capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stderr

    command = fresh / "bin" / "reqtrace"
    version = subprocess.run([command, "--version"], capture_output=True, text=True, check=False)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"reqtrace {reqtrace.__version__}"
    where = subprocess.run([python, "-c", "import reqtrace; print(reqtrace.__file__)"], capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(fresh_site), f"reqtrace imported from {where}, not from the installed wheel"
    shown = subprocess.run([*pip, "show", DISTRIBUTION], capture_output=True, text=True, check=False)
    assert shown.returncode == 0 and f"Name: {DISTRIBUTION}" in shown.stdout

    demo = subprocess.run([command, "demo", str(tmp_path / "demo")], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    check = subprocess.run([command, "check"], capture_output=True, text=True, check=False, cwd=tmp_path / "demo")
    assert check.returncode == 0, check.stdout + check.stderr
