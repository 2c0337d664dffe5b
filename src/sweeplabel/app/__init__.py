"""The Qt application: main window, render view, panels, tools, actions. The only PySide6 code."""

from . import pyside_refcount

pyside_refcount.apply()  # PySide6 6.12 over-releases True/None: without this the app aborts after a while

from .editor import TOOLS, EditorController
from .frame_loader import FrameLoader
from .main_window import MainWindow, status_text
from .render_view import RenderView, image_to_qimage
from .run import run_gui

__all__ = ["TOOLS", "EditorController", "FrameLoader", "MainWindow", "RenderView", "image_to_qimage", "run_gui",
           "status_text"]
