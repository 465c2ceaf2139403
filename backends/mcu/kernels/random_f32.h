#ifndef TFLC_RANDOM_F32_H
#define TFLC_RANDOM_F32_H

#include <stdint.h>

/* RANDOM_UNIFORM and RANDOM_STANDARD_NORMAL as LiteRT computes them (runtime/kernels/random.py):
 * TensorFlow's Philox4x32-10 keyed by the op's seed, the 128-bit counter starting at
 * (seed2 << 64), one block of four words per four floats (a block's unused tail dropped),
 * uniform floats from a word's low 23 bits, normals by Box-Muller through logf / sinf / cosf.
 * `drawn` (two words: blocks drawn so far, low and high) is the op's state between runs. */
typedef struct {
  uint32_t key[2];
  uint64_t seed2; /* the counter's high half */
  int32_t count;  /* floats per run */
  int32_t normal; /* 0: uniform in [0, 1), 1: standard normal */
} tflc_random_params;

void tflc_random_f32(const tflc_random_params *p, uint64_t *drawn, float *output);

#endif /* TFLC_RANDOM_F32_H */
