"""The synthetic street: static geometry, actors and their motion, the ego trajectory.

World frame: the street runs along +x, z is up, y = 0 is the centre line. Traffic
keeps to the right: the lane at y < 0 drives towards +x, the lane at y > 0 towards -x.
The ground is flat, then sloped up (a few degrees) for a stretch, then flat again;
the sidewalks on both sides sit a kerb height above the road. Buildings stand behind
the sidewalks, with two gaps: a plaza (left) and a car park (right) where actors
turn in circles (constant turn rate)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from ...model import Box
from ...model.geometry import make_transform, rotation_z

_FAR_M = 1.0e4  # "infinite" extent of ground patches


class Surface(IntEnum):
    """What a ray hit; decides intensity and the ground label."""

    NONE = 0
    ROAD = 1
    SIDEWALK = 2
    KERB = 3
    BUILDING = 4
    POLE = 5
    VEHICLE = 6
    CYCLIST = 7
    PEDESTRIAN = 8
    VEGETATION = 9  # trees' crowns, bushes (realistic scenes only)
    FURNITURE = 10  # fences, benches, bins, sign plates (realistic scenes only)


GROUND_SURFACES = (Surface.ROAD, Surface.SIDEWALK)


@dataclass(frozen=True)
class SceneConfig:
    """Street layout and traffic. Distances in metres, speeds in m/s."""

    road_half_width_m: float = 6.0  # two 3.5 m lanes + two 2.5 m parking lanes
    lane_offset_m: float = 1.75
    sidewalk_width_m: float = 4.0
    kerb_height_m: float = 0.15
    slope_start_x_m: float = 40.0
    slope_length_m: float = 80.0
    slope_deg: float = 3.0
    ego_start_x_m: float = 0.0
    ego_speed_mps: float = 8.0
    street_margin_m: float = 150.0  # street extent before the ego start / after its end
    parking_occupancy: float = 0.5
    parking_slot_m: float = 6.5
    car_gap_range_m: tuple[float, float] = (15.0, 40.0)
    lead_car_speed_mps: float = 9.0  # cars ahead of the ego in its lane
    trailing_car_speed_mps: float = 7.0  # cars behind the ego in its lane
    oncoming_car_speed_mps: float = 9.0
    cyclist_speed_mps: float = 4.5
    cyclists_per_side: int = 2
    pedestrians_per_sublane: int = 2
    pole_spacing_m: float = 18.0
    pole_radius_m: float = 0.12
    pole_height_m: float = 6.0
    plaza_x_m: tuple[float, float] = (14.0, 38.0)  # gap in the left buildings
    car_park_x_m: tuple[float, float] = (-40.0, -16.0)  # gap in the right buildings
    # realism (all off by default, so existing seeds give the same bytes; see ``realistic_scene``)
    clutter_per_100m: float = 0.0  # trees, bushes, fences, benches, bins, signs, bollards per side
    van_share: float = 0.0  # share of the cars (parked and moving) that are vans
    truck_share: float = 0.0  # ...and trucks
    standing_pedestrians: int = 0  # static people on each sidewalk (waiting, talking)
    articulated_people: bool = False  # legs, torso, head (and a rider over a bicycle frame) instead of boxes
    parked_bicycles: int = 0  # groups of 1-4 bicycles without riders on each sidewalk (a rack, a lamp post)
    # far range and roadside (off by default; ``roadside.far_realistic_scene``): hedges, vegetation
    # edges, wall corners, signal and sign poles at the building line, per 100 m and side
    roadside_per_100m: float = 0.0
    hedge_parking: float = 0.0  # share of parked cars with a hedge behind or a crown over them
    stepped_cars: bool = False  # cars with a bumper, a set-back upper body and cabin (not one flat face)
    glass_cabin_share: float = 0.0  # of the stepped cars: a see-through cabin (roof, pillars, seats)


@dataclass(frozen=True)
class Part:
    """One solid of an actor: centre offset and size in the actor's box frame."""

    offset_m: tuple[float, float, float]
    size_m: tuple[float, float, float]


