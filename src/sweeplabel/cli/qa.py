"""``sweeplabel check`` and ``sweeplabel report``: QA gates for delivery pipelines."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PROJECT_SUFFIX = ".sweeplabel"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="run the automatic QA checks; exit 1 when findings remain")
    p.add_argument("input", help="a .sweeplabel project or a dataset with labels")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--fail-on", choices=("error", "warning"), default="error",
                   help="exit 1 when findings of this severity or worse remain (default: error)")
    _common(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("report", help="write a self-contained HTML QA report")
    p.add_argument("project", help="a .sweeplabel project or a dataset with labels")
    p.add_argument("out_html")
    p.add_argument("--max-tracks", type=int, default=100, help="plot at most this many tracks")
    _common(p)
    p.set_defaults(func=cmd_report)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--settings", metavar="JSON", help="check settings file (default: the project's)")
    p.add_argument("--no-points", action="store_true", help="skip the checks that load point clouds")


@contextmanager
def _loaded(path: Path) -> Iterator[tuple[object, object]]:
    """(project, settings): a project file is opened read-only (``mode=ro``: never
    migrated or changed, readable while an editor holds it); a dataset is read into
    memory (no project file is created beside it)."""
    from ..assist.checks import CheckSettings, load_settings
    from ..io import open_project, read_sequence
    from ..model import Project

    if path.suffix == PROJECT_SUFFIX and path.is_file():
        opened = open_project(path, read_only=True)
        try:
            yield opened.project, load_settings(opened.store)
        finally:
            opened.close()
        return
    loaded = read_sequence(path)
    project = Project(loaded.sequence)
    project.load(loaded.tracks, loaded.annotations)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    yield project, CheckSettings()


def _settings(args: argparse.Namespace, default):  # -> CheckSettings
    from ..assist.checks import CheckSettings

    if not args.settings:
        return default
    try:
        return CheckSettings.from_json(Path(args.settings).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError) as exc:
        raise SystemExit(f"sweeplabel: error: {args.settings}: not valid check settings ({exc})")


def cmd_check(args: argparse.Namespace) -> int:
    from ..assist.checks import Severity, is_waived, run_checks
    from ..model import frame_number

    with _loaded(Path(args.input)) as (project, stored):
        settings = _settings(args, stored)
        findings = run_checks(project, settings, use_points=not args.no_points)  # type: ignore[arg-type]
        waived = {f.key for f in findings if is_waived(project, f)}  # type: ignore[arg-type]
        threshold = Severity(args.fail_on).rank
        failing = [f for f in findings if f.severity.rank >= threshold and f.key not in waived]
        if args.format == "json":
            # frame_index stays 0-based (as in every file); frame_number is the 1-based one people see
            out = {"input": str(args.input), "fail_on": args.fail_on, "failed": bool(failing),
                   "frame_index_base": 0,
                   "findings": [{**f.to_dict(), "waived": f.key in waived,
                                 "frame_number": None if f.frame_index is None else frame_number(f.frame_index)}
                                for f in findings]}
            print(json.dumps(out, indent=1))
        else:
            for f in findings:
                frame = "-" if f.frame_index is None else frame_number(f.frame_index)  # 1-based, as in the app
                tag = " (accepted)" if f.key in waived else ""
                print(f"frame {frame:>4}  {f.severity.value:<7}  {f.check:<17}  {f.message}{tag}")
            counts = {s.value: sum(1 for f in findings if f.severity == s) for s in Severity}
            print(f"{len(findings)} findings ({counts['error']} errors, {counts['warning']} warnings, "
                  f"{len(waived)} accepted by a reviewer); {len(failing)} at or above {args.fail_on}")
    return 1 if failing else 0


def cmd_report(args: argparse.Namespace) -> int:
    from ..assist.checks import run_checks
    from ..assist.report import write_report

    with _loaded(Path(args.project)) as (project, stored):
        settings = _settings(args, stored)
        findings = run_checks(project, settings, use_points=not args.no_points)  # type: ignore[arg-type]
        out = write_report(args.out_html, project, findings, max_tracks=args.max_tracks)  # type: ignore[arg-type]
    print(f"wrote {out} ({len(findings)} findings)")
    return 0
