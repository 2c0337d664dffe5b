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

from sweeplabel.assist.eval_input import prepare  # noqa: E402
from sweeplabel.assist.evaluate import evaluate_frames, group_of  # noqa: E402
from sweeplabel.assist.iou import bev_iou  # noqa: E402
from sweeplabel.assist.preannotate import PreannotateParams, preannotate_sequence, preannotation_command  # noqa: E402
from sweeplabel.assist.project_scorer import (  # noqa: E402
    CANDIDATES_META_KEY, candidate_log, project_rows, read_candidate_log, rescore_command,
)
from sweeplabel.assist.scorer import DEFAULT_MIN_SCORE, default_model_path, load_scorer  # noqa: E402
from sweeplabel.assist.scorer_train import fit_scorer  # noqa: E402
from sweeplabel.io import read_sequence  # noqa: E402
from sweeplabel.model import Annotation, Project, Source, Track, commands as cmd, new_token  # noqa: E402
from sweeplabel.model.undo import Change, Command  # noqa: E402

GROUPS = ("vehicles", "pedestrians", "cyclists")
_CATEGORY = {"vehicles": "vehicle.car", "pedestrians": "human.pedestrian.adult", "cyclists": "vehicle.cyclist"}


def _inputs(loaded, project: Project, frames: list[int], threshold: float):
    preds = [a for a in project.annotations.values() if a.frame_index in frames and a.source == Source.AUTO
             and a.review_state.value == "unreviewed" and (a.score is None or a.score >= threshold)]
    truth = [a for a in loaded.annotations if a.frame_index in frames]
    return prepare(loaded.sequence.frames, preds, project.tracks, truth, {t.token: t for t in loaded.tracks})


def quality(loaded, project: Project, frames: list[int], threshold: float) -> dict[str, float]:
    data = _inputs(loaded, project, frames, threshold)
    ev = evaluate_frames(data.predicted, data.truth, project.schema)
    res = [ev.result(g, "bev") for g in GROUPS]
    tp, fp = sum(r.true_positives for r in res), sum(r.false_positives for r in res)
    n_truth = sum(r.num_truth for r in res)
    return {"precision": tp / max(tp + fp, 1), "recall": tp / max(n_truth, 1), "false_per_frame": fp / len(frames),
            **{f"{g}_precision": ev.result(g, "bev").precision for g in GROUPS}}


def scripted_corrections(loaded, project: Project, frames: list[int]) -> dict[str, int]:
    """Accept auto boxes matching a counted truth box (BEV IoU 0.5), delete the other counted
    ones, draw the missed truth boxes; one step each."""
    actions: dict[str, int] = defaultdict(int)
    data = _inputs(loaded, project, frames, 0.0)
    for f in frames:
        gts = [b for b in data.truth.get(f, []) if not b.ignore and group_of(b.category)]
        matched: set[int] = set()
        for p in sorted((b for b in data.predicted.get(f, []) if not b.ignore), key=lambda b: -b.score):
            ann = next(a for a in project.annotations_in_frame(f) if a.track_token == p.track_id)
            best = max(range(len(gts)), key=lambda k: bev_iou(p.box, gts[k].box), default=None)
            if best is not None and best not in matched and bev_iou(p.box, gts[best].box) >= 0.5:
                matched.add(best)
                project.execute(cmd.set_review_state(project, [ann.token], "accepted"))
                actions["accept"] += 1
            else:
                project.execute(cmd.delete_annotations(project, [ann.token]))
                actions["delete"] += 1
        for k, g in enumerate(gts):
            if k not in matched:
                track = Track(new_token(), _CATEGORY[group_of(g.category)], project.next_track_number())
                ann = Annotation(new_token(), track.token, f, g.box, {}, Source.MANUAL)
                project.execute(Command("Draw box", [Change(None, track), Change(None, ann)]))
                actions["draw"] += 1
    return dict(actions)


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
    ap.add_argument("--threshold", type=float, default=DEFAULT_MIN_SCORE)
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
    n = len(loaded.sequence)
    k = max(1, math.ceil(args.share * n))
    train, test = list(range(k)), list(range(k, n))
    before = quality(loaded, project, test, args.threshold)
    actions = scripted_corrections(loaded, project, train)
    rows = project_rows(project, read_candidate_log(meta))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        scorer = fit_scorer(rows, Path(tmp) / "project.txt", rounds=100, init_model=default_model_path())
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        project.execute(rescore_command(project, scorer, read_candidate_log(meta)))
        rescore_s = time.perf_counter() - start
    after = quality(loaded, project, test, args.threshold)
    print(f"KITTI tracking 0000: the annotator corrected frames {train[0]}-{train[-1]} ({actions}); "
          f"{len(rows.y)} rows {rows.counts()}; refit {fit_s:.1f} s, re-score {rescore_s:.2f} s")
    print(f"  frames {test[0]}-{test[-1]}, auto boxes scoring >= {args.threshold} (protocol, BEV IoU 0.5, all groups):")
    for name, q in (("before", before), ("after", after)):
        per = "  ".join(f"{g} P {q[g + '_precision']:.2f}" for g in GROUPS)
        print(f"  {name:<7} precision {q['precision']:.2f}  recall {q['recall']:.2f}  "
              f"false boxes/frame {q['false_per_frame']:.1f}  ({per})")
    seconds, boxes = rescore_timing(project, read_candidate_log(meta))
    print(f"re-scoring a 100-frame project ({boxes} auto boxes): {seconds:.2f} s")


if __name__ == "__main__":
    main()
