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

/* A byte copy (RESHAPE between two caller buffers). */
void tflc_copy(int32_t bytes, const void *input, void *output);

#endif /* TFLC_DATA_MOVEMENT_H */
