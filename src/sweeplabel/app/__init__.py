"""The Qt application: main window, render view, actions. The only PySide6 code."""

from .main_window import MainWindow, status_text
from .render_view import RenderView, image_to_qimage
from .run import run_gui

__all__ = ["MainWindow", "RenderView", "image_to_qimage", "run_gui", "status_text"]
