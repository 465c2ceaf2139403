/* float32 BATCH_MATMUL (reference_ops::BatchMatMul). */
#include "float_ops.h"

void tflc_batch_matmul_f32(const tflc_batch_matmul_f32_params *p, const float *lhs,
                           const float *rhs, float *output) {
  int32_t b, i, j, k;
  for (b = 0; b < p->batches; ++b) {
    const float *l = lhs + b * p->lhs_batch_stride;
    const float *r = rhs + b * p->rhs_batch_stride;
    for (i = 0; i < p->rows; ++i) {
      for (j = 0; j < p->cols; ++j) {
        float acc = 0.0f;
        for (k = 0; k < p->depth; ++k) {
          acc += l[i * p->lhs_row_stride + k * p->lhs_depth_stride] *
                 r[k * p->rhs_depth_stride + j * p->rhs_col_stride];
        }
        *output++ = acc;
      }
    }
  }
}
