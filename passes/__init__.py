"""tflc passes, one per file; see registry.py."""

from tflc.passes.registry import Pass, get_all_passes, run_pipeline

__all__ = ["Pass", "get_all_passes", "run_pipeline"]
