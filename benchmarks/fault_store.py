"""Fault injection on the project store: SIGKILL during edit bursts and during
`sweeplabel import`, N runs each, and a table of what each kill left.

Edits: a child edits as fast as it can and prints each step after it returned (i.e.
committed); it is killed after a random number of steps; intact = the file passes
`PRAGMA integrity_check` and holds every reported step with its last value.
Two writers: a second open while a child edits.
Import: a child runs `sweeplabel import` and is killed at a random point of it;
good = nothing at the final name, or the complete project (every box).

Usage: .venv/bin/python benchmarks/fault_store.py [--runs 20] [--seed 0] [--open-boxes 200000]"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from sweeplabel.io import ProjectStore
from sweeplabel.io.synthetic import generate_sequence

EDIT_CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    from sweeplabel.io import ProjectStore
    from sweeplabel.model import Box, Frame, Project, Sequence, commands as cmd
    seq = Sequence("mem", [Frame(i, 0.1 * i, np.eye(4), loader=lambda: np.zeros((1, 4), np.float32))
                           for i in range(10)], format="memory")
    project = Project(seq)
    store = ProjectStore.open(sys.argv[1])
    store.attach(project)
    tokens = []
    k = 0
    while True:
        if k % 3 == 2 and tokens:
            token = tokens[(k * 7) % len(tokens)]
            project.execute(cmd.set_box(project, token, Box([float(k), 1, 0], [4, 2, 1.5])))
        else:
            c = cmd.create_track(project, "vehicle.car", k % 10, Box([float(k), 0, 0], [4, 2, 1.5]))
            project.execute(c)
            token = c.changes[1].after.token
            tokens.append(token)
        print(token, float(k), flush=True)
        k += 1
    """
)


def edit_run(folder: Path, steps: int) -> bool:
    path = folder / "edits.sweeplabel"
    ProjectStore.create(path, {"sequence_path": "mem"}).close()
    child = subprocess.Popen([sys.executable, "-c", EDIT_CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    reported: dict[str, float] = {}
    assert child.stdout is not None
    for n, line in enumerate(child.stdout, 1):
        token, x = line.split()
        reported[token] = float(x)
        if n >= steps:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    for line in child.stdout.read().splitlines():
        if len(line.split()) == 2:
            reported[line.split()[0]] = float(line.split()[1])
    with ProjectStore.open(path, read_only=True) as store:
        ok = store.integrity_check() == "ok"
        stored = {a.token: float(a.box.center_m[0]) for a in store.read_annotations()}
    return ok and all(stored.get(t) == x for t, x in reported.items())


def import_run(seq: Path, project: Path, delay_s: float, complete: int) -> str:
    cmd = [sys.executable, "-m", "sweeplabel.cli", "import", str(seq), "--project", str(project)]
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay_s)
    os.kill(child.pid, signal.SIGKILL)
    finished = child.wait() == 0
    if not project.exists():
        return "nothing"
    with ProjectStore.open(project, read_only=True) as store:
        n = len(store.read_annotations())
    if n == complete:
        return "finished" if finished else "complete"
    return f"PARTIAL ({n}/{complete} boxes)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--open-boxes", type=int, default=0,
                        help="only measure the checks on open for a project of this many boxes")
    args = parser.parse_args()
    if args.open_boxes:
        open_cost(args.open_boxes)
        return
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        intact = 0
        for i in range(args.runs):
            folder = tmp / f"e{i}"
            folder.mkdir()
            intact += edit_run(folder, int(rng.integers(50, 600)))
        print(f"SIGKILL during edit bursts: {intact}/{args.runs} intact with every reported step")

        seq = generate_sequence(tmp / "seq", frames=20, beams=32, seed=2)
        ref = tmp / "ref.sweeplabel"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sweeplabel.cli", "import", str(seq), "--project", str(ref)],
                       check=True, capture_output=True)
        full_s = time.perf_counter() - t0
        with ProjectStore.open(ref, read_only=True) as store:
            complete = len(store.read_annotations())
        counts: dict[str, int] = {}
        for i in range(args.runs):
            outcome = import_run(seq, tmp / f"i{i}.sweeplabel", float(rng.uniform(0.2, 1.05)) * full_s, complete)
            key = outcome.split(" (")[0]
            counts[key] = counts.get(key, 0) + 1
        good = sum(n for k, n in counts.items() if k != "PARTIAL")
        print(f"SIGKILL during import ({full_s:.1f} s uninterrupted, {complete} boxes): {good}/{args.runs} "
              f"nothing or complete; " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
        print(two_writers(tmp / "two.sweeplabel"))


def open_cost(n_boxes: int) -> None:
    """What the checks on open (integrity_check, tables) cost next to reading the boxes."""
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp_name:
        path = Path(tmp_name) / "big.sweeplabel"
        ProjectStore.create(path, {}).close()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO tracks(token, number, category) VALUES (?, ?, ?)",
                         [(f"t{i}", i, "vehicle.car") for i in range(2000)])
        conn.executemany("INSERT INTO annotations(token, track_token, frame_index, cx, cy, cz, length, width,"
                         " height, yaw, source, review_state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                         [(f"a{i}", f"t{i % 2000}", i // 2000, float(i), 2.0, 0.5, 4, 2, 1.5, 0.1, "manual",
                           "unreviewed") for i in range(n_boxes)])
        conn.execute("COMMIT")
        conn.close()
        t0 = time.perf_counter()
        store = ProjectStore.open(path)
        t1 = time.perf_counter()
        n = len(store.read_annotations())
        t2 = time.perf_counter()
        store.close()
        size_mb = path.stat().st_size / 1e6
    print(f"open with checks ({size_mb:.0f} MB, {n} boxes): {1e3 * (t1 - t0):.0f} ms; "
          f"reading the boxes: {1e3 * (t2 - t1):.0f} ms")


def two_writers(path: Path) -> str:
    """A edits; B opens the same project meanwhile: B is refused with who and since."""
    from sweeplabel.io.store_lock import ProjectLockedError

    ProjectStore.create(path, {"sequence_path": "mem"}).close()
    child = subprocess.Popen([sys.executable, "-c", EDIT_CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        child.stdout.readline()
        try:
            ProjectStore.open(path).close()
        except ProjectLockedError as exc:
            return f"two writers: the second is refused: {exc.message}"
        return "two writers: the second was NOT refused"
    finally:
        child.kill()
        child.wait()


if __name__ == "__main__":
    main()
