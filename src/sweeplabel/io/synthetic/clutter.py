"""Realism for the synthetic street (all off unless the config asks for it): what a real
street holds besides cars and people and what a real sensor makes of it.

- Street furniture and vegetation along both sidewalks: trees (a trunk and a ragged
  crown of leaf clumps, some low), bushes, fences (long thin panels and posts), benches,
  bins, sign posts with a plate, bollards. None has ground truth: they are what a
  pre-annotation must learn to reject (a bin or a post is person-sized).
- Vans and trucks among the cars, and people standing still.
- On request (``SceneConfig.parked_bicycles``, not in ``realistic_scene``: the shipped scorer is
  not trained with them, see benchmarks/README.md) bicycles parked on the sidewalk without a
  rider, alone or a few side by side at a rack (``vehicle.bicycle``, with ground truth).
- The sensor: far returns thin out (``far_dropout``), leaves scatter the range
  (``vegetation_noise_m``) and each object has its own reflectivity (``reflectivity_jitter``),
  so intensity alone does not name a class.

``realistic_scene`` / ``realistic_lidar`` give the settings the scorer is trained on."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .scene import Actor, Part, SceneConfig, Surface, _pedestrian

if TYPE_CHECKING:
    from .lidar import LidarConfig
    from .scene import Scene


def realistic_scene(base: SceneConfig | None = None) -> SceneConfig:
    """The street with clutter, vans, trucks and standing people."""
    return replace(base or SceneConfig(), clutter_per_100m=14.0, van_share=0.15, truck_share=0.07,
                   standing_pedestrians=3, articulated_people=True, cyclists_per_side=5, pedestrians_per_sublane=4)


def realistic_lidar(lidar: "LidarConfig") -> "LidarConfig":
    """The sensor with far dropout, leaf scatter and per-object reflectivity."""
    return replace(lidar, far_dropout=0.45, vegetation_noise_m=0.08, reflectivity_jitter=0.25)


# -- the scene -------------------------------------------------------------------------------
def add_clutter(scene: "Scene", extent: tuple[float, float], rng: np.random.Generator, actors: list[Actor]) -> None:
    """Add furniture, vegetation, vans/trucks and standing people to ``scene``."""
    c = scene.config
    boxes: list[list[float]] = []
    surfaces: list[int] = []
    poles: list[list[float]] = []
    if c.clutter_per_100m > 0:
        for side in (1.0, -1.0):
            count = rng.poisson(c.clutter_per_100m * (extent[1] - extent[0]) / 100.0)
            for x in rng.uniform(extent[0], extent[1], size=count):
                y = side * (c.road_half_width_m + rng.uniform(0.3, c.sidewalk_width_m - 0.2))
                z0 = float(scene.ground_height_m(x, y))
                kind = rng.choice(_KINDS, p=_KIND_P)
                _ITEMS[kind](rng, float(x), float(y), z0, boxes, surfaces, poles)
    if boxes:
        scene.clutter = np.array(boxes, dtype=np.float64)
        scene.clutter_surface = np.array(surfaces, dtype=np.int8)
    if poles:
        scene.poles = np.concatenate([scene.poles, np.array(poles, dtype=np.float64)])
    _resize_vehicles(scene, rng, actors)
    _standing_people(scene, rng, actors, extent)
    if c.articulated_people:
        for k, a in enumerate(actors):
            if a.category == "human.pedestrian.adult":  # a stride makes a walker longer
                walking = a.speed_mps > 0
                size = (rng.uniform(0.55, 1.0) if walking else rng.uniform(0.4, 0.7), rng.uniform(0.5, 0.8),
                        a.size_lwh_m[2])
                actors[k] = replace(a, size_lwh_m=size, parts=person_parts(size, rng, walking))
            elif a.category == "vehicle.cyclist":
                size = (rng.uniform(1.6, 1.9), rng.uniform(0.55, 0.8), rng.uniform(1.6, 1.85))
                actors[k] = replace(a, size_lwh_m=size, parts=cyclist_parts(size, rng))
    _parked_bicycles(scene, rng, actors, extent)


def _tree(rng, x, y, z0, boxes, surfaces, poles) -> None:
    trunk_h = rng.uniform(1.8, 3.5)
    poles.append([x, y, z0 - 0.1, z0 + trunk_h + 1.0, rng.uniform(0.1, 0.3)])
    crown_r = rng.uniform(1.0, 2.5)
    for _ in range(rng.integers(5, 12)):
        off = rng.normal(0.0, crown_r * 0.5, size=3)
        s = rng.uniform(0.4, 1.4, size=3)
        boxes.append([x + off[0], y + off[1], z0 + trunk_h + crown_r * 0.6 + off[2], *s, rng.uniform(0, math.pi)])
        surfaces.append(Surface.VEGETATION)


def _bush(rng, x, y, z0, boxes, surfaces, poles) -> None:
    for _ in range(rng.integers(2, 6)):
        off = rng.normal(0.0, 0.4, size=2)
        s = rng.uniform(0.3, 1.1, size=3)
        h = rng.uniform(0.4, 1.6)
        boxes.append([x + off[0], y + off[1], z0 + h / 2, s[0], s[1], h, rng.uniform(0, math.pi)])
        surfaces.append(Surface.VEGETATION)


def _fence(rng, x, y, z0, boxes, surfaces, poles) -> None:
    length, h = rng.uniform(3.0, 15.0), rng.uniform(0.8, 1.8)
    yaw = rng.normal(0.0, 0.05)
    boxes.append([x, y, z0 + h / 2, length, rng.uniform(0.03, 0.1), h, yaw])
    surfaces.append(Surface.FURNITURE)
    for u in np.arange(-length / 2, length / 2 + 0.01, rng.uniform(1.5, 3.0)):
        poles.append([x + u * math.cos(yaw), y + u * math.sin(yaw), z0 - 0.1, z0 + h + 0.1, 0.04])


def _bench(rng, x, y, z0, boxes, surfaces, poles) -> None:
    l, w = rng.uniform(1.2, 2.2), rng.uniform(0.4, 0.7)
    yaw = rng.choice([0.0, math.pi / 2]) + rng.normal(0, 0.1)
    boxes.append([x, y, z0 + 0.25, l, w, 0.5, yaw])
    if rng.random() < 0.6:  # a backrest
        boxes.append([x, y, z0 + 0.7, l, 0.08, 0.4, yaw])
    surfaces.extend([Surface.FURNITURE] * (len(boxes) - len(surfaces)))


def _bin(rng, x, y, z0, boxes, surfaces, poles) -> None:
    s, h = rng.uniform(0.4, 0.8), rng.uniform(0.8, 1.3)
    boxes.append([x, y, z0 + h / 2, s, s * rng.uniform(0.7, 1.0), h, rng.uniform(0, math.pi)])
    surfaces.append(Surface.FURNITURE)


def _sign(rng, x, y, z0, boxes, surfaces, poles) -> None:
    h = rng.uniform(2.0, 3.2)
    poles.append([x, y, z0 - 0.1, z0 + h, rng.uniform(0.03, 0.08)])
    plate = rng.uniform(0.4, 0.9)
    boxes.append([x, y, z0 + h - plate / 2, plate, 0.04, plate, rng.uniform(0, math.pi)])
    surfaces.append(Surface.FURNITURE)


def _bollard(rng, x, y, z0, boxes, surfaces, poles) -> None:
    for k in range(rng.integers(1, 5)):
        poles.append([x + 1.5 * k, y, z0 - 0.1, z0 + rng.uniform(0.6, 1.1), rng.uniform(0.06, 0.15)])


_ITEMS = {"tree": _tree, "bush": _bush, "fence": _fence, "bench": _bench, "bin": _bin, "sign": _sign,
          "bollard": _bollard}
_KINDS = list(_ITEMS)
_KIND_P = np.array([0.22, 0.2, 0.12, 0.1, 0.14, 0.14, 0.08])


def person_parts(size_lwh_m: tuple[float, float, float], rng: np.random.Generator,
                 walking: bool) -> tuple[Part, ...]:
    """Two legs (apart in a stride when walking), a torso with arms, a head, in the box
    ``size_lwh_m`` (x forward): narrower at the top than at the legs' spread."""
    l, w, h = size_lwh_m
    leg_h, head_h = 0.47 * h, 0.13 * h
    torso_h = h - leg_h - head_h
    stride = rng.uniform(0.15, 0.5 * l) if walking else rng.uniform(0.0, 0.12)
    z_leg, z_torso, z_head = -h / 2 + leg_h / 2, -h / 2 + leg_h + torso_h / 2, h / 2 - head_h / 2
    leg = (0.14, 0.14, leg_h)
    torso_w = rng.uniform(0.38, min(0.5, w))
    parts = [Part((stride / 2, 0.1, z_leg), leg), Part((-stride / 2, -0.1, z_leg), leg),
             Part((0.0, 0.0, z_torso), (rng.uniform(0.22, 0.32), torso_w, torso_h)),
             Part((0.0, 0.0, z_head), (0.2, 0.18, head_h))]
    if rng.random() < 0.3:  # a backpack or a bag
        parts.append(Part((-0.2, 0.0, z_torso), (0.18, 0.3, 0.4 * torso_h)))
    return tuple(parts)


