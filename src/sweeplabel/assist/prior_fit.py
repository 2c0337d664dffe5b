"""The box fit with a class prior (pure NumPy + kernels): the seen rectangle (an L-shape heading; a
box-bodied vehicle's also from each scan line's outline), a cluster seen end-on (across the ray) turned,
the seen faces grown by part of a sample step, each axis completed to the class's size away from the
face the sensor saw (an end face seen whole keeps its width), an ambiguous heading settled by the rays
seen through, clear of a fence line, and the top between the scan lines."""

from __future__ import annotations

import math

import numpy as np

from sweeplabel.kernels import fit_box
from sweeplabel.model import Box

from .class_prior import ClassPrior
from .person_box import person_footprint
from .seen_faces import extent_between_samples, scan_lines, seen_through, top_between_beams
from .wall_line import FarLine, far_line

# a box-bodied vehicle is at least this wide at its class's narrowest (cars 1.58 m, vans 1.52); a two-wheeler
# (its end: a handlebar, a wheel; widest 1.14 m) and a rack are not a face: physical, not tuned (1.14-1.52 alike)
BODY_MIN_WIDTH_M = 1.2


def fit_with_prior(points: np.ndarray, ground_z_m: float | None, prior: ClassPrior,
                   sensor_xy_m: np.ndarray | None, sensor_m: np.ndarray | None = None,
                   scene_m: np.ndarray | None = None) -> Box:
    """A box fitted to one object's points, completed to the class's size where the points
    show less than the class allows (the face the sensor saw stays put) and cut to the
    class's largest size where they show more. The heading: an L-shape fit
    (``lshape_yaw_rad``) from 10 points on, else the minimum-area rectangle's. With the sensor's
    position ``sensor_m`` (3,) the top goes between the scan lines (``top_between_beams``), and with
    the points around (``scene_m``) an ambiguous heading takes the box fewer rays see through."""
    pts = np.ascontiguousarray(points[:, :3], dtype=np.float32)
    line = None
    if scene_m is not None and sensor_xy_m is not None and ground_z_m is not None and prior.elongated:
        # the fence is looked for along the sides of all the points' outline (the fence's points among them)
        line = far_line(pts, _seen_rectangle(pts, ground_z_m).yaw_rad, scene_m, sensor_xy_m, prior, ground_z_m)
        if line is not None:  # a fence or wall along the far side: not the object
            pts = np.ascontiguousarray(pts[~line.mask])
    box = _seen_rectangle(pts, ground_z_m, sensor_m if box_bodied(prior) else None)
    box = width_as_seen(box, prior.mean_lwh_m, tolerance_m=float(prior.high_lwh_m[1] - prior.mean_lwh_m[1]),
                        sensor_m=sensor_m)
    if sensor_m is not None:
        box = extent_between_samples(box, pts, sensor_m)
    completed = complete_to_class(box, prior, sensor_xy_m, faces_seen=sensor_m is not None)
    if scene_m is not None and sensor_m is not None and prior.elongated:
        completed = _least_seen_through(completed, box, prior, sensor_m, scene_m)
    if line is not None:
        completed = _clear_of_line(completed, box, prior, sensor_xy_m, line)
    if is_person(prior):  # no faces to anchor on: the box holds the person's points, as labellers draw it
        mean_lw = sorted(prior.mean_lwh_m[:2].tolist(), reverse=True)
        xy, length, width, yaw = person_footprint(pts, min_lw_m=(mean_lw[0], mean_lw[1]))
        completed = Box([xy[0], xy[1], completed.center_m[2]], [length, width, completed.size_lwh_m[2]], yaw)
    return top_between_beams(completed, pts, sensor_m, float(prior.high_lwh_m[2]))


def is_person(prior: ClassPrior) -> bool:
    """A person's class (``human.*``, not rigid): boxed on the points, not completed from a face."""
    return not prior.rigid and prior.name.startswith("human.")


