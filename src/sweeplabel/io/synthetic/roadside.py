"""Far range and roadside for the synthetic street (all off unless the config asks for it):
what a real street shows a sensor 40-150 m away besides cars, and cars as a real sensor
sees them there.

Chosen from what the real recordings' far clusters look like (5-40 points at 40-150 m, found
with the candidate path at 160 m and 5 points; Argoverse 2 sweeps 0-1, KITTI tracking 0000
frames 0-2 in the camera view, the nuScenes sweep; numbers in benchmarks/README.md, "Follow-up
far6"): the clusters that are no vehicle are 0.3-1.5 m long, 0.1-0.6 m deep, 0.7-3 m tall,
their lowest return 0.3-2.4 m and their highest 1.4-3.8 m above the ground (hedges, the
low edge of tree crowns, wall corners, poles with signs); the generator's far clutter was
poles and plates seen as single columns (0.03 m long) and fences. Far cars in the recordings
show 0.3-1.7 m of their length and 0.1-1.0 m of depth (a bumper, the set-back trunk and rear
window, a curved side), 0.8-3 m tall; the generator's boxes showed one flat face (0.02 m deep).

- ``roadside_per_100m``: hedges (ragged leaf clumps), the low edge of crowns whose trunks stand
  behind the wall line, wall stubs and pillars, signal and sign poles, planters and low walls,
  between the sidewalk's clutter and the buildings. No ground truth.
- ``hedge_parking``: that share of the parked cars gets a hedge on the sidewalk just behind it
  or a crown over it (the merged clusters of real streets). No ground truth for the plants.
- ``stepped_cars``: a car is a bumper-high lower body, a set-back upper body and the cabin, so
  that its rear, front and sides show depth steps between the scan lines. On request
  (``glass_cabin_share``; 0 in ``far_realistic_scene``: tried, see the README) a share of them
  with a see-through cabin (roof, pillars, seats:
  real near cars have returns inside their box; AV2's car at 8.6 m only 18 % of its points
  within 0.2 m of its outline).
- ``LidarConfig.range_noise_per_100m``: range noise growing with the range.

``far_realistic_scene`` / ``far_realistic_lidar`` switch them on over ``realistic_scene`` /
``realistic_lidar``."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .clutter import realistic_lidar, realistic_scene
from .scene import Actor, Part, SceneConfig, Surface

if TYPE_CHECKING:
    from .lidar import LidarConfig
    from .scene import Scene


def far_realistic_scene(base: SceneConfig | None = None) -> SceneConfig:
    """``realistic_scene`` with the roadside, plants by parked cars and stepped cars."""
    return replace(realistic_scene(base), roadside_per_100m=12.0, hedge_parking=0.25, stepped_cars=True)


def far_realistic_lidar(lidar: "LidarConfig") -> "LidarConfig":
    """``realistic_lidar`` with range noise growing by 10 cm per 100 m."""
    return replace(realistic_lidar(lidar), range_noise_per_100m=0.10)


def add_roadside(scene: "Scene", extent: tuple[float, float], rng: np.random.Generator, actors: list[Actor]) -> None:
    """Add the roadside items, plants by parked cars and stepped car bodies to ``scene``."""
    c = scene.config
    boxes: list[list[float]] = []
    surfaces: list[int] = []
    poles: list[list[float]] = []
    if c.roadside_per_100m > 0:
        line = c.road_half_width_m + c.sidewalk_width_m
        for side in (1.0, -1.0):
            count = rng.poisson(c.roadside_per_100m * (extent[1] - extent[0]) / 100.0)
            for x in rng.uniform(extent[0], extent[1], size=count):
                y = side * (line - rng.uniform(0.4, 1.6))
                z0 = float(scene.ground_height_m(x, y))
                kind = rng.choice(_KINDS, p=_KIND_P)
                _ITEMS[kind](rng, float(x), float(y), z0, boxes, surfaces, poles)
    if c.hedge_parking > 0:
        for a in actors:
            if a.speed_mps == 0.0 and a.category == "vehicle.car" and abs(a.y0_m) < c.road_half_width_m \
                    and rng.random() < c.hedge_parking:
                _plant_by(scene, a, rng, boxes, surfaces)
    if c.stepped_cars:
        for k, a in enumerate(actors):
            if a.category == "vehicle.car":
                actors[k] = replace(a, parts=stepped_car_parts(a.size_lwh_m, rng, c.glass_cabin_share))
    if boxes:
        scene.clutter = np.concatenate([scene.clutter.reshape(-1, 7), np.array(boxes, dtype=np.float64)])
        scene.clutter_surface = np.concatenate([scene.clutter_surface.astype(np.int8),
                                                np.array(surfaces, dtype=np.int8)])
    if poles:
        scene.poles = np.concatenate([scene.poles, np.array(poles, dtype=np.float64)])


def stepped_car_parts(size_lwh_m: tuple[float, float, float], rng: np.random.Generator,
                      glass_share: float = 0.0) -> tuple[Part, ...]:
    """A bumper-high lower body (full box), an upper body set back 0.1-0.3 m at each end and
    0.05 m at the sides, and a cabin set back further (x forward); with probability ``glass_share``
    the cabin is a roof on four pillars with the seats inside (x forward)."""
    l, w, h = size_lwh_m
    low_h = rng.uniform(0.3, 0.4) * h
    up_h = 0.6 * h - low_h
    cab_h = 0.4 * h
    front, rear = rng.uniform(0.1, 0.3), rng.uniform(0.1, 0.3)
    up_l = l - front - rear
    cab_l = rng.uniform(0.45, 0.6) * l
    zb = -h / 2
    body = (Part((0.0, 0.0, zb + low_h / 2), (l, w, low_h)),
            Part(((rear - front) / 2, 0.0, zb + low_h + up_h / 2), (up_l, w - 0.1, up_h)))
    cx, cw = -0.05 * l, 0.88 * w
    if glass_share <= 0 or rng.random() >= glass_share:
        return body + (Part((cx, 0.0, h / 2 - cab_h / 2), (cab_l, cw, cab_h)),)
    # glass: a roof on four pillars, the seats inside (rays through the windows reach them)
    roof, pillar = 0.08, 0.1
    z_glass = h / 2 - cab_h / 2 - roof / 2
    pillars = tuple(Part((cx + sx * (cab_l - pillar) / 2, sy * (cw - pillar) / 2, z_glass), (pillar, pillar, cab_h - roof))
                    for sx in (-1.0, 1.0) for sy in (-1.0, 1.0))
    seats = Part((cx, 0.0, h / 2 - cab_h + 0.3 * cab_h), (0.6 * cab_l, cw - 0.5, 0.6 * cab_h))
    return body + (Part((cx, 0.0, h / 2 - roof / 2), (cab_l, cw, roof)),) + pillars + (seats,)


def _hedge(rng, x, y, z0, boxes, surfaces, poles) -> None:
    length, depth, h = rng.uniform(1.5, 8.0), rng.uniform(0.5, 1.2), rng.uniform(0.8, 2.2)
    for u in np.arange(-length / 2, length / 2, rng.uniform(0.6, 1.2)):
        hh = h * rng.uniform(0.6, 1.0)
        s = rng.uniform(0.4, 1.0)
        boxes.append([x + u, y + rng.normal(0, 0.15), z0 + hh / 2 + rng.uniform(0.0, 0.4), s,
                      depth * rng.uniform(0.6, 1.0), hh, rng.normal(0, 0.2)])
        surfaces.append(Surface.VEGETATION)


def _crown_edge(rng, x, y, z0, boxes, surfaces, poles) -> None:
    low = rng.uniform(1.4, 3.0)
    for _ in range(rng.integers(3, 9)):
        s = rng.uniform(0.4, 1.3, size=3)
        boxes.append([x + rng.normal(0, 1.2), y + rng.normal(0, 0.5), z0 + low + s[2] / 2 + rng.uniform(0, 1.5),
                      *s, rng.uniform(0, math.pi)])
        surfaces.append(Surface.VEGETATION)


def _pillar(rng, x, y, z0, boxes, surfaces, poles) -> None:
    l, w, h = rng.uniform(0.3, 1.2), rng.uniform(0.2, 0.6), rng.uniform(1.0, 3.5)
    boxes.append([x, y, z0 + h / 2, l, w, h, rng.normal(0, 0.1)])
    surfaces.append(Surface.BUILDING)


def _signal(rng, x, y, z0, boxes, surfaces, poles) -> None:
    h = rng.uniform(3.0, 5.5)
    poles.append([x, y, z0 - 0.1, z0 + h, rng.uniform(0.06, 0.15)])
    boxes.append([x, y, z0 + h - 0.5, rng.uniform(0.25, 0.4), rng.uniform(0.25, 0.4), rng.uniform(0.7, 1.0), 0.0])
    surfaces.append(Surface.FURNITURE)
    if rng.random() < 0.5:  # a sign lower down
        plate = rng.uniform(0.4, 0.8)
        boxes.append([x, y, z0 + rng.uniform(2.0, 2.6), plate, 0.05, plate, rng.uniform(0, math.pi)])
        surfaces.append(Surface.FURNITURE)


def _low_wall(rng, x, y, z0, boxes, surfaces, poles) -> None:
    l, w, h = rng.uniform(1.0, 3.5), rng.uniform(0.3, 0.8), rng.uniform(0.4, 1.1)
    boxes.append([x, y, z0 + h / 2, l, w, h, rng.normal(0, 0.05)])
    surfaces.append(Surface.FURNITURE)


_ITEMS = {"hedge": _hedge, "crown": _crown_edge, "pillar": _pillar, "signal": _signal, "low_wall": _low_wall}
_KINDS = list(_ITEMS)
_KIND_P = np.array([0.3, 0.25, 0.2, 0.15, 0.1])


def _plant_by(scene: "Scene", car: Actor, rng: np.random.Generator, boxes: list[list[float]],
              surfaces: list[int]) -> None:
    """A hedge on the sidewalk 0.1-0.6 m behind the car's kerb side, or a crown over it
    (its lowest leaves 0.3-0.9 m above the roof)."""
    c = scene.config
    side = math.copysign(1.0, car.y0_m)
    l, _, h = car.size_lwh_m
    z0 = float(scene.ground_height_m(car.x0_m, car.y0_m))
    if rng.random() < 0.5:
        y = side * (c.road_half_width_m + rng.uniform(0.7, 1.2))
        _hedge(rng, car.x0_m + rng.uniform(-1.0, 1.0), y, z0 + c.kerb_height_m, boxes, surfaces, [])
        return
    low = h + rng.uniform(0.3, 0.9)
    for _ in range(rng.integers(5, 11)):
        s = rng.uniform(0.5, 1.4, size=3)
        boxes.append([car.x0_m + rng.uniform(-0.6, 0.6) * l, side * (c.road_half_width_m + rng.normal(0.0, 1.0)),
                      z0 + low + s[2] / 2 + rng.uniform(0, 1.8), *s, rng.uniform(0, math.pi)])
        surfaces.append(Surface.VEGETATION)
