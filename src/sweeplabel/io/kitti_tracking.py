"""KITTI tracking: ``velodyne/SSSS/NNNNNN.bin``, ``label_02/SSSS.txt`` (track ids),
``calib/SSSS.txt`` (either calib spelling) and ``oxts/SSSS.txt`` when present.

World frame = the velodyne frame of the first scan; with oxts each frame's
``T_world_sensor`` comes from the GPS/IMU poses (KITTI devkit's Mercator
convention), without oxts it is the identity. Labels of frames that have no scan
(e.g. the shared sample: 154 labelled frames, 8 scans) are not loaded as boxes but
kept verbatim in ``sequence.meta["kitti_unloaded_lines"]`` so an export does not
drop them. Lines with track id -1 (DontCare) go to ``frame.meta["kitti_dontcare"]``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable

import numpy as np

from ..model import Annotation, Frame, LabelSchema, Sequence, Track, default_schema, new_token
from ..model.geometry import invert_transform
from .atomic import write_text_atomic
from .errors import FormatError
from .kitti import (DONTCARE, KittiCalib, annotation_attributes, box_from_camera, calib_of_frame,
                    category_for_kitti_type, frame_label_lines, group_by_frame, read_bin_size_check,
                    read_calib, read_label_file, _bin_loader)
from .registry import LoadedSequence, SequenceReader, register_reader

EARTH_RADIUS_M = 6378137.0
PERIOD_S = 0.1


def _rot(axis: int, angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    i, j = [(1, 2), (0, 2), (0, 1)][axis]
    R = np.eye(3)
    R[i, i], R[j, j] = c, c
    R[i, j], R[j, i] = (-s, s) if axis != 1 else (s, -s)
    return R


def read_oxts_poses(path: Path) -> list[np.ndarray]:
    """``T_world_imu`` per oxts line (lat, lon, alt, roll, pitch, yaw first), in a local
    Mercator frame scaled at the first latitude (as the KITTI devkit does)."""
    poses: list[np.ndarray] = []
    scale = None
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            v = [float(x) for x in line.split()]
        except ValueError:
            raise FormatError(path, "expected 30 numbers (oxts packet)", line=line_no) from None
        if len(v) < 6:
            raise FormatError(path, f"expected at least 6 numbers (lat lon alt roll pitch yaw), got {len(v)}",
                              line=line_no)
        lat, lon, alt, roll, pitch, yaw = v[:6]
        if scale is None:
            scale = math.cos(math.radians(lat))
        t = [scale * EARTH_RADIUS_M * math.radians(lon),
             scale * EARTH_RADIUS_M * math.log(math.tan(math.radians(90.0 + lat) / 2.0)), alt]
        T = np.eye(4)
        T[:3, :3] = _rot(2, yaw) @ _rot(1, pitch) @ _rot(0, roll)
        T[:3, 3] = t
        poses.append(T)
    return poses


def velodyne_poses(oxts_poses: list[np.ndarray], calib: KittiCalib) -> list[np.ndarray]:
    """``T_world_velo`` per frame with the world = the first scan's velodyne frame."""
    if "Tr_imu_to_velo" in calib.matrices:
        T_velo_imu = np.eye(4)
        T_velo_imu[:3, :] = calib.matrices["Tr_imu_to_velo"]
    else:
        T_velo_imu = np.eye(4)
    T_imu_velo = invert_transform(T_velo_imu)
    raw = [T @ T_imu_velo for T in oxts_poses]
    T_origin = invert_transform(raw[0])
    return [T_origin @ T for T in raw]


def _looks_like_tracking_root(root: Path) -> bool:
    """``velodyne/SSSS/`` sequence folders next to ``label_02/`` or ``calib/`` (labels are optional)."""
    velo = root / "velodyne"
    if not velo.is_dir() or not ((root / "label_02").is_dir() or (root / "calib").is_dir()):
        return False
    try:
        return any(p.is_dir() for p in velo.iterdir())
    except OSError:
        return False


def _tracking_root(path: Path) -> tuple[Path, str | None]:
    """``(training root, sequence id or None)`` for a root or a ``velodyne/SSSS`` folder."""
    if path.parent.name == "velodyne" and _looks_like_tracking_root(path.parent.parent):
        return path.parent.parent, path.name
    if _looks_like_tracking_root(path / "training"):
        return path / "training", None
    return path, None


def _is_kitti_tracking(path: Path) -> bool:
    root, _ = _tracking_root(path)
    return _looks_like_tracking_root(root)


