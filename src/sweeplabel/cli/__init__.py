"""``sweeplabel`` command line: one dispatcher, one function per sub-command.

Heavy modules (Qt, Open3D, Numba) are imported inside the sub-commands that need
them, so ``sweeplabel --version`` and the headless commands start quickly."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from .. import __version__

DEMO_FRAMES = 20
DEMO_BEAMS = 64
DEMO_SEED = 7


class ProgressLine:
    """A one-line progress display on stderr: ``label: 12/20 frames``."""

    def __init__(self, label: str, unit: str = "frames", stream=None) -> None:
        self.label, self.unit = label, unit
        self.stream = stream or sys.stderr
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label}: {done}/{total} {self.unit}{end}")
        self.stream.flush()


def demo_sequence_dir() -> Path:
    """Where ``sweeplabel demo`` keeps its generated sequence (user cache)."""
    import platformdirs

    cache = Path(platformdirs.user_cache_dir("sweeplabel"))
    return cache / f"demo-{DEMO_BEAMS}beams-{DEMO_FRAMES}frames-seed{DEMO_SEED}"


def ensure_demo_sequence() -> Path:
    """Generate the demo sequence into the user cache unless it is there already."""
    from ..io.synthetic import generate_sequence

    folder = demo_sequence_dir()
    if not (folder / "sequence.json").is_file():
        print(f"Generating the demo sequence into {folder} ...", file=sys.stderr)
        generate_sequence(folder, frames=DEMO_FRAMES, beams=DEMO_BEAMS, seed=DEMO_SEED,
                          progress=ProgressLine("synth"))
    return folder


# -- sub-commands ------------------------------------------------------------------------
def cmd_synth(args: argparse.Namespace) -> int:
    from ..io.synthetic import generate_sequence

    out = generate_sequence(Path(args.out_dir), frames=args.frames, beams=args.beams, seed=args.seed,
                            progress=ProgressLine("synth"))
    print(f"wrote {args.frames} frames ({args.beams} beams, seed {args.seed}) to {out}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    folder = ensure_demo_sequence()
    if args.headless:
        return _print_summary(folder)
    if getattr(args, "empty", False):  # the same sweeps, no labels, in a project file of its own
        return _run_gui(folder, folder.parent / f"{folder.name}-empty.sweeplabel", args.screenshot,
                        import_labels=False)
    return _run_gui(folder, None, args.screenshot)


def cmd_open(args: argparse.Namespace) -> int:
    return _run_gui(Path(args.path), Path(args.project) if args.project else None, args.screenshot)


def cmd_info(args: argparse.Namespace) -> int:
    return _print_summary(Path(args.path))


def _print_summary(path: Path) -> int:
    """Load a sequence (headless) and print what it holds."""
    import numpy as np

    from ..io import read_sequence

    loaded = read_sequence(path)
    seq = loaded.sequence
    counts = np.array([len(frame.load_points()) for frame in seq.frames], dtype=np.int64)
    by_cat: dict[str, int] = {}
    for track in loaded.tracks:
        by_cat[track.category] = by_cat.get(track.category, 0) + 1
    print(f"sequence: {seq.name} ({seq.format}) at {path}")
    print(f"frames: {len(seq)}")
    if len(counts):
        print(f"points per frame: min {counts.min()}, mean {counts.mean():.0f}, max {counts.max()}"
              f" (total {counts.sum()})")
    print(f"ground-truth tracks: {len(loaded.tracks)}"
          + (" (" + ", ".join(f"{n} {c}" for c, n in sorted(by_cat.items())) + ")" if by_cat else ""))
    print(f"ground-truth boxes: {len(loaded.annotations)}")
    for warning in loaded.warnings:
        print(f"warning: {warning}")
    return 0


def _run_gui(path: Path, project_path: Path | None, screenshot: str | None, import_labels: bool = True) -> int:
    from ..app import run_gui
    from ..io import open_project

    opened = open_project(path, project_path, import_labels=import_labels)
    try:
        return run_gui(opened.project, store=opened.store,
                       screenshot=Path(screenshot) if screenshot else None)
    finally:
        opened.close()


# -- dispatcher ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sweeplabel", description="Annotate LiDAR sequences.")
    parser.add_argument("--version", action="version", version=f"sweeplabel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("synth", help="write a synthetic LiDAR sequence with ground truth")
    p.add_argument("out_dir")
    p.add_argument("--frames", type=_positive_int, default=20)
    p.add_argument("--beams", type=int, choices=(32, 64, 128), default=64)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("demo", help="open the GUI on a generated demo sequence")
    p.add_argument("--headless", action="store_true", help="no window: print what was loaded")
    p.add_argument("--screenshot", metavar="PNG", help="save a screenshot after the first render and quit")
    p.add_argument("--empty", action="store_true", help="open the demo sweeps without their labels")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("open", help="open a sequence, dataset or .sweeplabel project in the GUI")
    p.add_argument("path")
    p.add_argument("--project", metavar="FILE", help="project file to use (default: beside the data)")
    p.add_argument("--screenshot", metavar="PNG", help="save a screenshot after the first render and quit")
    p.set_defaults(func=cmd_open)

    p = sub.add_parser("info", help="print a summary of a sequence or dataset (no window)")
    p.add_argument("path")
    p.set_defaults(func=cmd_info)

    for module in _SUBCOMMAND_MODULES:
        importlib.import_module(f"{__name__}.{module}").add_parsers(sub)
    return parser


# Modules in this package that add sub-commands: each has ``add_parsers(sub)``,
# registering parsers whose ``func`` takes the parsed args and returns an exit code.
_SUBCOMMAND_MODULES: tuple[str, ...] = ("formats", "kernels", "qa", "assist", "evaluate", "predictions",
                                         "snapshot")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return run_command(args.func, args)


def run_command(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a sub-command; known errors become one line on stderr and a non-zero exit."""
    from ..io.errors import SweeplabelIOError
    from ..model import ModelError, SchemaError

    try:
        return func(args)
    except (SweeplabelIOError, ModelError, SchemaError) as exc:
        print(f"sweeplabel: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsweeplabel: cancelled", file=sys.stderr)
        return 130


