"""The state a compiled model keeps between runs (random generators' counters, recurrent ops'
`tfl.variable` tensors): one zero-initialized global, `<name>_state`, outside the workspace,
and `<name>_reset()`, which zeroes it so the next run starts as the first did (as the
interpreter's `reset_all_variables` / a fresh LiteRT interpreter)."""

from __future__ import annotations

ALIGNMENT = 64


class StateRegion:
    """Byte offsets in the state region, each owner's share 64-byte aligned."""

    def __init__(self):
        self.size = 0
        self.variables: dict[int, int] = {}  # tensor index -> offset: one share per variable

    def variable(self, index: int, nbytes: int) -> int:
        if index not in self.variables:
            self.variables[index] = self.add(nbytes)
        return self.variables[index]

    def add(self, nbytes: int) -> int:
        offset = -(-self.size // ALIGNMENT) * ALIGNMENT
        self.size = offset + nbytes
        return offset


def state_region_type(state_bytes: int) -> str:
    return f"memref<{max(state_bytes, 1)}xi8>"


def state_functions(name: str, state_bytes: int) -> list[str]:
    """The region's global (zero when the library loads) and `<name>_reset()`."""
    ty = state_region_type(state_bytes)
    return f"""memref.global "public" @{name}_state : {ty} = dense<0>
func.func @{name}_reset() {{
  %s = memref.get_global @{name}_state : {ty}
  %z = arith.constant 0 : i8
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant {state_bytes} : index
  scf.for %i = %c0 to %n step %c1 {{
    memref.store %z, %s[%i] : {ty}
  }}
  return
}}""".splitlines()
