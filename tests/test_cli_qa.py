"""``sweeplabel check`` exit codes and formats; ``sweeplabel report`` HTML in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.cli import main
from sweeplabel.io import open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import CommentState, ReviewState, commands as cmd


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("cli") / "seq", frames=12, beams=32, seed=3)


@pytest.fixture
def project_file(dataset: Path, tmp_path: Path) -> Path:
    """A project of the visible GT tracks with one flipped heading, a review and comments."""
    path = tmp_path / "p.sweeplabel"
    opened = open_project(dataset, project_path=path)
    p = opened.project
    with p.undo.macro("keep visible"):
        for token in list(p.tracks):
            if min(a.attributes["num_points"] for a in p.annotations_of_track(token)) < 15:
                p.execute(cmd.delete_track(p, token))
    track = sorted(p.tracks.values(), key=lambda t: t.number)[0].token
    a = p.annotation_at(track, 5)
    p.execute(cmd.set_box(p, a.token, a.box.flipped()))
    p.execute(cmd.review_track_range(p, track, ReviewState.ACCEPTED, 0, 4))
    p.execute(cmd.add_comment(p, "heading flips in frame 5", annotation_token=a.token))
    p.execute(cmd.add_comment(p, "old note", track_token=track, token="done"))
    p.execute(cmd.set_comment_state(p, "done", CommentState.RESOLVED))
    opened.close()
    return path


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["check", *argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_check_project_fails_on_the_error_until_accepted(project_file, capsys):
    code, out = run_json(capsys, str(project_file))
    assert code == 1 and out["failed"]
    assert [(f["check"], f["frame_index"]) for f in out["findings"]] == [("heading_flip", 5)]
    # a reviewer accepts the box: the finding stays listed but no longer fails the gate
    opened = open_project(project_file)
    p = opened.project
    p.execute(cmd.set_review_state(p, [out["findings"][0]["annotation_token"]], ReviewState.ACCEPTED))
    opened.close()
    code, out = run_json(capsys, str(project_file), "--fail-on", "warning")
    assert code == 0 and out["findings"][0]["waived"]


def test_check_text_and_settings_file(project_file, tmp_path, capsys):
    assert main(["check", str(project_file)]) == 1
    text = capsys.readouterr().out
    assert "heading_flip" in text and "1 at or above error" in text
    settings = tmp_path / "s.json"
    settings.write_text(json.dumps({"disabled": ["heading_flip"]}))
    assert main(["check", str(project_file), "--settings", str(settings)]) == 0
    assert main(["check", str(project_file), "--no-points", "--fail-on", "warning"]) == 1


def test_check_dataset_reads_labels_without_creating_a_project(dataset, capsys):
    before = sorted(p.name for p in dataset.parent.iterdir())
    code, out = run_json(capsys, str(dataset))
    assert code == 1  # the raw GT boxes hidden objects too: empty boxes
    assert {f["check"] for f in out["findings"]} >= {"empty_box", "few_points"}
    assert sorted(p.name for p in dataset.parent.iterdir()) == before


def test_report_html_and_chromium_screenshot(project_file, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(project_file), str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "heading flips in frame 5" in html and "old note" not in html  # open issues only
    assert html.count("data:image/png;base64,") == len(open_project_tracks(project_file))
    assert "src='http" not in html and "<script" not in html  # self-contained
    assert not list(tmp_path.glob(".report.html.*"))  # the temporary file was renamed
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    shot = tmp_path / "report.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1400,1800", f"--screenshot={shot}", out.as_uri()],
                   check=True, capture_output=True, timeout=120)
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[:2] == (1800, 1400)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    plot_blue = (abs(r - 0x1F) < 40) & (abs(g - 0x77) < 40) & (b > 150)  # the speed curves
    assert plot_blue.sum() > 200, "no plot lines visible in the screenshot"


def open_project_tracks(path: Path) -> list[str]:
    opened = open_project(path)
    try:
        return [t for t in opened.project.tracks if len(opened.project.annotations_of_track(t)) >= 2]
    finally:
        opened.close()


def test_an_edit_after_acceptance_reopens_the_gate(project_file, capsys):
    """Accept the flipped box (gate passes), then edit it: it is 'changed' since review,
    the finding is no longer waived and the gate fails again; undo restores the verdict."""
    code, out = run_json(capsys, str(project_file))
    token = out["findings"][0]["annotation_token"]
    opened = open_project(project_file)
    p = opened.project
    p.execute(cmd.set_review_state(p, [token], ReviewState.ACCEPTED))
    track_token = p.annotation(token).track_token
    p.execute(cmd.set_track_review_state(p, [track_token], ReviewState.ACCEPTED))
    opened.close()
    assert run_json(capsys, str(project_file))[0] == 0
    opened = open_project(project_file)
    p = opened.project
    ann = p.annotation(token)
    p.execute(cmd.set_box(p, token, ann.box.translated(np.array([0.0, 0.0, 0.3]))))
    assert p.annotation(token).review_state == ReviewState.CHANGED
    assert p.track(track_token).review_state == ReviewState.CHANGED
    opened.close()
    code, out = run_json(capsys, str(project_file))
    assert code == 1 and not out["findings"][0]["waived"]
    opened = open_project(project_file)
    p = opened.project
    assert p.annotation(token).review_state == ReviewState.CHANGED  # persisted
    opened.close()
