#ifndef TFLC_DATA_MOVEMENT_H
#define TFLC_DATA_MOVEMENT_H

#include <stdint.h>

/* CONCATENATION of inputs with equal quantization: outer x (inner_i bytes) blocks. */
void tflc_concat(int32_t outer, int32_t count, const void *const *inputs,
                 const int32_t *inner_bytes, void *output);

/* PAD of a 4-D tensor (bytes per element `elem`) with a constant byte pattern `value`. */
typedef struct {
  int32_t in_shape[4], out_shape[4], before[4];
  int32_t elem;
} tflc_pad_params;
void tflc_pad(const tflc_pad_params *p, const void *input, const void *value, void *output);

/* out[i0..i7] = in[offset + sum(ik * in_strides[k])], element size `elem` bytes, strides in
 * elements (negative for reversed axes, 0 for repeated ones): TRANSPOSE, SLICE,
 * STRIDED_SLICE, SPLIT, TILE (each tiled axis as two: repeat with stride 0, then the axis). */
typedef struct {
  int32_t out_shape[8];
  int32_t in_strides[8];
  int32_t offset, elem;
} tflc_strided_copy_params;
void tflc_strided_copy(const tflc_strided_copy_params *p, const void *input, void *output);

/* out[i0..i7] = in[sum(index_k[ik] * in_strides[k])]: each axis reads through its own index
 * table, the k-th run of out_shape[k] entries of `index` (MIRROR_PAD). */
typedef struct {
  int32_t out_shape[8];
  int32_t in_strides[8];
  int32_t elem;
  const int32_t *index;
} tflc_axis_gather_params;
void tflc_axis_gather(const tflc_axis_gather_params *p, const void *input, void *output);

/* GATHER along one axis: [outer, axis_size, inner] -> [outer, count, inner]; indices from the
 * compiler or computed at run time (one outside [0, axis_size) gives zeros). */
void tflc_gather(int32_t outer, int32_t axis_size, int32_t inner_bytes, int32_t count,
                 const int32_t *indices, const void *input, void *output);

/* out[offset + sum(ik * out_strides[k])] = in[i0..i7], the input read in order: the converse
 * of tflc_strided_copy (in_strides holds the output's strides): DILATE, MATRIX_DIAG,
 * MATRIX_SET_DIAG write a strided part of an output filled before. */
void tflc_strided_scatter(const tflc_strided_copy_params *p, const void *input, void *output);

/* `count` copies of one element of `elem` bytes (FILL, ZEROS_LIKE, a fill before a scatter). */
void tflc_fill(int32_t count, int32_t elem, const void *value, void *output);

/* A byte copy (RESHAPE between two caller buffers). */
void tflc_copy(int32_t bytes, const void *input, void *output);

#endif /* TFLC_DATA_MOVEMENT_H */
