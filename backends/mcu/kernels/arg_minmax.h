#ifndef TFLC_ARG_MINMAX_H
#define TFLC_ARG_MINMAX_H

#include <stdint.h>

#include "elementwise_any.h"

/* ARG_MAX / ARG_MIN of float32, int8 (raw values) or int32 inputs; int32 or int64 outputs. */
typedef struct {
  int32_t outer, reduced, inner;
  int32_t type, is_min, out_type; /* TFLC_TYPE_* */
} tflc_arg_minmax_params;
void tflc_arg_minmax(const tflc_arg_minmax_params *p, const void *input, void *output);

#endif /* TFLC_ARG_MINMAX_H */