def cyclist_parts(size_lwh_m: tuple[float, float, float], rng: np.random.Generator) -> tuple[Part, ...]:
    """Two wheels and a frame (thin, low), handlebars, the rider's legs, torso and head."""
    l, w, h = size_lwh_m
    wheel = rng.uniform(0.6, 0.7)
    zb = -h / 2
    return (Part((l / 2 - wheel / 2, 0.0, zb + wheel / 2), (wheel, 0.05, wheel)),
            Part((-l / 2 + wheel / 2, 0.0, zb + wheel / 2), (wheel, 0.05, wheel)),
            Part((0.0, 0.0, zb + 0.6), (l - wheel, 0.06, 0.12)),  # top tube
            Part((l / 2 - wheel / 2 - 0.1, 0.0, zb + 1.0), (0.06, min(w, 0.6), 0.05)),  # handlebars
            Part((-0.1, 0.0, zb + 0.75), (0.35, 0.3, 0.45)),  # rider's legs
            Part((0.0, 0.0, zb + 1.2), (0.45, rng.uniform(0.35, 0.45), 0.45)),  # torso, leaning forward
            Part((0.15, 0.0, h / 2 - 0.12), (0.2, 0.18, 0.24)))  # head


def bicycle_parts(size_lwh_m: tuple[float, float, float], rng: np.random.Generator) -> tuple[Part, ...]:
    """A bicycle without a rider: two thin wheels, top and down tubes, a saddle and
    handlebars as wide as the box, the handlebars highest (x forward)."""
    l, w, h = size_lwh_m
    wheel = rng.uniform(0.6, 0.7)
    zb = -h / 2
    return (Part((l / 2 - wheel / 2, 0.0, zb + wheel / 2), (wheel, 0.04, wheel)),
            Part((-l / 2 + wheel / 2, 0.0, zb + wheel / 2), (wheel, 0.04, wheel)),
            Part((0.0, 0.0, zb + 0.75), (l - wheel, 0.05, 0.06)),  # top tube
            Part((0.05, 0.0, zb + 0.5), (0.45, 0.05, 0.35)),  # down tube and crank
            Part((-0.25, 0.0, zb + rng.uniform(0.85, 0.95)), (0.25, 0.14, 0.06)),  # saddle
            Part((l / 2 - wheel / 2 - 0.05, 0.0, h / 2 - 0.03), (0.05, w, 0.06)))  # handlebars


