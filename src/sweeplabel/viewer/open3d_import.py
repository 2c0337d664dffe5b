"""Import Open3D without its plotly/dash drawing helpers.

``open3d.visualization`` imports ``draw_plotly`` (plotly + dash, ~0.6-2.9 s) on import,
and sweeplabel never draws with plotly. A stand-in module is registered first; its three
functions load the real module the first time anyone calls them, so nothing is lost."""

from __future__ import annotations

import importlib
import sys
import types

_PLOTLY_MODULE = "open3d.visualization.draw_plotly"
_PLOTLY_NAMES = ("get_plotly_fig", "draw_plotly", "draw_plotly_server")


def _real_plotly_module() -> types.ModuleType:
    stub = sys.modules.get(_PLOTLY_MODULE)
    if stub is not None and getattr(stub, "_sweeplabel_stub", False):
        del sys.modules[_PLOTLY_MODULE]
    return importlib.import_module(_PLOTLY_MODULE)


def _forwarder(name: str):  # noqa: ANN202
    def call(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        return getattr(_real_plotly_module(), name)(*args, **kwargs)

    call.__name__ = name
    call.__doc__ = f"open3d.visualization.{name}, loaded on first use (plotly and dash are deferred)."
    return call


def _install_plotly_stub() -> None:
    if _PLOTLY_MODULE in sys.modules or "open3d" in sys.modules:
        return  # Open3D already imported (its own way): leave it alone
    stub = types.ModuleType(_PLOTLY_MODULE, "deferred: see sweeplabel.viewer.open3d_import")
    stub._sweeplabel_stub = True  # type: ignore[attr-defined]
    for name in _PLOTLY_NAMES:
        setattr(stub, name, _forwarder(name))
    sys.modules[_PLOTLY_MODULE] = stub


_install_plotly_stub()
import open3d as o3d  # noqa: E402
from open3d.visualization import rendering  # noqa: E402

__all__ = ["o3d", "rendering"]
