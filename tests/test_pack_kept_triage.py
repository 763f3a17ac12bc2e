"""A pack built again reads no triage index when every pending request's recommendation is
kept: the recommendations are found by an id computed from the baseline's requirements,
which is the id of the index those requirements give (the plain computation). And a pack
deflated at another level (level 6, as packs were written before) verifies as well."""

from __future__ import annotations

import gc
import zipfile
from dataclasses import replace

import pytest

from conftest import copy_demo
from reqtrace.baselines.baseline import requirements_at, scan_baselines
from reqtrace.core.config import find_spec_repo
from reqtrace.core.model import natural_key
from reqtrace.pack import build as pack_build
from reqtrace.pack.verify import verify_pack
from reqtrace.triage import BaselineIndex
from reqtrace.triage import repo as triage_repo
from reqtrace.triage.repo import index_content_id

BASELINE = "delivery-v1.0"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_build):
    return copy_demo(demo_build, tmp_path_factory.mktemp("kept-triage") / "demo")


def test_the_records_id_is_the_id_of_the_index_the_requirements_give(demo, monkeypatch):
    repo = find_spec_repo(start=demo)
    delivery = next(b for b in scan_baselines(repo).baselines if b.name == BASELINE)
    requirements = sorted(requirements_at(repo, delivery.commit)[1].values(), key=lambda r: natural_key(r.id))
    edited = [*requirements[:-1], replace(requirements[-1], title="预约 \"quoted\" \\ title", line=7, priority=None)]
    for batch in (1024, 3, 1):  # one batch, several, one record each
        monkeypatch.setattr(pack_build, "_RECORDS_PER_BATCH", batch)
        for given in (requirements, edited, requirements[:1], []):
            assert pack_build.index_records_id(given) == index_content_id(BaselineIndex.build(given))
    assert pack_build.index_records_id(edited) != pack_build.index_records_id(requirements)


@pytest.fixture(scope="module")
def first_pack(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("first") / "first.zip"
    pack_build.build_pack(find_spec_repo(start=demo), BASELINE, out, to_rev="HEAD")
    gc.enable()
    gc.unfreeze()
    return out


def test_a_second_build_reads_no_index_and_builds_the_same_pack(demo, first_pack, tmp_path, monkeypatch):
    with zipfile.ZipFile(first_pack) as archive:  # the demo has requests after delivery to classify
        assert f"computed against {BASELINE} when the pack was built" in archive.read("index.html").decode()

    def no_index(*args, **kwargs):
        raise AssertionError("the triage index was read although every recommendation is kept")

    monkeypatch.setattr(triage_repo, "index_in_order", no_index)
    monkeypatch.setattr(BaselineIndex, "build", no_index)
    pack_build.build_pack(find_spec_repo(start=demo), BASELINE, tmp_path / "second.zip", to_rev="HEAD")
    assert (tmp_path / "second.zip").read_bytes() == first_pack.read_bytes()


def test_a_pack_deflated_at_level_6_verifies_as_the_pack_itself(demo, first_pack, tmp_path):
    signers = demo / ".reqtrace" / "allowed_signers"
    assert verify_pack(first_pack, signers).ok
    older = tmp_path / "level6.zip"
    with zipfile.ZipFile(first_pack) as source, zipfile.ZipFile(older, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    assert older.read_bytes() != first_pack.read_bytes()
    report = verify_pack(older, signers)
    assert report.ok, report
