"""Pre-annotation of many sequences in parallel on Dask (a local cluster by default).

One project file per sequence (``<id>.sweeplabel`` in the output folder, written under
a ``.partial`` name and renamed when complete) and a ``summary.json`` with each
sequence's status and box counts, rewritten after every sequence. A sequence whose
project file exists is skipped (resumable); an error is recorded and the batch goes on."""

from __future__ import annotations

import json
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..io import open_project
from ..io.atomic import write_text_atomic
from ..io.errors import SweeplabelIOError
from ..io.registry import find_reader
from .preannotate import PreannotateParams, preannotate_sequence, preannotation_command
from .project_scorer import CANDIDATES_META_KEY, candidate_log

SUMMARY_NAME = "summary.json"
PROJECT_SUFFIX = ".sweeplabel"
ProgressFn = Callable[[int, int], None]


@dataclass
class SequenceResult:
    """The outcome of one sequence (one entry of ``summary.json``)."""

    sequence_id: str
    path: str
    status: str  # "done" | "skipped" (done before) | "error"
    project: str = ""
    frames: int = 0
    tracks: int = 0
    boxes: int = 0
    boxes_by_category: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""


def discover_sequences(root: Path, max_depth: int = 3) -> list[Path]:
    """The sequences under ``root``: ``root`` itself if a reader opens it, else the
    sequences found in its sub-folders (sorted), down to ``max_depth`` levels.
    A KITTI tracking root yields one path per ``velodyne/SSSS`` folder."""
    root = Path(root)
    kitti = _kitti_tracking_sequences(root)
    if kitti:
        return kitti
    if _readable(root):
        return [root]
    if max_depth <= 0 or not root.is_dir():
        return []
    found: list[Path] = []
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found += discover_sequences(child, max_depth - 1)
    return found


def _kitti_tracking_sequences(root: Path) -> list[Path]:
    base = root / "training" if (root / "training" / "velodyne").is_dir() else root
    velo = base / "velodyne"
    if not velo.is_dir() or not (base / "calib").is_dir():
        return []
    return sorted(p for p in velo.iterdir() if p.is_dir() and any(p.glob("*.bin")))


def _readable(path: Path) -> bool:
    try:
        find_reader(path)
    except SweeplabelIOError:
        return False
    return True


def sequence_id(root: Path, path: Path) -> str:
    """A file-name-safe id: the path below the root, ``/`` as ``__``."""
    rel = Path(path).resolve().relative_to(Path(root).resolve()) if Path(path) != Path(root) else Path(path.name)
    text = "__".join(rel.parts) or Path(root).resolve().name
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def preannotate_one(path: str, project_path: str, params: PreannotateParams | None = None) -> SequenceResult:
    """Pre-annotate one sequence into a new project file (runs on a Dask worker)."""
    start = time.perf_counter()
    out = Path(project_path)
    partial = out.with_name(out.name + ".partial")
    seq_id = out.name[: -len(PROJECT_SUFFIX)]
    for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        stale.unlink(missing_ok=True)
    try:
        opened = open_project(Path(path), project_path=partial, import_labels=False)
        try:
            tracks = preannotate_sequence(opened.project.sequence, params or PreannotateParams())
            command = preannotation_command(opened.project, tracks)
            opened.project.execute(command)
            opened.store.set_meta(CANDIDATES_META_KEY, candidate_log(command, tracks))
            frames = len(opened.project.sequence)
        finally:
            opened.close()
        partial.replace(out)
    except Exception as exc:  # noqa: BLE001 - one sequence's failure must not stop the batch
        partial.unlink(missing_ok=True)
        tail = traceback.format_exc().strip().splitlines()[-3:]
        return SequenceResult(seq_id, str(path), "error", seconds=time.perf_counter() - start,
                              error=f"{type(exc).__name__}: {exc} | " + " / ".join(tail))
    by_cat = Counter()
    for t in tracks:
        by_cat[t.category] += len(t.boxes)
    return SequenceResult(seq_id, str(path), "done", str(out), frames, len(tracks), sum(by_cat.values()),
                          dict(sorted(by_cat.items())), time.perf_counter() - start)


def run_batch(dataset_root: Path, out_dir: Path, scheduler: str | None = None, workers: int = 2,
              params: PreannotateParams | None = None, progress: ProgressFn | None = None,
              sequences: list[Path] | None = None) -> dict[str, Any]:
    """Pre-annotate every sequence of ``dataset_root`` into ``out_dir``; returns the summary.

    ``scheduler``: the address of an existing Dask scheduler; None starts a local
    cluster of ``workers`` single-threaded processes."""
    from dask.distributed import Client, LocalCluster, as_completed

    root, out_dir = Path(dataset_root), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = discover_sequences(root) if sequences is None else sequences
    results: dict[str, SequenceResult] = {}
    todo: list[tuple[str, Path, Path]] = []
    for path in paths:
        sid = sequence_id(root, path)
        project = out_dir / f"{sid}{PROJECT_SUFFIX}"
        if project.is_file():
            results[sid] = _skipped(out_dir, sid, path, project)
        else:
            todo.append((sid, path, project))
    total, done = len(paths), len(results)
    if progress is not None:
        progress(done, total)
    _write_summary(out_dir, root, results)
    if todo:
        cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                        dashboard_address=None)
        try:
            with Client(scheduler or cluster) as client:
                futures = [client.submit(preannotate_one, str(path), str(project), params, pure=False,
                                         key=f"preannotate-{sid}") for sid, path, project in todo]
                for future in as_completed(futures):
                    result = _result_of(future, todo, futures)
                    results[result.sequence_id] = result
                    done += 1
                    _write_summary(out_dir, root, results)
                    if progress is not None:
                        progress(done, total)
        finally:
            if cluster is not None:
                cluster.close()
    return _write_summary(out_dir, root, results)


def _result_of(future: Any, todo: list[tuple[str, Path, Path]], futures: list[Any]) -> SequenceResult:
    sid, path, _ = todo[futures.index(future)]
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a worker that died is one failed sequence
        return SequenceResult(sid, str(path), "error", error=f"{type(exc).__name__}: {exc}")


def _skipped(out_dir: Path, sid: str, path: Path, project: Path) -> SequenceResult:
    """A sequence done in an earlier run: its entry from the old summary, marked skipped."""
    old = _read_summary(out_dir).get("sequences", {}).get(sid)
    if old and old.get("status") in ("done", "skipped"):
        return SequenceResult(**{**old, "status": "skipped"})
    return SequenceResult(sid, str(path), "skipped", str(project))


def _read_summary(out_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((out_dir / SUMMARY_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_summary(out_dir: Path, root: Path, results: dict[str, SequenceResult]) -> dict[str, Any]:
    entries = {sid: asdict(r) for sid, r in sorted(results.items())}
    status = Counter(r.status for r in results.values())
    summary = {
        "format": "sweeplabel-preannotate-summary",
        "version": 1,
        "dataset_root": str(Path(root).resolve()),
        "totals": {"sequences": len(results), "done": status["done"], "skipped": status["skipped"],
                   "errors": status["error"], "boxes": sum(r.boxes for r in results.values()),
                   "tracks": sum(r.tracks for r in results.values())},
        "sequences": entries,
    }
    write_text_atomic(out_dir / SUMMARY_NAME, json.dumps(summary, indent=2))
    return summary
