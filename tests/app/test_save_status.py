"""A failed save is said plainly ("NOT SAVED" in the title and a banner), the work stays
in memory, the store retries, and quitting offers a copy elsewhere. Real failures:
SQLite's page limit (SQLITE_FULL, as on a full disk), a full tmpfs, an immutable file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from sweeplabel.app import MainWindow
from sweeplabel.io import ProjectStore
from sweeplabel.model import Box, Project, commands as cmd

from .conftest import CAR_SIZE_LWH_M, car_center_m, make_scene_project

pytestmark = pytest.mark.gui


def saved_window(qtbot, folder: Path) -> tuple[MainWindow, Project, ProjectStore]:
    project = make_scene_project()
    store = ProjectStore.create(folder / "p.sweeplabel", {"sequence_path": "mem"}, project)
    store.attach(project)
    win = MainWindow(project, store)
    qtbot.addWidget(win)
    win.resize(480, 360)
    win.save_status.timer.setInterval(100)
    return win, project, store


def many_boxes(project: Project, n: int = 300) -> None:
    """One step big enough to need new pages in the file."""
    with project.undo.macro(f"{n} boxes"):
        for i in range(n):
            project.execute(cmd.create_track(project, "vehicle.car", i % 3, Box(car_center_m(0) + [i, 9, 0],
                                                                               CAR_SIZE_LWH_M)))


def stored_tracks(path: Path) -> int:
    with ProjectStore.open(path, read_only=True) as reader:
        return len(reader.read_tracks())


def assert_not_saved(win: MainWindow) -> None:
    assert "NOT SAVED" in win.windowTitle() and "all changes saved" not in win.windowTitle()
    assert win.save_status.banner.isVisibleTo(win)
    assert win.save_status.label.text().startswith("NOT SAVED")


def assert_saved(win: MainWindow) -> None:
    assert "all changes saved" in win.windowTitle()
    assert not win.save_status.banner.isVisibleTo(win)


def test_a_full_file_says_not_saved_keeps_the_work_and_saves_once_space_returns(qtbot, tmp_path):
    win, project, store = saved_window(qtbot, tmp_path)
    assert_saved(win)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLITE_FULL
    many_boxes(project)
    assert_not_saved(win)
    assert "full" in win.save_status.label.text()
    n_tracks = len(project.tracks)
    token = project.annotations_in_frame(0)[0].token
    win.editor.select(token)
    win.editor.set_box(project.annotation(token).box.translated([0.5, 0, 0]))  # the next step: still not saved
    assert_not_saved(win)
    assert len(project.tracks) == n_tracks  # the work is in memory
    assert stored_tracks(store.path) == 1
    store._conn.execute("PRAGMA max_page_count = 1073741823")  # space again: the timer's retry saves
    qtbot.waitUntil(lambda: "all changes saved" in win.windowTitle(), timeout=5000)
    assert_saved(win)
    assert stored_tracks(store.path) == n_tracks
    win.close()


def test_quitting_unsaved_offers_a_copy_with_every_change(qtbot, tmp_path):
    win, project, store = saved_window(qtbot, tmp_path)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    many_boxes(project, 200)
    assert_not_saved(win)
    questions: list[str] = []

    def ask(reason: str) -> QMessageBox.StandardButton:
        questions.append(reason)
        return QMessageBox.StandardButton.Cancel if len(questions) == 1 else QMessageBox.StandardButton.Save

    win.save_status.ask_unsaved = ask
    win.show()
    win.close()  # cancelled: the window stays, the work with it
    assert win.isVisible() and len(questions) == 1 and "could not save" in questions[0]
    copy = tmp_path / "elsewhere" / "copy.sweeplabel"
    copy.parent.mkdir()
    win.save_status.ask_copy_path = lambda: str(copy)
    win.close()
    assert not win.isVisible() and len(questions) == 2
    assert stored_tracks(copy) == len(project.tracks) == 201
    assert stored_tracks(store.path) == 1  # the original only has what it could save


def small_tmpfs(where: Path) -> Path:
    where.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {result.stderr.decode().strip()}")
    return where


def test_a_full_disk_says_not_saved_and_recovers(qtbot, tmp_path):
    disk = small_tmpfs(tmp_path / "disk")
    try:
        win, project, store = saved_window(qtbot, disk)
        filler = disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)  # fill the disk to the last byte
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        many_boxes(project)
        assert_not_saved(win)
        filler.unlink()
        qtbot.waitUntil(lambda: "all changes saved" in win.windowTitle(), timeout=5000)
        assert stored_tracks(store.path) == len(project.tracks)
        win.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def chattr(flag: str, *paths: Path) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


def test_a_read_only_file_says_not_saved_and_recovers(qtbot, tmp_path):
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr (file modes do not stop root)")
    win, project, store = saved_window(qtbot, tmp_path)
    files = [store.path, Path(f"{store.path}-wal")]  # never the -shm: SQLite maps it into memory
    try:
        chattr("+i", *files)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"chattr +i not supported here: {exc.stderr.decode().strip()}")
    try:
        project.execute(cmd.create_track(project, "vehicle.car", 2, Box(car_center_m(2), CAR_SIZE_LWH_M)))
        assert_not_saved(win)
        assert "read-only" in win.save_status.label.text()
    finally:
        chattr("-i", *files)
    qtbot.waitUntil(lambda: "all changes saved" in win.windowTitle(), timeout=5000)
    assert stored_tracks(store.path) == 2
    win.close()


def test_a_drag_on_an_interpolated_track_is_one_transaction(tmp_path):
    """The editor's drag re-interpolates the track at every move (three commands per
    move); the store writes the finished drag once, with one history row."""
    from sweeplabel.app.assist_ops import execute_edit
    from sweeplabel.assist.interpolation import interpolate_track
    from sweeplabel.model import Source

    project = make_scene_project()
    track = next(iter(project.tracks))
    middle = project.annotation_at(track, 1)
    project.execute(cmd.delete_annotations(project, [middle.token]))
    project.execute(cmd.put_annotations(project, [(track, 2, Box(car_center_m(2), CAR_SIZE_LWH_M))], Source.MANUAL))
    project.execute(interpolate_track(project, track))
    assert project.annotation_at(track, 1).source == Source.INTERPOLATED
    store = ProjectStore.create(tmp_path / "p.sweeplabel", {"sequence_path": "mem"}, project)
    store.attach(project)
    rows = len(store.history(1000))
    key = project.annotation_at(track, 0)
    for i in range(1, 16):  # 15 mouse moves
        box = key.box.translated([0.1 * i, 0, 0])
        execute_edit(project, cmd.set_box(project, key.token, box, merge_key="drag", text="Drag box"))
    assert len(store.history(1000)) == rows  # nothing half-finished written
    project.undo.end_merge()
    assert len(store.history(1000)) == rows + 1
    with ProjectStore.open(store.path, read_only=True) as reader:
        saved = {a.token: a for a in reader.read_annotations()}
    assert saved[key.token].box.center_m[0] == pytest.approx(key.box.center_m[0] + 1.5)
    moved = project.annotation_at(track, 1)
    assert saved[moved.token].box == moved.box  # the re-interpolated box went with it
    store.close()


def test_a_read_only_project_says_so_and_quitting_offers_a_copy(qtbot, tmp_path):
    from sweeplabel.io import open_project
    from sweeplabel.io.synthetic import generate_sequence

    seq = generate_sequence(tmp_path / "seq", frames=2, beams=32, seed=1)
    open_project(seq).close()
    opened = open_project(seq, read_only=True)  # e.g. while another sweeplabel edits it
    win = MainWindow(opened.project, opened.store, owned=opened)
    qtbot.addWidget(win)
    assert "READ-ONLY — NOT SAVED" in win.windowTitle() and win.save_status.banner.isVisibleTo(win)
    p = opened.project
    p.execute(cmd.create_track(p, "vehicle.car", 0, Box([3, 3, 1], [4, 2, 1.5])))
    assert "NOT SAVED" in win.windowTitle()
    copy = tmp_path / "mine.sweeplabel"
    win.save_status.ask_unsaved = lambda reason: QMessageBox.StandardButton.Save
    win.save_status.ask_copy_path = lambda: str(copy)
    win.show()
    win.close()
    assert not win.isVisible()
    assert stored_tracks(copy) == len(p.tracks)
    assert stored_tracks(opened.store.path) == len(p.tracks) - 1
