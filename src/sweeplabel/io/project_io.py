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
    if os.access(folder, os.W_OK):
        return folder / f"{name}{PROJECT_SUFFIX}"
    digest = hashlib.sha1(str(sequence_path).encode()).hexdigest()[:10]
    data_dir = Path(platformdirs.user_data_dir("sweeplabel")) / "projects"
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir / f"{name}-{digest}{PROJECT_SUFFIX}"


def open_project(path: Path | str, project_path: Path | None = None,
                 import_labels: bool = True) -> OpenedProject:
    """Open ``path`` (a ``.sweeplabel`` file, or a sequence the readers recognise).

    For a sequence, its project file is opened when it exists and created otherwise;
    on creation the labels that come with the dataset are imported (source kept)."""
    path = Path(path)
    if path.suffix == PROJECT_SUFFIX and path.is_file():
        return _open_existing(path)
    project_path = Path(project_path) if project_path else default_project_path(path)
    if project_path.exists():
        opened = _open_existing(project_path)
        return opened
    loaded = read_sequence(path)
    schema = default_schema()
    store = ProjectStore.create(project_path, _meta_for(path, loaded, schema))
    project = Project(loaded.sequence, schema)
    if import_labels:
        project.load(loaded.tracks, loaded.annotations)
        store.write_all(project)
    store.attach(project)
    return OpenedProject(project, store, True, list(loaded.warnings))


def _meta_for(path: Path, loaded: LoadedSequence, schema: LabelSchema) -> dict[str, str]:
    return {
        "sequence_path": str(path.resolve()),
        "sequence_format": loaded.sequence.format,
        "sequence_name": loaded.sequence.name,
        "frame_count": str(len(loaded.sequence)),
        "label_schema": json.dumps(schema.to_dict()),
    }


def _open_existing(project_path: Path) -> OpenedProject:
    store = ProjectStore.open(project_path)
    try:
        meta = store.meta()
        seq_path = Path(meta.get("sequence_path", ""))
        if not seq_path.exists():
            raise ProjectStoreError(project_path, f"its sequence {seq_path} is missing (moved or deleted?)")
        loaded = read_sequence(seq_path)
        schema = LabelSchema.from_dict(json.loads(meta["label_schema"]), str(project_path)) \
            if "label_schema" in meta else default_schema()
        project = Project(loaded.sequence, schema)
        store.load_into(project)
        store.attach(project)
    except Exception:
        store.close()
        raise
    return OpenedProject(project, store, False, list(loaded.warnings))
