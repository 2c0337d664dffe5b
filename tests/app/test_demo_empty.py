"""`sweeplabel demo --empty`: the demo's sweeps without its labels, in a project file of
its own (the labelled demo project is left as it is)."""

from __future__ import annotations

import pytest

import sweeplabel.cli as cli
from sweeplabel.io import ProjectStore, open_project
from sweeplabel.io.synthetic import generate_sequence

pytestmark = pytest.mark.gui


def test_demo_empty_opens_the_demo_without_labels(qtbot, tmp_path, monkeypatch) -> None:
    demo = generate_sequence(tmp_path / "cache" / "demo", frames=3, beams=32, seed=1)  # a small cached demo
    monkeypatch.setattr(cli, "ensure_demo_sequence", lambda: demo)
    shot = tmp_path / "empty.png"
    assert cli.main(["demo", "--empty", "--screenshot", str(shot)]) == 0  # the real window, until it rendered
    assert shot.stat().st_size > 10_000
    [empty] = list(demo.parent.glob("*-empty.sweeplabel"))
    with ProjectStore.open(empty) as store:
        assert store.read_annotations() == [] and store.read_tracks() == []
    labelled = open_project(demo)  # the ordinary demo still comes with its labels
    assert len(labelled.project.annotations) > 0
    labelled.close()
