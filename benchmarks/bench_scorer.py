"""Scored pre-annotation on the real recordings, through the evaluation protocol
(``sweeplabel.assist.evaluate``: Hungarian matching per frame at BEV IoU 0.5 per class
group; truth under 5 points and KITTI DontCare are ignore regions; KITTI counts only the
camera's view), at several score thresholds: recall / precision per group, false auto
boxes per frame (all groups), seconds per sweep.

Usage: python benchmarks/bench_scorer.py [--model M] [--sets kitti-tracking kitti-object ...]
       [--thresholds 0.5 0.7 ...] [--rules]"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_assist import DATA, REAL_SETS, machine  # noqa: E402

from sweeplabel.assist.eval_input import prepare  # noqa: E402
from sweeplabel.assist.evaluate import evaluate_frames  # noqa: E402
from sweeplabel.assist.preannotate import PreannotateParams, preannotate_sequence, preannotation_command  # noqa: E402
from sweeplabel.assist.scorer import DEFAULT_MIN_SCORE  # noqa: E402
from sweeplabel.io import read_sequence  # noqa: E402
from sweeplabel.model import Project  # noqa: E402

GROUPS = ("vehicles", "pedestrians", "cyclists")


def evaluate_tracks(loaded, auto):
    project = Project(loaded.sequence)
    project.execute(preannotation_command(project, auto))
    data = prepare(loaded.sequence.frames, project.annotations.values(), project.tracks, loaded.annotations,
                   {t.token: t for t in loaded.tracks})
    return evaluate_frames(data.predicted, data.truth, project.schema, notes=data.notes, place_yaw_rad=data.place_yaw_rad)


def synthetic_set(seed: int, beams: int, frames: int, tmp: Path, realistic: bool) -> tuple[Path, str]:
    """A held-out generated sequence (seeds 100-111 train the shipped model)."""
    from sweeplabel.io.synthetic import LidarConfig, generate_sequence
    from sweeplabel.io.synthetic.clutter import realistic_lidar, realistic_scene

    lidar = LidarConfig(beams=beams)
    kw = {"lidar": realistic_lidar(lidar), "scene": realistic_scene()} if realistic else {"lidar": lidar}
    folder = generate_sequence(tmp / f"syn-{seed}-{beams}-{realistic}", frames=frames, seed=seed, **kw)
    kind = "realistic street" if realistic else "plain street (the generator's default)"
    return folder, f"synthetic {kind}, seed {seed}, {beams} beams, {frames} frames (360-degree truth)"


def run_set(key: str, params: PreannotateParams, thresholds: list[float],
            synthetic: tuple[Path, str] | None = None) -> dict | None:
    if synthetic is not None:
        path, title = synthetic
    else:
        folder, title = REAL_SETS[key]
        path = DATA / folder
    if not path.exists():
        print(f"\n{title}: not found at {path}: skipped")
        return None
    loaded = read_sequence(path)
    start = time.perf_counter()
    auto = preannotate_sequence(loaded.sequence, params)
    seconds = (time.perf_counter() - start) / len(loaded.sequence)
    n = len(loaded.sequence)
    print(f"\n{title}: {seconds:.2f} s/sweep")
    ev = evaluate_tracks(loaded, auto)
    truth = "  ".join(f"{g} {ev.result(g, 'bev').num_truth}" for g in GROUPS)
    ap = "  ".join(f"{g} {ev.result(g, 'bev').average_precision:.2f}" for g in GROUPS)
    print(f"  truth boxes: {truth}; AP (BEV 0.5): {ap}")
    print("  score >=   " + "  ".join(f"{g[:4]} R / P " for g in GROUPS) + "  false/frame")
    out = {}
    for thr in thresholds if auto and auto[0].score is not None else [0.0]:
        ev = evaluate_tracks(loaded, [t for t in auto if t.score is None or t.score >= thr])
        res = {g: ev.result(g, "bev") for g in GROUPS}
        fp = sum(r.false_positives for r in res.values()) / n
        print(f"  {thr:8.2f}   " + "  ".join(f"{res[g].recall:.2f} / {res[g].precision:.2f}" for g in GROUPS)
              + f"  {fp:8.1f}")
        out[thr] = {g: (res[g].recall, res[g].precision) for g in GROUPS} | {"false_per_frame": fp}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", action="store_true", help="the size rules of before (no scorer)")
    ap.add_argument("--model", default=None, help="a scorer model file (default: the shipped one)")
    ap.add_argument("--sets", nargs="*", default=list(REAL_SETS), choices=list(REAL_SETS))
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.3, DEFAULT_MIN_SCORE, 0.7, 0.8, 0.9])
    ap.add_argument("--synthetic", type=int, nargs="*", default=[], metavar="SEED",
                    help="also held-out generated sequences (realistic and plain street), e.g. 200")
    ap.add_argument("--frames", type=int, default=10, help="frames of each synthetic sequence")
    args = ap.parse_args()
    params = PreannotateParams(use_scorer=not args.rules, scorer_path=args.model, min_score=min(args.thresholds))
    print(f"bench_scorer on {machine()}; {'size rules' if args.rules else 'scorer ' + (args.model or 'shipped')}; "
          f"default threshold {DEFAULT_MIN_SCORE}")
    for key in args.sets:
        run_set(key, params, sorted(args.thresholds))
    if args.synthetic:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            for realistic in (True, False):
                for seed in args.synthetic:
                    run_set("", params, sorted(args.thresholds),
                            synthetic_set(seed, 64, args.frames, Path(tmp), realistic))


if __name__ == "__main__":
    main()
