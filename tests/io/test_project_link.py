"""A project knows its dataset relative to itself: moved or copied folders open their
own data; a project opened with another dataset says which one it belongs to."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import pytest

from sweeplabel.io import ProjectStore, ProjectStoreError, open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, commands as cmd


@pytest.fixture
def street(tmp_path):
    return generate_sequence(tmp_path / "a" / "street", frames=2, beams=32, seed=4)


def edit_once(path, x_m: float) -> str:
    opened = open_project(path)
    try:
        p = opened.project
        p.execute(cmd.create_track(p, "vehicle.car", 0, Box([x_m, 0, 1], [4, 2, 1.5])))
        return str(opened.store.path)
    finally:
        opened.close()


def xs(path) -> set[float]:
    with ProjectStore.open(path, read_only=True) as store:
        return {float(a.box.center_m[0]) for a in store.read_annotations()}


def test_a_moved_folder_opens_and_edits_the_new_location(street, tmp_path):
    project_file = edit_once(street, 101.0)
    moved = tmp_path / "b" / "street-renamed"
    moved.parent.mkdir()
    shutil.move(str(street.parent / "street"), moved)
    assert not street.exists()
    for path in (moved, moved / "street.sweeplabel"):  # by the dataset or by the project file
        opened = open_project(path)
        try:
            assert opened.store.path == moved / "street.sweeplabel" and not opened.created
            assert 101.0 in {float(a.box.center_m[0]) for a in opened.project.annotations.values()}
            assert opened.store.meta()["sequence_path"] == str(moved.resolve())
        finally:
            opened.close()
    edit_once(moved, 202.0)
    assert {101.0, 202.0} <= xs(moved / "street.sweeplabel")
    assert project_file == str(street / "street.sweeplabel")


def test_a_copied_folder_edits_its_own_copy(street, tmp_path):
    edit_once(street, 101.0)
    copy = tmp_path / "copy" / "street"
    shutil.copytree(street, copy)
    edit_once(copy / "street.sweeplabel", 303.0)
    assert 303.0 in xs(copy / "street.sweeplabel")
    assert 303.0 not in xs(street / "street.sweeplabel")  # the original is untouched
    opened = open_project(copy / "street.sweeplabel")
    try:
        assert opened.project.sequence.frames[0].load_points() is not None
        assert opened.store.meta()["sequence_path"] == str(copy.resolve())
    finally:
        opened.close()


def test_open_with_another_dataset_says_which_one_the_project_belongs_to(street, tmp_path):
    edit_once(street, 101.0)
    other = generate_sequence(tmp_path / "other", frames=3, beams=32, seed=5)
    with pytest.raises(ProjectStoreError) as err:
        open_project(other, street / "street.sweeplabel")
    message = str(err.value)
    assert f"belongs to the dataset {street.resolve()}" in message and str(other) in message


def test_an_old_project_with_only_an_absolute_path_opens_after_a_move(street, tmp_path):
    edit_once(street, 101.0)
    conn = sqlite3.connect(street / "street.sweeplabel")
    conn.execute("DELETE FROM meta WHERE key = 'sequence_relpath'")  # written before relative paths
    conn.commit()
    conn.close()
    moved = tmp_path / "moved"
    shutil.move(str(street), moved)
    opened = open_project(moved)  # found beside the data: checked by name, format and frames
    try:
        assert 101.0 in {float(a.box.center_m[0]) for a in opened.project.annotations.values()}
        assert opened.store.meta()["sequence_relpath"] == "."
    finally:
        opened.close()


def test_check_reads_a_project_another_process_is_editing_and_changes_nothing(street, tmp_path):
    edit_once(street, 101.0)
    project_file = street / "street.sweeplabel"
    writer = ProjectStore.open(project_file)  # an editor holds the project
    try:
        before = project_file.read_bytes()
        result = subprocess.run([sys.executable, "-m", "sweeplabel.cli", "check", str(project_file),
                                 "--no-points"], capture_output=True, text=True, timeout=120)
        assert "Traceback" not in result.stderr and "findings" in result.stdout, result.stderr
        assert project_file.read_bytes() == before
    finally:
        writer.close()


def test_an_old_project_in_a_copied_folder_opens_the_copy(street, tmp_path):
    edit_once(street, 101.0)
    conn = sqlite3.connect(street / "street.sweeplabel")
    conn.execute("DELETE FROM meta WHERE key = 'sequence_relpath'")
    conn.commit()
    conn.close()
    copy = tmp_path / "copy"
    shutil.copytree(street, copy)
    opened = open_project(copy)
    try:
        assert opened.store.path == copy / "street.sweeplabel"
        assert opened.store.meta()["sequence_path"] == str(copy.resolve())
    finally:
        opened.close()


def test_check_never_migrates_an_older_project(street, tmp_path):
    edit_once(street, 101.0)
    project_file = street / "street.sweeplabel"
    conn = sqlite3.connect(project_file)  # back to schema 3: no score columns
    conn.execute("ALTER TABLE tracks DROP COLUMN score")
    conn.execute("ALTER TABLE annotations DROP COLUMN score")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    before = project_file.read_bytes()
    for args in (["check", str(project_file), "--no-points"],
                 ["report", str(project_file), str(tmp_path / "r.html"), "--no-points"]):
        result = subprocess.run([sys.executable, "-m", "sweeplabel.cli", *args], capture_output=True,
                                text=True, timeout=120)
        assert "Traceback" not in result.stderr, result.stderr
    assert (tmp_path / "r.html").is_file()
    assert project_file.read_bytes() == before  # still schema 3, byte for byte
