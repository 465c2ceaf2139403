#ifndef TFLC_POOL_S8_H
#define TFLC_POOL_S8_H

#include <stdint.h>

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t k_h, k_w, stride_h, stride_w, pad_h, pad_w;
  int32_t act_min, act_max;
} tflc_pool_s8_params;

/* reference_integer_ops::AveragePool */
void tflc_average_pool_s8(const tflc_pool_s8_params *p, const int8_t *input, int8_t *output);
/* reference_integer_ops::MaxPool */
void tflc_max_pool_s8(const tflc_pool_s8_params *p, const int8_t *input, int8_t *output);

#endif /* TFLC_POOL_S8_H */
