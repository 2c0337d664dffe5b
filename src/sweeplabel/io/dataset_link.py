"""Which dataset a project belongs to: stored relative to the project file (the
absolute path as a hint), so a moved or copied folder opens its own data."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ProjectStoreError
from .registry import LoadedSequence


def dataset_location(seq_path: Path, project_path: Path) -> dict[str, str]:
    """Meta entries naming ``seq_path``: relative to the project's folder, and absolute."""
    seq_abs = Path(seq_path).resolve()
    project_dir = Path(project_path).resolve().parent
    try:
        rel = os.path.relpath(seq_abs, project_dir)
    except ValueError:  # another drive (Windows): only the absolute path
        rel = ""
    return {"sequence_path": str(seq_abs), "sequence_relpath": rel}


def _recorded(project_path: Path, meta: dict[str, str]) -> list[Path]:
    out = []
    rel = meta.get("sequence_relpath", "")
    if rel:
        out.append((Path(project_path).resolve().parent / rel).resolve())
    if meta.get("sequence_path"):
        out.append(Path(meta["sequence_path"]))
    return out


def resolve_dataset(project_path: Path, meta: dict[str, str], requested: Path | None) -> tuple[Path, bool]:
    """The dataset to open with the project and whether it is one the project records.

    Without ``requested``: the recorded location relative to the project, else the
    absolute one. With ``requested`` (``open PATH`` found this project): PATH when the
    project records it; refused when the project records another dataset that is
    there; otherwise PATH, to be checked with ``check_same_dataset`` once read."""
    recorded = _recorded(project_path, meta)
    existing = [p for p in recorded if p.exists()]
    if requested is None:
        if existing:
            return existing[0], True
        where = " nor at ".join(str(p) for p in recorded) or "(no location recorded)"
        raise ProjectStoreError(project_path, f"its dataset is missing: not at {where} (moved or deleted?)")
    req = Path(requested).resolve()
    if any(req == p.resolve() for p in recorded):
        return req, True
    if Path(project_path).resolve().parent == req and not meta.get("sequence_relpath"):
        return req, False  # an older project inside a moved or copied dataset folder
    if existing:
        raise ProjectStoreError(
            project_path, f"belongs to the dataset {existing[0]}, not {requested}: open {existing[0]}, "
                          f"or give {requested} its own project with --project FILE")
    return req, False


def check_same_dataset(project_path: Path, meta: dict[str, str], loaded: LoadedSequence, seq_path: Path) -> None:
    """A dataset at an unrecorded place (a copied folder) must be the project's own:
    same name, format and frame count."""
    seq = loaded.sequence
    found = {"sequence_name": seq.name, "sequence_format": seq.format, "frame_count": str(len(seq))}
    differ = [f"{k} {meta[k]!r} (found {v!r})" for k, v in found.items() if k in meta and meta[k] != v]
    if differ:
        was = meta.get("sequence_path", "?")
        raise ProjectStoreError(
            project_path, f"belongs to the dataset {was}, not {seq_path}: " + ", ".join(differ))
