#ifndef TFLC_ELEMENTWISE_ANY_H
#define TFLC_ELEMENTWISE_ANY_H

#include <stdint.h>

/* Elementwise ops over any element type: comparisons, SELECT, CAST and int32 arithmetic. Bool
 * tensors hold one byte, 0 or 1. */
enum { TFLC_TYPE_F32, TFLC_TYPE_S32, TFLC_TYPE_S64, TFLC_TYPE_S8, TFLC_TYPE_U8, TFLC_TYPE_BOOL };

/* Up to 4-D broadcasting of up to three operands: strides in elements, 0 where broadcast. */
typedef struct {
  int32_t out_shape[4];
  int32_t strides[3][4];
} tflc_broadcast4;

static inline int32_t tflc_broadcast_total(const tflc_broadcast4 *b) {
  return b->out_shape[0] * b->out_shape[1] * b->out_shape[2] * b->out_shape[3];
}

/* Element offset of operand k at output position idx. */
static inline int32_t tflc_broadcast_offset(const tflc_broadcast4 *b, int32_t k,
                                            const int32_t *idx) {
  return idx[0] * b->strides[k][0] + idx[1] * b->strides[k][1] + idx[2] * b->strides[k][2] +
         idx[3] * b->strides[k][3];
}

/* Element i of an integer or bool tensor of `type`, widened. */
static inline int64_t tflc_integer_at(int32_t type, const void *data, int32_t i) {
  switch (type) {
    case TFLC_TYPE_S32: return ((const int32_t *)data)[i];
    case TFLC_TYPE_S64: return ((const int64_t *)data)[i];
    case TFLC_TYPE_S8: return ((const int8_t *)data)[i];
    default: return ((const uint8_t *)data)[i]; /* U8, BOOL */
  }
}

/* Steps idx to the next output position in row-major order. */
static inline void tflc_broadcast_next(const tflc_broadcast4 *b, int32_t *idx) {
  int32_t k;
  for (k = 3; k >= 0; --k) {
    if (++idx[k] < b->out_shape[k]) {
      return;
    }
    idx[k] = 0;
  }
}

enum {
  TFLC_CMP_EQUAL,
  TFLC_CMP_NOT_EQUAL,
  TFLC_CMP_LESS,
  TFLC_CMP_LESS_EQUAL,
  TFLC_CMP_GREATER,
  TFLC_CMP_GREATER_EQUAL
};
/* out = a <op> b, both of `type`. */
void tflc_compare(const tflc_broadcast4 *b, int32_t op, int32_t type, const void *in1,
                  const void *in2, uint8_t *output);


/* SELECT / SELECT_V2: out = cond ? x : y, elements of `elem` bytes. */
void tflc_select(const tflc_broadcast4 *b, int32_t elem, const uint8_t *cond, const void *x,
                 const void *y, void *output);

/* CAST as static_cast: float to integer truncates toward zero; to bool is != 0. */
void tflc_cast(int32_t size, int32_t from, int32_t to, const void *input, void *output);

enum {
  TFLC_S32_ADD,
  TFLC_S32_SUB,
  TFLC_S32_MUL,
  TFLC_S32_MAXIMUM,
  TFLC_S32_MINIMUM,
  TFLC_S32_SQUARED_DIFFERENCE,
  TFLC_S32_FLOOR_DIV,
  TFLC_S32_FLOOR_MOD
};
/* int32 arithmetic (wrapping as two's complement), clamped to [act_min, act_max]. */
void tflc_binary_s32(const tflc_broadcast4 *b, int32_t op, int32_t act_min, int32_t act_max,
                     const int32_t *in1, const int32_t *in2, int32_t *output);

#endif /* TFLC_ELEMENTWISE_ANY_H */