def _parked_bicycles(scene: "Scene", rng: np.random.Generator, actors: list[Actor],
                     extent: tuple[float, float]) -> None:
    """``parked_bicycles`` groups per sidewalk near the ego's drive: 1-4 bicycles side by side
    (0.6-0.9 m apart) across the sidewalk (a rack), or one along the kerb."""
    c = scene.config
    standing = np.array([[a.x0_m, a.y0_m] for a in actors
                         if a.speed_mps == 0.0 and a.category.startswith("human.")]).reshape(-1, 2)
    for side in (1.0, -1.0):
        for x in rng.uniform(max(extent[0], c.ego_start_x_m - 40.0), min(extent[1], c.ego_start_x_m + 120.0),
                             size=c.parked_bicycles):
            count = int(rng.integers(1, 5))
            y_try = side * (c.road_half_width_m + 0.5 * c.sidewalk_width_m)
            if len(standing) and np.hypot(standing[:, 0] - (x + 1.0), standing[:, 1] - y_try).min() < 3.0:
                continue  # not on a standing person
            across = count > 1 or rng.random() < 0.5
            y = side * (c.road_half_width_m + rng.uniform(0.6, c.sidewalk_width_m - 1.0))
            gap = rng.uniform(0.6, 0.9)
            for k in range(count):
                size = (rng.uniform(1.6, 1.8), rng.uniform(0.5, 0.65), rng.uniform(1.0, 1.2))
                yaw = (math.pi / 2 if across else 0.0) + rng.normal(0.0, 0.08) + (math.pi if rng.random() < 0.5 else 0)
                actors.append(Actor(len(actors) + 1, "vehicle.bicycle", Surface.CYCLIST, size, bicycle_parts(size, rng),
                                    float(x + k * gap), float(y), float(yaw), 0.0, 0.0,
                                    {"rider": "cycle.without_rider"}))


