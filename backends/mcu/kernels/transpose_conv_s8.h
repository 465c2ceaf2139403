#ifndef TFLC_TRANSPOSE_CONV_S8_H
#define TFLC_TRANSPOSE_CONV_S8_H

#include <stdint.h>

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t k_h, k_w, stride_h, stride_w, pad_h, pad_w;
  int32_t input_offset, output_offset, act_min, act_max;
  const int32_t *multiplier; /* per output channel */
  const int8_t *shift;
} tflc_transpose_conv_s8_params;

/* reference_integer_ops::TransposeConv arithmetic; filter is OHWI. */
void tflc_transpose_conv_s8(const tflc_transpose_conv_s8_params *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output);

#endif /* TFLC_TRANSPOSE_CONV_S8_H */
