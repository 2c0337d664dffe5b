"""Benchmark sweeplabel.kernels against baselines run side by side in one process.

    .venv/bin/python benchmarks/bench_kernels.py [--quick] [--repeat 7] [--json benchmarks/kernels.json]

Prints one table (kernel, size, ours, each baseline with its time and our speed-up) and writes
it as JSON with the machine description. Inputs: the KITTI frames in ../shared/data (skipped when
absent) and synthetic 32/64/128-beam sweeps ray-cast here (flat ground + 4 % ramp beyond x = 20 m,
buildings, cars, a truck, poles, pedestrians) with exact ground truth.

Baselines (each optional; a missing package is reported, not fatal): NumPy references
(sweeplabel.kernels.reference and vectorised one-liners), Open3D (legacy OBB query,
segment_plane, cluster_dbscan, voxel_down_sample), scikit-learn DBSCAN, pypatchworkpp.
Times are medians of ``--repeat`` runs after 2 warm-up calls; "cold" rows sleep 200 ms
before every call (what an interactive user feels after think time).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sweeplabel import kernels as K  # noqa: E402
from sweeplabel.kernels import reference as R  # noqa: E402

DATA = REPO.parent / "shared" / "data"
KITTI_TRK = DATA / "kitti_tracking_0000" / "training" / "velodyne" / "0000"
KITTI_OBJ = DATA / "kitti_object" / "training" / "velodyne"


# ----------------------------------------------------------------------------- timing
def timeit(fn, repeat: int, warmup: int = 2, idle_s: float = 0.0) -> float:
    """Median milliseconds of ``fn()`` over ``repeat`` runs (after ``warmup`` calls)."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeat):
        if idle_s:
            time.sleep(idle_s)
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts)


