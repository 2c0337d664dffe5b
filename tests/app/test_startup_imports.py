"""Start-up stays light: importing the app's window pulls in neither Open3D (the render
process imports it) nor SciPy's heavy subpackages (a second and more at start-up; the
tool warm-up loads them after the first image)."""

from __future__ import annotations

import subprocess
import sys


def test_the_window_imports_without_open3d_or_heavy_scipy() -> None:
    code = ("import sys, sweeplabel.app.main_window; "
            "print(' '.join(m for m in ('open3d', 'scipy.signal', 'scipy.stats', 'scipy.optimize', 'dash', "
            "'plotly', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == ""
