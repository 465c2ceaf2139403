#ifndef TFLC_ELEMENTWISE_EXTRA_H
#define TFLC_ELEMENTWISE_EXTRA_H

#include <stdint.h>

#include "elementwise_any.h"

/* Logic, bit operations, SIGN, ATAN2, ADD_N, FAKE_QUANT and reductions over any set of axes. */

enum { TFLC_LOGICAL_AND, TFLC_LOGICAL_OR, TFLC_BITWISE_XOR, TFLC_RIGHT_SHIFT };
/* LOGICAL_AND / LOGICAL_OR of bools; BITWISE_XOR / RIGHT_SHIFT of integers of `type` (the shift
 * clamped to [0, bits - 1], as LiteRT's kernel clamps it). */
void tflc_bitwise(const tflc_broadcast4 *b, int32_t op, int32_t type, const void *in1,
                  const void *in2, void *output);

void tflc_logical_not(int32_t size, const uint8_t *input, uint8_t *output);

/* SIGN of float32 or int32: -1, 0 or 1 (0 for NaN). */
void tflc_sign(int32_t size, int32_t type, const void *input, void *output);

void tflc_atan2_f32(const tflc_broadcast4 *b, const float *in1, const float *in2, float *output);

/* ADD_N of float32 or int32 (wrapping) tensors, summed in input order as LiteRT sums them. */
void tflc_add_n(int32_t size, int32_t type, int32_t count, const void *const *inputs,
                void *output);

/* FAKE_QUANT: x clamped to [nudged_min, nudged_max], rounded to a step of `scale`. */
void tflc_fake_quant_f32(int32_t size, float nudged_min, float nudged_max, float scale,
                         float inverse_scale, const float *input, float *output);

enum { TFLC_REDUCE_ALL, TFLC_REDUCE_ANY, TFLC_REDUCE_PROD };
/* REDUCE_ALL / REDUCE_ANY (bool) and REDUCE_PROD (float32, int32): the input walked in order,
 * each element folded into out[sum(i_k * out_strides[k])] (stride 0 on reduced axes). */
typedef struct {
  int32_t in_shape[8];
  int32_t out_strides[8];
  int32_t out_size, op, type;
} tflc_reduce_axes_params;
void tflc_reduce_axes(const tflc_reduce_axes_params *p, const void *input, void *output);

#endif /* TFLC_ELEMENTWISE_EXTRA_H */
