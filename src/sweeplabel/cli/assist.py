"""``sweeplabel preannotate DATASET_ROOT --out DIR``: pre-annotate many sequences on Dask."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("preannotate", help="pre-annotate every sequence of a dataset (Dask, resumable)")
    p.add_argument("dataset_root", help="a sequence or a folder/dataset holding several")
    p.add_argument("--out", required=True, metavar="DIR", help="one project file per sequence + summary.json")
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, default=2, help="local cluster worker processes (default 2)")
    p.add_argument("--min-score", type=_unit_float, default=None, metavar="S",
                   help="keep auto tracks scoring at least S in [0, 1] (default 0.5)")
    p.add_argument("--scorer", metavar="MODEL", default=None, help="a scorer model file (default: the shipped one)")
    p.set_defaults(func=cmd_preannotate)
    from . import scorer

    scorer.add_parsers(sub)


def _unit_float(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def cmd_preannotate(args: argparse.Namespace) -> int:
    from ..assist.batch import SUMMARY_NAME, discover_sequences, run_batch
    from . import ProgressLine

    root = Path(args.dataset_root)
    if not root.exists():
        print(f"sweeplabel: error: {root}: no such file or folder", file=sys.stderr)
        return 2
    sequences = discover_sequences(root)
    if not sequences:
        print(f"sweeplabel: error: {root}: no sequence any reader recognises", file=sys.stderr)
        return 2
    from dataclasses import replace

    from ..assist.preannotate import PreannotateParams

    params = PreannotateParams(scorer_path=args.scorer)
    if args.min_score is not None:
        params = replace(params, min_score=args.min_score)
    if args.scorer is not None:
        from ..assist.scorer import Scorer

        Scorer.load(args.scorer)  # a bad model file: one clear error before any work
    summary = run_batch(root, Path(args.out), scheduler=args.scheduler, workers=max(1, args.workers), params=params,
                        progress=ProgressLine("preannotate", unit="sequences"), sequences=sequences)
    totals = summary["totals"]
    for sid, entry in summary["sequences"].items():
        if entry["status"] == "error":
            print(f"error: {sid}: {entry['error']}", file=sys.stderr)
    print(f"{totals['done']} done, {totals['skipped']} skipped, {totals['errors']} failed; "
          f"{totals['boxes']} boxes in {totals['tracks']} tracks; summary: {Path(args.out) / SUMMARY_NAME}")
    return 1 if totals["errors"] else 0
