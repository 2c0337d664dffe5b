"""Learning from the project, measured on a real sequence (KITTI tracking 0000, camera view):
pre-annotate (candidates down to a low score), a scripted annotator corrects the first 30 %
of the frames (accepts the auto boxes matching a truth box at BEV IoU 0.5, deletes the
others, draws the missed truth boxes), the scorer is refit on those decisions (continuing
from the shipped model), the remaining auto boxes are re-scored, and precision / recall on
the other frames at the display threshold are compared before and after. Then the time to
re-score a 100-frame project.

Usage: python benchmarks/bench_rescore.py [--threshold 0.5] [--share 0.3]"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_assist import DATA, machine  # noqa: E402
from bench_scorer import truth_of  # noqa: E402

from sweeplabel.assist.metrics import LabeledBox, bev_iou, evaluate  # noqa: E402
from sweeplabel.assist.preannotate import PreannotateParams, preannotate_sequence, preannotation_command  # noqa: E402
from sweeplabel.assist.project_scorer import (  # noqa: E402
    CANDIDATES_META_KEY, candidate_log, project_rows, read_candidate_log, rescore_command,
)
from sweeplabel.assist.scorer import default_model_path, group_of, load_scorer  # noqa: E402
from sweeplabel.assist.scorer_train import fit_scorer  # noqa: E402
from sweeplabel.io import read_sequence  # noqa: E402
from sweeplabel.model import Annotation, Box, Project, Source, Track, commands as cmd, new_token  # noqa: E402
from sweeplabel.model.undo import Change, Command  # noqa: E402


def in_view(project: Project, f: int, box: Box, half_fov_deg: float = 42.0) -> bool:
    T = project.sequence[f].T_world_sensor
    local = T[:3, :3].T @ (box.center_m - T[:3, 3])
    return bool(local[0] > 0 and abs(math.degrees(math.atan2(local[1], local[0]))) <= half_fov_deg)


def quality(project: Project, truth, ignore, frames: list[int], threshold: float):
    pred = defaultdict(list)
    for a in project.annotations.values():
        if a.frame_index in frames and a.source == Source.AUTO and a.score is not None and a.score >= threshold \
                and in_view(project, a.frame_index, a.box):
            pred[a.frame_index].append(LabeledBox(a.track_token, a.box, "x"))
    sel = lambda d: {f: [LabeledBox(x.track_id, x.box, "x") for x in d.get(f, [])] for f in frames}  # noqa: E731
    return evaluate(pred, sel(truth), 0.5, sel(ignore))


def scripted_corrections(project: Project, truth, frames: list[int]) -> dict[str, int]:
    """Accept matching auto boxes, delete the rest, draw the missed truth boxes (one step each)."""
    actions = defaultdict(int)
    for f in frames:
        gts = truth.get(f, [])
        matched = set()
        for a in sorted(project.annotations_in_frame(f), key=lambda a: -(a.score or 0)):
            if a.source != Source.AUTO or not in_view(project, f, a.box):
                continue
            best = max(range(len(gts)), key=lambda k: bev_iou(a.box, gts[k].box), default=None)
            if best is not None and best not in matched and bev_iou(a.box, gts[best].box) >= 0.5:
                matched.add(best)
                project.execute(cmd.set_review_state(project, [a.token], "accepted"))
                actions["accept"] += 1
            else:
                project.execute(cmd.delete_annotations(project, [a.token]))
                actions["delete"] += 1
        for k, g in enumerate(gts):
            if k not in matched:
                track = Track(new_token(), _category(g.category), project.next_track_number())
                ann = Annotation(new_token(), track.token, f, g.box, {}, Source.MANUAL)
                project.execute(Command("Draw box", [Change(None, track), Change(None, ann)]))
                actions["draw"] += 1
    return dict(actions)


def _category(group: str) -> str:
    return {"vehicle": "vehicle.car", "pedestrian": "human.pedestrian.adult", "cyclist": "vehicle.cyclist"}[group]


def rescore_timing(project: Project, log: list[dict], frames: int = 100) -> tuple[float, int]:
    """A 100-frame project: each auto track of ``project`` stretched over ``frames`` frames
    (its logged features repeated), re-scored; seconds and boxes."""
    from sweeplabel.model import Frame, Sequence

    seq = Sequence("long", [Frame(i, 0.1 * i) for i in range(frames)])
    big = Project(seq)
    feats = {r["token"]: r for r in log}
    changes, records = [], []
    for track in project.tracks.values():
        anns = [a for a in project.annotations_of_track(track.token) if a.token in feats]
        if not anns or anns[0].source != Source.AUTO:
            continue
        t = Track(new_token(), track.category, big.next_track_number() + len(records), score=track.score)
        changes.append(Change(None, t))
        for f in range(frames):
            src = anns[f % len(anns)]
            a = Annotation(new_token(), t.token, f, src.box, {}, Source.AUTO, score=track.score)
            changes.append(Change(None, a))
            records.append({**feats[src.token], "token": a.token, "frame": f})
    big.execute(Command("setup", changes))
    scorer = load_scorer()
    start = time.perf_counter()
    command = rescore_command(big, scorer, records)
    big.execute(command)
    return time.perf_counter() - start, len(records)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--share", type=float, default=0.3)
    ap.add_argument("--candidates-from", type=float, default=0.1, help="pre-annotation min score (candidates kept)")
    args = ap.parse_args()
    print(f"bench_rescore on {machine()}")
    loaded = read_sequence(DATA / "kitti_tracking_0000")
    project = Project(loaded.sequence)
    tracks = preannotate_sequence(loaded.sequence, PreannotateParams(min_score=args.candidates_from))
    command = preannotation_command(project, tracks)
    project.execute(command)
    meta = {CANDIDATES_META_KEY: candidate_log(command, tracks)}
    truth, ignore = truth_of(loaded)
    n = len(loaded.sequence)
    k = max(1, math.ceil(args.share * n))
    train, test = list(range(k)), list(range(k, n))
    before = quality(project, truth, ignore, test, args.threshold)
    actions = scripted_corrections(project, truth, train)
    rows = project_rows(project, read_candidate_log(meta))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        scorer = fit_scorer(rows, Path(tmp) / "project.txt", rounds=100, init_model=default_model_path())
        fit_s = time.perf_counter() - start
        project.execute(rescore_command(project, scorer, read_candidate_log(meta)))
    after = quality(project, truth, ignore, test, args.threshold)
    print(f"KITTI tracking 0000: annotator corrected frames {train[0]}-{train[-1]} ({actions}); "
          f"{len(rows.y)} rows {rows.counts()}; refit {fit_s:.1f} s")
    print(f"  frames {test[0]}-{test[-1]} at score >= {args.threshold} (camera view, BEV IoU 0.5, all groups):")
    for name, r in (("before", before), ("after", after)):
        print(f"  {name:<7} precision {r.precision:.2f}  recall {r.recall:.2f}  "
              f"false boxes/frame {r.false_positives / len(test):.1f}")
    seconds, boxes = rescore_timing(project, read_candidate_log(meta))
    print(f"re-scoring a 100-frame project ({boxes} auto boxes): {seconds:.2f} s")


if __name__ == "__main__":
    main()
