"""``sweeplabel evaluate``: predictions against the truth with the real-data protocol
(``sweeplabel.assist.evaluate``)."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path

PROJECT_SUFFIX = ".sweeplabel"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="score predicted boxes against the truth (per class group, "
                                        "BEV and 3D IoU, AP, MOTA, correction cost)")
    p.add_argument("predicted", help="a .sweeplabel project or a dataset with labels; alone: a project "
                                     "whose auto boxes are scored against the boxes people made or accepted")
    p.add_argument("truth", nargs="?", help="a .sweeplabel project or a dataset with labels")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--min-points", type=int, default=5,
                   help="truth boxes with fewer LiDAR points are ignore regions (default: 5)")
    p.add_argument("--all-around", action="store_true",
                   help="KITTI: evaluate outside the camera's view as well (default: image 2 only)")
    p.set_defaults(func=cmd_evaluate)


def _open(path: Path, stack: ExitStack):  # -> Project
    """A project file is opened read-mostly; a dataset is read into memory."""
    from ..io import open_project, read_sequence
    from ..model import Project

    if path.suffix == PROJECT_SUFFIX and path.is_file():
        opened = open_project(path)
        stack.callback(opened.close)
        return opened.project
    loaded = read_sequence(path)
    project = Project(loaded.sequence)
    project.load(loaded.tracks, loaded.annotations)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return project


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..assist.eval_input import prepare, prepare_project
    from ..assist.evaluate import evaluate_frames
    from ..model import ModelError

    with ExitStack() as stack:
        predicted = _open(Path(args.predicted), stack)
        if args.truth is None:
            data = prepare_project(predicted, args.min_points, not args.all_around)
            truth = predicted
        else:
            truth = _open(Path(args.truth), stack)
            if len(predicted.sequence) != len(truth.sequence):
                raise ModelError(f"{args.predicted} has {len(predicted.sequence)} frames, {args.truth} has "
                                 f"{len(truth.sequence)}: expected the same sequence")
            data = prepare(truth.sequence.frames, predicted.annotations.values(), predicted.tracks,
                           truth.annotations.values(), truth.tracks, args.min_points, not args.all_around)
        result = evaluate_frames(data.predicted, data.truth, truth.schema, notes=data.notes,
                                 place_yaw_rad=data.place_yaw_rad)
    if args.format == "json":
        print(json.dumps({"predicted": str(args.predicted), "truth": str(args.truth or args.predicted),
                          **result.as_dict()}, indent=1))
    else:
        print(result.format_text())
    return 0
