"""Fuzz every reader (a bounded CI budget; the long run is benchmarks/fuzz_readers.py).

Mutants of small seeds cut from the shared recordings (truncation, bit flips, splices,
numbers out of range, huge declared sizes, NaN/inf, UTF-8 BOM, UTF-16/32, bad bytes)
are opened with ``read_sequence`` and every frame's points loaded, in one reused worker
subprocess with a 10 s time limit and an address-space limit. Each must be a clean
error (SweeplabelIOError naming the file and a line or byte offset) or an accepted read
that passes ``fuzz_harness.wrong_reasons`` (finite rigid poses, finite boxes with
positive sizes, mostly finite points, the declared point count, the original's columns;
encoding-only changes read exactly as the original)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

import fuzz_harness as fh

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
MUTANTS_PER_TYPE = 20
SEED_NAMES = ["kitti_bin", "bin_folder", "kitti_label", "kitti_calib", "tracking_label", "tracking_calib", "pcd_ascii",
              "pcd_binary", "pcd_binary_compressed", "ply_binary", "ply_ascii", "las", "laz", "nuscenes_tables",
              "nuscenes_pcdbin", "sustech_json", "sustech_pcd", "sweeplabel_json", "sequence_folder"]


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory):
    if not SHARED.is_dir():
        pytest.skip(f"shared test data not found at {SHARED}")
    seeds = fh.build_seeds(SHARED, tmp_path_factory.mktemp("fuzz_seeds"))
    worker = fh.Worker(REPO / "src")
    yield seeds, worker
    worker.close()


def test_every_input_type_has_a_seed(fuzz_env) -> None:
    seeds, _ = fuzz_env
    assert sorted(seeds) == sorted(SEED_NAMES)


@pytest.mark.parametrize("name", SEED_NAMES)
def test_mutants_give_clean_errors_or_correct_data(fuzz_env, name: str) -> None:
    seeds, worker = fuzz_env
    seed = seeds[name]
    fh.baseline(worker, seed)
    results: list[dict] = []
    run = fh.make_runner(seeds, worker, results, name)

    @settings(max_examples=MUTANTS_PER_TYPE, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.integers(0, 99), st.integers(0, len(fh.OPERATORS) - 1), st.integers(0, 2 ** 32))
    def fuzz(target_index: int, op_index: int, salt: int) -> None:
        run(target_index, op_index, salt)

    fuzz()
    bad = fh.failures(results)
    assert len(results) >= MUTANTS_PER_TYPE // 2
    assert not bad, "\n".join(f"{r['outcome']} {r['op']} {r['target']} salt={r['salt']}: {r['detail']}"
                              for r in bad)
    clean = [r for r in results if r["outcome"] == "clean"]
    assert all(str(seed.open_path.parent if seed.open_path.is_file() else seed.open_path) in r["detail"]
               for r in clean)


def test_worker_reports_a_hang(tmp_path: Path) -> None:
    """The classification itself: a reader blocked past the time limit is a hang, and the
    worker is restarted for the next request."""
    import os

    worker = fh.Worker(REPO / "src", time_limit_s=1.0)
    try:
        assert worker.run(tmp_path / "missing")["outcome"] == "unlocated"  # no such path; warms the worker up
        folder = tmp_path / "frames"
        folder.mkdir()
        os.mkfifo(folder / "a.pcd")  # opening a FIFO nobody writes to blocks
        assert worker.run(folder)["outcome"] == "hang"
        assert worker.run(tmp_path / "missing")["outcome"] == "unlocated" and worker.starts == 2
    finally:
        worker.close()
