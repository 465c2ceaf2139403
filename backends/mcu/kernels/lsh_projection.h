#ifndef TFLC_LSH_PROJECTION_H
#define TFLC_LSH_PROJECTION_H

#include <stdint.h>

/* LSH_PROJECTION: bit j of hash function i is the sign of sum_r weight[r] * (int64)
 * Fingerprint64(seed[i][j] bytes || row r bytes), summed in double (runtime/kernels/lsh.py).
 * DENSE writes every bit; SPARSE one signature per hash function plus i * 2^num_bits.
 * `key` is scratch of 4 + row_bytes bytes. */
typedef struct {
  int32_t num_hash, num_bits, rows, row_bytes, sparse;
} tflc_lsh_projection_params;
void tflc_lsh_projection(const tflc_lsh_projection_params *p, const float *seeds,
                         const void *input, const float *weights, uint8_t *key, int32_t *output);

#endif /* TFLC_LSH_PROJECTION_H */
