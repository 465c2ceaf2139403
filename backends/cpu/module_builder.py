"""Builds the MLIR module of a compiled model: one kernel function per node and a run function.

    func.func @<name>_run(%in0: memref<..>, ..., %out0: memref<..>, ..., %ws: memref<Nxi8>)

and beside it `<name>_run_slice` (one thread's share of every kernel) and `<name>_run_kernels`
(kernels first..last-1 only: per-kernel timings, `profile_kernels` in runtime/cpu_loader.py).

With the bare-pointer calling convention every memref argument becomes a plain pointer, so the
C signature is `void <name>_run(const T *in0, ..., T *out0, ..., void *workspace)`. Weights live
in one global byte blob (`@<name>_weights`, defined by the codegen step); activations are
`memref.view`s of the workspace at the offsets of the memory plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from tflc.backends.cpu import kernels_complex as complex_
from tflc.backends.cpu import kernels_conv as conv
from tflc.backends.cpu import kernels_conv3d as conv3d
from tflc.backends.cpu import kernels_data as data
from tflc.backends.cpu import kernels_elementwise as ew
from tflc.backends.cpu import kernels_hybrid as hybrid
from tflc.backends.cpu import kernels_index as index
from tflc.backends.cpu import kernels_int8 as int8
from tflc.backends.cpu import kernels_lstm as lstm
from tflc.backends.cpu import kernels_normalization as norm
from tflc.backends.cpu import kernels_random as random
from tflc.backends.cpu import kernels_recurrent as recurrent
from tflc.backends.cpu import kernels_reduce_window as reduce_window
from tflc.backends.cpu import kernels_scatter as scatter
from tflc.backends.cpu import kernels_transpose_conv as tconv
from tflc.backends.cpu import kernels_typed as typed
from tflc.backends.cpu import kernels_window as window
from tflc.backends.cpu.compile_time import COMPILE_TIME_OPS
from tflc.backends.cpu.control_flow import CONTROL_OPS, GRAPH_OPS
from tflc.backends.cpu.graph import Graph, Node
from tflc.backends.cpu.kernel import Kernel, WeightBlob, memref_count, memref_elem
from tflc.backends.cpu.memory_plan import MemoryPlan
from tflc.backends.cpu.state_region import StateRegion, state_functions, state_region_type
from tflc.errors import TflcError
from tflc.runtime.kernels.control_flow import MAX_WHILE_ITERATIONS

EMITTERS = {
    "conv_2d": lambda k, t, node: (
        hybrid.emit_hybrid_conv if node.attr("hybrid") else conv.emit_conv
    )(k, t, node),
    "hybrid_quantize": hybrid.emit_hybrid_quantize,
    "fully_connected": lambda k, t, node: (
        hybrid.emit_hybrid_fully_connected
        if hybrid.is_hybrid_fully_connected(node)
        else conv.emit_fully_connected
    )(k, t, node),
    "depthwise_conv_2d": lambda k, t, node: (
        hybrid.emit_hybrid_conv if node.attr("hybrid") else window.emit_depthwise
    )(k, t, node),
    "max_pool_2d": window.emit_pool,
    "average_pool_2d": window.emit_pool,
    "softmax": ew.emit_softmax,
    "log_softmax": ew.emit_softmax,
    "concatenation": data.emit_concatenation,
    "copy": data.emit_copy,
    "resize_bilinear": data.emit_resize_bilinear,
    "batch_matmul": conv.emit_batch_matmul,
    "transpose_conv": lambda k, t, node: (
        hybrid.emit_hybrid_conv if node.attr("hybrid") else tconv.emit_transpose_conv
    )(k, t, node),
    "custom:Convolution2DTransposeBias": tconv.emit_transpose_conv,
}
EMITTERS |= {op: ew.emit_unary for op in ew.UNARY_OPS}
EMITTERS |= {op: ew.emit_binary for op in ew.BINARY_OPS}
EMITTERS |= {op: ew.emit_reduce for op in ew.REDUCE_OPS}
EMITTERS |= {op: data.emit_table_gather for op in data.TABLE_OPS}
EMITTERS |= {op: typed.emit_elementwise for op in typed.ELEMENTWISE_OPS}
EMITTERS |= {op: typed.with_integer_kernels(EMITTERS[op]) for op in typed.INTEGER_ARITHMETIC}
EMITTERS |= {"arg_max": index.emit_arg_extreme, "arg_min": index.emit_arg_extreme}
EMITTERS |= {"cumsum": index.emit_cumsum, "one_hot": index.emit_one_hot}
EMITTERS["gather"] = index.emit_gather  # index tables, or run-time indices
EMITTERS["dynamic_update_slice"] = index.emit_dynamic_update_slice
EMITTERS["pack"] = data.emit_concatenation  # along a new axis: the same runs of elements
EMITTERS |= {op: data.emit_multi_source_gather for op in data.MULTI_SOURCE_TABLE_OPS}
EMITTERS |= {op: typed.emit_bool_reduce for op in typed.BOOL_REDUCTIONS}
EMITTERS |= {op: scatter.emit_segment for op in scatter.SEGMENT_OPS}
EMITTERS |= {"scatter_nd": scatter.emit_scatter_nd, "sparse_to_dense": scatter.emit_sparse_to_dense}
EMITTERS |= {"embedding_lookup": index.emit_embedding_lookup, "topk_v2": index.emit_topk}
EMITTERS |= {"bucketize": index.emit_bucketize, "broadcast_args": index.emit_broadcast_args}
EMITTERS["hashtable_lookup"] = index.emit_hashtable_lookup
EMITTERS["bitcast"] = typed.emit_bitcast
EMITTERS["reduce_window"] = reduce_window.emit_reduce_window
EMITTERS |= {op: random.emit_random for op in random.RANDOM_OPS}
EMITTERS |= {op: recurrent.emit_recurrent for op in recurrent.RECURRENT_OPS}
EMITTERS |= {op: lstm.emit_lstm for op in lstm.LSTM_OPS}
EMITTERS |= {"dequantize": typed.emit_dequantize, "l2_pool_2d": window.emit_pool}
EMITTERS |= {op: complex_.emit_part for op in complex_.PART_OPS}
EMITTERS |= {"complex_abs": complex_.emit_complex_abs, "rfft2d": complex_.emit_rfft2d}
EMITTERS |= {"conv_3d": conv3d.emit_conv_3d, "conv_3d_transpose": conv3d.emit_conv_3d_transpose}
EMITTERS |= {
    "l2_normalization": norm.emit_l2_normalization,
    "local_response_normalization": norm.emit_local_response_normalization,
}
BARRIER_BYTES = 128
ALIASES = {"reshape", "squeeze", "expand_dims"}
SUPPORTED_OPS = set(EMITTERS) | ALIASES | int8.INT8_OPS | {"quantize"} | COMPILE_TIME_OPS
SUPPORTED_OPS |= GRAPH_OPS | {"densify"}  # densify: folded, or refused saying why (graph.py)
SUPPORTED_OPS.add("variable")  # recurrent state: bytes of the state region (graph.py)

# Ops that move elements without reading them: one kernel serves every element type.
ANY_DTYPE_OPS = data.TABLE_OPS | ALIASES | {"copy", "concatenation", "pack", "dynamic_update_slice"}
ANY_DTYPE_OPS |= data.MULTI_SOURCE_TABLE_OPS | {"embedding_lookup"}
# Kernels that check their element types themselves (kernels_typed.value_type).
TYPED_OPS = typed.ELEMENTWISE_OPS | typed.INTEGER_ARITHMETIC | {"arg_max", "arg_min"}
TYPED_OPS |= {"cumsum", "one_hot", "topk_v2", "bucketize", "broadcast_args", "dequantize"}
TYPED_OPS |= set(typed.BOOL_REDUCTIONS) | scatter.SEGMENT_OPS | {"scatter_nd", "sparse_to_dense"}
TYPED_OPS |= complex_.COMPLEX_OPS | {"hashtable_lookup", "bitcast", "reduce_window"}
TYPED_OPS |= random.RANDOM_OPS  # an int32 / int64 shape operand, a float32 output
FLOAT_ONLY = set(EMITTERS) - ANY_DTYPE_OPS - TYPED_OPS | {"custom"}
# What benchmarks/op_coverage.py reports: ops compiled on float (and other unquantized) tensors
# (quantize / dequantize: the conversions between float and int8 inside a float model), and ops
# the compiled code handles on int8 tensors.
# `densify` is always folded (graph.py): its operand is a sparse constant by definition.
FLOAT_OPS = set(EMITTERS) | ALIASES | GRAPH_OPS | COMPILE_TIME_OPS | {"quantize", "densify"}
INT8_CAPABLE_OPS = int8.INT8_OPS | ANY_DTYPE_OPS | {"quantize", "densify"} | GRAPH_OPS


@dataclass
class BuiltModule:
    text: str
    blob: WeightBlob
    kernels: list[Kernel]
    workspace_bytes: int  # activations and the barrier state
    kernel_labels: list[dict[str, str]]  # per kernel, in run order: its op and its node's place
    control_flow: bool  # loops or branches around kernels: `_run_kernels` runs each once
    # Workspace offset of the int32 a run sets to 1 when a loop ran past MAX_WHILE_ITERATIONS
    # (None: no loops). The run functions stay void; the loader reads it after each run.
    status_offset: int | None = None
    state_bytes: int = 0  # the state region kept between runs (`<name>_state`)


def _memref(t) -> str:
    return f"memref<{memref_count(t)}x{memref_elem(t.dtype)}>"


def check_node(node: Node) -> None:
    """Rejects what the float kernels cannot do, naming the op (before any code exists)."""
    tensors = [t for t in [*node.inputs, *node.outputs] if t is not None]
    moves_whole_values = complex_.COMPLEX_OPS | ALIASES  # aliases: the same buffer, retyped
    if node.op not in moves_whole_values and any(t.dtype == complex_.COMPLEX for t in tensors):
        raise TflcError(f"the cpu target has no complex64 kernel for '{node.op}'", node.where)
    if int8.int8_emitter(node) is not None:
        return
    if node.op in FLOAT_ONLY | (int8.INT8_OPS - ANY_DTYPE_OPS - TYPED_OPS) | {"quantize"}:
        for t in [*node.inputs, *node.outputs]:
            if t is not None and not t.is_const and t.dtype != "f32":
                raise TflcError(
                    f"the cpu target has no {t.dtype} kernel for '{node.op}' yet",
                    node.where,
                )


def build_module(graph: Graph, plan: MemoryPlan, tiling: conv.Tiling, name: str) -> BuiltModule:
    blob = WeightBlob()
    state = StateRegion()
    kernels: list[Kernel] = []
    labels: list[dict[str, str]] = []
    schedule: list[Kernel | Node] = []  # kernels, and the control-flow markers between them
    for node in graph.nodes:
        if node.op not in CONTROL_OPS:
            check_node(node)
    for i, node in enumerate(graph.nodes):
        if node.op in CONTROL_OPS:
            schedule.append(node)
            continue
        if node.op in ALIASES and node.op not in EMITTERS:
            continue
        k = Kernel(f"{name}_k{i}_{node.op}", tiling.lanes, blob, state=state)
        k.fn.fused_multiply_add = tiling.fused_multiply_add
        key = f"custom:{node.attr('custom_code')}" if node.op == "custom" else node.op
        try:
            (int8.int8_emitter(node) or EMITTERS[key])(k, tiling, node)
        except TflcError as e:
            raise e.at(node.where) from None
        except (NotImplementedError, KeyError, ValueError, IndexError) as e:
            raise TflcError(
                f"the cpu target cannot compile this '{node.op}' ({e!r})", node.where
            ) from None
        kernels.append(k)
        schedule.append(k)
        labels.append({"op": node.op, "name": node.outputs[0].name if node.outputs else node.where})
    # Kernels are parameterized by their arguments only (weights are views passed in), so
    # layers of the same shape share one function.
    unique: dict[str, str] = {}
    bodies: list[str] = []
    for k in kernels:
        generic = k.fn.text().replace(f"@{k.name}(", "@KERNEL(", 1)
        if generic not in unique:
            unique[generic] = k.name
            bodies.append(k.fn.text(parallel=k.parallel_extent > 0))
        k.callee = unique[generic]
    control_flow = len(schedule) > len(kernels)
    loops = any(isinstance(k, Node) and k.op == "while_begin" for k in schedule)
    ws_bytes = workspace_size(plan, len(kernels), loops)
    status = status_offset(plan) if loops else None
    blob_bytes = max(blob.size, 64)
    lines = [f'memref.global "public" constant @{name}_weights : memref<{blob_bytes}xi8>']
    lines += state_functions(name, state.size)
    lines += bodies
    for mode in ("run", "slice", "range"):
        lines += _entry(graph, plan, schedule, name, ws_bytes, blob_bytes, mode, status, state.size)
    lines.append("func.func private @sched_yield() -> i32")
    externs = {n: ty for k in kernels for n, ty in k.externs.items()}
    lines += [f"func.func private @{n}{ty}" for n, ty in sorted(externs.items())]
    text = "module {\n" + "\n".join(lines) + "\n}\n"
    return BuiltModule(text, blob, kernels, ws_bytes, labels, control_flow, status, state.size)


def thread_state_size(n_kernels: int) -> int:
    """Barrier words (two cache lines) and one i32 work counter per kernel."""
    return BARRIER_BYTES + -(-4 * n_kernels // 64) * 64


def status_offset(plan: MemoryPlan) -> int:
    return -(-plan.workspace_bytes // 64) * 64


def workspace_size(plan: MemoryPlan, n_kernels: int, loops: bool = False) -> int:
    """The planned activations, the loops' status word (a cache line, models with loops), then
    the thread state of `<name>_run_slice` (kept zeroed)."""
    return status_offset(plan) + (64 if loops else 0) + thread_state_size(n_kernels)


def _barrier(ws: str, ws_ty: str, base: int, nt: str) -> list[str]:
    """A sense-reversing spin barrier on two i32 counters in the workspace (left zeroed)."""
    consts = [f"  %bo_count = arith.constant {base} : index"]
    consts.append(f"  %bo_gen = arith.constant {base + 64} : index")
    return (
        consts
        + f"""
  %bc = memref.view {ws}[%bo_count][] : {ws_ty} to memref<1xi32>
  %bg = memref.view {ws}[%bo_gen][] : {ws_ty} to memref<1xi32>
  %bz = arith.constant 0 : i32
  %b1 = arith.constant 1 : i32
  %bnt = arith.index_cast {nt} : index to i32
  %bn1 = arith.subi %bnt, %b1 : i32
  %bi0 = arith.constant 0 : index""".splitlines()[1:]
    )


BARRIER_CALL = """  %g{i} = memref.atomic_rmw addi %bz, %bg[%bi0] : (i32, memref<1xi32>) -> i32
  %a{i} = memref.atomic_rmw addi %b1, %bc[%bi0] : (i32, memref<1xi32>) -> i32
  %l{i} = arith.cmpi eq, %a{i}, %bn1 : i32
  scf.if %l{i} {{
    %z{i} = memref.atomic_rmw assign %bz, %bc[%bi0] : (i32, memref<1xi32>) -> i32
    %n{i} = memref.atomic_rmw addi %b1, %bg[%bi0] : (i32, memref<1xi32>) -> i32
  }} else {{
    scf.while : () -> () {{
      %c{i} = memref.atomic_rmw addi %bz, %bg[%bi0] : (i32, memref<1xi32>) -> i32
      %s{i} = arith.cmpi eq, %c{i}, %g{i} : i32
      scf.condition(%s{i})
    }} do {{
      %y{i} = func.call @sched_yield() : () -> i32
      scf.yield
    }}
  }}"""


CHUNK_LOOP = """  %w{i} = scf.while : () -> index {{
    %c{i}_ = memref.atomic_rmw addi %b1, %cnt[%ci{i}] : (i32, memref<{k}xi32>) -> i32
    %c{i}x = arith.index_cast %c{i}_ : i32 to index
    %m{i} = arith.cmpi ult, %c{i}x, %nc{i} : index
    scf.condition(%m{i}) %c{i}x : index
  }} do {{
  ^bb0(%q{i}: index):
    %cb{i} = arith.muli %q{i}, %ch{i} : index
    %ce{i}_0 = arith.addi %cb{i}, %ch{i} : index
    %ce{i} = arith.minui %ce{i}_0, {n} : index
    {call}
    scf.yield
  }}"""


ENTRY_SUFFIX = {"run": "", "slice": "_slice", "range": "_kernels"}


def _entry(
    graph, plan, schedule, name, ws_bytes, blob_bytes, mode: str, status=None, state_bytes=0
):
    """`<name>_run(ins, outs, ws)`; `<name>_run_slice(ins, outs, ws, tid, nthreads)`: every
    thread runs its share of each kernel, then waits at a barrier; or
    `<name>_run_kernels(ins, outs, ws, first, last)`: kernels first..last-1, one thread, each
    once (loops and branches left out: a profile times every kernel alone).

    Control-flow markers in `schedule` open and close `scf.while` / `scf.if` regions around the
    kernel calls; views are made at the top, where they dominate every region."""
    threaded = mode == "slice"
    kernels = [k for k in schedule if isinstance(k, Kernel)]
    args = [f"%in{i}: {_memref(t)}" for i, t in enumerate(graph.inputs)]
    args += [f"%out{i}: {_memref(t)}" for i, t in enumerate(graph.outputs)]
    args.append(f"%ws: memref<{ws_bytes}xi8>")
    ws_ty = f"memref<{ws_bytes}xi8>"
    if threaded:
        args += ["%tid: index", "%nt: index"]
    elif mode == "range":
        args += ["%first: index", "%last: index"]
    head = [f"func.func @{name}_run{ENTRY_SUFFIX[mode]}({', '.join(args)}) {{"]
    head.append(f"  %wb = memref.get_global @{name}_weights : memref<{blob_bytes}xi8>")
    if state_bytes:
        head.append(f"  %sb = memref.get_global @{name}_state : {state_region_type(state_bytes)}")
    prelude: list[str] = []  # views and thread state, before any region
    body: list[str] = []
    if threaded:
        head.append("  %bo_four = arith.constant 4 : index")
        state = ws_bytes - thread_state_size(len(kernels))
        prelude += _barrier("%ws", ws_ty, state, "%nt")
        prelude.append("  %first = arith.cmpi eq, %tid, %bi0 : index")
        prelude.append(f"  %cnt_off = arith.constant {state + BARRIER_BYTES} : index")
        prelude.append(
            f"  %cnt = memref.view %ws[%cnt_off][] : {ws_ty} to memref<{max(len(kernels), 1)}xi32>"
        )
        prelude.append("  %nt4 = arith.muli %nt, %bo_four : index")
    offsets: dict[int, str] = {}
    n_counters = max(len(kernels), 1)

    def offset(v: int) -> str:
        if v not in offsets:
            offsets[v] = f"%o{v}"
            head.append(f"  %o{v} = arith.constant {v} : index")
        return offsets[v]

    views: dict[tuple, str] = {}

    def tensor_ref(tensor, mty: str) -> str:
        st = plan.storage[tensor.index]
        if st.kind in ("input", "output"):
            return f"%{'in' if st.kind == 'input' else 'out'}{st.index}"
        key = ("w", st.index, mty)
        if key not in views:
            views[key] = f"%view{len(views)}"
            prelude.append(
                f"  {views[key]} = memref.view %ws[{offset(st.index)}][] : {ws_ty} to {mty}"
            )
        return views[key]

    depth = 0  # regions open around the current call
    pad = "  "

    def condition(node: Node, tag: str) -> str:
        """The one-element bool operand of a marker as an i1 (bools are stored as bytes)."""
        t = node.inputs[0]
        if t.is_const:
            return "%true_" if bool(t.value.reshape(-1)[0]) else "%false_"
        ref = tensor_ref(t, f"memref<{t.size}xi8>")
        body.append(f"{pad}%{tag}b = memref.load {ref}[{offset(0)}] : memref<{t.size}xi8>")
        body.append(f"{pad}%{tag} = arith.cmpi ne, %{tag}b, %zero_i8 : i8")
        return f"%{tag}"

    loops_open: list[int] = []
    if status is not None and mode != "range":
        prelude.append(
            f"  %status = memref.view %ws[{offset(status)}][] : {ws_ty} to memref<1xi32>"
        )
        store = f"memref.store %zero_i32, %status[{offset(0)}] : memref<1xi32>"
        body += ["  scf.if %first {", f"    {store}", "  }"] if threaded else [f"  {store}"]
    i = -1
    for n_step, k in enumerate(schedule):
        pad = "  " * (depth + 1)
        if isinstance(k, Node):
            if mode == "range":
                continue
            if k.op == "while_begin":
                # The trip count is carried: past MAX_WHILE_ITERATIONS the loop stops and sets
                # the status word, as the interpreter reports a runaway loop (not a hang).
                loops_open.append(n_step)
                body.append(
                    f"{pad}%wn{n_step} = scf.while (%wi{n_step} = {offset(0)}) "
                    ": (index) -> index {"
                )
                depth += 1
            elif k.op == "while_test":
                w = loops_open[-1]
                c = condition(k, f"wc{n_step}")
                limit = offset(MAX_WHILE_ITERATIONS)
                body += [
                    f"{pad}%wl{w} = arith.cmpi uge, %wi{w}, {limit} : index",
                    f"{pad}%ws{w} = arith.andi {c}, %wl{w} : i1",
                    f"{pad}scf.if %ws{w} {{",
                    f"{pad}  memref.store %one_i32, %status[{offset(0)}] : memref<1xi32>",
                    f"{pad}}}",
                    f"{pad}%wk{w} = arith.xori %wl{w}, %true_ : i1",
                    f"{pad}%wg{w} = arith.andi {c}, %wk{w} : i1",
                    f"{pad}scf.condition(%wg{w}) %wi{w} : index",
                    f"{pad[:-2]}}} do {{",
                    f"{pad[:-2]}^bb0(%wj{w}: index):",
                ]
            elif k.op == "while_end":
                w = loops_open.pop()
                body.append(f"{pad}%wy{w} = arith.addi %wj{w}, {offset(1)} : index")
                body.append(f"{pad}scf.yield %wy{w} : index")
                body.append(f"{pad[:-2]}}}")
                depth -= 1
            elif k.op == "if_begin":
                body.append(f"{pad}scf.if {condition(k, f'ic{n_step}')} {{")
                depth += 1
            elif k.op == "if_else":
                body.append(f"{pad[:-2]}}} else {{")
            elif k.op == "if_end":
                body.append(f"{pad[:-2]}}}")
                depth -= 1
            continue
        i += 1
        operands = []
        for a in k.args:
            mty = f"memref<{a.count}x{a.elem}>"
            if a.kind in ("const", "state"):  # a view of the weights or the state region
                region, region_ty = {
                    "const": ("%wb", f"memref<{blob_bytes}xi8>"),
                    "state": ("%sb", state_region_type(state_bytes)),
                }[a.kind]
                key = (region, a.offset, mty)
                if key not in views:
                    views[key] = f"%view{len(views)}"
                    prelude.append(
                        f"  {views[key]} = memref.view {region}[{offset(a.offset)}][] : "
                        f"{region_ty} to {mty}"
                    )
                operands.append(views[key])
            else:
                operands.append(tensor_ref(a.tensor, mty))
        sig = [f"memref<{a.count}x{a.elem}>" for a in k.args]
        n = k.parallel_extent
        if n:
            sig += ["index", "index"]
            if threaded:
                # Dynamic chunks: each thread takes the next chunk from the kernel's counter,
                # so a thread the OS delays leaves its share to the others.
                prelude.append(f"  %ch{i} = arith.ceildivui {offset(n)}, %nt4 : index")
                prelude.append(f"  %nc{i} = arith.ceildivui {offset(n)}, %ch{i} : index")
                prelude.append(f"  %ci{i} = arith.constant {i} : index")
                operands += [f"%cb{i}", f"%ce{i}"]
            else:
                operands += [offset(0), offset(n)]
        call = f"func.call @{k.callee}({', '.join(operands)}) : ({', '.join(sig)}) -> ()"
        lines: list[str] = []
        if threaded and not n:
            lines += ["  scf.if %first {", f"    {call}", "  }"]
        elif threaded:
            lines += CHUNK_LOOP.format(i=i, n=offset(n), k=n_counters, call=call).splitlines()
        elif mode == "range":
            lines += [
                f"  %from{i} = arith.cmpi ule, %first, {offset(i)} : index",
                f"  %upto{i} = arith.cmpi ult, {offset(i)}, %last : index",
                f"  %take{i} = arith.andi %from{i}, %upto{i} : i1",
                f"  scf.if %take{i} {{",
                f"    {call}",
                "  }",
            ]
        else:
            lines.append(f"  {call}")
        if threaded:
            lines += BARRIER_CALL.format(i=i).splitlines()
            if n and depth:
                # A kernel in a loop runs again: its chunk counter is rearmed once every
                # thread is past this barrier (a thread drawing before that gets no chunk).
                lines += [
                    "  scf.if %first {",
                    f"    memref.store %bz, %cnt[%ci{i}] : memref<{n_counters}xi32>",
                    "  }",
                ]
        body += [pad[:-2] + line for line in lines]
    if threaded:  # every thread is past the last barrier: rearm the counters for the next run
        body += [
            "  scf.if %first {",
            f"    scf.for %r = %bi0 to {offset(n_counters)} step {offset(1)} {{",
        ]
        body += [
            "      memref.store %bz, %cnt[%r] : memref<" + f"{n_counters}xi32>",
            "    }",
            "  }",
        ]
    if any(isinstance(k, Node) for k in schedule):
        head += ["  %zero_i8 = arith.constant 0 : i8", "  %true_ = arith.constant true"]
        head.append("  %false_ = arith.constant false")
        head += ["  %zero_i32 = arith.constant 0 : i32", "  %one_i32 = arith.constant 1 : i32"]
    return head + prelude + body + ["  return", "}"]
