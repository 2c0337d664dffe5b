"""Shared fixtures. Tests that need ../shared/data skip when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from sweeplabel.model import Project, Sequence
from support import make_sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def sequence() -> Sequence:
    return make_sequence()


@pytest.fixture
def project(sequence: Sequence) -> Project:
    return Project(sequence)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA
