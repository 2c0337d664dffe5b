"""SUSTechPOINTS scenes: boxes with obj_id become tracks; every box holds points."""

from __future__ import annotations

from pathlib import Path

import pytest

from sweeplabel.io import FormatError
from sweeplabel.io.sustech import read_sustech

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "sustech_points_example"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared SUSTechPOINTS data not found at {DATA}")


@needs_data
def test_tracks_and_points_in_boxes() -> None:
    loaded = read_sustech(DATA)
    assert len(loaded.sequence) == 3
    per_frame = [sum(a.frame_index == i for a in loaded.annotations) for i in range(3)]
    assert per_frame == [21, 23, 24]
    by_number = {t.number: t for t in loaded.tracks}
    frames_of = lambda n: sorted(a.frame_index for a in loaded.annotations  # noqa: E731
                                 if a.track_token == by_number[n].token)
    assert frames_of(3) == [0, 2] and frames_of(2) == [1, 2]
    assert by_number[3].category == "vehicle.bus.rigid"
    for frame in loaded.sequence:
        pts = frame.load_points()
        for ann in (a for a in loaded.annotations if a.frame_index == frame.index):
            assert ann.box.contains(pts).sum() > 0


def test_error_bad_label(tmp_path: Path) -> None:
    (tmp_path / "lidar").mkdir()
    (tmp_path / "label").mkdir()
    (tmp_path / "lidar" / "000001.pcd").write_bytes(
        b"VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 0\nHEIGHT 1\nPOINTS 0\nDATA binary\n")
    (tmp_path / "label" / "000001.json").write_text('[{"psr": {"position": {"x": 1}}}]')
    with pytest.raises(FormatError, match="object 0: expected psr"):
        read_sustech(tmp_path)
