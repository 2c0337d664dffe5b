"""Reader fuzzing: small seeds cut from the shared recordings, mutations driven by
hypothesis, and one long-lived worker subprocess (time and memory limits) that opens
each mutant with ``read_sequence`` and loads every frame's points.

Used by ``tests/io/test_fuzz_readers.py`` (a small CI budget) and by
``benchmarks/fuzz_readers.py`` (``--n 300`` per input type, the table for the README).

Outcomes of one mutant:
  clean     -- a SweeplabelIOError naming the file and a line or byte offset
  unlocated -- a SweeplabelIOError without a file or without a line/offset
  traceback -- any other exception (or the worker died)
  hang      -- no answer within the time limit
  memory    -- MemoryError (or an abort) under the address-space limit: 1.5 GiB more than
               the worker's imports take
  wrong     -- accepted, but the result breaks an invariant (see ``wrong_reasons``)
  accepted  -- read without error, invariants hold
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import select
import shutil
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

TIME_LIMIT_S = 10.0
MEMORY_HEADROOM_BYTES = 3 << 29  # address space the worker may add after its imports (~0.5 GiB): 1.5 GiB
OUTCOMES = ("clean", "unlocated", "traceback", "hang", "memory", "wrong", "accepted")
SMALL_POINTS = 300


# -- seeds ---------------------------------------------------------------------------------------
@dataclass
class Seed:
    """``open_path`` is what ``read_sequence`` gets; one of ``targets`` is mutated.
    ``kind``: text, json, binary (raw floats), pcd, ply, las."""

    name: str
    open_path: Path
    targets: list[Path]
    kind: str
    baseline: dict[str, Any] | None = None
    originals: dict[Path, bytes] = field(default_factory=dict)


def _scan(shared: Path, name: str, n: int = SMALL_POINTS) -> np.ndarray:
    pts = np.fromfile(shared / "kitti_object" / "training" / "velodyne" / name, "<f4").reshape(-1, 4)
    return np.ascontiguousarray(pts[::max(1, len(pts) // n)][:n])


def _kitti_object(shared: Path, root: Path) -> Path:
    src = shared / "kitti_object" / "training"
    t = root / "training"
    for sub in ("velodyne", "label_2", "calib"):
        (t / sub).mkdir(parents=True)
    for stem in ("000000", "000001"):
        _scan(shared, f"{stem}.bin").tofile(t / "velodyne" / f"{stem}.bin")
        shutil.copy(src / "label_2" / f"{stem}.txt", t / "label_2")
        shutil.copy(src / "calib" / f"{stem}.txt", t / "calib")
    return root


def _kitti_tracking(shared: Path, root: Path) -> Path:
    src = shared / "kitti_tracking_0000" / "training"
    t = root / "training"
    (t / "velodyne" / "0000").mkdir(parents=True)
    (t / "label_02").mkdir()
    (t / "calib").mkdir()
    for n in range(2):
        pts = np.fromfile(src / "velodyne" / "0000" / f"{n:06d}.bin", "<f4").reshape(-1, 4)
        np.ascontiguousarray(pts[::400][:SMALL_POINTS]).tofile(t / "velodyne" / "0000" / f"{n:06d}.bin")
    lines = (src / "label_02" / "0000.txt").read_text().splitlines()
    (t / "label_02" / "0000.txt").write_text("\n".join(l for l in lines if int(l.split()[0]) < 3) + "\n")
    shutil.copy(src / "calib" / "0000.txt", t / "calib")
    return root


def _pcd_columns(shared: Path, n: int = SMALL_POINTS) -> dict[str, np.ndarray]:
    pts = _scan(shared, "000002.bin", n)
    return {"x": pts[:, 0], "y": pts[:, 1], "z": pts[:, 2], "intensity": pts[:, 3]}


def _pcd_folder(shared: Path, root: Path, data: str) -> Path:
    from sweeplabel.io.pcd import pcd_bytes

    root.mkdir(parents=True)
    cols = _pcd_columns(shared)
    if data == "binary_compressed":
        import open3d as o3d

        for n in range(2):
            pc = o3d.t.geometry.PointCloud()
            pc.point.positions = o3d.core.Tensor(np.c_[cols["x"], cols["y"], cols["z"]][n::2].copy())
            pc.point.intensity = o3d.core.Tensor(cols["intensity"][n::2].reshape(-1, 1).copy())
            o3d.t.io.write_point_cloud(str(root / f"{n:06d}.pcd"), pc, write_ascii=False, compressed=True)
        return root
    for n in range(2):
        part = {k: v[n::2] for k, v in cols.items()}
        raw = pcd_bytes(part, data)
        if data == "ascii":  # a valid short row: an invalid point as PCL writes it
            raw += b"nan nan nan 0\n"
            raw = raw.replace(f"WIDTH {len(part['x'])}".encode(), f"WIDTH {len(part['x']) + 1}".encode())
            raw = raw.replace(f"POINTS {len(part['x'])}".encode(), f"POINTS {len(part['x']) + 1}".encode())
        (root / f"{n:06d}.pcd").write_bytes(raw)
    return root


def _ply(shared: Path, root: Path, ascii_body: bool) -> Path:
    root.mkdir(parents=True)
    for n in range(2):
        pts = _scan(shared, "000000.bin")[n::2]
        fmt = "ascii" if ascii_body else "binary_little_endian"
        head = (f"ply\nformat {fmt} 1.0\ncomment from KITTI 000000\nelement vertex {len(pts)}\n"
                "property float x\nproperty float y\nproperty float z\nproperty float intensity\n"
                "element face 0\nproperty list uchar int vertex_indices\nend_header\n").encode()
        body = ("".join(" ".join(f"{v:.6g}" for v in p) + "\n" for p in pts).encode() if ascii_body
                else pts.astype("<f4").tobytes())
        (root / f"{n:06d}.ply").write_bytes(head + body)
    return root


def _las(shared: Path, root: Path, laz: bool) -> Path:
    import laspy

    root.mkdir(parents=True)
    if not laz:
        shutil.copy(shared / "las_laz" / "simple.las", root / "simple.las")
        return root / "simple.las"
    src = laspy.read(shared / "las_laz" / "autzen_trim.laz")
    out = laspy.LasData(src.header)
    out.points = src.points[:2000].copy()
    out.write(root / "small.laz")
    return root / "small.laz"


def _nuscenes(shared: Path, root: Path) -> Path:
    version = root / "v1.01-train"
    shutil.copytree(shared / "lyft_nuscenes_schema_tables" / "v1.01-train", version)
    demo = next((shared / "nuscenes_mmdet3d_demo" / "samples" / "LIDAR_TOP").glob("*.pcd.bin"))
    pts = np.fromfile(demo, "<f4").reshape(-1, 5)[::100][:SMALL_POINTS]
    sensors = {s["token"] for s in json.loads((version / "sensor.json").read_text()) if s["channel"] == "LIDAR_TOP"}
    calibs = {c["token"] for c in json.loads((version / "calibrated_sensor.json").read_text())
              if c["sensor_token"] in sensors}
    for sd in json.loads((version / "sample_data.json").read_text()):
        if sd["calibrated_sensor_token"] in calibs:
            (root / sd["filename"]).parent.mkdir(parents=True, exist_ok=True)
            np.ascontiguousarray(pts, "<f4").tofile(root / sd["filename"])
    return root


def _sustech(shared: Path, root: Path) -> Path:
    src = shared / "sustech_points_example"
    (root / "lidar").mkdir(parents=True)
    (root / "label").mkdir()
    raw = (src / "lidar" / "000965.pcd").read_bytes()
    end = raw.index(b"DATA binary\n") + len(b"DATA binary\n")
    head = raw[:end].decode("ascii")
    total = int(re.search(r"POINTS (\d+)", head).group(1))
    record = (len(raw) - end) // total
    head = re.sub(r"WIDTH \d+", f"WIDTH {SMALL_POINTS}", re.sub(r"POINTS \d+", f"POINTS {SMALL_POINTS}", head))
    (root / "lidar" / "000965.pcd").write_bytes(head.encode() + raw[end:end + SMALL_POINTS * record])
    shutil.copy(src / "label" / "000965.json", root / "label")
    return root


def _labels_json(shared: Path, root: Path) -> Path:
    from sweeplabel.io.kitti import read_kitti_object
    from sweeplabel.io.labels_json import write_labels_json

    data = _kitti_object(shared, root / "data")
    loaded = read_kitti_object(data)
    write_labels_json(root / "labels.json", loaded.sequence, loaded.tracks, loaded.annotations)
    return root / "labels.json"


def _sequence_folder(shared: Path, root: Path) -> Path:
    from sweeplabel.io.synthetic.writer import write_frame, write_poses, write_sequence_json, write_tracks

    root.mkdir(parents=True)
    poses = []
    for n in range(2):
        pts = _scan(shared, "000001.bin")
        write_frame(root, n, np.c_[pts, np.zeros(len(pts), np.float32)].astype(np.float32),
                    (pts[:, 2] < -1.5).astype(np.uint8))
        T = np.eye(4)
        T[0, 3] = n * 1.2
        poses.append(T)
    write_poses(root, [0.0, 0.1], poses)
    write_tracks(root, [{"token": "t0", "number": 0, "category": "vehicle.car", "boxes": [
        {"frame": n, "center_m": [10.0 + n, 2.0, -0.8], "size_lwh_m": [4.2, 1.8, 1.5], "yaw_rad": 0.1}
        for n in range(2)]}])
    write_sequence_json(root, {"name": "fuzz", "frame_count": 2, "frame_rate_hz": 10.0,
                               "point_fields": ["x", "y", "z", "intensity", "ring"]})
    return root


def build_seeds(shared: Path, work: Path) -> dict[str, Seed]:
    """The 19 input types, each in its own folder under ``work``."""
    seeds: dict[str, Seed] = {}

    def add(name: str, open_path: Path, targets: list[Path], kind: str) -> None:
        seeds[name] = Seed(name, open_path, targets, kind)

    for name in ("kitti_bin", "kitti_label", "kitti_calib"):
        r = _kitti_object(shared, work / name)
        t = r / "training"
        target = {"kitti_bin": t / "velodyne" / "000001.bin", "kitti_label": t / "label_2" / "000001.txt",
                  "kitti_calib": t / "calib" / "000001.txt"}[name]
        add(name, r, [target], "binary" if name == "kitti_bin" else "text")
    for name in ("tracking_label", "tracking_calib"):
        r = _kitti_tracking(shared, work / name)
        target = r / "training" / ("label_02" if name == "tracking_label" else "calib") / "0000.txt"
        add(name, r, [target], "text")
    r = work / "bin_folder" / "scans"  # a plain folder: the points-folder reader sniffs the layout
    r.mkdir(parents=True)
    for n, name in enumerate(("000000.bin", "000001.bin", "000002.bin")):
        _scan(shared, f"00000{n}.bin", 400).tofile(r / name)  # 6400 bytes: fits 4 and 5 floats
    add("bin_folder", r, [r / "000001.bin"], "binary")
    for data in ("ascii", "binary", "binary_compressed"):
        r = _pcd_folder(shared, work / f"pcd_{data}", data)
        add(f"pcd_{data}", r, [r / "000001.pcd"], "pcd")
    for ascii_body in (False, True):
        name = "ply_ascii" if ascii_body else "ply_binary"
        r = _ply(shared, work / name, ascii_body)
        add(name, r, [r / "000001.ply"], "ply")
    for laz in (False, True):
        f = _las(shared, work / ("laz" if laz else "las"), laz)
        add("laz" if laz else "las", f, [f], "las")
    r = _nuscenes(shared, work / "nuscenes_tables")
    v = r / "v1.01-train"
    add("nuscenes_tables", r, [v / f"{t}.json" for t in ("sample_annotation", "sample_data", "ego_pose",
                                                          "calibrated_sensor", "instance", "scene", "sample",
                                                          "sensor", "category")], "json")
    r = _nuscenes(shared, work / "nuscenes_pcdbin")
    add("nuscenes_pcdbin", r, sorted(r.glob("lidar/*.bin"))[:1], "binary")
    for name in ("sustech_json", "sustech_pcd"):
        r = _sustech(shared, work / name)
        add(name, r, [r / ("label/000965.json" if name == "sustech_json" else "lidar/000965.pcd")],
            "json" if name == "sustech_json" else "pcd")
    f = _labels_json(shared, work / "sweeplabel_json")
    add("sweeplabel_json", f, [f], "json")
    r = _sequence_folder(shared, work / "sequence_folder")
    add("sequence_folder", r, [r / "sequence.json", r / "poses.txt", r / "labels" / "tracks.json"], "json")
    for seed in seeds.values():
        seed.originals = {t: t.read_bytes() for t in seed.targets}
    return seeds


# -- mutations -------------------------------------------------------------------------------------
EXTREME_NUMBERS = ["-1", "0", "-5", "1.5", "1e20", "1e300", "-1e300", "nan", "inf", "-inf", "4294967295",
                   "18446744073709551616", "9" * 5000, "\u0661\u0662", "", "0x10", "1e-320", "-0", "2147483648",
                   "NaN", "1_000"]
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
SEMANTIC_SAME = ("utf8_bom", "utf16", "utf32")


def _text_end(seed: Seed, data: bytes) -> int:
    """Where the text part ends (header of binary formats, all of a text file)."""
    if seed.kind == "pcd":
        i = data.find(b"\nDATA ")
        return data.find(b"\n", i + 1) + 1 if i >= 0 else min(len(data), 512)
    if seed.kind == "ply":
        i = data.find(b"end_header")
        return i + 11 if i >= 0 else min(len(data), 512)
    if seed.kind in ("las", "binary"):
        return 0
    return len(data)


# LAS header fields (offset, struct format): point data offset, VLR count, point format,
# record length, legacy count, scales, offsets, max/min, 1.4 count
_LAS_FIELDS = [(96, "<I"), (100, "<I"), (104, "<B"), (105, "<H"), (107, "<I"), (131, "<d"), (139, "<d"),
               (147, "<d"), (155, "<d"), (163, "<d"), (171, "<d"), (179, "<d"), (187, "<d"), (195, "<d"),
               (203, "<d"), (211, "<d"), (219, "<d"), (94, "<H"), (247, "<Q")]
_LAS_VALUES = [0, 1, 7, 255, 65535, 4294967295, 2 ** 40, -1.0, 0.0, math.nan, math.inf, -math.inf, 1e300, 1e-300]


def mutate(seed: Seed, data: bytes, op: str, rnd: random.Random) -> bytes:
    """One mutation ``op`` of ``data`` (see ``OPERATORS``)."""
    n = len(data)
    text_end = _text_end(seed, data)
    if op == "truncate":
        return data[:rnd.randrange(n)] if n else data
    if op == "bitflip":
        out = bytearray(data)
        region = text_end if (text_end and rnd.random() < 0.6) else n
        for _ in range(rnd.randint(1, 8)):
            i = rnd.randrange(max(region, 1))
            if i < n:
                out[i] ^= 1 << rnd.randrange(8)
        return bytes(out)
    if op == "splice":
        i = rnd.randrange(n + 1)
        j = min(n, i + rnd.randint(0, 64))
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 64)))
        return data[:i] + junk + data[j:] if rnd.random() < 0.5 else data[:i] + data[j:] + junk
    if op == "number":
        head = data[:text_end] if text_end else data[:min(n, 4096)]
        matches = list(_NUMBER.finditer(head))
        if not matches:
            return mutate(seed, data, "splice", rnd)
        m = rnd.choice(matches)
        value = rnd.choice(EXTREME_NUMBERS).encode("utf-8")
        return data[:m.start()] + value + data[m.end():]
    if op == "header_field":
        if seed.kind == "las" and n >= 227:
            off, fmt = rnd.choice(_LAS_FIELDS)
            value = rnd.choice(_LAS_VALUES)
            code = fmt[-1]
            if code == "d":
                packed = struct.pack(fmt, float(value))
            else:
                top = (1 << (8 * struct.calcsize(fmt))) - 1
                packed = struct.pack(fmt, int(value) & top if math.isfinite(value) else top)
            return data[:off] + packed + data[off + len(packed):]
        return mutate(seed, data, "number", rnd)
    if op == "huge_size":
        if seed.kind in ("pcd", "ply"):
            key = rnd.choice([b"POINTS ", b"WIDTH ", b"HEIGHT ", b"element vertex "])
            i = data.find(key)
            if i >= 0 and i < text_end:
                e = data.find(b"\n", i)
                value = rnd.choice([b"4294967296", b"1000000000000", b"2147483647", b"-1", b"1.5", b""])
                return data[:i + len(key)] + value + data[e:]
        if seed.kind == "las":
            return mutate(seed, data, "header_field", rnd)
        if seed.kind == "json":
            depth = rnd.choice([1000, 100_000])
            i = data.find(b":")
            if i >= 0:
                return data[:i + 1] + b"[" * depth + b"]" * depth + b"," + data[i + 1:].lstrip()
            return b"[" * depth + b"]" * depth
        return data + bytes(rnd.randrange(256) for _ in range(rnd.choice([1, 3, 4, 16, 20])))
    if op == "nan_inf":
        if seed.kind in ("binary", "pcd", "ply", "las") and n - text_end >= 4:
            out = bytearray(data)
            value = struct.pack("<f", rnd.choice([math.nan, math.inf, -math.inf, 3e38]))
            count = rnd.choice([1, 10, (n - text_end) // 4])
            for _ in range(count):
                i = text_end + 4 * rnd.randrange((n - text_end) // 4)
                out[i:i + 4] = value
            return bytes(out)
        matches = list(_NUMBER.finditer(data))
        if matches:
            m = rnd.choice(matches)
            return data[:m.start()] + rnd.choice([b"nan", b"inf", b"-inf", b"NaN"]) + data[m.end():]
        return data
    if op in ("utf8_bom", "utf16", "utf32"):
        head, body = data[:text_end], data[text_end:]
        if not head:
            return b"\xef\xbb\xbf" + data
        if op == "utf8_bom":
            return b"\xef\xbb\xbf" + data
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            return b"\xef\xbb\xbf" + data
        return text.encode("utf-16" if op == "utf16" else "utf-32") + body
    if op == "bad_byte":
        region = text_end or n
        i = rnd.randrange(region + 1)
        return data[:i] + rnd.choice([b"\xff", b"\xe9", b"\xc3", b"\x00", b"\xed\xa0\x80"]) + data[i:]
    raise ValueError(op)


OPERATORS = ("truncate", "bitflip", "splice", "number", "header_field", "huge_size", "nan_inf", "utf8_bom",
             "utf16", "utf32", "bad_byte")


# -- the worker ------------------------------------------------------------------------------------
def _summary(loaded, points: list[np.ndarray]) -> dict[str, Any]:
    return {
        "frames": len(loaded.sequence.frames),
        "shapes": [list(p.shape) for p in points],
        "categories": sorted(t.category for t in loaded.tracks),
        "boxes": sorted([round(float(v), 3) for v in a.box.to_array()] for a in loaded.annotations),
    }


def wrong_reasons(loaded, points: list[np.ndarray]) -> list[str]:
    """Checkable signs of silently wrong data in an accepted read."""
    reasons = []
    for frame, pts in zip(loaded.sequence.frames, points):
        T = np.asarray(frame.T_world_sensor, dtype=np.float64)
        if T.shape != (4, 4) or not np.isfinite(T).all():
            reasons.append(f"frame {frame.index}: non-finite pose")
        elif not np.allclose(T[:3, :3] @ T[:3, :3].T, np.eye(3), atol=1e-3):
            reasons.append(f"frame {frame.index}: pose is not a rotation")
        if pts.ndim != 2 or pts.shape[1] < 3 or pts.dtype != np.float32:
            reasons.append(f"frame {frame.index}: points shape {pts.shape} {pts.dtype}")
        elif len(pts) and (~np.isfinite(pts[:, :3]).any(axis=1)).mean() > 0.5:
            reasons.append(f"frame {frame.index}: most points non-finite")
    for ann in loaded.annotations:
        arr = ann.box.to_array()
        if not np.isfinite(arr).all():
            reasons.append(f"box {ann.token}: non-finite")
        elif np.any(ann.box.size_lwh_m <= 0):
            reasons.append(f"box {ann.token}: non-positive size {ann.box.size_lwh_m.tolist()}")
    return reasons


def declared_points(path: Path) -> int | None:
    """The point count a point file's own header declares (None for headerless .bin)."""
    raw = path.read_bytes()
    if path.suffix == ".pcd":
        m = re.search(rb"^POINTS (\d+)", raw[:4096], re.M)
        return int(m.group(1)) if m else None
    if path.suffix == ".ply":
        m = re.search(rb"^element vertex (\d+)", raw[:4096], re.M)
        return int(m.group(1)) if m else None
    if path.suffix in (".las", ".laz") and len(raw) >= 255:
        count = struct.unpack_from("<I", raw, 107)[0]
        return (struct.unpack_from("<Q", raw, 247)[0] or count) if raw[25] >= 4 else count
    return None


