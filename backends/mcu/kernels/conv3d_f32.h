#ifndef TFLC_CONV3D_F32_H
#define TFLC_CONV3D_F32_H

#include <stdint.h>

/* CONV_3D in float32: input NDHWC, filter [kd, kh, kw, in_c, out_c], optional bias. */
typedef struct {
  int32_t batches, in_shape[3], in_c, out_shape[3], out_c;
  int32_t kernel[3], stride[3], dilation[3], pad_before[3];
  float act_min, act_max;
} tflc_conv3d_f32_params;
void tflc_conv3d_f32(const tflc_conv3d_f32_params *p, const float *input, const float *filter,
                     const float *bias, float *output);

/* CONV_3D_TRANSPOSE in float32: filter [kd, kh, kw, out_c, in_c]; each input cell adds its
 * products into the output cells its window reaches (reference_ops::Conv3DTranspose), then the
 * bias and the clamp. */
void tflc_conv3d_transpose_f32(const tflc_conv3d_f32_params *p, const float *input,
                               const float *filter, const float *bias, float *output);

#endif /* TFLC_CONV3D_F32_H */
