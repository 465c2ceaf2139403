"""Checks one operator of a .tflite model against the op table, and the calls between subgraphs.

The runtime reader runs these for every operator, so the interpreter, the tfl importer, the
compilers and the CLIs all refuse the same file with the same line: an options table that
belongs to another op, an enum option of no name, an input or output count the op does not
take, a required input given as index -1 (an absent optional one), operand types no kernel of
the op takes, a control-flow subgraph index out of range, or subgraphs that call themselves.
Kernels and backends behind the reader index operands without checking.

The op table (dialects/tfl_ops.py) is plain Python over the schema package, no MLIR, so the
runtime can read it; the op groups come from runtime/op_traits.py.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tflc.dialects.tfl_ops import SUBGRAPH_FIELDS, OpDef, ops_by_code
from tflc.errors import TflcError
from tflc.runtime.op_traits import (
    ELEMENTWISE_BINARY,
    ELEMENTWISE_UNARY,
    INT8_RULES,
    INTEGER_OPERANDS,
    INTEGER_TYPES,
    STABLEHLO_SUBGRAPH_FIELDS,
    WEIGHTED_OPERANDS,
)
from tflc.runtime.tflite_schema import options_table

if TYPE_CHECKING:
    from tflc.runtime.tflite_model import Model, Operator, Tensor


def validate_operator(model: Model, subgraph_index: int, operator_index: int) -> None:
    """Raises a `TflcError` naming the file, subgraph, operator index and op when the operator
    does not fit its op's definition."""
    op = model.subgraphs[subgraph_index].operators[operator_index]
    d = ops_by_code().get(model.operator_codes[op.opcode_index].builtin_code)
    problem = _subgraph_problem(op, len(model.subgraphs)) or _enum_problem(op)
    problem = problem or _option_range_problem(d, op)
    if d is None:  # custom and StableHLO ops: their kernels check most of what they take
        problem = problem or _stablehlo_subgraph_problem(model.operator_name(op), op)
    else:
        problem = problem or _options_problem(d, op) or _missing_options_problem(d, op)
        problem = problem or _arity_problem(d, op)
        problem = problem or _absent_input_problem(d, op)
        problem = problem or _type_problem(model.subgraphs[subgraph_index].tensors, d, op)
    if problem:
        raise TflcError(
            f"subgraph {subgraph_index} operator {operator_index} ({model.operator_name(op)}): "
            f"{problem}",
            model.source,
        )


def _options_problem(d: OpDef, op: Operator) -> str | None:
    # The union tag names the table; a table of another op means the file is corrupt (reading
    # it as the op's own would give every field its default, a WHILE calling subgraph 0).
    table = (op.builtin_options or op.builtin_options_2 or (None,))[0]
    if table is not None and d.options is not None and table != d.options:
        return f"has options {table}, but {d.opcode} takes {d.options}"
    return None


def _enum_problem(op: Operator) -> str | None:
    # The reader names known enum values ("SAME", "RELU6"); an integer left is no member.
    for options in (op.builtin_options, op.builtin_options_2):
        if options is None:
            continue
        table, values = options
        for f in options_table(table).fields:
            if f.kind == "scalar" and f.enum and not isinstance(values.get(f.name, ""), str):
                return f"option {f.name} {values[f.name]} is none of {', '.join(f.enum.values())}"
    return None


# Window options of every op that has them: a stride, dilation or pool filter below 1 gives no
# window (division by zero, or an endless loop, in the kernels that trust them).
_AT_LEAST_ONE = ("stride_", "dilation_", "filter_height", "filter_width")


def _option_range_problem(d: OpDef | None, op: Operator) -> str | None:
    # Absent options are the schema's defaults, and TransposeConvOptions' stride default is 0.
    absent = op.builtin_options is None and d is not None and d.options is not None
    if absent:
        values = {f.name: f.default for f in options_table(d.options).fields}
    elif op.builtin_options is not None:
        values = op.builtin_options[1]
    else:
        return None
    for name, value in values.items():
        if name.startswith(_AT_LEAST_ONE) and isinstance(value, int) and value < 1:
            default = f" (no {d.options} in the file: the schema's default)" if absent else ""
            return f"{name} {value} must be at least 1{default}"
    # FakeQuant's range: its scale is (max - min) / steps, NaN or 0 for an empty or unordered
    # one (TensorFlow's FakeQuantWithMinMaxArgs requires min < max).
    if d is not None and d.opcode == "FAKE_QUANT":
        lo, hi = values.get("min", 0.0), values.get("max", 0.0)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            return f"min {lo} and max {hi} must be finite with min below max"
        if not 2 <= values.get("num_bits", 8) <= 16:
            return f"num_bits {values.get('num_bits')} must be between 2 and 16"
    # TensorFlow's ResizeBilinear refuses the pair (its sampling is defined for one or the other).
    if values.get("align_corners") and values.get("half_pixel_centers"):
        if d is not None and d.opcode == "RESIZE_BILINEAR":
            return "align_corners and half_pixel_centers cannot both be set"
    return None


