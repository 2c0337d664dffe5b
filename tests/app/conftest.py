"""GUI test setup: Qt runs offscreen (set before any QApplication exists), and a
small in-memory project: a ground plane plus a car-shaped cluster, one track."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sweeplabel.model import Box, Frame, Project, Sequence, Source, commands  # noqa: E402

ORIGIN_M = np.array([500_000.0, 5_400_000.0, 100.0])  # UTM-sized world coordinates
EGO_STEP_M = 2.0
CAR_STEP_M = 1.0
CAR_SIZE_LWH_M = np.array([4.6, 2.0, 1.7])
SENSOR_HEIGHT_M = 1.8


def car_center_m(frame_index: int) -> np.ndarray:
    return ORIGIN_M + [8.0 + CAR_STEP_M * frame_index, 3.0, -SENSOR_HEIGHT_M + CAR_SIZE_LWH_M[2] / 2]


def sensor_position_m(frame_index: int) -> np.ndarray:
    return ORIGIN_M + [EGO_STEP_M * frame_index, 0.0, 0.0]


def ground_points_m() -> np.ndarray:
    """A gently rolling 30 m x 30 m ground grid (world frame, relative to ORIGIN_M)."""
    x, y = np.meshgrid(np.arange(-15.0, 15.0, 0.5), np.arange(-15.0, 15.0, 0.5))
    z = -SENSOR_HEIGHT_M + 0.15 * np.sin(x / 3.0) * np.cos(y / 4.0)
    return np.column_stack([x.ravel(), y.ravel(), z.ravel()])


def car_points_m(frame_index: int) -> np.ndarray:
    """Points on the car's sides and roof, slightly inside the box (world frame)."""
    half = CAR_SIZE_LWH_M / 2 - 0.05
    u = np.stack(np.meshgrid(*(np.arange(-h, h + 1e-9, 0.2) for h in half), indexing="ij"), -1).reshape(-1, 3)
    on_surface = (np.abs(u[:, 0]) > half[0] - 0.1) | (np.abs(u[:, 1]) > half[1] - 0.1) | (u[:, 2] > half[2] - 0.1)
    return u[on_surface] + car_center_m(frame_index)


def make_frame(frame_index: int) -> Frame:
    T_world_sensor = np.eye(4)
    T_world_sensor[:3, 3] = sensor_position_m(frame_index)

    def load() -> np.ndarray:
        world_m = np.vstack([ground_points_m() + ORIGIN_M, car_points_m(frame_index)])
        return (world_m - sensor_position_m(frame_index)).astype(np.float32)

    return Frame(frame_index, 0.1 * frame_index, T_world_sensor, loader=load)


def make_scene_project() -> Project:
    """3 frames; the car's track is annotated in frames 0 and 1, not in frame 2."""
    project = Project(Sequence("street-test", [make_frame(i) for i in range(3)], format="memory"))
    project.execute(commands.create_track(project, "vehicle.car", 0, Box(car_center_m(0), CAR_SIZE_LWH_M, 0.0)))
    track = next(iter(project.tracks.values()))
    project.execute(commands.put_annotations(project, [(track.token, 1, Box(car_center_m(1), CAR_SIZE_LWH_M, 0.0))], Source.MANUAL))
    return project


@pytest.fixture
def scene_project() -> Project:
    return make_scene_project()


@pytest.fixture(scope="session", autouse=True)
def tools_ready() -> None:
    """The point kernels loaded before any window opens (a window would otherwise show
    "preparing tools…" and refuse one-click until its background warm-up ends)."""
    from sweeplabel.app.tool_warmup import ToolWarmup
    from sweeplabel.assist.warmup import prepare_assists

    prepare_assists()
    ToolWarmup._started = True
    ToolWarmup._done.set()