def target_reasons(loaded, points: list[np.ndarray], target: Path) -> list[str]:
    """An accepted point file must give the count its header declares, and a headerless
    .bin file size / (4 x columns) points."""
    reasons = []
    for frame, pts in zip(loaded.sequence.frames, points):
        if frame.source_path is None or Path(frame.source_path).resolve() != target.resolve():
            continue
        want = declared_points(target)
        if target.suffix == ".bin" and pts.ndim == 2 and pts.shape[1]:
            want = target.stat().st_size // (4 * pts.shape[1])
        if want is not None and len(pts) != want:
            reasons.append(f"frame {frame.index}: {len(pts)} points, the file declares {want}")
    return reasons


def _classify_error(exc: BaseException, root: Path) -> dict[str, Any]:
    from sweeplabel.io.errors import SweeplabelIOError

    if isinstance(exc, MemoryError):
        return {"outcome": "memory", "detail": repr(exc)[:300]}
    if isinstance(exc, SweeplabelIOError):
        located = exc.path is not None and (exc.line is not None or exc.offset is not None)
        return {"outcome": "clean" if located else "unlocated", "detail": str(exc)[:300]}
    import traceback

    tb = traceback.extract_tb(exc.__traceback__)
    where = f"{tb[-1].filename}:{tb[-1].lineno}" if tb else ""
    return {"outcome": "traceback", "detail": f"{type(exc).__name__}: {str(exc)[:200]} at {where}"}