def _missing_options_problem(d: OpDef, op: Operator) -> str | None:
    # Control flow names its subgraphs in its options: without them there is nothing to run.
    if d.options is None or (
        op.builtin_options_2 if d.options_in_second_union else op.builtin_options
    ):
        return None
    if any(f.name in SUBGRAPH_FIELDS for f in options_table(d.options).fields):
        return f"has no {d.options}, which name the subgraphs it runs"
    return None


def _arity_problem(d: OpDef, op: Operator) -> str | None:
    fixed = [o for o in d.operands if not o.variadic]
    required = sum(1 for o in fixed if not o.optional)
    if not d.fixed_arity:
        if len(op.inputs) < required:
            return f"has {len(op.inputs)} inputs, expected at least {required}"
        return None
    if not required <= len(op.inputs) <= len(d.operands):
        expected = (
            f"{required}" if required == len(d.operands) else f"{required} to {len(d.operands)}"
        )
        return f"has {len(op.inputs)} inputs, expected {expected}"
    if all(not r.variadic for r in d.results) and len(op.outputs) != len(d.results):
        return f"has {len(op.outputs)} outputs, expected {len(d.results)}"
    return None


# Ops whose variadic inputs are a fixed list by position, where index -1 omits an optional
# one (the op table writes them `inputs*`, as it writes CONCATENATION's `values*`); a custom
# op's inputs mean what its kernel says, absent ones included.
_VARIADIC_WITH_ABSENT_INPUTS = frozenset(
    {
        "BIDIRECTIONAL_SEQUENCE_LSTM",
        "BIDIRECTIONAL_SEQUENCE_RNN",
        "CUSTOM",
        "DELEGATE",
        "LSTM",
        "SVDF",
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
    }
)


def _absent_input_problem(d: OpDef, op: Operator) -> str | None:
    for position, index in enumerate(op.inputs):
        if index >= 0:
            continue
        operand = d.operands[min(position, len(d.operands) - 1)] if d.operands else None
        if operand is None or operand.optional:
            continue
        if operand.variadic and d.opcode in _VARIADIC_WITH_ABSENT_INPUTS:
            continue
        return f"input {position} ({operand.name}) is required, but the file gives index {index}"
    return None


_COMPARISONS = frozenset("EQUAL NOT_EQUAL GREATER GREATER_EQUAL LESS LESS_EQUAL".split())
_OWN_OUTPUT_TYPE = frozenset({"CAST", "DEQUANTIZE", "QUANTIZE"}) | _COMPARISONS
# (input type, output type) pairs TFLite's kernels also take, beside one type throughout.
_MIXED_OUTPUT_TYPES = {"MUL": {("INT16", "INT8")}}
# Weights and biases of conv-like ops (storage types; quantization is checked separately).
_WEIGHT_TYPES = frozenset("FLOAT32 FLOAT16 INT8 UINT8 INT4".split())
_BIAS_TYPES = frozenset("FLOAT32 FLOAT16 INT32 INT64".split())
_QUANTIZED_TYPES = ("INT8", "UINT8", "INT16")


def _type_problem(tensors: list[Tensor], d: OpDef, op: Operator) -> str | None:
    """Operand types no kernel of the op takes (the op traits say which ops keep one type):
    an elementwise op's operands and result of different types, a conv-like op whose output
    type is not its input's, or whose integer input or output has no quantization."""

    def describe(kind: str, position: int, t: Tensor) -> str:
        return f"{kind} {position} '{t.name}' is {t.type}"

    ins = [(k, tensors[i]) for k, i in enumerate(op.inputs) if i >= 0]
    outs = [(k, tensors[i]) for k, i in enumerate(op.outputs)]
    if not ins or not outs:
        return None
    first = ins[0][1]
    for k, t in ins:
        name = _operand_name(d, k)
        if name in INTEGER_OPERANDS and t.type not in INTEGER_TYPES:
            return f"{describe('input', k, t)}, but its {name} must be integers"
    rule = INT8_RULES.get(d.opcode)
    if rule in ("same_as_input", "same_all_operands"):
        # data movement, pooling, max/min: the output is of the data's type (SPLIT's data is
        # its second operand, after the axis)
        data = [(k, t) for k, t in ins if _operand_name(d, k) not in INTEGER_OPERANDS]
        same = data if rule == "same_all_operands" else data[:1]
        if same:
            j, first_data = same[0]
            for k, t in same[1:]:
                if t.type != first_data.type:
                    return f"{describe('input', k, t)}, input {j} is {first_data.type}: one type expected"
            for k, t in outs:
                if t.type != first_data.type:
                    return f"{describe('output', k, t)}, its input is {first_data.type}"
    if d.opcode in ELEMENTWISE_BINARY:
        for k, t in ins[1:]:
            if t.type != first.type:
                return f"{describe('input', k, t)}, input 0 is {first.type}: one type expected"
    if d.opcode in ELEMENTWISE_BINARY | ELEMENTWISE_UNARY and d.opcode not in _OWN_OUTPUT_TYPE:
        k, t = outs[0]
        if t.type != first.type and (first.type, t.type) not in _MIXED_OUTPUT_TYPES.get(
            d.opcode, ()
        ):
            return f"{describe('output', k, t)}, its input is {first.type}"
    if d.opcode in WEIGHTED_OPERANDS:
        x_at, w_at = WEIGHTED_OPERANDS[d.opcode][:2]
        x, w = (tensors[op.inputs[k]] if 0 <= op.inputs[k] else None for k in (x_at, w_at))
        if x is not None and x.type != outs[0][1].type:
            return f"{describe('output', 0, outs[0][1])}, its input is {x.type}"
        if w is not None and w.type not in _WEIGHT_TYPES:
            return f"{describe('input', w_at, w)}: weights are one of {', '.join(sorted(_WEIGHT_TYPES))}"
        b_at = WEIGHTED_OPERANDS[d.opcode][2]
        b = tensors[op.inputs[b_at]] if b_at < len(op.inputs) and op.inputs[b_at] >= 0 else None
        if b is not None and b.type not in _BIAS_TYPES:
            return (
                f"{describe('input', b_at, b)}: a bias is one of {', '.join(sorted(_BIAS_TYPES))}"
            )
        for kind, k, t in (("input", x_at, x), ("input", w_at, w), ("output", 0, outs[0][1])):
            if t is not None and t.type in ("INT4", *_QUANTIZED_TYPES) and not _quantized(t):
                return f"{describe(kind, k, t)} without quantization parameters"
        return _bias_problem(tensors, d, op, w)
    if d.opcode in _QUANTIZED_ARITHMETIC and first.type in ("INT8", "UINT8"):
        for kind, k, t in [("input", k, t) for k, t in ins] + [("output", *outs[0])]:
            if not _quantized(t):
                return f"{describe(kind, k, t)} without quantization parameters"
    return None


