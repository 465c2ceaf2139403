/* int8 L2_NORMALIZATION, TFLite's reference arithmetic (l2_norm_s8.h). */
#include "l2_norm_s8.h"

#include "tflc_common.h"

static int bit_length(uint32_t x) {
  int n = 0;
  while (x) {
    x >>= 1;
    ++n;
  }
  return n;
}

/* GetInvSqrtQuantizedMultiplierExp with reverse_shift -1: 1/sqrt(value) by gemmlowp's Q3.28
 * Newton-Raphson iteration (quant_math.inv_sqrt_quantized_multiplier_exp). */
static void inv_sqrt(int32_t value, int32_t *multiplier, int *shift) {
  const int32_t half_three = (1 << 28) + (1 << 27);
  int32_t x = 1 << 28, half_input;
  int s = 11, pairs, i;
  if (value <= 1) {
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  while (value >= (1 << 29)) {
    value /= 4;
    ++s;
  }
  pairs = (32 - bit_length((uint32_t)value) - 1) / 2 - 1;
  s -= pairs;
  value = tflc_shift_left(value, 2 * pairs);
  half_input = tflc_rounding_divide_by_pot(value >> 1, 1); /* Q3.28 */
  for (i = 0; i < 5; ++i) {
    const int32_t x3 = tflc_saturating_multiply_by_pot(tflc_srdhm(tflc_srdhm(x, x), x), 6);
    const int32_t t =
        (int32_t)((uint32_t)tflc_srdhm(half_three, x) - (uint32_t)tflc_srdhm(half_input, x3));
    x = tflc_saturating_multiply_by_pot(t, 3);
  }
  x = tflc_srdhm(x, 1518500250); /* 1/sqrt(2) */
  if (s < 0) {
    x = tflc_shift_left(x, -s);
    s = 0;
  }
  *multiplier = x;
  *shift = -s;
}

void tflc_l2_normalization_s8(int32_t rows, int32_t depth, int32_t input_zero_point,
                              const int8_t *input, int8_t *output) {
  int32_t r, c;
  for (r = 0; r < rows; ++r) {
    const int8_t *in = input + r * depth;
    int32_t squares = 0, multiplier;
    int shift;
    for (c = 0; c < depth; ++c) {
      const int32_t v = in[c] - input_zero_point;
      squares += v * v;
    }
    inv_sqrt(squares, &multiplier, &shift);
    for (c = 0; c < depth; ++c) {
      /* the output scale 1/128: 7 bits more */
      output[r * depth + c] = tflc_sat_s8(
          tflc_mul_by_quantized_multiplier(in[c] - input_zero_point, multiplier, shift + 7));
    }
  }
}
