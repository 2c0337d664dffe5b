"""``sweeplabel warmup`` (compile the kernels ahead of use) and ``sweeplabel bench``."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

BENCHMARKS = {"kernels": "bench_kernels.py", "io": "bench_io.py"}


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("warmup", help="compile (or load from the cache) every Numba kernel")
    p.set_defaults(func=cmd_warmup)
    p = sub.add_parser("bench", help="run a benchmark from the source checkout's benchmarks/")
    p.add_argument("which", nargs="?", default="kernels", choices=sorted(BENCHMARKS))
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="passed to the benchmark script")
    p.set_defaults(func=cmd_bench)


def cmd_warmup(args: argparse.Namespace) -> int:
    from ..kernels import warmup

    print(f"sweeplabel kernels ready in {warmup():.2f} s")
    return 0


def benchmarks_dir() -> Path | None:
    """benchmarks/ of the source checkout this package runs from (editable install)."""
    candidate = Path(__file__).resolve().parents[3] / "benchmarks"
    return candidate if candidate.is_dir() else None


def cmd_bench(args: argparse.Namespace) -> int:
    folder = benchmarks_dir()
    if folder is None:
        print("sweeplabel: error: the benchmarks live in the source checkout (benchmarks/); "
              "run sweeplabel from an editable install of it", file=sys.stderr)
        return 2
    script = folder / BENCHMARKS[args.which]
    old_argv = sys.argv
    sys.argv = [str(script), *args.bench_args]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.argv = old_argv
    return 0
