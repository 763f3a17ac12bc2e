"""One identity per person (reqtrace.yaml's `people:`), and the small wording a PM meets
on the way: the status header, the demo's list, a Chinese triage panel, what a pack holds."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from conftest import copy_demo, git
from reqtrace.core.people import People, Person, people_from
from reqtrace.demo import suggested_commands

ROOT = Path(__file__).resolve().parents[1]

PEOPLE = """\
project: Acme booking portal
customer: Acme (阿克米)
people:
  - name: Chen Jing
    email: chen.jing@acme.example
    aliases: [Dr. Chen Jing, 陈静]
"""


def _request(rid: str, sender: str, status: str | None = None) -> str:
    text = f"id: {rid}\nreceived: 2026-07-0{rid[-1]}\nfrom: {json.dumps(sender, ensure_ascii=False)}\ntitle: ask {rid}\ntext: Please change it.\n"
    if status:
        text += f"decision:\n  status: {status}\n  by: Li Wei\n  when: 2026-07-20\n"
    return text


def test_every_form_of_a_name_is_one_person():
    people = people_from([{"name": "Chen Jing", "email": "chen.jing@acme.example", "aliases": ["Dr. Chen Jing", "陈静"]}])
    for written in ("Dr. Chen Jing (clinic director)", "陈静（院长）", "chen.jing@ACME.example", '"Dr. Chen Jing" <chen.jing@acme.example>',
                    "Chen Jing <chen.jing@acme.example>", "  dr.  chen   jing "):
        assert people.name_of(written) == "Chen Jing", written
    assert people.identify("Chen Jingyi") is None and people.name_of("王芳（前台主管）") == "王芳（前台主管）"
    assert People((Person("A", aliases=("Boss",)), Person("B", aliases=("boss",)))).ambiguous_forms() == ["boss"]


def test_status_counts_one_requester_per_person(make_repo, run_cli):
    repo = make_repo({
        "reqtrace.yaml": PEOPLE,
        "specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: s\n",
        "records/requests/RQ-1.yaml": _request("RQ-1", "Dr. Chen Jing (clinic director)", "approved"),
        "records/requests/RQ-2.yaml": _request("RQ-2", "陈静（院长）", "rejected"),
        "records/requests/RQ-3.yaml": _request("RQ-3", "王芳（前台主管）"),
    })
    data = json.loads(run_cli("status", "--format", "json", cwd=repo.root).stdout)
    rows = {row["from"]: row for row in data["requests"]["by_requester"]}
    assert set(rows) == {"Chen Jing", "王芳（前台主管）"}
    assert (rows["Chen Jing"]["requests"], rows["Chen Jing"]["approved"], rows["Chen Jing"]["rejected"]) == (2, 1, 1)
    assert rows["Chen Jing"]["written_as"] == ["Dr. Chen Jing (clinic director)", "陈静（院长）"]

    text = run_cli("status", cwd=repo.root, env={"COLUMNS": "80"}).stdout
    assert re.search(r"^\s+2\s+Chen Jing \(0 open, 1 approved, 1 rejected\)$", text, re.M), text
    assert "陈静" not in text
    # The header names the customer once: the project's name already says "Acme".
    assert text.splitlines()[0].startswith("Acme booking portal at ") and "(阿克米)" not in text.splitlines()[0]


def test_status_without_people_keeps_each_written_name(make_repo, run_in_process):
    repo = make_repo({
        "specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: s\n",
        "records/requests/RQ-1.yaml": _request("RQ-1", "Dr. Chen Jing (clinic director)"),
        "records/requests/RQ-2.yaml": _request("RQ-2", "陈静（院长）"),
    })
    data = json.loads(run_in_process("status", "--format", "json", cwd=repo.root).stdout)
    assert sorted(row["from"] for row in data["requests"]["by_requester"]) == ["Dr. Chen Jing (clinic director)", "陈静（院长）"]
    text = run_in_process("status", cwd=repo.root).stdout
    assert text.splitlines()[0].startswith("Test project for Test customer at ")


def test_a_name_given_to_two_people_is_a_config_warning(make_repo, run_in_process):
    repo = make_repo({
        "reqtrace.yaml": "project: P\npeople:\n  - name: A\n    aliases: [Boss]\n  - {name: B, aliases: [boss]}\n",
        "specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: s\n",
    })
    findings = json.loads(run_in_process("check", "--format", "json", cwd=repo.root).stdout)["findings"]
    assert [(f["code"], f["severity"], f["line"]) for f in findings] == [("config", "warning", 2)]
    assert "'boss' stands for more than one person" in findings[0]["message"]
    bad = make_repo({"reqtrace.yaml": "project: P\npeople:\n  - email: x@y.example\n", "specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: s\n"}, name="bad")
    result = run_in_process("check", cwd=bad.root)
    assert result.exit_code == 1 and "missing required field 'name'" in result.stdout


def test_the_demo_names_each_person_once(demo_build, tmp_path, run_in_process):
    """The worked example's status, trace and pack speak of Chen Jing, not of three people."""
    target = copy_demo(demo_build, tmp_path / "demo")
    status = json.loads(run_in_process("status", "--format", "json", cwd=target).stdout)
    requesters = [row["from"] for row in status["requests"]["by_requester"]]
    assert sorted(requesters) == ["Chen Jing", "Wang Fang"]
    trace = run_in_process("trace", "REQ-4", cwd=target, env={"COLUMNS": "120"}).stdout
    assert "approved by Chen Jing," in " ".join(trace.split())
    built = run_in_process("pack", "build", "delivery-v1.0", "-o", str(tmp_path / "pack.zip"), cwd=target)
    assert built.exit_code == 0, built.stderr
    page = zipfile.ZipFile(tmp_path / "pack.zip").read("index.html").decode("utf-8")
    # Addresses and names sit in no-wrap spans (the pack never breaks them): read past those.
    page = page.replace('<span class="nowrap">', "").replace("</span>", "")
    assert "from Chen Jing <span class=\"muted\">(as “陈静（院长）”)" in page
    assert "<b>Chen Jing</b><br>Chen Jing &lt;chen.jing@" in page


