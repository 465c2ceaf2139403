#ifndef TFLC_BINARY_S8_H
#define TFLC_BINARY_S8_H

#include <stdint.h>

/* An int8 elementwise op over 4-D shapes with NumPy broadcasting: an input's stride is 0 along
 * the dimensions it broadcasts. */
typedef struct {
  int32_t out_shape[4];
  int32_t in1_strides[4], in2_strides[4];
  int32_t input1_offset, input2_offset, output_offset;
  int32_t left_shift; /* ADD/SUB only */
  int32_t input1_multiplier, input2_multiplier, output_multiplier;
  int32_t input1_shift, input2_shift, output_shift;
  int32_t act_min, act_max;
} tflc_binary_s8_params;

/* Stores ONE(p, x, y) for every output element, x and y the broadcast int8 inputs, in output
 * order. A macro, so each op's arithmetic inlines into the loop instead of being called per
 * element through a pointer. */
#define TFLC_BINARY_S8_LOOP(p, in1, in2, out, ONE)                                            \
  do {                                                                                        \
    int32_t i0_, i1_, i2_, i3_;                                                               \
    int8_t *o_ = (out);                                                                       \
    for (i0_ = 0; i0_ < (p)->out_shape[0]; ++i0_) {                                           \
      for (i1_ = 0; i1_ < (p)->out_shape[1]; ++i1_) {                                         \
        for (i2_ = 0; i2_ < (p)->out_shape[2]; ++i2_) {                                       \
          const int8_t *a_ = (in1) + i0_ * (p)->in1_strides[0] + i1_ * (p)->in1_strides[1] + \
                             i2_ * (p)->in1_strides[2];                                       \
          const int8_t *b_ = (in2) + i0_ * (p)->in2_strides[0] + i1_ * (p)->in2_strides[1] + \
                             i2_ * (p)->in2_strides[2];                                       \
          for (i3_ = 0; i3_ < (p)->out_shape[3]; ++i3_) {                                     \
            *o_++ = ONE((p), a_[i3_ * (p)->in1_strides[3]], b_[i3_ * (p)->in2_strides[3]]);   \
          }                                                                                   \
        }                                                                                     \
      }                                                                                       \
    }                                                                                         \
  } while (0)

/* reference_integer_ops::Add; SUB is ADD with input2_multiplier negated (as TFLite's sub.cc). */
void tflc_add_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                 int8_t *out);
/* MAXIMUM / MINIMUM of raw int8 values (inputs and output share quantization). */
void tflc_maximum_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                     int8_t *out);
void tflc_minimum_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                     int8_t *out);
/* reference_ops::BroadcastPrelu4DSlow (in2 = alpha) */
void tflc_prelu_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                   int8_t *out);
/* squared_difference.cc: (M1 (a << 7) - M2 (b << 7))^2 requantized */
void tflc_squared_difference_s8(const tflc_binary_s8_params *p, const int8_t *in1,
                                const int8_t *in2, int8_t *out);
/* reference_integer_ops::Mul */
void tflc_mul_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                 int8_t *out);

#endif /* TFLC_BINARY_S8_H */
