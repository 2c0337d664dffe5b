"""``sweeplabel import-predictions PROJECT FILE_OR_DIR --format kitti|nuscenes|json|openlabel``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..io.predictions import PREDICTION_FORMATS


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-predictions",
                       help="add detector results as scored auto boxes, linked into tracks (one undo step)")
    p.add_argument("project", help="a .sweeplabel project (or a sequence: its project beside it)")
    p.add_argument("predictions", metavar="FILE_OR_DIR",
                   help="KITTI result files (folder), a nuScenes results JSON, the tool's JSON or OpenLABEL")
    p.add_argument("--format", required=True, choices=PREDICTION_FORMATS)
    p.add_argument("--min-score", type=float, default=0.0, help="drop boxes scored below this (default 0)")
    p.set_defaults(func=cmd_import_predictions)


def cmd_import_predictions(args: argparse.Namespace) -> int:
    from ..assist.import_predictions import import_predictions
    from ..io import open_project

    opened = open_project(Path(args.project))
    try:
        summary = import_predictions(opened.project, Path(args.predictions), args.format,
                                     min_score=args.min_score)
    finally:
        opened.close()
    print(summary.one_line())
    for warning in summary.warnings:
        print(f"warning: {warning}")
    return 0