def test_the_demo_suggests_the_readmes_steps():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## The demo, step by step", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    steps = []
    for line in block.replace("\\\n", "\x00").splitlines():
        command, _, why = line.partition(" # ")
        if command.startswith(("reqtrace", "git ")):
            steps.append((" ".join(command.replace("\x00", " ").split()), why.strip()))
    demo = [(" ".join(command.replace("\\\n", " ").split()), why) for command, why in suggested_commands()]
    assert steps == demo


def test_a_chinese_criterion_starts_beside_its_dash(make_repo, run_in_process):
    criterion = "添加第五名家庭成员时系统提示最多可以添加四名家庭成员并且不保存任何内容以免数据不一致造成预约混乱"
    repo = make_repo({
        "specs/REQ-1.yaml": f"id: REQ-1\ntitle: 家庭成员代约\nstatement: 一个账户最多可以添加四名家庭成员并为他们预约取消和改约\nacceptance:\n  - {criterion}\n",
        "records/requests/RQ-1.yaml": "id: RQ-1\nreceived: 2026-08-05\ntitle: 家庭成员\ntext: 请把家庭成员上限改为六名家庭成员预约\n",
    })
    git(repo.root, "tag", "baseline/v1")
    out = run_in_process("triage", "RQ-1", "--baseline", "v1", cwd=repo.root, env={"COLUMNS": "80"}).stdout
    assert not re.search(r"^\s*.*\s-\s*$", out, re.M), out  # no dash alone at the end of a line
    assert re.search(r"- 添加第五名", out), out


def test_a_pack_holds_no_gitkeep_from_init(tmp_path, run_in_process):
    root = tmp_path / "project"
    run_in_process("init", str(root))
    (root / "specs/REQ-1.yaml").write_text("id: REQ-1\ntitle: Book\nstatement: Users book online.\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    assert run_in_process("baseline", "create", "v1", cwd=root).exit_code == 0
    built = run_in_process("pack", "build", "v1", "-o", str(tmp_path / "p.zip"), cwd=root)
    assert built.exit_code == 0, built.stderr
    names = zipfile.ZipFile(tmp_path / "p.zip").namelist()
    assert not [name for name in names if "gitkeep" in name], names
    assert run_in_process("pack", "verify", str(tmp_path / "p.zip")).exit_code == 0
