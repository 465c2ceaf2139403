"""Recurrent ops as steps: the gpu graph (graph.py) replaces each by one node per time step
and direction, packs the steps into the op's outputs and updates its `tfl.variable` states
(lower_recurrent.py lowers the step nodes).
"""

from __future__ import annotations

from tflc.backends.gpu.graph import Node, Tensor

# Recurrent ops on a `tfl.variable` state: a `rnn_step` node per time step, a `pack` of the
# steps into the output (sequences), and a `variable_update` writing the last step's state
# (variables keep their arena storage between calls, as LiteRT keeps them between invokes);
# SVDF's memory shift and output.
RNN_OPS = {"rnn", "unidirectional_sequence_rnn", "bidirectional_sequence_rnn", "svdf"}
# LSTMs the same way, three dispatches a step: the cell state, the gated output, and its
# projection when there is one.
LSTM_OPS = {"lstm", "unidirectional_sequence_lstm", "bidirectional_sequence_lstm"}
LSTM_STATES = (18, 19)  # the output (h) and cell (c) state operands
RECURRENT_OPS = RNN_OPS | LSTM_OPS


def steppable(ins: list, outs: list[int], tensors: list[Tensor]) -> bool:
    """A float recurrent op (no auxiliary input) whose states are variables."""
    slots = _state_slots(ins)
    return (
        bool(slots)
        and all(ins[k] is not None and tensors[ins[k]].variable for k in slots)
        and all(tensors[t].dtype == "f32" and tensors[t].quant is None for t in (ins[0], *outs))
    )


def _state_slots(ins: list) -> tuple[int, ...]:
    """The operands holding the states: one direction's (4), or two (4 and 8) without an
    auxiliary input (9); an LSTM's h and c (18, 19); a bidirectional LSTM's four (35-38)
    without an auxiliary input (39)."""
    if len(ins) == 24:
        return LSTM_STATES
    if len(ins) == 48:  # bidirectional LSTM: forward h, c; backward h, c
        return (35, 36, 37, 38) if all(t is None for t in ins[39:]) else ()
    if len(ins) == 5:
        return (4,)
    if len(ins) >= 9 and all(t is None for t in ins[9:]):
        return (4, 8)
    return ()