def read_kitti_tracking(path: Path | str, sequence_id: str | None = None,
                        schema: LabelSchema | None = None) -> LoadedSequence:
    """One KITTI tracking sequence (the only/first one, or ``sequence_id``)."""
    root, seq_from_path = _tracking_root(Path(path))
    schema = schema or default_schema()
    warnings: list[str] = []
    seqs = sorted(p.name for p in (root / "velodyne").iterdir() if p.is_dir())
    seq_id = sequence_id or seq_from_path or (seqs[0] if seqs else None)
    if seq_id is None:
        raise FormatError(root / "velodyne", "empty folder: expected SSSS sequence folders")
    if len(seqs) > 1 and not (sequence_id or seq_from_path):
        warnings.append(f"{len(seqs)} sequences in {root}; reading {seq_id}")
    scans = sorted((root / "velodyne" / seq_id).glob("*.bin"))
    if not scans:
        raise FormatError(root / "velodyne" / seq_id, "empty folder: expected NNNNNN.bin velodyne scans")
    calib = read_calib(root / "calib" / f"{seq_id}.txt")
    poses = [np.eye(4)] * len(scans)
    oxts = root / "oxts" / f"{seq_id}.txt"
    numbers = [int(p.stem) for p in scans]
    if oxts.is_file():
        all_poses = read_oxts_poses(oxts)
        if max(numbers) >= len(all_poses):
            raise FormatError(oxts, f"expected a pose for frame {max(numbers)}, found {len(all_poses)} lines")
        poses = velodyne_poses([all_poses[n] for n in numbers], calib)
    frames = []
    for index, (scan, number) in enumerate(zip(scans, numbers)):
        read_bin_size_check(scan)
        frames.append(Frame(index=index, timestamp_s=number * PERIOD_S, T_world_sensor=poses[index],
                            loader=_bin_loader(scan), source_path=scan,
                            meta={"kitti_id": scan.stem, "kitti_frame": number,
                                  "kitti_calib": calib.to_meta(), "kitti_dontcare": []}))
    by_number = {f.meta["kitti_frame"]: f for f in frames}
    label_path = root / "label_02" / f"{seq_id}.txt"
    objects = read_label_file(label_path, tracking=True) if label_path.is_file() else []
    tracks: dict[int, Track] = {}
    anns: list[Annotation] = []
    unloaded: list[str] = []
    text_lines = label_path.read_text(encoding="utf-8").splitlines() if objects else []
    nonempty = [t for t in text_lines if t.strip()]
    for line, (obj, text) in enumerate(zip(objects, nonempty)):
        frame = by_number.get(obj.frame)
        if frame is None:
            unloaded.append(text)
            continue
        if obj.type == DONTCARE or obj.track_id < 0:
            frame.meta["kitti_dontcare"].append({"line": line, "fields": obj.raw_fields})
            continue
        track = tracks.get(obj.track_id)
        if track is None:
            track = Track(new_token(), category_for_kitti_type(obj.type, schema), obj.track_id,
                          {"kitti_type": obj.type, "kitti_track_id": obj.track_id})
            tracks[obj.track_id] = track
        box = box_from_camera(obj, calib.T_cam_velo).transformed(frame.T_world_sensor)
        anns.append(Annotation(new_token(), track.token, frame.index, box,
                               annotation_attributes(obj, box, line)))
    if unloaded:
        warnings.append(f"{label_path}: {len(unloaded)} label lines are for frames without a scan; "
                        "kept for export, not shown")
    seq = Sequence(name=f"kitti_tracking_{seq_id}", frames=frames, root=root, format="kitti-tracking",
                   meta={"kitti_sequence": seq_id, "kitti_label_decimals": 6,
                         "kitti_unloaded_lines": unloaded})
    return LoadedSequence(seq, sorted(tracks.values(), key=lambda t: t.number), anns, warnings)


def _track_ids(tracks: list[Track]) -> dict[str, int]:
    """KITTI track id per track: the imported id while unique, else the track number."""
    ids: dict[str, int] = {}
    used: set[int] = set()
    for t in sorted(tracks, key=lambda t: t.number):
        tid = int(t.attributes.get("kitti_track_id", t.number))
        ids[t.token] = tid if tid not in used else t.number
        used.add(ids[t.token])
    return ids


def write_kitti_tracking(sequence: Sequence, tracks: Iterable[Track], annotations: Iterable[Annotation],
                         out_dir: Path | str, schema: LabelSchema | None = None,
                         progress=None) -> dict[str, int]:
    """Write ``out_dir/label_02/SSSS.txt`` (frame numbers and track ids) and
    ``out_dir/calib/SSSS.txt``, atomically. Labels kept for frames without scans are
    written back in frame order."""
    out_dir = Path(out_dir)
    schema = schema or default_schema()
    tracks = list(tracks)
    by_frame = group_by_frame(tracks, annotations)
    ids = _track_ids(tracks)
    seq_id = str(sequence.meta.get("kitti_sequence", "0000"))
    decimals = int(sequence.meta.get("kitti_label_decimals", 6))
    keyed: list[tuple[int, int, str]] = []
    boxes = 0
    for frame in sequence.frames:
        number = int(frame.meta.get("kitti_frame", frame.index))
        items = by_frame.get(frame.index, [])
        lines = frame_label_lines(frame, items, schema, decimals, int_truncated=True,
                                  tracking_ids=ids, frame_number=number)
        keyed += [(number, n, text) for n, text in enumerate(lines)]
        boxes += len(items)
        if progress is not None:
            progress(frame.index + 1, len(sequence.frames))
    for n, text in enumerate(sequence.meta.get("kitti_unloaded_lines", [])):
        keyed.append((int(text.split()[0]), 100_000 + n, text))
    keyed.sort(key=lambda k: (k[0], k[1]))
    write_text_atomic(out_dir / "label_02" / f"{seq_id}.txt", "".join(t + "\n" for _, _, t in keyed))
    if sequence.frames:
        write_text_atomic(out_dir / "calib" / f"{seq_id}.txt", calib_of_frame(sequence.frames[0]).to_text())
    used = {a.track_token for items in by_frame.values() for a, _ in items}
    return {"frames": len(sequence.frames), "tracks": len(used), "boxes": boxes}


register_reader(SequenceReader("kitti-tracking", _is_kitti_tracking, read_kitti_tracking, priority=10))
