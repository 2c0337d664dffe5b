"""Train the shipped candidate scorer on the synthetic generator's realistic scenes only
(never on the real recordings) and write src/sweeplabel/resources/scorer_model.txt.

Reproducible: the same seeds give the same rows and LightGBM runs deterministically.
Usage: python scripts/train_scorer.py [--out PATH] [--quick] [--far] [--seeds N]"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sweeplabel.assist.scorer_train import (
    FAR_CANDIDATES, FAR_FIT, SHIPPED_CANDIDATES, SHIPPED_SEQUENCES as SEQUENCES, SHIPPED_FIT, Rows, fit_scorer,
    synthetic_training_set,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parents[1] / "src" / "sweeplabel" / "resources" / "scorer_model.txt")
    ap.add_argument("--quick", action="store_true", help="two short sequences (a smoke test)")
    ap.add_argument("--rounds", type=int, default=120)
    ap.add_argument("--rows", type=Path, default=None,
                    help="an .npz of training rows: read if it exists (no pickle), else written after generating")
    ap.add_argument("--far", action="store_true",
                    help="the far candidate path's model: far-range and roadside streets, candidates to 160 m")
    ap.add_argument("--seeds", type=int, default=None, help="only the first N training sequences")
    args = ap.parse_args()
    sequences = [(100, 64, 4), (101, 32, 4)] if args.quick else SEQUENCES[: args.seeds]
    start = time.perf_counter()
    if args.rows is not None and args.rows.is_file():
        with np.load(args.rows, allow_pickle=False) as data:
            rows = Rows(list(data["x"]), [int(v) for v in data["y"]])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = synthetic_training_set(Path(tmp), sequences, progress=lambda m: print(m, flush=True),
                                          params=FAR_CANDIDATES if args.far else SHIPPED_CANDIDATES, far=args.far)
        if args.rows is not None:
            np.savez(args.rows, x=rows.arrays()[0], y=rows.arrays()[1])
    print(f"{len(rows.y)} rows {rows.counts()} in {time.perf_counter() - start:.0f} s", flush=True)
    fit_scorer(rows, args.out, rounds=args.rounds, **(FAR_FIT if args.far else SHIPPED_FIT))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
