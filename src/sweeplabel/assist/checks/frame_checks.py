"""Checks over one frame's boxes: overlaps/duplicates, and (with points) empty boxes,
boxes off the ground, boxes beyond the point-cloud range."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Annotation, Project
from .base import Finding, Severity, describe
from .bev import bev_iou, candidate_pairs
from .points import FramePoints, PointStats, boxes_to_sensor, point_stats
from .settings import CheckSettings

describe("duplicate", "frame", Severity.ERROR, "two tracks' boxes nearly coincide (BEV IoU)")
describe("overlap", "frame", Severity.WARNING, "boxes of different tracks overlap (BEV IoU)")
describe("empty_box", "frame", Severity.ERROR, "box with no points", needs_points=True)
describe("few_points", "frame", Severity.WARNING, "box with too few points", needs_points=True)
describe("floating", "frame", Severity.WARNING, "box bottom above the local ground", needs_points=True)
describe("sunk", "frame", Severity.WARNING, "box bottom below the local ground", needs_points=True)
describe("out_of_range", "frame", Severity.WARNING, "box partly outside the point-cloud range",
         needs_points=True)

POINT_CHECKS = ("empty_box", "few_points", "floating", "sunk", "out_of_range")


@dataclass
class FrameData:
    frame_index: int
    anns: list[Annotation]
    numbers: list[int]
    boxes_m: np.ndarray  # (M, 7) world frame

    @classmethod
    def build(cls, project: Project, frame_index: int) -> "FrameData":
        anns = project.annotations_in_frame(frame_index)
        numbers = [project.track(a.track_token).number for a in anns]
        boxes = np.array([a.box.to_array() for a in anns], dtype=np.float64).reshape(-1, 7)
        return cls(frame_index, anns, numbers, boxes)

    def finding(self, check: str, s: CheckSettings, i: int, message: str, value: float | None = None,
                other: str | None = None) -> Finding:
        a = self.anns[i]
        return Finding(check, s.severity(check), f"track {self.numbers[i]}: {message}", self.frame_index,
                       a.track_token, a.token, other, value)


def check_overlaps(fd: FrameData, s: CheckSettings) -> list[Finding]:
    """One finding per overlapping pair, on the higher-numbered (usually newer) track."""
    out = []
    for i, j in candidate_pairs(fd.boxes_m):
        if fd.anns[i].track_token == fd.anns[j].track_token:
            continue
        iou = bev_iou(fd.boxes_m[i], fd.boxes_m[j])
        if iou <= s.overlap_iou:
            continue
        a, b = (i, j) if fd.numbers[i] >= fd.numbers[j] else (j, i)
        check = "duplicate" if iou > s.duplicate_iou else "overlap"
        if s.enabled(check):
            word = "duplicates" if check == "duplicate" else "overlaps"
            out.append(fd.finding(check, s, a, f"{word} track {fd.numbers[b]} (BEV IoU {iou:.2f})", iou,
                                  fd.anns[b].track_token))
    return out


def check_points(fd: FrameData, stats: PointStats, s: CheckSettings) -> list[Finding]:
    out = []
    for i in range(len(fd.anns)):
        n = int(stats.counts[i])
        whole = n if stats.whole_counts is None else int(stats.whole_counts[i])
        # the app's count first (status bar, sub-views), then the judged one without the ground slice
        above = "" if whole == n else f", {n} above its bottom {s.ignore_bottom_m:g} m"
        if n < s.min_points_error and s.enabled("empty_box"):
            out.append(fd.finding("empty_box", s, i, f"{whole} points in the box{above}", float(n)))
        elif n < s.min_points_warning and s.enabled("few_points"):
            out.append(fd.finding("few_points", s, i, f"only {whole} point{'s' if whole != 1 else ''} in the box"
                                  f"{above}", float(n)))
        up, down = float(stats.floating_m[i]), float(stats.sunk_m[i])
        if up > s.max_float_m and s.enabled("floating"):
            out.append(fd.finding("floating", s, i, f"bottom {up:.2f} m above the points below it", up))
        elif down > s.max_sink_m and s.enabled("sunk"):
            out.append(fd.finding("sunk", s, i, f"bottom {down:.2f} m below the ground", down))
        beyond = float(stats.beyond_range_m[i])
        if beyond > 0 and s.enabled("out_of_range"):
            out.append(fd.finding("out_of_range", s, i, f"reaches {beyond:.2f} m beyond the point-cloud "
                                  f"range ({stats.cloud_range_m:.0f} m)", beyond))
    return out


def run_frame_checks(fd: FrameData, s: CheckSettings, frame_points: FramePoints | None) -> list[Finding]:
    out = check_overlaps(fd, s)
    if frame_points is None or not fd.anns or not any(s.enabled(c) for c in POINT_CHECKS):
        return out
    cloud = frame_points.get(fd.frame_index)
    if len(cloud.xyz) == 0:
        return out  # no points (or no loader): nothing to say about them
    frame = frame_points.sequence[fd.frame_index]
    stats = point_stats(cloud, boxes_to_sensor(fd.boxes_m, frame.T_world_sensor), s)
    return out + check_points(fd, stats, s)