@dataclass(frozen=True)
class Actor:
    """An object with ground truth, moving with constant speed and turn rate (CTRV)."""

    number: int
    category: str
    surface: Surface
    size_lwh_m: tuple[float, float, float]
    parts: tuple[Part, ...]
    x0_m: float
    y0_m: float
    yaw0_rad: float
    speed_mps: float = 0.0
    yaw_rate_radps: float = 0.0
    attributes: dict[str, str] = field(default_factory=dict)

    def pose_2d(self, t_s: float) -> tuple[float, float, float]:
        """(x, y, yaw) at time ``t_s`` under constant velocity and turn rate."""
        v, w, yaw0 = self.speed_mps, self.yaw_rate_radps, self.yaw0_rad
        if abs(w) < 1e-12:
            return (self.x0_m + v * t_s * math.cos(yaw0), self.y0_m + v * t_s * math.sin(yaw0), yaw0)
        yaw = yaw0 + w * t_s
        x = self.x0_m + v / w * (math.sin(yaw) - math.sin(yaw0))
        y = self.y0_m - v / w * (math.cos(yaw) - math.cos(yaw0))
        return (x, y, yaw)


@dataclass
class Scene:
    """Everything the ray caster needs, plus the ground truth."""

    config: SceneConfig
    ground_planes: np.ndarray  # (P, 7): x0, x1, y0, y1, a, b, c with z = a + b x + c y
    ground_surface: np.ndarray  # (P,) Surface codes
    kerbs: np.ndarray  # (K, 6): y, x0, x1, a, b, h; face from z = a + b x up by h
    buildings: np.ndarray  # (B, 7) boxes: cx, cy, cz, l, w, h, yaw
    poles: np.ndarray  # (C, 5): cx, cy, z0, z1, radius
    actors: list[Actor]
    clutter: np.ndarray = field(default_factory=lambda: np.zeros((0, 7)))  # (Q, 7) boxes, no ground truth
    clutter_surface: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))  # (Q,)

    # -- ground ---------------------------------------------------------------------
    def road_height_m(self, x_m: np.ndarray | float) -> np.ndarray:
        """Height of the road surface (without the kerb) at ``x_m``."""
        c = self.config
        run = np.clip(np.asarray(x_m, dtype=np.float64) - c.slope_start_x_m, 0.0, c.slope_length_m)
        return run * math.tan(math.radians(c.slope_deg))

    def ground_height_m(self, x_m: np.ndarray | float, y_m: np.ndarray | float) -> np.ndarray:
        """Height of the walkable ground (road, or sidewalk a kerb higher) at (x, y)."""
        c = self.config
        raised = np.abs(np.asarray(y_m, dtype=np.float64)) > c.road_half_width_m
        return self.road_height_m(x_m) + c.kerb_height_m * raised

    def road_slope(self, x_m: float) -> float:
        """dz/dx of the road at ``x_m``."""
        c = self.config
        inside = c.slope_start_x_m <= x_m < c.slope_start_x_m + c.slope_length_m
        return math.tan(math.radians(c.slope_deg)) if inside else 0.0

    # -- ego and actors -------------------------------------------------------------
    def T_world_sensor(self, t_s: float, mounting_height_m: float) -> np.ndarray:
        """Sensor pose: the ego drives along +x in the right lane, pitched with the road."""
        c = self.config
        x = c.ego_start_x_m + c.ego_speed_mps * t_s
        y = -c.lane_offset_m
        z = float(self.ground_height_m(x, y)) + mounting_height_m
        pitch = math.atan(self.road_slope(x))
        cp, sp = math.cos(pitch), math.sin(pitch)
        nose_up = np.array([[cp, 0.0, -sp], [0.0, 1.0, 0.0], [sp, 0.0, cp]])
        return make_transform(rotation_z(0.0) @ nose_up, np.array([x, y, z]))

    def actor_box(self, actor: Actor, t_s: float) -> Box:
        """The tight ground-truth cuboid of ``actor`` at ``t_s`` (world frame)."""
        x, y, yaw = actor.pose_2d(t_s)
        z = float(self.ground_height_m(x, y)) + actor.size_lwh_m[2] / 2.0
        return Box(np.array([x, y, z]), np.array(actor.size_lwh_m), yaw)

    def actor_solids(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """All actor parts as boxes (M, 7) with the index of their actor (M,)."""
        rows: list[list[float]] = []
        owners: list[int] = []
        for index, actor in enumerate(self.actors):
            box = self.actor_box(actor, t_s)
            rot = box.rotation
            for part in actor.parts:
                center = box.center_m + rot @ np.array(part.offset_m)
                rows.append([*center, *part.size_m, box.yaw_rad])
                owners.append(index)
        return np.array(rows, dtype=np.float64).reshape(-1, 7), np.array(owners, dtype=np.int32)


# -- building the scene ---------------------------------------------------------------


def build_scene(config: SceneConfig, duration_s: float, seed: int) -> Scene:
    """Lay out a street long enough for the ego's drive of ``duration_s`` seconds."""
    rng = np.random.default_rng([seed, 0x5CE7E])
    x_end = config.ego_start_x_m + config.ego_speed_mps * duration_s
    extent = (config.ego_start_x_m - config.street_margin_m, x_end + config.street_margin_m)
    planes, plane_surface, kerbs = _ground(config)
    scene = Scene(config, planes, plane_surface, kerbs, np.zeros((0, 7)), np.zeros((0, 5)), [])
    scene.buildings = _buildings(scene, extent, rng)
    scene.poles = _poles(scene, extent, rng)
    actors: list[Actor] = []
    _add_parked_cars(scene, extent, rng, actors)
    _add_moving_cars(scene, extent, rng, actors)
    _add_cyclists(scene, extent, rng, actors)
    _add_pedestrians(scene, (config.ego_start_x_m - 40.0, x_end + 60.0), rng, actors)
    _add_turning_actors(scene, rng, actors)
    if (config.clutter_per_100m > 0 or config.van_share > 0 or config.truck_share > 0 or config.standing_pedestrians
            or config.articulated_people or config.parked_bicycles):
        from .clutter import add_clutter

        add_clutter(scene, extent, np.random.default_rng([seed, 0xC1A7]), actors)
    if config.roadside_per_100m > 0 or config.hedge_parking > 0 or config.stepped_cars:
        from .roadside import add_roadside

        add_roadside(scene, extent, np.random.default_rng([seed, 0xFA6]), actors)
    scene.actors = actors
    return scene


def _x_segments(c: SceneConfig) -> list[tuple[float, float, float, float]]:
    """(x0, x1, a, b) of the road height z = a + b x: flat, sloped, flat."""
    tan = math.tan(math.radians(c.slope_deg))
    x_s, x_e = c.slope_start_x_m, c.slope_start_x_m + c.slope_length_m
    return [(-_FAR_M, x_s, 0.0, 0.0), (x_s, x_e, -tan * x_s, tan), (x_e, _FAR_M, tan * c.slope_length_m, 0.0)]


def _ground(c: SceneConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rh, kh = c.road_half_width_m, c.kerb_height_m
    planes, surfaces, kerbs = [], [], []
    for x0, x1, a, b in _x_segments(c):
        planes += [[x0, x1, -_FAR_M, -rh, a + kh, b, 0.0], [x0, x1, -rh, rh, a, b, 0.0],
                   [x0, x1, rh, _FAR_M, a + kh, b, 0.0]]
        surfaces += [Surface.SIDEWALK, Surface.ROAD, Surface.SIDEWALK]
        kerbs += [[-rh, x0, x1, a, b, kh], [rh, x0, x1, a, b, kh]]
    return np.array(planes), np.array(surfaces, dtype=np.int8), np.array(kerbs)


def _buildings(scene: Scene, extent: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    c = scene.config
    wall_m = c.road_half_width_m + c.sidewalk_width_m
    rows = []
    for side, gap in ((1.0, c.plaza_x_m), (-1.0, c.car_park_x_m)):
        x = extent[0]
        while x < extent[1]:
            length = rng.uniform(8.0, 25.0)
            depth, height = rng.uniform(10.0, 20.0), rng.uniform(6.0, 20.0)
            x0, x1 = x, x + length
            x = x1 + (rng.uniform(3.0, 8.0) if rng.random() < 0.3 else 0.0)
            if x1 > gap[0] and x0 < gap[1]:
                continue
            ground = scene.road_height_m(np.array([x0, x1]))
            z0, z1 = float(ground.min()) - 0.5, float(ground.max()) + height
            rows.append([(x0 + x1) / 2, side * (wall_m + depth / 2), (z0 + z1) / 2, length, depth, z1 - z0, 0.0])
    return np.array(rows, dtype=np.float64).reshape(-1, 7)


def _poles(scene: Scene, extent: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    c = scene.config
    rows = []
    for side in (1.0, -1.0):
        y = side * (c.road_half_width_m + 0.5)
        for x in np.arange(extent[0], extent[1], c.pole_spacing_m):
            x = float(x + rng.uniform(-3.0, 3.0))
            z0 = float(scene.ground_height_m(x, y)) - 0.1
            rows.append([x, y, z0, z0 + c.pole_height_m, c.pole_radius_m])
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


def _car(number: int, rng: np.random.Generator, x: float, y: float, yaw: float, speed: float,
         motion: str, yaw_rate: float = 0.0) -> Actor:
    length, width, height = rng.uniform(4.0, 4.9), rng.uniform(1.75, 1.9), rng.uniform(1.4, 1.65)
    body_h, cabin_h = 0.6 * height, 0.4 * height
    parts = (
        Part((0.0, 0.0, -height / 2 + body_h / 2), (length, width, body_h)),
        Part((-0.05 * length, 0.0, height / 2 - cabin_h / 2), (0.55 * length, 0.9 * width, cabin_h)),
    )
    return Actor(number, "vehicle.car", Surface.VEHICLE, (length, width, height), parts, x, y, yaw,
                 speed, yaw_rate, {"motion": motion})


def _cyclist(number: int, x: float, y: float, yaw: float, speed: float, yaw_rate: float = 0.0) -> Actor:
    length, width, height = 1.8, 0.5, 1.75
    parts = (
        Part((0.0, 0.0, -height / 2 + 0.5), (length, 0.12, 1.0)),  # bicycle
        Part((-0.1, 0.0, height / 2 - 0.425), (0.6, width, 0.85)),  # rider
    )
    return Actor(number, "vehicle.cyclist", Surface.CYCLIST, (length, width, height), parts, x, y, yaw,
                 speed, yaw_rate, {"rider": "cycle.with_rider"})


def _pedestrian(number: int, rng: np.random.Generator, x: float, y: float, yaw: float, speed: float,
                yaw_rate: float = 0.0) -> Actor:
    size = (rng.uniform(0.5, 0.75), rng.uniform(0.55, 0.7), rng.uniform(1.6, 1.9))
    return Actor(number, "human.pedestrian.adult", Surface.PEDESTRIAN, size, (Part((0.0, 0.0, 0.0), size),),
                 x, y, yaw, speed, yaw_rate, {"activity": "pedestrian.moving"})


def _add_parked_cars(scene: Scene, extent: tuple[float, float], rng: np.random.Generator,
                     actors: list[Actor]) -> None:
    c = scene.config
    for side, yaw in ((-1.0, 0.0), (1.0, math.pi)):
        for x in np.arange(extent[0], extent[1], c.parking_slot_m):
            if rng.random() >= c.parking_occupancy:
                continue
            car = _car(len(actors) + 1, rng, 0.0, 0.0, 0.0, 0.0, "vehicle.parked")
            y = side * (c.road_half_width_m - 0.25 - car.size_lwh_m[1] / 2)
            jitter_x, jitter_yaw = rng.uniform(-0.4, 0.4), rng.uniform(-0.03, 0.03)
            actors.append(Actor(car.number, car.category, car.surface, car.size_lwh_m, car.parts,
                                float(x + jitter_x), y, yaw + jitter_yaw, 0.0, 0.0, car.attributes))


def _convoy(start_x: float, end_x: float, direction: float, rng: np.random.Generator,
            gap_range: tuple[float, float]) -> list[float]:
    """Positions from ``start_x`` towards ``end_x`` (direction +1 or -1) with random gaps."""
    xs, x = [], start_x
    while (end_x - x) * direction > 0:
        xs.append(x)
        x += direction * rng.uniform(*gap_range)
    return xs


def _add_moving_cars(scene: Scene, extent: tuple[float, float], rng: np.random.Generator,
                     actors: list[Actor]) -> None:
    c = scene.config
    lane = c.lane_offset_m
    plans = [
        (_convoy(c.ego_start_x_m + 20.0, extent[1], 1.0, rng, c.car_gap_range_m), -lane, 0.0, c.lead_car_speed_mps),
        (_convoy(c.ego_start_x_m - 25.0, extent[0], -1.0, rng, c.car_gap_range_m), -lane, 0.0,
         c.trailing_car_speed_mps),
        (_convoy(extent[0], extent[1], 1.0, rng, c.car_gap_range_m), lane, math.pi, c.oncoming_car_speed_mps),
    ]
    for xs, y, yaw, speed in plans:
        for x in xs:
            actors.append(_car(len(actors) + 1, rng, x, y, yaw, speed, "vehicle.moving"))


def _add_cyclists(scene: Scene, extent: tuple[float, float], rng: np.random.Generator,
                  actors: list[Actor]) -> None:
    c = scene.config
    y_abs = c.road_half_width_m - 2.5 - 0.4  # outer edge of the driving lane
    for side, yaw in ((-1.0, 0.0), (1.0, math.pi)):
        start = c.ego_start_x_m + rng.uniform(10.0, 30.0)
        for x in _convoy(start, extent[1], 1.0, rng, (25.0, 50.0))[: c.cyclists_per_side]:
            actors.append(_cyclist(len(actors) + 1, x, side * y_abs, yaw, c.cyclist_speed_mps))


def _add_pedestrians(scene: Scene, x_range: tuple[float, float], rng: np.random.Generator,
                     actors: list[Actor]) -> None:
    """Sub-lanes on each sidewalk; everyone in one sub-lane walks the same way and speed."""
    c = scene.config
    for side in (-1.0, 1.0):
        for offset in (1.2, 2.2, 3.2):
            yaw = 0.0 if rng.random() < 0.5 else math.pi
            speed = rng.uniform(1.1, 1.6)
            xs = np.sort(rng.uniform(*x_range, size=c.pedestrians_per_sublane))
            for i, x in enumerate(xs):
                if i and x - xs[i - 1] < 2.0:
                    continue
                y = side * (c.road_half_width_m + offset)
                actors.append(_pedestrian(len(actors) + 1, rng, float(x), y, yaw, speed))


def _add_turning_actors(scene: Scene, rng: np.random.Generator, actors: list[Actor]) -> None:
    """Circles in the plaza (pedestrian, cyclist) and the car park (car)."""
    c = scene.config
    wall = c.road_half_width_m + c.sidewalk_width_m
    plaza = (sum(c.plaza_x_m) / 2, wall + 8.0)
    park = (sum(c.car_park_x_m) / 2, -(wall + 11.0))
    circles = [  # centre, radius, speed, counter-clockwise?
        (plaza, 3.0, 1.4, True, "ped"),
        (plaza, 6.5, 3.5, False, "cyclist"),
        (park, 8.0, 3.0, True, "car"),
    ]
    for (cx, cy), radius, speed, ccw, kind in circles:
        phase = rng.uniform(-math.pi, math.pi)
        x, y = cx + radius * math.cos(phase), cy + radius * math.sin(phase)
        sign = 1.0 if ccw else -1.0
        yaw, rate = phase + sign * math.pi / 2, sign * speed / radius
        number = len(actors) + 1
        if kind == "ped":
            actors.append(_pedestrian(number, rng, x, y, yaw, speed, rate))
        elif kind == "cyclist":
            actors.append(_cyclist(number, x, y, yaw, speed, rate))
        else:
            actors.append(_car(number, rng, x, y, yaw, speed, "vehicle.moving", rate))
