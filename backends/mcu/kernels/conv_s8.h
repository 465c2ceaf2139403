#ifndef TFLC_CONV_S8_H
#define TFLC_CONV_S8_H

#include <stdint.h>

/* Shapes and quantization of one int8 CONV_2D / DEPTHWISE_CONV_2D (NHWC, filter OHWI / 1HWO). */
typedef struct {
  int32_t batches, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w, stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
  int32_t depth_multiplier; /* depthwise only */
  int32_t input_offset, output_offset, act_min, act_max;
  const int32_t *multiplier; /* per output channel */
  const int8_t *shift;       /* per output channel */
  /* bias + input_offset * (sum of the channel's filter taps), so that
   * acc = folded_bias + sum(filter * input), padding taps reading the input zero point */
  const int32_t *folded_bias;
} tflc_conv_s8_params;

/* reference_integer_ops::ConvPerChannel (the bias lives in folded_bias) */
void tflc_conv_s8(const tflc_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                  int8_t *output);

/* reference_integer_ops::DepthwiseConvPerChannel (the bias lives in folded_bias) */
void tflc_depthwise_conv_s8(const tflc_conv_s8_params *p, const int8_t *input,
                            const int8_t *filter, int8_t *output);

#endif /* TFLC_CONV_S8_H */
