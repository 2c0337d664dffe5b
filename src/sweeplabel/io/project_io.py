"""Open a project from a sequence folder, a dataset path or a ``.sweeplabel`` file."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..model import LabelSchema, Project, default_schema
from .errors import ProjectStoreError
from .registry import LoadedSequence, read_sequence
from .dataset_link import check_same_dataset, dataset_location, resolve_dataset
from .store import ProjectStore

PROJECT_SUFFIX = ".sweeplabel"


@dataclass
class OpenedProject:
    """A project bound to its store; every finished edit is saved at once."""

    project: Project
    store: ProjectStore
    created: bool
    warnings: list[str]

    def close(self) -> None:
        self.store.close()


def default_project_path(sequence_path: Path) -> Path:
    """``<folder>/<name>.sweeplabel`` when the folder is writable, otherwise a file
    in the user data directory keyed by the sequence's absolute path."""
    sequence_path = Path(sequence_path).resolve()
    folder = sequence_path if sequence_path.is_dir() else sequence_path.parent
    name = sequence_path.stem if sequence_path.is_file() else sequence_path.name
    beside = folder / f"{name}{PROJECT_SUFFIX}"
    if sequence_path.is_dir() and not beside.exists():
        found = sorted(sequence_path.glob(f"*{PROJECT_SUFFIX}"))
        if len(found) == 1:  # the folder was renamed: its project keeps the old name
            return found[0]
    if os.access(folder, os.W_OK):
        return beside
    digest = hashlib.sha1(str(sequence_path).encode()).hexdigest()[:10]
    data_dir = Path(platformdirs.user_data_dir("sweeplabel")) / "projects"
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir / f"{name}-{digest}{PROJECT_SUFFIX}"


def open_project(path: Path | str, project_path: Path | None = None,
                 import_labels: bool = True, read_only: bool = False) -> OpenedProject:
    """Open ``path`` (a ``.sweeplabel`` file, or a sequence the readers recognise).

    For a sequence, its project file is opened when it exists and created otherwise;
    on creation the labels that come with the dataset are imported (source kept): the
    project is built under a temporary name and appears complete or not at all.
    ``read_only`` never writes (no lock, no migration in place, no creation)."""
    path = Path(path)
    if path.suffix == PROJECT_SUFFIX and path.is_file():
        return _open_existing(path, None, read_only)
    project_path = Path(project_path) if project_path else default_project_path(path)
    if project_path.exists():
        return _open_existing(project_path, path, read_only)
    if read_only:
        raise ProjectStoreError(project_path, "no such project (opening read-only creates none)")
    loaded = read_sequence(path)
    project = Project(loaded.sequence)  # default schema, sized for the sequence's source (stored below)
    schema = project.schema
    if import_labels:
        project.load(loaded.tracks, loaded.annotations)
    store = ProjectStore.create(project_path, _meta_for(path, project_path, loaded, schema), project)
    store.attach(project)
    return OpenedProject(project, store, True, list(loaded.warnings))


def _meta_for(path: Path, project_path: Path, loaded: LoadedSequence, schema: LabelSchema) -> dict[str, str]:
    return {
        **dataset_location(path, project_path),
        "sequence_format": loaded.sequence.format,
        "sequence_name": loaded.sequence.name,
        "frame_count": str(len(loaded.sequence)),
        "label_schema": json.dumps(schema.to_dict()),
    }


def _open_existing(project_path: Path, requested: Path | None, read_only: bool) -> OpenedProject:
    store = ProjectStore.open(project_path, read_only=read_only)
    try:
        meta = store.meta()
        seq_path, recorded = resolve_dataset(project_path, meta, requested)
        loaded = read_sequence(seq_path)
        if not recorded:
            check_same_dataset(project_path, meta, loaded, seq_path)
        schema = _schema(project_path, meta)
        project = Project(loaded.sequence, schema)
        store.load_into(project)
        if not read_only:
            _rebind(store, meta, seq_path)
        store.attach(project)  # read-only: edits stay pending (save_copy keeps them), saving says why not
    except Exception:
        store.close()
        raise
    return OpenedProject(project, store, False, list(loaded.warnings))


def _schema(project_path: Path, meta: dict[str, str]) -> LabelSchema:
    if "label_schema" not in meta:
        return default_schema()
    try:
        data = json.loads(meta["label_schema"])
    except (ValueError, RecursionError):
        raise ProjectStoreError(project_path, "the project file is damaged: meta 'label_schema' is not JSON") from None
    if not isinstance(data, dict):
        raise ProjectStoreError(project_path, "the project file is damaged: meta 'label_schema' is not an object")
    return LabelSchema.from_dict(data, str(project_path))


def _rebind(store: ProjectStore, meta: dict[str, str], seq_path: Path) -> None:
    """Keep the stored location current (a moved folder: the new place from now on)."""
    where = dataset_location(seq_path, store.path)
    if any(meta.get(k) != v for k, v in where.items()):
        try:
            for key, value in where.items():
                store.set_meta(key, value)
        except ProjectStoreError:  # a read-only file: the labels still open (saving will say NOT SAVED)
            pass