def _vehicle_parts(length: float, width: float, height: float, kind: str) -> tuple[Part, ...]:
    if kind == "truck":  # a cab and a taller cargo box
        cab = 0.25 * length
        return (Part((length / 2 - cab / 2, 0.0, -height / 2 + 0.8 * height / 2), (cab, width, 0.8 * height)),
                Part((-cab / 2, 0.0, 0.05 * height), (length - cab - 0.2, width, 0.9 * height)))
    return (Part((0.0, 0.0, -height / 2 + 0.35 * height), (length, width, 0.7 * height)),  # van: a tall body
            Part((0.05 * length, 0.0, 0.35 * height), (0.85 * length, 0.95 * width, 0.3 * height)))


def _resize_vehicles(scene: "Scene", rng: np.random.Generator, actors: list[Actor]) -> None:
    """Turn a share of the (straight-driving or parked) cars into vans and trucks."""
    c = scene.config
    for k, a in enumerate(actors):
        if a.category != "vehicle.car" or a.yaw_rate_radps != 0.0:
            continue
        u = rng.random()
        if u < c.van_share:
            kind, size = "van", (rng.uniform(4.7, 5.6), rng.uniform(1.9, 2.1), rng.uniform(1.9, 2.5))
            category = "vehicle.van"
        elif u < c.van_share + c.truck_share:
            kind, size = "truck", (rng.uniform(6.5, 10.0), rng.uniform(2.3, 2.6), rng.uniform(2.8, 3.6))
            category = "vehicle.truck"
        else:
            continue
        shift = 0.0
        if a.speed_mps == 0.0:  # parked: keep the kerb-side edge
            shift = math.copysign(0.5 * (size[1] - a.size_lwh_m[1]), a.y0_m)
        actors[k] = replace(a, category=category, size_lwh_m=size, parts=_vehicle_parts(*size, kind),
                            y0_m=a.y0_m - shift)


def _standing_people(scene: "Scene", rng: np.random.Generator, actors: list[Actor],
                     extent: tuple[float, float]) -> None:
    c = scene.config
    for side in (1.0, -1.0):
        for x in rng.uniform(max(extent[0], c.ego_start_x_m - 40.0), min(extent[1], c.ego_start_x_m + 120.0),
                             size=c.standing_pedestrians):
            y = side * (c.road_half_width_m + rng.uniform(0.5, c.sidewalk_width_m - 0.5))
            p = _pedestrian(len(actors) + 1, rng, float(x), float(y), rng.uniform(-math.pi, math.pi), 0.0)
            actors.append(replace(p, attributes={"activity": "pedestrian.standing"}))


# -- the sensor ------------------------------------------------------------------------------
def dropout_mask(ranges_m: np.ndarray, surface: np.ndarray, lidar: "LidarConfig",
                 rng: np.random.Generator) -> np.ndarray:
    """True for returns kept: far ones thin out, leaves let some rays through."""
    r = np.where(np.isfinite(ranges_m), ranges_m, lidar.max_range_m)
    p_drop = lidar.far_dropout * np.clip(r / lidar.max_range_m, 0.0, 1.0) ** 2
    p_drop = np.where(surface == Surface.VEGETATION, np.maximum(p_drop, 0.35), p_drop)
    return rng.random(len(r)) >= p_drop


def leaf_scatter(ranges_m: np.ndarray, surface: np.ndarray, lidar: "LidarConfig",
                 rng: np.random.Generator) -> np.ndarray:
    """Ranges of leaf hits spread by ``vegetation_noise_m`` (one-sided: into the crown)."""
    if lidar.vegetation_noise_m <= 0:
        return ranges_m
    leaf = surface == Surface.VEGETATION
    return ranges_m + leaf * np.abs(rng.normal(0.0, lidar.vegetation_noise_m * 4, size=len(ranges_m)))


def object_reflectivity(intensity: np.ndarray, owner: np.ndarray, lidar: "LidarConfig") -> np.ndarray:
    """Each actor's returns offset by its own reflectivity (a black car, a white van)."""
    if lidar.reflectivity_jitter <= 0:
        return intensity
    offsets = np.random.default_rng(0xA11).uniform(-1.0, 1.0, size=int(owner.max(initial=-1)) + 2)
    shift = np.where(owner >= 0, offsets[np.maximum(owner, 0)] * lidar.reflectivity_jitter, 0.0)
    return np.clip(intensity + shift, 0.0, 1.0).astype(intensity.dtype)
