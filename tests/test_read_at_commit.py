"""Files read at a commit with a large folder listed once (gitio.read_at_commit) answer
what one `COMMIT:path` name per file answers (gitio.read_named)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import make_repo_in
from reqtrace.io import gitio

MANY = 300  # more than LIST_FOLDER_AT: the folder is listed, not looked up name by name


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, build_env: None) -> tuple[Path, str]:
    files: dict[str, str | bytes | None] = {f"records/requests/RQ-{n}.yaml": f"id: RQ-{n}\n" for n in range(1, MANY + 1)}
    files.update({
        "records/requests/sub/RQ-900.yaml": "id: RQ-900\n",  # a folder inside the listed one
        "records/requests/big.yaml": b"x" * 5000,
        "records/requests/\u4e2d\u6587.yaml": "id: RQ-901\n",
        "specs/REQ-1.yaml": "id: REQ-1\n",
        "specs/file.yaml": "id: REQ-2\n",
        "top.yaml": "top\n",
    })
    built = make_repo_in(tmp_path_factory.mktemp("read-at"))(files)
    os.symlink("RQ-1.yaml", built.root / "records/requests/link.yaml")
    return built.root, built.commit(message="a link")


def asked_paths() -> list[str]:
    return [
        *(f"records/requests/RQ-{n}.yaml" for n in range(MANY, 0, -3)),  # not in listing order
        "records/requests/RQ-7.yaml",  # asked twice
        "records/requests/gone.yaml",  # absent from a listed folder
        "records/requests/sub",  # a folder, not a file
        "records/requests/sub/RQ-900.yaml",
        "records/requests/big.yaml",
        "records/requests/link.yaml",
        "records/requests/\u4e2d\u6587.yaml",
        "specs/REQ-1.yaml",
        "specs/file.yaml/inside.yaml",  # below a file
        "specs/gone.yaml",
        "top.yaml",
    ]


@pytest.mark.parametrize("list_folder_at", [gitio.LIST_FOLDER_AT, 1])
def test_read_at_commit_answers_what_one_name_per_file_answers(repo: tuple[Path, str], list_folder_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    root, commit = repo
    monkeypatch.setattr(gitio, "LIST_FOLDER_AT", list_folder_at)
    paths = asked_paths()
    plain = [(path, *rest) for path, (_name, *rest) in zip(paths, gitio.read_named(root, [f"{commit}:{p}" for p in paths], 1000), strict=True)]
    read = list(gitio.read_at_commit(root, commit, paths, 1000))
    assert read == plain
    by_path = {path: (oid, kind, data) for path, oid, kind, data in read}
    assert by_path["records/requests/RQ-7.yaml"][2] == b"id: RQ-7\n"
    assert by_path["records/requests/gone.yaml"] == (None, None, None)
    assert by_path["records/requests/sub"][1] == "tree"
    assert by_path["records/requests/big.yaml"][1:] == ("blob", None)  # over the size limit
    assert by_path["records/requests/link.yaml"][2] == b"RQ-1.yaml"  # a link's target, as git stores it
    assert by_path["specs/file.yaml/inside.yaml"] == (None, None, None)


def test_a_large_folder_is_listed_once_not_looked_up_per_file(repo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    root, commit = repo
    calls: list[tuple[str, ...]] = []
    names: list[list[str]] = []
    real_run, real_cat = gitio.run_git, gitio._cat_file
    monkeypatch.setattr(gitio, "run_git", lambda repo, *args, **kw: calls.append(args) or real_run(repo, *args, **kw))
    monkeypatch.setattr(gitio, "_cat_file", lambda repo, asked, size: names.append(asked) or real_cat(repo, asked, size))
    paths = [f"records/requests/RQ-{n}.yaml" for n in range(1, MANY + 1)] + ["specs/REQ-1.yaml"]
    assert len(list(gitio.read_at_commit(root, commit, paths))) == len(paths)
    assert [args[0] for args in calls] == ["ls-tree"] and calls[0][-1] == "records/requests/"
    assert len(names) == 1 and sum(":" in name for name in names[0]) == 1  # only specs/REQ-1.yaml by name
