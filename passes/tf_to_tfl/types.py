"""tf element types with no builtin MLIR equivalent -> the tfl dialect's.

TensorFlow's strings and resources are `!tf_type.string` / `!tf_type.resource` in the tf dialect
(as TensorFlow's MLIR spells them) and `!tfl.string` / `!tfl.resource` in the tfl dialect, the
types the flatbuffer importer and exporter map to TFLite's STRING and RESOURCE tensors. After
legalization every value, block argument and function type takes the tfl spelling.
"""

from __future__ import annotations

from mlir import ir

_TFL_ELEMENT_TYPES = {"!tf_type.string": "!tfl.string", "!tf_type.resource": "!tfl.resource"}


def tfl_type(t: ir.Type) -> ir.Type:
    """`t` with a tf string or resource element type spelled as tfl's; other types as they are."""
    if not isinstance(t, ir.ShapedType | ir.RankedTensorType | ir.UnrankedTensorType):
        return t
    shaped = ir.ShapedType(t)
    name = _TFL_ELEMENT_TYPES.get(str(shaped.element_type).split("<")[0])
    if name is None:
        return t
    elem = ir.Type.parse(name)
    if not shaped.has_rank:
        return ir.UnrankedTensorType.get(elem)
    return ir.RankedTensorType.get(list(shaped.shape), elem)


def use_tfl_element_types(module: ir.Operation) -> None:
    with ir.Location.unknown():
        _convert_functions(module)


def _convert_functions(module: ir.Operation) -> None:
    for fn in module.regions[0].blocks[0].operations:
        if fn.operation.name != "func.func":
            continue
        _convert_region(fn.regions[0])
        block = fn.regions[0].blocks[0]
        # Results follow the returned values, which legalization may have refined (lookups).
        returned = [v.type for v in list(block.operations)[-1].operands]
        fn.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get([a.type for a in block.arguments], returned)
        )


def _convert_region(region: ir.Region) -> None:
    for block in region.blocks:
        for arg in block.arguments:
            arg.set_type(tfl_type(arg.type))
        for op in block.operations:
            for result in op.results:
                result.set_type(tfl_type(result.type))
            for nested in op.regions:
                _convert_region(nested)
