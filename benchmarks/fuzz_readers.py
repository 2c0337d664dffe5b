"""Fuzz every reader: ``--n`` hypothesis-generated mutants per input type of small seeds
cut from the shared recordings, each read (``read_sequence`` + every frame's points) in
a reused worker subprocess under a 10 s time and an address-space limit. Prints the
outcome table (clean / unlocated / traceback / hang / memory / wrong / accepted) and
the failures.

    python benchmarks/fuzz_readers.py --n 300 [--only pcd_ascii,las] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]

import fuzz_harness as fh  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="mutants per input type")
    parser.add_argument("--only", default="", help="comma-separated input types")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, default=None, help="write every result here")
    parser.add_argument("--show", type=int, default=30, help="failures to print")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: derandomized, "
                        "the same mutants every run)")
    parser.add_argument("--src", type=Path, default=REPO / "src",
                        help="the sweeplabel source the worker reads with (e.g. an older checkout, to compare)")
    args = parser.parse_args()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fuzz_readers_") as tmp:
        seeds = fh.build_seeds(args.data, Path(tmp))
        names = [n for n in seeds if not args.only or n in args.only.split(",")]
        worker = fh.Worker(args.src)
        results: list[dict] = []
        try:
            for name in names:
                try:
                    fh.baseline(worker, seeds[name])
                except RuntimeError as exc:  # an older reader may refuse a valid seed
                    print(f"{name}: {exc}", file=sys.stderr)
                run = fh.make_runner(seeds, worker, results, name)

                @settings(max_examples=args.n, deadline=None, database=None, phases=[Phase.generate],
                          suppress_health_check=list(HealthCheck), derandomize=args.seed is None)
                @seed(args.seed or 0)
                @given(st.integers(0, 99), st.integers(0, len(fh.OPERATORS) - 1), st.integers(0, 2 ** 32))
                def fuzz(target_index: int, op_index: int, salt: int) -> None:
                    run(target_index, op_index, salt)

                before = len(results)
                fuzz()
                print(f"{name}: {len(results) - before} mutants", file=sys.stderr, flush=True)
        finally:
            worker.close()
    print(fh.table(results, names))
    print(f"\n{len(results)} mutants in {time.monotonic() - t0:.0f} s, worker started {worker.starts} times")
    bad = fh.failures(results)
    for r in bad[: args.show]:
        print(f"- {r['outcome']} {r['seed']} {r['op']} {r['target']}: {r['detail']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
