"""Track size unification: one size per rigid object, from all its frames.

Two estimates: ``median`` (the per-axis median of the track's box sizes, robust to a
few bad boxes) and ``points`` (the extent of the track's points stacked in its box
frame, trimmed by percentiles; each box's centre is shifted to the points' extent, so
boxes drawn around one visible side move to cover the whole object)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Box, Change, Command, Project, Source
from .object_view import accumulate_track_points


@dataclass(frozen=True)
class SizeEstimate:
    """``size_lwh_m``, and ``offset_box_m``: where the object's centre lies in the box frame."""

    size_lwh_m: np.ndarray
    offset_box_m: np.ndarray
    method: str
    samples: int


def median_size(boxes: list[Box], weights: np.ndarray | None = None) -> np.ndarray:
    """Per-axis (weighted) median of the boxes' sizes."""
    sizes = np.array([b.size_lwh_m for b in boxes])
    if weights is None:
        return np.median(sizes, axis=0)
    out = np.empty(3)
    w = np.asarray(weights, dtype=np.float64)
    for k in range(3):
        order = np.argsort(sizes[:, k])
        cum = np.cumsum(w[order])
        out[k] = sizes[order[np.searchsorted(cum, 0.5 * cum[-1])], k]
    return out


def estimate_track_size(project: Project, track_token: str, method: str = "median",
                        trim_points: int = 3, min_points: int = 30, margin_m: float = 0.3,
                        ground_clearance_m: float = 0.2) -> SizeEstimate:
    """A robust size for the track (see the module text for the methods).

    ``points`` stacks the points within ``margin_m`` of each box, above
    ``ground_clearance_m`` over its bottom, drops the ``trim_points`` outermost on each
    side of each axis (few points show the far sides, so percentiles would cut them) and
    falls back to ``median`` below ``min_points``."""
    anns = [a for a in project.annotations_of_track(track_token) if a.source != Source.INTERPOLATED] \
        or project.annotations_of_track(track_token)
    if not anns:
        raise ValueError(f"track {track_token} has no boxes")
    if method == "median":
        return SizeEstimate(median_size([a.box for a in anns]), np.zeros(3), "median", len(anns))
    if method != "points":
        raise ValueError(f"method: expected 'median' or 'points', got {method!r}")
    stacked = accumulate_track_points(project, track_token, [a.frame_index for a in anns], margin_m=margin_m)
    median = median_size([a.box for a in anns])
    pts = stacked.points_box_m.astype(np.float64)
    pts = pts[pts[:, 2] > -median[2] / 2 + ground_clearance_m]
    if len(pts) < min_points:
        est = estimate_track_size(project, track_token, "median")
        return SizeEstimate(est.size_lwh_m, est.offset_box_m, "median", est.samples)
    ordered = np.sort(pts, axis=0)  # the extent without the ``trim_points`` outermost points per side
    lo, hi = ordered[trim_points].copy(), ordered[-1 - trim_points].copy()
    size = hi - lo
    # the bottom is the ground, which the points (ground removed) do not show: keep the boxes' bottom
    lo[2] = -median[2] / 2
    size[2] = hi[2] - lo[2]
    return SizeEstimate(size, 0.5 * (lo + hi), "points", len(pts))


def unify_track_size(project: Project, track_token: str, size_lwh_m: np.ndarray | None = None,
                     method: str = "median", force: bool = False) -> Command:
    """One command (one undo step) giving every box of the track the same size.

    Boxes keep their bottom face height and their centre in bird's-eye view (``median``)
    or move to the stacked points' extent (``points``). Non-rigid classes (pedestrians)
    change size from frame to frame: they are left alone unless ``force``."""
    track = project.track(track_token)
    if not force and not project.schema.category(track.category).rigid:
        return Command("Unify size", [])
    if size_lwh_m is None:
        est = estimate_track_size(project, track_token, method)
        size, offset = est.size_lwh_m, est.offset_box_m
    else:
        size, offset = np.asarray(size_lwh_m, dtype=np.float64), np.zeros(3)
    changes: list[Change] = []
    for ann in project.annotations_of_track(track_token):
        box = _resized(ann.box, size, offset)
        if not box.isclose(ann.box, 1e-6, 1e-9):
            changes.append(Change(ann, ann.evolve(box=box)))
    return Command(f"Unify size of track {track.number}", changes)


def _resized(box: Box, size: np.ndarray, offset_box_m: np.ndarray) -> Box:
    """``box`` with ``size``: centre shifted by the offset in BEV, bottom face kept."""
    shift = box.rotation @ np.array([offset_box_m[0], offset_box_m[1], 0.0])
    bottom_z = box.center_m[2] - box.size_lwh_m[2] / 2
    center = box.center_m + shift
    center[2] = bottom_z + size[2] / 2
    return Box(center, size, box.yaw_rad)
