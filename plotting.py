"""PNG figures for the reports (per-layer quantization error, the MCU arena timeline).

matplotlib draws them through its object API on an Agg canvas: no display, and no change to the
pyplot backend of a program that imports tflc. It is optional (`pip install "tflc[plot]"`); a
report asked for without it is a one-line error.
"""

from __future__ import annotations

from pathlib import Path

from tflc.errors import TflcError


def new_figure(where: str, width: float, height: float):
    """A matplotlib Figure of `width` x `height` inches; `where` names the report for errors."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ModuleNotFoundError:
        raise TflcError(
            "a PNG report needs matplotlib: pip install 'tflc[plot]' (or matplotlib)", where
        ) from None
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_png(figure, path: str | Path) -> Path:
    out = Path(path)
    try:
        # No software version in the file: the same report gives the same bytes.
        figure.savefig(out, format="png", metadata={"Software": None})
    except OSError as e:
        raise TflcError(f"cannot write the report: {e.strerror or e}", str(out)) from None
    return out