@contextlib.contextmanager
def quiet():
    """Silence C++ prints (pypatchworkpp) on fd 1 while timing."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def optional(name: str):
    try:
        return __import__(name)
    except Exception as exc:  # noqa: BLE001
        print(f"[baseline {name} unavailable: {exc}]", file=sys.stderr)
        return None


# ----------------------------------------------------------------------------- synthetic sweeps
SENSORS = {  # beams, elevation top/bottom (deg), columns
    "hdl32": (32, 10.67, -30.67, 1084),
    "hdl64": (64, 2.0, -24.8, 2083),
    "os128": (128, 15.0, -25.0, 2300),
}
SENSOR_H = 1.73


def ground_z(x: np.ndarray) -> np.ndarray:
    return -SENSOR_H + 0.04 * np.maximum(np.asarray(x) - 20.0, 0.0)


def scene_boxes(rng: np.random.Generator) -> np.ndarray:
    """(M, 7) boxes [cx, cy, cz, l, w, h, yaw] sitting on the ground, sunk 5 cm."""
    b = []
    for side in (-1, 1):  # 8 facades
        for k in range(4):
            b.append([-42 + 28 * k + 14, side * rng.uniform(11.25, 14), 0, 28, 0.5, rng.uniform(6, 20), 0])
    lanes = [-7.5, -4.5, -1.5, 1.5, 4.5, 7.5]
    for k in range(25):  # cars
        y = lanes[k % 6]
        x = -45 + 90 * (k / 25) + rng.uniform(-1, 1)
        if abs(x) < 5 and abs(y) < 3:
            x += 8
        yaw = (0 if y > 0 else np.pi) + rng.uniform(-0.08, 0.08)
        b.append([x, y, 0, rng.uniform(3.9, 4.9), rng.uniform(1.7, 1.95), rng.uniform(1.4, 1.7), yaw])
    b.append([30, -4.5, 0, 9, 2.5, 3.5, 0.02])  # truck
    for k in range(12):  # poles
        b.append([-40 + 8 * k, (-1) ** k * 9.5, 0, 0.25, 0.25, rng.uniform(3, 6), 0])
    for k in range(6):  # pedestrians
        b.append([-15 + 6 * k, (-1) ** k * 9.0, 0, 0.5, 0.6, 1.75, rng.uniform(-np.pi, np.pi)])
    b = np.array(b, dtype=np.float64)
    b[:, 2] = ground_z(b[:, 0]) - 0.05 + b[:, 5] / 2
    return b


def synthetic_sweep(kind: str, seed: int = 0):
    """Ray-cast sweep: (points (N, 4) float32 in scan order, label (N,) 0 = ground / k = box k-1, boxes)."""
    beams, top, bottom, cols = SENSORS[kind]
    rng = np.random.default_rng(seed)
    boxes = scene_boxes(rng)
    el = np.radians(np.linspace(top, bottom, beams))
    az = np.linspace(0, 2 * np.pi, cols, endpoint=False) + rng.uniform(0, 2 * np.pi / cols)
    E, A = np.meshgrid(el, az, indexing="ij")
    d = np.stack([np.cos(E) * np.cos(A), np.cos(E) * np.sin(A), np.sin(E)], -1).reshape(-1, 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_flat = np.where(d[:, 2] < 0, -SENSOR_H / d[:, 2], np.inf)
        t_flat = np.where(t_flat * d[:, 0] <= 20, t_flat, np.inf)
        den = d[:, 2] - 0.04 * d[:, 0]
        t_ramp = np.where(den < 0, -(SENSOR_H + 0.8) / den, np.inf)
        t_ramp = np.where(t_ramp * d[:, 0] > 20, t_ramp, np.inf)
    t_best = np.minimum(t_flat, t_ramp)
    label = np.zeros(len(d), dtype=np.int32)
    for k, (cx, cy, cz, l, w, h, yaw) in enumerate(boxes):
        c, s = np.cos(yaw), np.sin(yaw)
        o = np.array([-cx * c - cy * s, cx * s - cy * c, -cz])
        dl = np.stack([d[:, 0] * c + d[:, 1] * s, -d[:, 0] * s + d[:, 1] * c, d[:, 2]], 1)
        half = np.array([l, w, h]) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            t1, t2 = (-half - o) / dl, (half - o) / dl
        tmin = np.nanmax(np.minimum(t1, t2), 1)
        tmax = np.nanmin(np.maximum(t1, t2), 1)
        hit = (tmax >= tmin) & (tmin > 0) & (tmin < t_best)
        t_best[hit] = tmin[hit]
        label[hit] = k + 1
    keep = (t_best >= 1) & (t_best < 100)
    r = t_best[keep] + rng.normal(0, 0.02, keep.sum())
    lab = label[keep]
    inten = np.where(lab == 0, rng.uniform(0.05, 0.35, lab.size), rng.uniform(0, 0.9, lab.size))
    pts = np.column_stack([d[keep] * r[:, None], inten]).astype(np.float32)
    # column-major scan order (as a spinning sensor delivers points)
    col = np.repeat(np.arange(cols)[None, :], beams, 0).reshape(-1)[keep]
    order = np.argsort(col, kind="stable")
    return np.ascontiguousarray(pts[order]), lab[order], boxes


def car_boxes(rng: np.random.Generator, m: int) -> np.ndarray:
    """Non-overlapping car-sized boxes, one per 5.6 m cell, nearest cells first."""
    cells = [(x, y) for x in np.arange(-70, 70, 5.6) for y in np.arange(-56, 56, 5.6)]
    cells.sort(key=lambda c: c[0] ** 2 + c[1] ** 2)
    b = np.zeros((m, 7))
    for k in range(m):
        x, y = cells[k]
        b[k] = [x + 2.8, y + 2.8, -1.0, rng.uniform(3.5, 5), rng.uniform(1.6, 2), rng.uniform(1.4, 1.8),
                rng.uniform(-np.pi, np.pi)]
    return b


# ----------------------------------------------------------------------------- baselines
def numpy_boxes_loop(points: np.ndarray, boxes: np.ndarray) -> list:
    """The usual NumPy per-box loop: rotate into each box frame, 3 abs-compares, flatnonzero."""
    p = points[:, :3]
    out = []
    for cx, cy, cz, l, w, h, yaw in boxes:
        c, s = np.cos(yaw), np.sin(yaw)
        dx, dy, dz = p[:, 0] - cx, p[:, 1] - cy, p[:, 2] - cz
        m = (np.abs(dx * c + dy * s) <= l / 2) & (np.abs(dy * c - dx * s) <= w / 2) & (np.abs(dz) <= h / 2)
        out.append(np.flatnonzero(m))
    return out


def o3d_boxes(o3d, vec, boxes: np.ndarray) -> list:
    out = []
    for cx, cy, cz, l, w, h, yaw in boxes:
        rot = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1.0]])
        obb = o3d.geometry.OrientedBoundingBox(np.array([cx, cy, cz]), rot, np.array([l, w, h]))
        out.append(obb.get_point_indices_within_bounding_box(vec))
    return out


def numpy_grid_lowest(points: np.ndarray, cell: float = 1.0, above: float = 0.25) -> np.ndarray:
    ix = np.floor(points[:, 0] / cell).astype(np.int64) + 100
    iy = np.floor(points[:, 1] / cell).astype(np.int64) + 100
    ok = (ix >= 0) & (ix < 200) & (iy >= 0) & (iy < 200)
    c = np.where(ok, ix * 200 + iy, 0)
    low = np.full(40000, np.inf, dtype=np.float32)
    np.minimum.at(low, c[ok], points[ok, 2])
    return ok & (points[:, 2] < low[c] + above)


# ----------------------------------------------------------------------------- table
class Table:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, kernel: str, size: str, ours_ms: float, baselines: dict[str, float | None], note: str = ""):
        row = {"kernel": kernel, "size": size, "ours_ms": round(ours_ms, 3),
               "baselines_ms": {k: (None if v is None else round(v, 3)) for k, v in baselines.items()},
               "speedup": {k: (None if v is None else round(v / ours_ms, 2)) for k, v in baselines.items()},
               "note": note}
        self.rows.append(row)
        print(self.format_row(row), flush=True)

    @staticmethod
    def format_row(r: dict) -> str:
        base = " · ".join(f"{k} {v:.2f} (×{r['speedup'][k]:.1f})" for k, v in r["baselines_ms"].items()
                          if v is not None) or "—"
        return f"| {r['kernel']} | {r['size']} | {r['ours_ms']:.2f} | {base} | {r['note']} |"

    def markdown(self) -> str:
        head = "| kernel | size | ours ms | baselines ms (our speed-up) | note |\n|---|---|---|---|---|"
        return "\n".join([head] + [self.format_row(r) for r in self.rows])


def machine() -> dict:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import numba

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "threading_layer_env": os.environ.get("NUMBA_THREADING_LAYER"),
            "loadavg_start": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None}


# ----------------------------------------------------------------------------- sections
def bench_boxes(t: Table, kitti: np.ndarray, synth: dict, o3d, rep: int, quick: bool) -> None:
    rng = np.random.default_rng(0)
    n = min(120_000, len(kitti))
    pts = np.ascontiguousarray(kitti[np.sort(rng.choice(len(kitti), n, replace=False))])
    vec = o3d.utility.Vector3dVector(pts[:, :3].astype(np.float64)) if o3d else None
    for m in (1, 10, 100, 500):
        boxes = car_boxes(rng, m)
        slow_rep = max(3, rep // 2) if m >= 100 else rep
        base = {"numpy-loop": timeit(lambda: numpy_boxes_loop(pts, boxes), slow_rep, 1)}
        if o3d and not (quick and m == 500):
            base["open3d-obb"] = timeit(lambda: o3d_boxes(o3d, vec, boxes), slow_rep, 1)
        ours = timeit(lambda: K.points_in_boxes(pts, boxes), rep)
        t.add("points_in_boxes", f"N={n // 1000}k M={m}", ours, base)
        ours_csr = timeit(lambda: K.points_in_boxes_csr(pts, boxes), rep)
        t.add("points_in_boxes_csr", f"N={n // 1000}k M={m}", ours_csr, base)
    boxes = car_boxes(rng, 10)
    hot = timeit(lambda: K.points_in_boxes(pts, boxes), rep)
    cold = timeit(lambda: K.points_in_boxes(pts, boxes), max(5, rep // 2), idle_s=0.2)
    np_hot = timeit(lambda: pts.sum(), rep)
    np_cold = timeit(lambda: pts.sum(), max(5, rep // 2), idle_s=0.2)
    t.add("points_in_boxes cold (200 ms idle)", f"N={n // 1000}k M=10", cold, {"same kernel hot": hot},
          note=f"cold/hot = {cold / hot:.2f}; for scale, numpy pts.sum() cold/hot = {np_cold:.2f}/{np_hot:.2f} ms")
    big, _, sboxes = synth["os128"]
    boxes = car_boxes(rng, 500)
    t.add("points_in_boxes", f"N={len(big) // 1000}k M=500 (os128)", timeit(lambda: K.points_in_boxes(big, boxes), rep),
          {"numpy-loop": timeit(lambda: numpy_boxes_loop(big, boxes), 3, 1)})
    pts64, _, b64 = synth["hdl64"]
    t.add("points_in_boxes_csr", f"N={len(pts64) // 1000}k M={len(b64)} (hdl64 scene)",
          timeit(lambda: K.points_in_boxes_csr(pts64, b64), rep),
          {"numpy-loop": timeit(lambda: numpy_boxes_loop(pts64, b64), 3, 1)})


def bench_ground(t: Table, frames: list[np.ndarray], synth: dict, o3d, rep: int, quick: bool) -> dict:
    pwpp = optional("pypatchworkpp")
    quality = {}

    def pp_run(points, h):
        prm = pwpp.Parameters()
        prm.sensor_height = h
        with quiet():
            inst = pwpp.patchworkpp(prm)
            inst.estimateGround(points)
        g = np.zeros(len(points), bool)
        g[inst.getGroundIndices()] = True
        return g

    def pp_time(points, h):
        prm = pwpp.Parameters()
        prm.sensor_height = h
        with quiet():
            insts = [pwpp.patchworkpp(prm) for _ in range(rep + 2)]  # fresh instance per call, built untimed
        it = iter(insts)
        return timeit(lambda: next(it).estimateGround(points), rep)

    pts = frames[0]
    base = {}
    if pwpp:
        base["pypatchworkpp"] = pp_time(pts, 1.723)
    if o3d:
        def plane():
            pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts[:, :3].astype(np.float64)))
            return pc.segment_plane(0.2, 3, 100)
        base["open3d-ransac"] = timeit(plane, 3 if quick else 5, 1)
    ours = timeit(lambda: K.segment_ground(pts), rep)
    agree = ""
    if pwpp:
        agrees = [float((K.segment_ground(f) == pp_run(f, 1.723)).mean()) for f in frames]
        quality["kitti_agreement_fresh"] = agrees
        seg = K.GroundSegmenter()
        prm = pwpp.Parameters()
        prm.sensor_height = 1.723
        with quiet():
            inst = pwpp.patchworkpp(prm)
        seq = []
        for f in frames:
            with quiet():
                inst.estimateGround(f)
            g = np.zeros(len(f), bool)
            g[inst.getGroundIndices()] = True
            seq.append(float((seg.segment(f) == g).mean()))
        quality["kitti_agreement_sequence"] = seq
        agree = f"label agreement with pypatchworkpp: min {100 * min(agrees):.3f} % fresh, {100 * min(seq):.3f} % sequence ({len(frames)} frames)"
    t.add("segment_ground patchwork++", f"KITTI N={len(pts) // 1000}k", ours, base, note=agree)
    t.add("segment_ground grid", f"KITTI N={len(pts) // 1000}k", timeit(lambda: K.segment_ground(pts, method="grid"), rep),
          {"numpy-minimum.at": timeit(lambda: numpy_grid_lowest(pts), rep)})
    for kind in ("hdl32", "hdl64", "os128"):
        sp, lab, _ = synth[kind]
        truth = lab == 0
        prm = K.PatchworkParams(sensor_height_m=SENSOR_H)
        g = K.segment_ground(sp, params=prm)
        base = {}
        note = f"ours P/R {100 * (g & truth).sum() / max(g.sum(), 1):.1f}/{100 * (g & truth).sum() / truth.sum():.1f}"
        quality[kind] = {"ours": [float((g & truth).sum() / max(g.sum(), 1)), float((g & truth).sum() / truth.sum())]}
        if pwpp:
            base["pypatchworkpp"] = pp_time(sp, SENSOR_H)
            gp = pp_run(sp, SENSOR_H)
            pr = [float((gp & truth).sum() / max(gp.sum(), 1)), float((gp & truth).sum() / truth.sum())]
            quality[kind]["pypatchworkpp"] = pr
            note += f"; pypatchworkpp P/R {100 * pr[0]:.1f}/{100 * pr[1]:.1f}; agreement {100 * (g == gp).mean():.2f} %"
        t.add("segment_ground patchwork++", f"{kind} N={len(sp) // 1000}k", timeit(lambda: K.segment_ground(sp, params=prm), rep),
              base, note=note)
    return quality


def bench_cluster(t: Table, frame: np.ndarray, o3d, rep: int, quick: bool) -> None:
    sk = optional("sklearn.cluster")
    g = K.segment_ground(frame)
    ng = np.ascontiguousarray(frame[~g])
    base = {}
    if sk:
        from sklearn.cluster import DBSCAN

        base["sklearn-dbscan"] = timeit(lambda: DBSCAN(eps=0.5, min_samples=5).fit(ng[:, :3]), 1 if quick else 3, 0)
    if o3d:
        pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(ng[:, :3].astype(np.float64)))
        base["open3d-dbscan"] = timeit(lambda: pc.cluster_dbscan(0.5, 5), 1 if quick else 3, 0)
    labels = K.cluster_euclidean(ng, 0.5, 5)
    t.add("cluster_euclidean r=0.5", f"non-ground N={len(ng) // 1000}k", timeit(lambda: K.cluster_euclidean(ng, 0.5, 5), rep),
          base, note=f"{labels.max() + 1} clusters >= 5 points")
    # one-click proposal on the biggest compact cluster (a car-like object)
    sizes = np.bincount(labels[labels >= 0])
    best = None
    for lab in np.argsort(sizes)[::-1]:
        p = ng[labels == lab]
        ext = p[:, :2].max(0) - p[:, :2].min(0)
        if ext.max() < 6 and sizes[lab] > 300:
            best = lab
            break
    if best is None:
        best = int(np.argmax(sizes))
    seed = ng[np.flatnonzero(labels == best)[0], :3].astype(np.float64)

    def one_click():
        idx = K.cluster_around(ng, seed, 0.5, roi_radius_m=6.0)
        return K.fit_box(np.ascontiguousarray(ng[idx]))

    idx = K.cluster_around(ng, seed, 0.5, roi_radius_m=6.0)
    base = {}
    if sk:
        from sklearn.cluster import DBSCAN

        def sk_click():
            roi = ng[((ng[:, 0] - seed[0]) ** 2 + (ng[:, 1] - seed[1]) ** 2) <= 36.0]
            return DBSCAN(eps=0.5, min_samples=1).fit(roi[:, :3])

        base["sklearn crop+dbscan (no fit)"] = timeit(sk_click, rep, 1)
    roi_n = int((((ng[:, 0] - seed[0]) ** 2 + (ng[:, 1] - seed[1]) ** 2) <= 36.0).sum())
    t.add("one-click: cluster_around + fit_box", f"ROI 6 m, {roi_n} pts -> {len(idx)}", timeit(one_click, rep), base)
    cl = np.ascontiguousarray(ng[idx])
    base = {"numpy-reference": timeit(lambda: R.fit_box_ref(cl), rep)}
    if o3d:
        def o3d_obb():
            return o3d.geometry.PointCloud(o3d.utility.Vector3dVector(cl[:, :3].astype(np.float64))).get_oriented_bounding_box()
        base["open3d-pca-obb"] = timeit(o3d_obb, rep)
    t.add("fit_box", f"cluster {len(cl)} pts", timeit(lambda: K.fit_box(cl), rep), base)
    t.add("fit_box with prior", f"cluster {len(cl)} pts", timeit(lambda: K.fit_box(cl, prior_box=K.fit_box(cl)), rep), {})


def bench_misc(t: Table, frame: np.ndarray, o3d, rep: int) -> None:
    d = np.array([1.0, 0.3, -0.05])
    t.add("pick_point", f"N={len(frame) // 1000}k", timeit(lambda: K.pick_point(frame, np.zeros(3), d, 0.2), rep),
          {"numpy-reference": timeit(lambda: R.pick_point_ref(frame, np.zeros(3), d, 0.2), rep)})
    vp = np.array([[1.3, 0, 0, 0], [0, 0, 1.7, 0], [0, -1.0, 0, -0.2], [0, 1.0, 0, 0]])  # camera looking along +y
    ang = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    lasso = np.column_stack([320 + 150 * np.cos(ang), 240 + 100 * np.sin(ang)])
    t.add("points_in_polygon (40-vertex lasso)", f"N={len(frame) // 1000}k",
          timeit(lambda: K.points_in_polygon(frame, vp, lasso, (640, 480)), rep),
          {"numpy-reference": timeit(lambda: R.points_in_polygon_ref(frame, vp, lasso, (640, 480)), rep)})
    base = {"numpy-unique": timeit(lambda: R.voxel_downsample_ref(frame, 0.1), 3, 1)}
    if o3d:
        pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(frame[:, :3].astype(np.float64)))
        base["open3d-voxel_down_sample"] = timeit(lambda: pc.voxel_down_sample(0.1), rep)
    t.add("voxel_downsample first", f"N={len(frame) // 1000}k, 0.1 m", timeit(lambda: K.voxel_downsample(frame, 0.1), rep), base)
    t.add("voxel_downsample centroid", f"N={len(frame) // 1000}k, 0.1 m",
          timeit(lambda: K.voxel_downsample(frame, 0.1, method="centroid"), rep), base)


def bench_load(t: Table) -> None:
    code = ("import time; t=time.perf_counter(); from sweeplabel.kernels import warmup; "
            "w=warmup(); print(time.perf_counter()-t, w)")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    total, w = map(float, out.stdout.split())
    t.add("import + warmup() from cache (new process)", "all kernels", 1e3 * total, {}, note=f"warmup() alone {1e3 * w:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, skip the slowest baselines")
    ap.add_argument("--json", type=Path, default=REPO / "benchmarks" / "kernels.json")
    args = ap.parse_args(argv)
    rep = 3 if args.quick else args.repeat
    info = machine()
    print(json.dumps(info))
    K.warmup()
    o3d = optional("open3d")
    frames = [np.fromfile(p, np.float32).reshape(-1, 4) for p in sorted(KITTI_TRK.glob("*.bin"))[:6]]
    if not frames:
        frames = [np.fromfile(p, np.float32).reshape(-1, 4) for p in sorted(KITTI_OBJ.glob("*.bin"))]
    synth = {k: synthetic_sweep(k) for k in SENSORS}
    if not frames:
        print("[KITTI frames not found: using the synthetic hdl64 sweep]", file=sys.stderr)
        frames = [synth["hdl64"][0]]
    t = Table()
    print(t.markdown())
    bench_boxes(t, frames[0], synth, o3d, rep, args.quick)
    quality = bench_ground(t, frames, synth, o3d, rep, args.quick)
    bench_cluster(t, frames[0], o3d, rep, args.quick)
    bench_misc(t, frames[0], o3d, rep)
    bench_load(t)
    info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None
    args.json.write_text(json.dumps({"machine": info, "rows": t.rows, "ground_quality": quality}, indent=1))
    print(f"\n{json.dumps(info)}\nwritten {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
