"""The MCU target: a tfl module -> a C99 project for microcontrollers (`tflc.compile(...,
target="mcu")`, `tflc compile model.tflite --target mcu -o out/`).

    lowering.py / ops_*.py   tfl ops -> kernel calls; fixed-point parameters computed here
    control_flow.py          tfl.while / tfl.if -> C loops and branches around their calls
    quantization.py          TFLite's QuantizeMultiplier and gemmlowp arithmetic, and tables
    memory_planner.py        lifetimes, aliases, overlapping in-place reuse, arena offsets
    c_emitter.py             model.h, model.c, weights.c, build.ninja
    kernels/, firmware/      the C kernels (only those used are copied) and test harnesses
    toolchain.py             host / Cortex-M builds, qemu, arm-none-eabi-size, TFLM's arena
    target.py                the target object and the compiled model (callable on numpy)
"""
