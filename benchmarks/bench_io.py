"""Frames per second of sweeplabel's readers next to the floors (numpy.fromfile for raw
binary, laspy.read for LAS/LAZ) on the shared real files. Prints one line per reader
with the ratio floor_fps / our_fps (the issue asks for <= 1.2).

Usage: .venv/bin/python benchmarks/bench_io.py [--repeat N]"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

import laspy
import numpy as np

from sweeplabel.io.las import read_las
from sweeplabel.io.pcd import read_header, read_pcd_points
from sweeplabel.io.ply_bin import read_bin

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def paired_fps(ours: Callable[[], object], floor: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Frames per second (best of ``repeat``) of ours and the floor, timed alternately so
    that both see the same load on a shared machine."""
    ours(), floor()
    t_ours, t_floor = [], []
    for _ in range(repeat):
        t_ours.append(_timed(ours))
        t_floor.append(_timed(floor))
    return 1.0 / min(t_ours), 1.0 / min(t_floor)


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _pcd_floor(path: Path) -> Callable[[], np.ndarray]:
    raw_head = path.read_bytes()[:4096]
    header = read_header(path, raw_head)
    count = header.points * 4
    return lambda: np.fromfile(path, dtype="<f4", count=count, offset=header.data_offset).reshape(-1, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    kitti = DATA / "kitti_object" / "training" / "velodyne" / "000001.bin"
    nus = next((DATA / "nuscenes_mmdet3d_demo" / "samples" / "LIDAR_TOP").glob("*.pcd.bin"))
    pcd = DATA / "kitti_tracking_0000" / "pcd_original" / "0000000000.pcd"
    laz = DATA / "las_laz" / "autzen_trim.laz"
    cases = [
        ("KITTI .bin", lambda: read_bin(kitti, 4), lambda: np.fromfile(kitti, "<f4").reshape(-1, 4)),
        ("nuScenes .pcd.bin", lambda: read_bin(nus, 5), lambda: np.fromfile(nus, "<f4").reshape(-1, 5)),
        ("binary PCD", lambda: read_pcd_points(pcd), _pcd_floor(pcd)),
        ("LAZ (110k pts)", lambda: read_las(laz), lambda: laspy.read(laz)),
    ]
    print(f"{'reader':20s} {'ours fps':>10s} {'floor fps':>10s} {'floor/ours':>10s}")
    for name, ours, floor in cases:
        a, b = paired_fps(ours, floor, args.repeat)
        print(f"{name:20s} {a:10.1f} {b:10.1f} {b / a:10.2f}")


if __name__ == "__main__":
    main()