def run_one(path: Path, target: Path | None = None) -> dict[str, Any]:
    """Read ``path`` and every frame's points; classify (``target``: the mutated file)."""
    from sweeplabel.io.registry import read_sequence

    try:
        loaded = read_sequence(path)
        points = []
        for frame in loaded.sequence.frames:
            pts = frame.load_points() if frame.loader is not None else np.zeros((0, 3), np.float32)
            points.append(np.asarray(pts))
    except BaseException as exc:  # noqa: BLE001 - classifying every failure is the point
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return _classify_error(exc, path)
    reasons = wrong_reasons(loaded, points) + (target_reasons(loaded, points, target) if target else [])
    result = {"outcome": "wrong" if reasons else "accepted", "detail": "; ".join(reasons)[:300],
              "summary": _summary(loaded, points), "warnings": len(loaded.warnings)}
    return result


def _address_space_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 1 << 30


def worker_main() -> None:
    """Answer one JSON line per request line ``{"path": ...}`` on stdin."""
    import resource

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    from sweeplabel.io.registry import readers  # noqa: F401 - import everything before the limit

    readers()
    from sweeplabel.io.pcd import lzf_decompress

    lzf_decompress(np.zeros(2, np.uint8), np.zeros(2, np.uint8))  # compile (or load) the kernel now
    limit = _address_space_bytes() + int(os.environ.get("FUZZ_MEMORY_HEADROOM", MEMORY_HEADROOM_BYTES))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    out = sys.stdout
    sys.stdout = sys.stderr  # readers must not write to the protocol stream
    for line in sys.stdin:
        request = json.loads(line)
        result = run_one(Path(request["path"]), Path(request["target"]) if request.get("target") else None)
        out.write(json.dumps(result) + "\n")
        out.flush()