def _clear_of_line(completed: Box, seen: Box, prior: ClassPrior, sensor_xy_m: np.ndarray, line: FarLine) -> Box:
    """The completion that stays in front of the fence line: when the class-sized box grown from
    the seen rectangle reaches through the line, the one grown with the rectangle's axes swapped
    (the seen side taken for the other face), if that one does not; its far face no further than
    the line's near edge."""
    if line.crossed_by(completed):
        l, w, h = seen.size_lwh_m
        for yaw in (seen.yaw_rad, seen.yaw_rad + 0.5 * math.pi):
            size = [l, w, h] if yaw == seen.yaw_rad else [w, l, h]
            other = complete_to_class(Box(seen.center_m, size, yaw), prior, sensor_xy_m, faces_seen=True)
            if not line.crossed_by(other):
                completed = other
                break
    return line.kept_in_front(completed)


def _seen_rectangle(pts: np.ndarray, ground_z_m: float | None, sensor_m: np.ndarray | None = None) -> Box:
    """The points' rectangle on the ground: an L-shape heading from 10 points on (with the sensor's
    position ``sensor_m`` (3,), each point also scored on its own scan line's outline)."""
    box = Box.from_array(fit_box(pts, ground_z_m=ground_z_m))
    if len(pts) >= 10:
        sub = pts[::max(1, len(pts) // 400)]  # a few hundred points give the heading; the extent takes all
        lines = scan_lines(sub, sensor_m) if sensor_m is not None else None
        box = _rectangle_at_yaw(pts, lshape_yaw_rad(sub[:, :2].astype(np.float64), lines=lines), box)
    return box


def _least_seen_through(completed: Box, seen: Box, prior: ClassPrior, sensor_m: np.ndarray,
                        scene_m: np.ndarray, min_rays: int = 3) -> Box:
    """Of the class-sized box completed from the seen rectangle and the one completed with the
    rectangle's axes swapped (the seen side taken for the other face), the one fewer sensor rays
    pass through. A rectangle whose sides both fit either axis of the class (a short line of a far
    car: its side or its back?) is ambiguous; the free space the LiDAR measured behind it is not."""
    l, w, h = seen.size_lwh_m
    if not (w <= prior.high_lwh_m[0] and l <= prior.high_lwh_m[1] + 0.1):
        return completed  # the seen length cannot be a width: no question
    other = complete_to_class(Box(seen.center_m, [w, l, h], seen.yaw_rad + 0.5 * math.pi), prior,
                              sensor_m[:2], faces_seen=True)
    rays, other_rays = seen_through(completed, scene_m, sensor_m), seen_through(other, scene_m, sensor_m)
    return other if other_rays + min_rays <= rays and other_rays <= 0.5 * rays else completed


def lshape_yaw_rad(xy_m: np.ndarray, step_rad: float = math.radians(1.0), min_dist_m: float = 0.01,
                   lines: np.ndarray | None = None) -> float:
    """Heading in [0, 90) degrees of the rectangle whose sides the points hug best: the
    closeness criterion of Zhang et al., "Efficient L-Shape Fitting for Vehicle Detection
    Using Laser Scanners" (IEEE IV 2017). On the real sets' vehicles (points of the truth
    boxes) 2 % are more than 10 degrees off, against 12 % for the minimum-area rectangle.

    With ``lines`` (N,) int, the scan line of each point (``seen_faces.scan_lines``), each point
    also scores its closeness to its own line's rectangle: a scan line is one cross-section of the
    body, and the cross-sections differ (a roof set back from the bumper, a bonnet lower than the
    cabin), so the outline of all of them together blurs the sides each one traces. A line of one or
    two points scores the same at every heading: where the lines are that sparse the whole outline
    decides."""
    angles = np.arange(0.0, 0.5 * math.pi, step_rad)
    c, s = np.cos(angles)[:, None], np.sin(angles)[:, None]
    xy = xy_m - xy_m.mean(axis=0)
    u = xy[:, 0][None, :] * c + xy[:, 1][None, :] * s
    v = -xy[:, 0][None, :] * s + xy[:, 1][None, :] * c
    score = _closeness(u, v, None, min_dist_m)
    if lines is not None:
        score = score + _closeness(u, v, np.asarray(lines), min_dist_m)
    return float(angles[int(np.argmax(score))])


def _closeness(u: np.ndarray, v: np.ndarray, groups: np.ndarray | None, min_dist_m: float) -> np.ndarray:
    """Per heading (rows of ``u``, ``v``: the points' coordinates along the candidate axes), the sum
    over the points of 1 / (distance to the nearest side of their rectangle): of all points, or of
    the points of their group (``groups`` (N,) int)."""
    if groups is None:
        du = np.minimum(u.max(axis=1, keepdims=True) - u, u - u.min(axis=1, keepdims=True))
        dv = np.minimum(v.max(axis=1, keepdims=True) - v, v - v.min(axis=1, keepdims=True))
    else:
        order = np.argsort(groups, kind="stable")
        u, v, g = u[:, order], v[:, order], groups[order]
        starts = np.flatnonzero(np.r_[True, np.diff(g) != 0])
        counts = np.diff(np.r_[starts, len(g)])

        def to_sides(a: np.ndarray) -> np.ndarray:
            hi = np.repeat(np.maximum.reduceat(a, starts, axis=1), counts, axis=1)
            lo = np.repeat(np.minimum.reduceat(a, starts, axis=1), counts, axis=1)
            return np.minimum(hi - a, a - lo)
        du, dv = to_sides(u), to_sides(v)
    return (1.0 / np.maximum(np.minimum(du, dv), min_dist_m)).sum(axis=1)


def _rectangle_at_yaw(points: np.ndarray, yaw_rad: float, like: Box) -> Box:
    """The bounding rectangle of ``points`` at ``yaw_rad`` (length along the longer side),
    with the height and bottom of ``like``."""
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    u, v = x * c + y * s, -x * s + y * c
    uc, vc = 0.5 * (u.min() + u.max()), 0.5 * (v.min() + v.max())
    length, width = float(np.ptp(u)), float(np.ptp(v))
    if width > length:
        length, width, yaw_rad = width, length, yaw_rad + 0.5 * math.pi
    centre = [uc * c - vc * s, uc * s + vc * c, like.center_m[2]]
    return Box(centre, [length, width, like.size_lwh_m[2]], math.atan2(math.sin(yaw_rad), math.cos(yaw_rad)))


def complete_to_class(box: Box, prior: ClassPrior, sensor_xy_m: np.ndarray | None, faces_seen: bool = False) -> Box:
    """An axis the points show below the class's range (a person's footprint: below the
    class's mean) takes the class's mean; a length a
    little short of the mean the class's short end (mean - 1 spread); an axis above the
    range the class's largest size. Length and width keep the face towards the sensor (grow symmetrically when the
    sensor faces that axis' middle); height keeps the bottom. With ``faces_seen`` (the box was seen from the
    sensor at ``sensor_xy_m``, not guessed from a detection's points) a box-bodied vehicle whose end face faces
    the sensor has its width measured: a width below the class's range takes the class's narrowest
    (``low_lwh_m``), not its mean."""
    size = box.size_lwh_m
    to_sensor = np.zeros(3)
    if sensor_xy_m is not None:
        to_sensor = box.rotation.T @ (np.array([sensor_xy_m[0], sensor_xy_m[1], 0.0]) - box.center_m * [1, 1, 0])
    delta, anchor = np.zeros(3), np.zeros(3)
    for axis in (0, 1, 2):
        if axis == 2 and prior.rigid and size[axis] < prior.low_lwh_m[axis]:
            # the roof between two beams: one spread above the highest point (at least the low end)
            spread = (prior.mean_lwh_m[2] - prior.low_lwh_m[2]) / 2.5
            delta[axis] = min(max(size[axis] + spread, prior.low_lwh_m[2]), prior.mean_lwh_m[2]) - size[axis]
        elif axis == 1 and size[1] < prior.low_lwh_m[1] and faces_seen and _end_face_seen(prior, to_sensor, size):
            # the end face faces the sensor: both its edges were seen, the width is measured (the narrowest typical)
            delta[axis] = prior.low_lwh_m[1] - size[1]
        elif size[axis] < prior.low_lwh_m[axis] or (axis < 2 and not prior.rigid
                                                    and size[axis] < prior.mean_lwh_m[axis]):
            # a part seen (a person's box holds the swing of arms and legs the sweep did not catch): the mean
            delta[axis] = prior.mean_lwh_m[axis] - size[axis]
        elif size[axis] < prior.complete_below_lwh_m[axis]:  # most of it seen: the class's short end
            delta[axis] = prior.complete_below_lwh_m[axis] - size[axis]
        elif size[axis] > prior.high_lwh_m[axis]:
            delta[axis] = prior.high_lwh_m[axis] - size[axis]
        if axis == 2:
            anchor[axis] = -1.0
        elif abs(to_sensor[axis]) > 0.5 * size[axis]:
            anchor[axis] = float(np.sign(to_sensor[axis]))
    if not np.any(delta):
        return box
    return box.resized_anchored(delta, anchor)


def box_bodied(prior: ClassPrior) -> bool:
    """Whether the class's objects are box-shaped bodies (cars, vans, trucks, buses: rigid, at least
    ``BODY_MIN_WIDTH_M`` wide at the class's narrowest), whose faces the sensor sees as surfaces and whose
    cross-sections are rectangles; a two-wheeler (a wheel, a frame, a handlebar, a rider) and a person are not."""
    return bool(prior.rigid and prior.low_lwh_m[1] >= BODY_MIN_WIDTH_M)


def _end_face_seen(prior: ClassPrior, to_sensor_local_m: np.ndarray, size_lwh_m: np.ndarray) -> bool:
    """Whether the sensor lies beyond an end face of a box-bodied object (``box_bodied``): a
    convex body shows the whole face that faces the sensor, both of its edges; so the width the
    points show across it is measured, not a part of it."""
    return bool(box_bodied(prior) and prior.elongated and abs(float(to_sensor_local_m[0])) > 0.5 * float(size_lwh_m[0]))


def width_as_seen(box: Box, default_size_lwh_m: np.ndarray, tolerance_m: float = 0.3,
                  sensor_m: np.ndarray | None = None) -> Box:
    """A cluster seen end-on (only the back or the front) fits a rectangle whose long
    side is the object's width; when the long side is no longer than the default width
    (+ tolerance) while the default is elongated, turn the box by 90 degrees. With the sensor's
    position ``sensor_m``, only when that side runs across the ray (within 45 degrees): a back
    or a front seen end-on lies across the ray; a long side along it is the depth the sensor saw
    over the bonnet and up the windscreen, the object's length."""
    length_m, width_m = float(default_size_lwh_m[0]), float(default_size_lwh_m[1])
    if length_m < 1.5 * width_m or box.size_lwh_m[0] > width_m + tolerance_m:
        return box
    if sensor_m is not None:
        ray = box.center_m[:2] - np.asarray(sensor_m, dtype=np.float64)[:2]
        ray = ray / max(float(np.hypot(*ray)), 1e-9)
        if abs(float(box.rotation[:2, 0] @ ray)) > math.cos(math.radians(45.0)):
            return box  # the long side runs along the ray: not an end face
    l, w, h = box.size_lwh_m
    return Box(box.center_m, [w, l, h], box.yaw_rad + math.pi / 2.0)
