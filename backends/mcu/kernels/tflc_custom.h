#ifndef TFLC_CUSTOM_H
#define TFLC_CUSTOM_H

#include <stdint.h>

/* The call a user C kernel for a custom op receives: the model calls
 *     void tflc_custom_<CODE>(const tflc_custom_args *args);
 * (CODE: the op's custom code, any character outside [A-Za-z0-9_] as '_') once per run of
 * the op, with every input and output, and the op's raw custom_options bytes (flexbuffers
 * for most converters: the kernel parses what it needs). Outputs live in the arena: the kernel
 * writes every element and keeps no pointer after it returns. Inputs may be weights (flash). */

enum tflc_custom_dtype {
  TFLC_CUSTOM_FLOAT32 = 0,
  TFLC_CUSTOM_INT32 = 1,
  TFLC_CUSTOM_INT8 = 2,
  TFLC_CUSTOM_INT64 = 3,
  TFLC_CUSTOM_UINT8 = 4,
  TFLC_CUSTOM_BOOL = 5 /* one byte, 0 or 1 */
};

typedef struct {
  const void *data; /* NULL for an absent optional input */
  int32_t dtype;    /* enum tflc_custom_dtype */
  int32_t rank;
  const int32_t *shape;
  float scale;        /* int8 per-tensor quantization; 0 when not quantized */
  int32_t zero_point;
} tflc_custom_input;

typedef struct {
  void *data;
  int32_t dtype;
  int32_t rank;
  const int32_t *shape;
  float scale;
  int32_t zero_point;
} tflc_custom_output;

typedef struct {
  int32_t input_count;
  const tflc_custom_input *inputs;
  int32_t output_count;
  const tflc_custom_output *outputs;
  const uint8_t *options; /* the op's custom_options bytes */
  int32_t options_size;
} tflc_custom_args;

#endif /* TFLC_CUSTOM_H */