class _Steps:
    """Appends the nodes and tensors of one recurrent op's expansion."""

    def __init__(self, attrs, tensors: list[Tensor], where: str, op, first_index: int):
        self.attrs, self.tensors, self.where, self.op = attrs, tensors, where, op
        self.first_index, self.nodes = first_index, []

    def add(self, name: str, attrs: dict, ins: list, out: int, op=None) -> None:
        index = self.first_index + len(self.nodes)
        self.nodes.append(Node(index, name, attrs, ins, [out], self.where, op))

    def tensor(self, shape, name: str) -> int:
        self.tensors.append(Tensor(len(self.tensors), tuple(shape), "f32", name))
        return len(self.tensors) - 1

    def direction(self, x: int, weights: list, state: int, reverse: bool, out: int | None):
        """The steps of one direction over `x`'s time axis; their outputs packed, in time
        order, into `out` (a new tensor if None), which is returned."""
        time_major = bool(self.attrs.get("time_major", False))
        shape = self.tensors[x].shape
        steps = 1 if len(shape) == 2 else shape[0 if time_major else 1]
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        prev, by_time = state, {}
        for t in order:
            h = (
                out
                if steps == 1 and out is not None
                else self.tensor(self.tensors[state].shape, f"{self.tensors[state].name}/step{t}")
            )
            attrs = {**self.attrs, "time": t, "steps": steps, "time_major": time_major}
            self.add("rnn_step", attrs, [x, *weights, prev], h, self.op)
            prev = by_time[t] = h
        self.add("variable_update", {}, [prev], state)
        if steps == 1:
            return prev
        if out is None:
            units = self.tensors[state].shape[-1]
            lead = (steps, shape[1]) if time_major else (shape[0], steps)
            out = self.tensor((*lead, units), f"{self.tensors[state].name}/sequence")
        pack = {"axis": 0 if time_major else 1, "values_count": steps}
        self.add("pack", pack, [by_time[t] for t in range(steps)], out)
        return out

    def lstm(self, ins: list, reverse: bool, out: int | None, time_major: bool) -> int:
        """An LSTM's steps over operands in the one-direction layout (24): `lstm_cell` -> c_t,
        `lstm_output` -> o * act(c_t), then `lstm_projection` -> h_t when it projects; the
        steps packed in time order into `out` (a new tensor if None), which is returned."""
        x, (h, c) = ins[0], (ins[k] for k in LSTM_STATES)
        shape = self.tensors[x].shape
        steps = 1 if len(shape) == 2 else shape[0 if time_major else 1]
        cells = self.tensors[ins[4]].shape[0]
        by_time = {}
        for t in range(steps - 1, -1, -1) if reverse else range(steps):
            attrs = {**self.attrs, "time": t, "steps": steps, "time_major": time_major}
            state = [*ins[:18], h, c, *ins[20:]]
            c = self.tensor(self.tensors[c].shape, f"{self.tensors[c].name}/step{t}")
            self.add("lstm_cell", attrs, state, c, self.op)
            gated = self.tensor((self.tensors[h].shape[0], cells), f"{self.where}/gated{t}")
            self.add("lstm_output", attrs, [*state[:19], c, *state[20:]], gated, self.op)
            h = gated
            if ins[16] is not None:
                h = self.tensor(self.tensors[ins[18]].shape, f"{self.where}/h{t}")
                self.add("lstm_projection", attrs, [gated, ins[16], ins[17]], h, self.op)
            by_time[t] = h
        self.add("variable_update", {}, [h], ins[18])
        self.add("variable_update", {}, [c], ins[19])
        if out is None:
            units = self.tensors[ins[18]].shape[-1]
            lead = (steps, shape[1]) if time_major else (shape[0], steps)
            out = self.tensor((*lead, units), f"{self.where}/sequence")
        pack = {"axis": 0 if time_major else 1, "values_count": steps}
        ordered = [by_time[t] for t in range(steps)]
        self.add("pack" if steps > 1 else "variable_update", pack, ordered, out)
        return out


def expand(name, attrs, ins, outs, tensors, where, op, first_index) -> list[Node]:
    """A recurrent op as one `rnn_step` node per time step and direction (each reads the
    previous step's state), the steps packed into the outputs, and the states' updates."""
    steps = _Steps(attrs, tensors, where, op, first_index)
    merged = len(outs) == 1
    if name == "svdf":  # the state shifted one step with the new features, then the output
        x, features, time_weights, bias, state = ins
        memory = steps.tensor(tensors[state].shape, f"{tensors[state].name}/next")
        steps.add("svdf_state", attrs, [x, features, state], memory, op)
        steps.add("svdf_output", attrs, [memory, time_weights, bias], outs[0], op)
        steps.add("variable_update", {}, [memory], state)
        return steps.nodes
    if name == "bidirectional_sequence_lstm":
        time_major = bool(attrs.get("time_major", True))
        none = [None] * 4  # no layer normalization
        forward = [*ins[:18], ins[35], ins[36], *none]
        backward = [ins[0], *ins[18:35], ins[37], ins[38], *none]
        fw = steps.lstm(forward, False, None if merged else outs[0], time_major)
        bw = steps.lstm(backward, True, None if merged else outs[1], time_major)
    elif name in LSTM_OPS:
        steps.lstm(ins, False, outs[0], bool(attrs.get("time_major", False)))
        return steps.nodes
    elif len(_state_slots(ins)) == 1:
        steps.direction(ins[0], ins[1:4], ins[4], False, outs[0])
        return steps.nodes
    else:
        fw = steps.direction(ins[0], ins[1:4], ins[4], False, None if merged else outs[0])
        bw = steps.direction(ins[0], ins[5:8], ins[8], True, None if merged else outs[1])
    if merged:  # the directions side by side on the last axis
        rank = len(tensors[outs[0]].shape)
        steps.add("concatenation", {"axis": rank - 1}, [fw, bw], outs[0])
    return steps.nodes
