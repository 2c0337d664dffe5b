"""``sweeplabel train-scorer``: fit the candidate scorer on projects (the boxes people made,
accepted or deleted) or, with ``--synthetic``, on the generator's scenes (the shipped model)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train-scorer", help="train the pre-annotation scorer on projects (or synthetic scenes)")
    p.add_argument("projects", nargs="*", metavar="PROJECT", help=".sweeplabel project files")
    p.add_argument("--out", required=True, metavar="MODEL", help="the LightGBM text model to write")
    p.add_argument("--synthetic", action="store_true", help="train on generated scenes (the shipped model's recipe)")
    p.add_argument("--rescore", action="store_true",
                   help="then re-score each project's remaining auto boxes with the new model (one undo step) "
                        "and make it the project's model for later pre-annotation")
    p.add_argument("--rounds", type=int, default=None, help="boosting rounds (default 120; 100 for projects)")
    p.add_argument("--base", metavar="MODEL", default=None,
                   help="projects: continue from this model (default: the shipped one)")
    p.add_argument("--from-scratch", action="store_true", help="projects: fit on their boxes alone")
    p.set_defaults(func=cmd_train_scorer)


def cmd_train_scorer(args: argparse.Namespace) -> int:
    from ..assist.scorer_train import SHIPPED_FIT, SHIPPED_SEQUENCES, fit_scorer, synthetic_training_set

    if not args.projects and not args.synthetic:
        print("sweeplabel: error: give PROJECT files or --synthetic", file=sys.stderr)
        return 2
    if args.synthetic:
        with tempfile.TemporaryDirectory() as tmp:
            rows = synthetic_training_set(Path(tmp), SHIPPED_SEQUENCES, progress=print)
        fit_scorer(rows, Path(args.out), rounds=args.rounds or 120, **SHIPPED_FIT)
        print(f"{len(rows.y)} rows {rows.counts()}; wrote {args.out}")
        return 0
    return _train_on_projects(args)


def _train_on_projects(args: argparse.Namespace) -> int:
    from ..assist.project_scorer import SCORER_MODEL_META_KEY, read_candidate_log, rescore_project, training_rows
    from ..assist.scorer_train import Rows, fit_scorer
    from ..io import open_project
    from ..io.errors import FormatError

    opened = []
    try:
        for path in args.projects:
            if not Path(path).is_file():
                raise FormatError(Path(path), "no such project file")
            opened.append(open_project(Path(path)))
        rows = training_rows([(o.project, o.store.meta()) for o in opened]) if opened else Rows()
        counts = rows.counts()
        if counts["background"] == 0 or sum(counts.values()) == counts["background"]:
            print(f"sweeplabel: error: the projects hold no decisions to learn from ({counts}); "
                  "accept, fix or delete some auto boxes first", file=sys.stderr)
            return 2
        from ..assist.scorer import default_model_path

        base = None if args.from_scratch else Path(args.base) if args.base else default_model_path()
        scorer = fit_scorer(rows, Path(args.out), rounds=args.rounds or 100, init_model=base)
        print(f"{len(rows.y)} rows {counts}; wrote {args.out}")
        if args.rescore:
            for o in opened:
                n = rescore_project(o.project, scorer, read_candidate_log(o.store.meta()))
                o.store.set_meta(SCORER_MODEL_META_KEY, str(Path(args.out).resolve()))  # later runs use it
                print(f"{o.store.path}: re-scored {n} auto tracks; its pre-annotation now uses {args.out}")
    finally:
        for o in opened:
            o.close()
    return 0
