/* int8 MAXIMUM / MINIMUM with 4-D broadcasting, on raw values (reference maximum_minimum). */
#include "binary_s8.h"

#include "tflc_common.h"

/* Inputs and output share quantization, so the raw values compare as the real ones do. */
static int8_t max_one(const tflc_binary_s8_params *p, int8_t x, int8_t y) {
  (void)p;
  return TFLC_MAX(x, y);
}

static int8_t min_one(const tflc_binary_s8_params *p, int8_t x, int8_t y) {
  (void)p;
  return TFLC_MIN(x, y);
}

void tflc_maximum_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                     int8_t *out) {
  TFLC_BINARY_S8_LOOP(p, in1, in2, out, max_one);
}

void tflc_minimum_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                     int8_t *out) {
  TFLC_BINARY_S8_LOOP(p, in1, in2, out, min_one);
}
