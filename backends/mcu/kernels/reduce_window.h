#ifndef TFLC_REDUCE_WINDOW_H
#define TFLC_REDUCE_WINDOW_H

#include <stdint.h>

/* REDUCE_WINDOW (runtime/kernels/stablehlo_reduce.py): each output element folds its dilated
 * window of the input with `function`, starting from the scalar `init`, in row-major window
 * order. Shapes padded to 6 dims with leading 1s; `type` is a TFLC_TYPE_* of elementwise_any.h. */
enum {
  TFLC_WINDOW_ADD,
  TFLC_WINDOW_MUL,
  TFLC_WINDOW_MINIMUM,
  TFLC_WINDOW_MAXIMUM,
  TFLC_WINDOW_ALL,
  TFLC_WINDOW_ANY
};

typedef struct {
  int32_t in_shape[6], out_shape[6], window[6], strides[6], dilations[6];
  int32_t type, function;
} tflc_reduce_window_params;

void tflc_reduce_window(const tflc_reduce_window_params *p, const void *input, const void *init,
                        void *output);

#endif /* TFLC_REDUCE_WINDOW_H */
