"""``sweeplabel export`` and ``sweeplabel import``: datasets in, deliveries out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..io import open_project, read_sequence
from ..io.export import FORMATS, export_labels
from ..io.project_io import PROJECT_SUFFIX
from . import ProgressLine


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write labels as KITTI, KITTI tracking, nuScenes or JSON")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("input", help="a .sweeplabel project, or a dataset read with its own labels")
    p.add_argument("out_dir")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="create or update a project store from a dataset with its labels")
    p.add_argument("path")
    p.add_argument("--project", metavar="FILE", help="project file (default: beside the data)")
    p.set_defaults(func=cmd_import)


def cmd_export(args: argparse.Namespace) -> int:
    source_path = Path(args.input)
    progress = ProgressLine("export")
    if source_path.suffix == PROJECT_SUFFIX:
        opened = open_project(source_path)
        try:
            summary = export_labels(opened.project, args.format, Path(args.out_dir), progress=progress)
        finally:
            opened.close()
    else:
        summary = export_labels(read_sequence(source_path), args.format, Path(args.out_dir), progress=progress)
    print(summary.one_line())
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    opened = open_project(Path(args.path), Path(args.project) if args.project else None)
    try:
        p = opened.project
        verb = "created" if opened.created else "opened existing"
        print(f"{verb} {opened.store.path}: {len(p.sequence)} frames, {len(p.tracks)} tracks, "
              f"{len(p.annotations)} boxes")
        for warning in opened.warnings:
            print(f"warning: {warning}")
    finally:
        opened.close()
    return 0
