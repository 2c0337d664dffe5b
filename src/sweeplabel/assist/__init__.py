"""Algorithms over the model built from the kernels: fitting, propagation,
interpolation, tracking, pre-annotation, QA checks. No Qt, no Open3D."""
