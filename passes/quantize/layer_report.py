"""Per-layer quantization error, the view TensorFlow's QuantizationDebugger gives.

The float model (optimized as the quantizer optimized it, so tensors keep the same names) and
the int8 model run the same samples in tflc's interpreter with every tensor kept. For each int8
activation that has a float tensor of the same name and shape, over all samples:

- SQNR: 10·log10(Σ f² / Σ (f − q̂)²) in dB, f the float model's values and q̂ the int8 model's
  dequantized ones (higher is better; ∞ where they agree exactly). The error accumulates: a
  layer's SQNR includes what the layers before it passed on, as the model's outputs do;
- scale and zero point, and the range they represent (range used);
- the clipped share: the fraction of float values beyond that range by more than half a step.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.tflite_model import Tensor

# Samples used (the first ones): enough for stable ratios, and two runs keep every tensor.
MAX_SAMPLES = 64
_STORAGE = {"INT8": (-128, 127), "UINT8": (0, 255), "INT16": (-32768, 32767)}


@dataclass(frozen=True)
class LayerError:
    index: int  # operator index in the int8 model
    op: str
    tensor: str
    sqnr_db: float
    scale: float
    zero_point: int
    range_min: float  # what the int8 grid represents
    range_max: float
    float_min: float  # what the float model produced on the samples
    float_max: float
    clipped_share: float


@dataclass
class LayerReport:
    rows: list[LayerError]
    samples: int

    def table(self) -> str:
        """The rows as an aligned text table, the worst SQNR marked."""
        worst = min((r.sqnr_db for r in self.rows), default=math.inf)
        lines = [
            f"{'#':>4}  {'op':<20} {'SQNR dB':>8} {'scale':>10} {'zp':>5} "
            f"{'range used':>21} {'clipped':>8}  tensor"
        ]
        for r in self.rows:
            used = f"[{r.range_min:.3g}, {r.range_max:.3g}]"
            mark = "  <- worst" if r.sqnr_db == worst and math.isfinite(worst) else ""
            lines.append(
                f"{r.index:>4}  {r.op[:20]:<20} {r.sqnr_db:>8.2f} {r.scale:>10.4g} "
                f"{r.zero_point:>5} {used:>21} {r.clipped_share:>8.2%}  {r.tensor}{mark}"
            )
        lines.append(f"({len(self.rows)} int8 tensors compared on {self.samples} samples)")
        return "\n".join(lines)

    def write_csv(self, path: str | Path) -> Path:
        out = Path(path)
        try:
            with out.open("w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow([field.name for field in fields(LayerError)])
                writer.writerows(astuple(r) for r in self.rows)
        except OSError as e:
            raise TflcError(f"cannot write the report: {e.strerror or e}", str(out)) from None
        return out

    def write_png(self, path: str | Path) -> Path:
        """A bar per layer: its SQNR (∞ drawn at the top of the axis), in model order."""
        from tflc.plotting import new_figure, save_png

        if not self.rows:
            raise TflcError("no int8 tensor to plot", str(path))
        finite = [r.sqnr_db for r in self.rows if math.isfinite(r.sqnr_db)]
        top = max(finite, default=60.0) * 1.1 + 1.0
        values = [r.sqnr_db if math.isfinite(r.sqnr_db) else top for r in self.rows]
        figure = new_figure(str(path), max(6.0, 0.25 * len(self.rows) + 2.0), 4.5)
        ax = figure.add_subplot()
        colors = ["tab:red" if r.clipped_share > 0.01 else "tab:blue" for r in self.rows]
        ax.bar(range(len(values)), values, color=colors)
        ax.set_xticks(range(len(values)), [f"{r.index} {r.op}" for r in self.rows])
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
        ax.set_ylim(min(0.0, *values), top)
        ax.set_ylabel("SQNR (dB), int8 vs float")
        ax.set_title(f"Per-layer quantization error ({self.samples} samples; red: >1% clipped)")
        ax.grid(axis="y", alpha=0.3)
        return save_png(figure, path)


@dataclass
class _Comparison:
    """One int8 tensor, its float twin, and the sums gathered over the samples."""

    float_index: int
    int8_index: int
    op_index: int
    op: str
    tensor: Tensor
    low: float  # the range the int8 grid represents
    high: float
    signal: float = 0.0  # Σ f²
    noise: float = 0.0  # Σ (f − q̂)²
    clipped: int = 0
    count: int = 0
    float_min: float = math.inf
    float_max: float = -math.inf

    def add(self, f: np.ndarray, q: np.ndarray) -> None:
        scale, zp = self.tensor.quantization.scale[0], self.tensor.quantization.zero_point[0]
        f = f.astype(np.float64)
        err = f - (q.astype(np.float64) - zp) * scale
        self.signal += float(np.sum(f * f))
        self.noise += float(np.sum(err * err))
        self.clipped += int(
            np.count_nonzero((f < self.low - scale / 2) | (f > self.high + scale / 2))
        )
        self.count += f.size
        if f.size:
            self.float_min = min(self.float_min, float(f.min()))
            self.float_max = max(self.float_max, float(f.max()))

    def row(self) -> LayerError:
        q = self.tensor.quantization
        if self.noise > 0:
            sqnr = 10 * math.log10(self.signal / self.noise) if self.signal > 0 else -math.inf
        else:
            sqnr = math.inf
        return LayerError(
            index=self.op_index,
            op=self.op,
            tensor=self.tensor.name,
            sqnr_db=round(sqnr, 3),
            scale=float(q.scale[0]),
            zero_point=int(q.zero_point[0]),
            range_min=self.low,
            range_max=self.high,
            float_min=self.float_min,
            float_max=self.float_max,
            clipped_share=self.clipped / self.count if self.count else 0.0,
        )


def layer_report(
    float_model: bytes, int8_model: bytes, samples: Sequence[Sequence[np.ndarray]]
) -> LayerReport:
    """Compares `int8_model` with `float_model` (.tflite bytes) tensor by tensor on `samples`
    (float inputs, one list per sample, as `load_calibration` gives them)."""
    from tflc.passes.quantize.bias_correction import as_inputs_of
    from tflc.runtime.interpreter import Interpreter

    used = list(samples)[:MAX_SAMPLES]
    if not used:
        raise TflcError("no samples to compare the models on", "report")
    reference = Interpreter(model_content=float_model, experimental_preserve_all_tensors=True)
    quantized = Interpreter(model_content=int8_model, experimental_preserve_all_tensors=True)
    comparisons = _comparisons(float_model, int8_model)
    for sample in used:
        reference(*sample)
        quantized(*as_inputs_of(quantized, sample))
        for c in comparisons:
            c.add(reference.get_tensor(c.float_index), quantized.get_tensor(c.int8_index))
    return LayerReport([c.row() for c in comparisons], len(used))


def _comparisons(float_model: bytes, int8_model: bytes) -> list[_Comparison]:
    """The int8 model's per-tensor-quantized activations that have a float32 tensor of the same
    name and shape in the float model, in the int8 model's operator order."""
    from tflc.runtime.tflite_model import read_model

    floats, int8 = read_model(float_model), read_model(int8_model)
    main, float_main = int8.subgraphs[0], floats.subgraphs[0]
    by_name = {
        t.name: i for i, t in enumerate(float_main.tensors) if t.type == "FLOAT32" and t.name
    }
    found = []
    for op_index, op in enumerate(main.operators):
        for ti in op.outputs:
            t = main.tensors[ti] if ti >= 0 else None
            if t is None or t.type not in _STORAGE or t.name not in by_name:
                continue
            q = t.quantization
            if q is None or len(q.scale) != 1:
                continue
            fi = by_name[t.name]
            if list(float_main.tensors[fi].shape) != list(t.shape):
                continue
            qmin, qmax = _STORAGE[t.type]
            scale, zp = q.scale[0], q.zero_point[0]
            low, high = float((qmin - zp) * scale), float((qmax - zp) * scale)
            found.append(_Comparison(fi, ti, op_index, int8.operator_name(op), t, low, high))
    return found
