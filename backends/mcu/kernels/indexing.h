#ifndef TFLC_INDEXING_H
#define TFLC_INDEXING_H

#include <stdint.h>

/* Ops that move elements by indices computed at run time: ONE_HOT, GATHER_ND, SCATTER_ND,
 * SPARSE_TO_DENSE, HASHTABLE_LOOKUP, CUMSUM, the segment reductions, BUCKETIZE, TOPK_V2, REVERSE_SEQUENCE,
 * DYNAMIC_UPDATE_SLICE. An index LiteRT refuses at run time (out of range) is skipped or gives
 * zeros here, never an access out of bounds. Index tensors are int32 or int64
 * (`index_is_64`). Element types are the TFLC_TYPE_* codes of elementwise_any.h. */

/* ONE_HOT: indices [outer, inner] -> out [outer, depth, inner] of `elem`-byte values. */
void tflc_one_hot(int32_t outer, int32_t depth, int32_t inner, int32_t elem, int32_t index_is_64,
                  const void *indices, const void *on_value, const void *off_value,
                  void *output);

/* `count` index tuples of `depth` entries addressing the leading dims of a tensor of
 * `dims`, each tuple a slice of `slice_bytes` bytes. */
typedef struct {
  int32_t count, depth, index_is_64;
  int32_t dims[8];
  int32_t slice_bytes;
} tflc_index_tuples;
/* GATHER_ND: out[k] = in[tuple k] (zeros for a tuple out of range). */
void tflc_gather_nd(const tflc_index_tuples *p, const void *indices, const void *input,
                    void *output);
/* SCATTER_ND: out (out_size elements) = 0, then out[tuple k] += updates[k] (float32, int32, int64, int8). */
void tflc_scatter_nd(const tflc_index_tuples *p, int32_t type, int32_t out_size,
                     const void *indices, const void *updates, void *output);
/* SPARSE_TO_DENSE: out = default, then out[tuple k] = values[k] (values[0] if one value). */
void tflc_sparse_to_dense(const tflc_index_tuples *p, int32_t out_size, int32_t one_value,
                          const void *indices, const void *values, const void *default_value,
                          void *output);

/* HASHTABLE_LOOKUP: out[i] = values[k] where keys[k] == lookups[i] (keys sorted), hits[i] = 1;
 * a zero row and hits[i] = 0 where no key matches. */
void tflc_hashtable_lookup(int32_t count, int32_t key_count, int32_t row_bytes,
                           const int32_t *lookups, const int32_t *keys, const void *values,
                           void *output, uint8_t *hits);

/* CUMSUM over the middle axis of [outer, axis, inner] (float32, int32 wrapping, int64). */
typedef struct {
  int32_t outer, axis, inner, type, exclusive, reverse;
} tflc_cumsum_params;
void tflc_cumsum(const tflc_cumsum_params *p, const void *input, void *output);

enum { TFLC_SEGMENT_SUM, TFLC_SEGMENT_PROD, TFLC_SEGMENT_MAX, TFLC_SEGMENT_MIN };
/* SEGMENT_SUM, UNSORTED_SEGMENT_*: rows of `inner` elements folded into out[ids[row]];
 * a segment no row reaches keeps the identity (0, 1, the type's lowest or highest). */
typedef struct {
  int32_t rows, inner, segments, type, op;
} tflc_segment_params;
void tflc_segment_reduce(const tflc_segment_params *p, const void *data, const int32_t *ids,
                         void *output);

/* BUCKETIZE: the number of boundaries <= x (std::upper_bound), x float32 or int32. */
void tflc_bucketize(int32_t size, int32_t type, int32_t count, const float *boundaries,
                    const void *input, int32_t *output);

/* TOPK_V2 over rows of `row` elements: the k largest, ties by the lower index first. */
void tflc_topk(int32_t rows, int32_t row, int32_t k, int32_t type, const void *input,
               void *values, int32_t *indices);

/* REVERSE_SEQUENCE of a tensor viewed as [d0, d1, d2, d3, d4] whose batch and sequence axes
 * are 1 and 3 (`batch_first`) or 3 and 1: the first lengths[b] entries reversed. */
void tflc_reverse_sequence(const int32_t dims[5], int32_t batch_first, int32_t elem,
                           int32_t index_is_64, const void *lengths, const void *input,
                           void *output);

/* DYNAMIC_UPDATE_SLICE: out = in with `update` written at `start` (clamped so it fits). */
typedef struct {
  int32_t out_shape[8], update_shape[8];
  int32_t elem, index_is_64, rank;
} tflc_update_slice_params;
void tflc_dynamic_update_slice(const tflc_update_slice_params *p, const void *input,
                               const void *update, const void *start, void *output);

#endif /* TFLC_INDEXING_H */
