#ifndef TFLC_BATCH_MATMUL_S8_H
#define TFLC_BATCH_MATMUL_S8_H

#include <stdint.h>

/* out[b][i][j] = requantize(sum_k (lhs[b](i, k) + lhs_offset) * (rhs[b](k, j) + rhs_offset)),
 * operand elements addressed through strides (adj_x / adj_y transpose by stride). */
typedef struct {
  int32_t batches, rows, depth, cols;
  int32_t lhs_batch_stride, lhs_row_stride, lhs_depth_stride;
  int32_t rhs_batch_stride, rhs_depth_stride, rhs_col_stride;
  int32_t lhs_offset, rhs_offset, output_offset;
  int32_t multiplier, shift, act_min, act_max;
} tflc_batch_matmul_s8_params;

/* reference_ops::BatchMatMul<int8_t, int32_t> */
void tflc_batch_matmul_s8(const tflc_batch_matmul_s8_params *p, const int8_t *lhs,
                          const int8_t *rhs, int8_t *output);

#endif /* TFLC_BATCH_MATMUL_S8_H */
