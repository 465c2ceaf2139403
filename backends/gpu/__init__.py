"""The gpu target: tfl -> compute shaders (WGSL) run through wgpu on any Vulkan device.

    graph.py         the dataflow graph of `main`: constants folded (float16 dequantize, sparse
                     densify, reshapes of constants), reshape-like ops as storage aliases
    fusion.py        dispatch groups: an anchor op and the elementwise ops it feeds (bias,
                     activation, residual add...); ops without a shader -> error or CPU host step
    buffer_plan.py   one activation arena, tensors placed by lifetime (greedy by size)
    lowering.py      per-op lowering to `gpu.func`s: elementwise ops, the group kernel, split-K
    lower_conv.py    reduction anchors: conv, depthwise, transpose conv, fully connected,
    lower_data.py    pools, means, softmax, batch matmul; and data movement: pad, concat,
                     resizes, gathers (slices, transposes, tile, split), depth/space
    kernel_ir.py     builds the kernels as MLIR (gpu, arith, math, scf, memref)
    wgsl_printer.py  prints WGSL from the kernels after MLIR's canonicalize, cse and LICM
    manifest.py      the artifacts: manifest.json, weights.bin, shaders/*.wgsl, host/*.tflite
    target.py        `TARGET`: workgroup sizes and split-K per op, the compile entry point

runtime/gpu_runtime.py loads and runs the artifacts with wgpu alone (no MLIR).
"""
