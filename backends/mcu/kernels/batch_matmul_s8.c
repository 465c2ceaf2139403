/* int8 BATCH_MATMUL, TFLite's reference_ops::BatchMatMul arithmetic. */
#include "batch_matmul_s8.h"

#include "tflc_common.h"

void tflc_batch_matmul_s8(const tflc_batch_matmul_s8_params *p, const int8_t *lhs,
                          const int8_t *rhs, int8_t *output) {
  int32_t b, i, j, k;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *l = lhs + b * p->lhs_batch_stride;
    const int8_t *r = rhs + b * p->rhs_batch_stride;
    for (i = 0; i < p->rows; ++i) {
      for (j = 0; j < p->cols; ++j) {
        int32_t acc = 0;
        for (k = 0; k < p->depth; ++k) {
          acc += ((int32_t)l[i * p->lhs_row_stride + k * p->lhs_depth_stride] + p->lhs_offset) *
                 ((int32_t)r[k * p->rhs_depth_stride + j * p->rhs_col_stride] + p->rhs_offset);
        }
        acc = tflc_mul_by_quantized_multiplier(acc, p->multiplier, p->shift) + p->output_offset;
        *output++ = (int8_t)TFLC_CLAMP(acc, p->act_min, p->act_max);
      }
    }
  }
}
