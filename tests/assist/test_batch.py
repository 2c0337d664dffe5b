import json
import shutil
import time

import pytest

from sweeplabel.assist.batch import discover_sequences, sequence_id
from sweeplabel.cli import main
from sweeplabel.io import open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Source

pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three tiny synthetic sequences and a fourth whose points file is truncated."""
    root = tmp_path_factory.mktemp("dataset")
    for k, name in enumerate(("street_a", "street_b", "nested/street_c")):
        generate_sequence(root / name, frames=3, beams=32, seed=10 + k)
    broken = root / "street_broken"
    shutil.copytree(root / "street_a", broken)
    points = sorted((broken / "points").glob("*.bin"))[-1]
    points.write_bytes(points.read_bytes()[:-7])
    return root


def test_discovery_finds_nested_sequences(dataset):
    found = discover_sequences(dataset)
    assert [sequence_id(dataset, p) for p in found] == ["nested__street_c", "street_a", "street_b", "street_broken"]


def test_preannotate_cli_runs_on_a_local_cluster_and_resumes(dataset, tmp_path, capsys):
    out = tmp_path / "out"
    start = time.perf_counter()
    code = main(["preannotate", str(dataset), "--out", str(out), "--workers", "2"])
    assert code == 1  # one sequence failed; the others were done
    summary = json.loads((out / "summary.json").read_text())
    status = {sid: e["status"] for sid, e in summary["sequences"].items()}
    assert status == {"nested__street_c": "done", "street_a": "done", "street_b": "done", "street_broken": "error"}
    assert "FormatError" in summary["sequences"]["street_broken"]["error"]
    assert summary["totals"]["boxes"] == sum(e["boxes"] for e in summary["sequences"].values()) > 0
    assert not list(out.glob("*.partial*"))
    opened = open_project(out / "street_a.sweeplabel")
    try:
        anns = opened.project.annotations.values()
        assert anns and {a.source for a in anns} == {Source.AUTO}
        assert len(anns) == summary["sequences"]["street_a"]["boxes"]
    finally:
        opened.close()
    err = capsys.readouterr().err
    assert "preannotate: 4/4 sequences" in err and "error: street_broken" in err
    # a second run skips what is done and retries the failure
    code = main(["preannotate", str(dataset), "--out", str(out), "--workers", "2"])
    assert code == 1
    again = json.loads((out / "summary.json").read_text())
    assert {sid: e["status"] for sid, e in again["sequences"].items()} == {**status, **{
        "nested__street_c": "skipped", "street_a": "skipped", "street_b": "skipped"}}
    assert again["sequences"]["street_a"]["boxes"] == summary["sequences"]["street_a"]["boxes"]
    assert time.perf_counter() - start < 90


def test_preannotate_cli_min_score_keeps_only_confident_boxes_and_logs_the_candidates(tmp_path):
    from sweeplabel.assist.project_scorer import read_candidate_log

    root = tmp_path / "data"
    generate_sequence(root / "street", frames=3, beams=32, seed=21)
    out = tmp_path / "out"
    assert main(["preannotate", str(root), "--out", str(out), "--workers", "1", "--min-score", "0.8"]) == 0
    opened = open_project(out / "street.sweeplabel")
    try:
        anns = opened.project.annotations.values()
        assert anns and all(a.score is not None and a.score >= 0.8 for a in anns)
        assert all(t.score >= 0.8 for t in opened.project.tracks.values())
        assert {r["token"] for r in read_candidate_log(opened.store.meta())} == {a.token for a in anns}
    finally:
        opened.close()