class Worker:
    """One reused subprocess; restarted after a hang or a crash."""

    def __init__(self, src: Path, time_limit_s: float = TIME_LIMIT_S) -> None:
        self.src = src
        self.time_limit_s = time_limit_s
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._fresh = True

    def _start(self) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(self.src), str(Path(__file__).parent)]))
        env.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".numba_cache"))
        self.proc = subprocess.Popen([sys.executable, "-c", "import fuzz_harness; fuzz_harness.worker_main()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, text=True, bufsize=1)
        self.starts += 1
        self._fresh = True

    def run(self, path: Path, target: Path | None = None) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc and self.proc.stdin and self.proc.stdout
        t0 = time.monotonic()
        try:
            self.proc.stdin.write(json.dumps({"path": str(path), "target": str(target) if target else None}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.close()
            return {"outcome": "traceback", "detail": "worker died before the request"}
        # the first request also waits for the worker's imports
        limit = self.time_limit_s + (60.0 if self._fresh else 0.0)
        ready, _, _ = select.select([self.proc.stdout], [], [], limit)
        if not ready:
            self.close()
            return {"outcome": "hang", "detail": f"no answer in {self.time_limit_s:.0f} s"}
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            self.close()
            kind = "memory" if code in (-9, -6) else "traceback"  # SIGKILL, or an abort on a failed allocation
            return {"outcome": kind, "detail": f"worker died (exit {code})"}
        self._fresh = False
        result = json.loads(line)
        result["seconds"] = time.monotonic() - t0
        return result

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def run_mutant(worker: Worker, seed: Seed, target: Path, op: str, rnd: random.Random,
               keep: Path | None = None) -> dict[str, Any]:
    """Write one mutant of ``target``, read it in the worker, restore the original
    (``keep``: also save the mutant there)."""
    original = seed.originals[target]
    mutant = mutate(seed, original, op, rnd)
    if keep is not None:
        keep.write_bytes(mutant)
    target.write_bytes(mutant)
    try:
        result = worker.run(seed.open_path, target)
    finally:
        target.write_bytes(original)
    if result["outcome"] == "accepted" and seed.baseline is not None:
        got = result.get("summary", {})
        if op in SEMANTIC_SAME and got != seed.baseline:
            result = {**result, "outcome": "wrong", "detail": f"{op}: read differently from the original"}
        elif _columns_differ(got.get("shapes", []), seed.baseline["shapes"], bool(result.get("warnings"))):
            result = {**result, "outcome": "wrong", "detail": f"point columns {got.get('shapes')} differ from the "
                      f"original's {seed.baseline['shapes']}"}
    result.update(seed=seed.name, op=op, target=target.name)
    return result


def _columns_differ(shapes: list, original: list, warned: bool) -> bool:
    """Point columns per frame differ from the original's (a frame left without points is
    fine when the read said so in a warning)."""
    return any(got[1:] != want[1:] and not (warned and got[0] == 0) for got, want in zip(shapes, original))


def baseline(worker: Worker, seed: Seed) -> None:
    result = worker.run(seed.open_path)
    if result["outcome"] != "accepted":
        raise RuntimeError(f"seed {seed.name} does not read cleanly: {result}")
    seed.baseline = result["summary"]


def table(results: list[dict[str, Any]], seeds: list[str]) -> str:
    """A markdown table: one row per input type, one column per outcome."""
    rows = ["| input type | mutants | " + " | ".join(OUTCOMES) + " |",
            "|---|---:|" + "---:|" * len(OUTCOMES)]
    totals = {o: 0 for o in OUTCOMES}
    for name in seeds + ["all"]:
        mine = [r for r in results if name == "all" or r["seed"] == name]
        counts = {o: sum(r["outcome"] == o for r in mine) for o in OUTCOMES}
        if name != "all":
            for o in OUTCOMES:
                totals[o] += counts[o]
        rows.append(f"| {name} | {len(mine)} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |")
    return "\n".join(rows)


FAILURES = ("unlocated", "traceback", "hang", "memory", "wrong")


def failures(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in results if r["outcome"] in FAILURES]


def make_runner(seeds: dict[str, Seed], worker: Worker, results: list[dict[str, Any]], name: str
                ) -> Callable[[int, int, int], None]:
    """``run(target_index, op_index, salt)``: one mutant of seed ``name`` into ``results``."""
    def one(target_index: int, op_index: int, salt: int) -> None:
        seed = seeds[name]
        target = seed.targets[target_index % len(seed.targets)]
        result = run_mutant(worker, seed, target, OPERATORS[op_index % len(OPERATORS)], random.Random(salt))
        results.append({**result, "salt": salt})
    return one
