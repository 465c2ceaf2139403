/* int8 DIV: the dividend shifted to full headroom, times the divisor's reciprocal, one
 * requantization (reference_ops DivElementwise, bit for bit with LiteRT on x86). */
#include "div_s8.h"

#include "tflc_common.h"

/* CountLeadingSignBits: the left shift that keeps x in int32 (31 for 0 and -1). */
static int32_t leading_sign_bits(int32_t x) {
  uint32_t magnitude = x < 0 ? ~(uint32_t)x : (uint32_t)x;
  int32_t bits = 0;
  while (magnitude != 0) {
    magnitude >>= 1;
    ++bits;
  }
  return 31 - bits;
}

/* RoundingDivideByPOT as LiteRT's x86 build computes it for a shift past 31 (undefined in
 * C++): the mask is all ones and the shift counts modulo 32. */
static int32_t rounding_divide_by_pot_x86(int32_t x, int32_t exponent) {
  const int32_t e = exponent & 63;
  const int32_t mask = e >= 32 ? -1 : (int32_t)(((int64_t)1 << e) - 1);
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> (e & 31)) + ((x & mask) > threshold ? 1 : 0);
}

void tflc_div_s8(const tflc_div_s8_params *p, const int8_t *in1, const int8_t *in2,
                 int8_t *output) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->out_shape[0]; ++i0) {
    for (i1 = 0; i1 < p->out_shape[1]; ++i1) {
      for (i2 = 0; i2 < p->out_shape[2]; ++i2) {
        for (i3 = 0; i3 < p->out_shape[3]; ++i3) {
          const int8_t a = in1[i0 * p->in1_strides[0] + i1 * p->in1_strides[1] +
                               i2 * p->in1_strides[2] + i3 * p->in1_strides[3]];
          const int8_t b = in2[i0 * p->in2_strides[0] + i1 * p->in2_strides[1] +
                               i2 * p->in2_strides[2] + i3 * p->in2_strides[3]];
          const int32_t divisor = b + p->input2_offset;
          /* a divisor at its zero point is an error in LiteRT; here it gives the zero point */
          int32_t out = p->output_offset;
          if (divisor != 0) {
            const int32_t dividend = divisor < 0 ? -(a + p->input1_offset) : a + p->input1_offset;
            const int32_t headroom = leading_sign_bits(dividend);
            const int32_t unscaled =
                tflc_srdhm(tflc_shift_left(dividend, headroom), p->reciprocal[b + 128]);
            const int32_t total_shift = p->output_shift - p->reciprocal_shift[b + 128] - headroom;
            out += rounding_divide_by_pot_x86(tflc_srdhm(unscaled, p->output_multiplier),
                                              -total_shift);
          }
          *output++ = (int8_t)TFLC_CLAMP(out, p->act_min, p->act_max);
        }
      }
    }
  }
}
