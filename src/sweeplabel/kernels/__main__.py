"""``python -m sweeplabel.kernels``: compile (or load from cache) every kernel and report the time."""
from . import warmup

print(f"sweeplabel kernels ready in {warmup():.2f} s")