def _operand_name(d: OpDef, position: int) -> str:
    """The op table's name of the operand at `position` (a variadic last one repeats)."""
    return d.operands[min(position, len(d.operands) - 1)].name if d.operands else ""


# int8 arithmetic rescales by its operands' scales (comparisons and MAXIMUM/MINIMUM do not).
_QUANTIZED_ARITHMETIC = frozenset("ADD DIV MUL PRELU SQUARED_DIFFERENCE SUB".split())


def _quantized(t: Tensor) -> bool:
    return bool(t.quantization and t.quantization.scale)


def _bias_problem(tensors: list[Tensor], d: OpDef, op: Operator, w: Tensor | None) -> str | None:
    """A bias must hold one value per output channel (TFLite's Prepare checks the same)."""
    _, _, b_at, axis = WEIGHTED_OPERANDS[d.opcode]
    if w is None or b_at >= len(op.inputs) or op.inputs[b_at] < 0 or len(w.shape) <= axis:
        return None
    bias, channels = tensors[op.inputs[b_at]], w.shape[axis]
    count = 1
    for n in bias.shape:
        count *= n
    if channels >= 0 and min(bias.shape, default=0) >= 0 and count != channels:
        return (
            f"input {b_at} '{bias.name}' of shape {bias.shape} is no bias for {channels} output "
            "channels"
        )
    return None


def _stablehlo_subgraph_problem(name: str, op: Operator) -> str | None:
    for field in STABLEHLO_SUBGRAPH_FIELDS.get(name, ()):
        if field not in op.options:
            return f"has no {field}, which names the subgraph it runs"
    return None


def _subgraph_problem(op: Operator, count: int) -> str | None:
    for name, value in op.options.items():
        if name in SUBGRAPH_FIELDS and not 0 <= int(value) < count:
            return f"{name} {value} out of range ({count} subgraphs)"
    return None


def called_subgraphs(model: Model, subgraph_index: int) -> list[tuple[int, int]]:
    """(operator index, subgraph index) of each subgraph the subgraph's control flow calls."""
    calls = []
    for oi, op in enumerate(model.subgraphs[subgraph_index].operators):
        for name, value in op.options.items():
            if name in SUBGRAPH_FIELDS:
                calls.append((oi, int(value)))
    return calls


def validate_subgraph_calls(model: Model) -> None:
    """Refuses recursion (a subgraph that calls itself, directly or not): run, it never ends."""
    state: dict[int, str] = {}  # "open" while on the DFS path, then "done"
    for root in range(len(model.subgraphs)):
        if root in state:
            continue
        state[root] = "open"
        stack = [(root, iter(called_subgraphs(model, root)))]
        while stack:
            si, calls = stack[-1]
            step = next(calls, None)
            if step is None:
                state[si] = "done"
                stack.pop()
                continue
            oi, callee = step
            if state.get(callee) == "open":
                op = model.subgraphs[si].operators[oi]
                raise TflcError(
                    f"subgraph {si} operator {oi} ({model.operator_name(op)}): calls subgraph "
                    f"{callee}, which is already running: recursion never ends",
                    model.source,
                )
            if callee not in state:
                state[callee] = "open"
                stack.append((callee, iter(called_subgraphs(model, callee))))
