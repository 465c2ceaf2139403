/* Elementwise ops over any element type: comparisons, SELECT, CAST, int32 arithmetic. */
#include "elementwise_any.h"

#include "tflc_common.h"

static int compare(int32_t op, int less, int equal) {
  switch (op) {
    case TFLC_CMP_EQUAL: return equal;
    case TFLC_CMP_NOT_EQUAL: return !equal;
    case TFLC_CMP_LESS: return less;
    case TFLC_CMP_LESS_EQUAL: return less || equal;
    case TFLC_CMP_GREATER: return !less && !equal;
    default: return !less; /* GREATER_EQUAL */
  }
}

void tflc_compare(const tflc_broadcast4 *b, int32_t op, int32_t type, const void *in1,
                  const void *in2, uint8_t *output) {
  int32_t idx[4] = {0, 0, 0, 0};
  int32_t i;
  const int32_t total = tflc_broadcast_total(b);
  for (i = 0; i < total; ++i) {
    const int32_t ia = tflc_broadcast_offset(b, 0, idx), ib = tflc_broadcast_offset(b, 1, idx);
    if (type == TFLC_TYPE_F32) {
      const float x = ((const float *)in1)[ia], y = ((const float *)in2)[ib];
      /* NaN: only NOT_EQUAL holds, as in C++ */
      output[i] = (uint8_t)(x != x || y != y ? op == TFLC_CMP_NOT_EQUAL
                                             : compare(op, x < y, x == y));
    } else {
      const int64_t x = tflc_integer_at(type, in1, ia), y = tflc_integer_at(type, in2, ib);
      output[i] = (uint8_t)compare(op, x < y, x == y);
    }
    tflc_broadcast_next(b, idx);
  }
}

void tflc_select(const tflc_broadcast4 *b, int32_t elem, const uint8_t *cond, const void *x,
                 const void *y, void *output) {
  int32_t idx[4] = {0, 0, 0, 0};
  int32_t i, k;
  const int32_t total = tflc_broadcast_total(b);
  uint8_t *out = (uint8_t *)output;
  for (i = 0; i < total; ++i) {
    const uint8_t *src = cond[tflc_broadcast_offset(b, 0, idx)]
                             ? (const uint8_t *)x + tflc_broadcast_offset(b, 1, idx) * elem
                             : (const uint8_t *)y + tflc_broadcast_offset(b, 2, idx) * elem;
    for (k = 0; k < elem; ++k) {
      *out++ = src[k];
    }
    tflc_broadcast_next(b, idx);
  }
}

void tflc_cast(int32_t size, int32_t from, int32_t to, const void *input, void *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    const int is_float = from == TFLC_TYPE_F32;
    const float f = is_float ? ((const float *)input)[i] : 0.0f;
    const int64_t v = is_float ? 0 : tflc_integer_at(from, input, i);
    switch (to) {
      case TFLC_TYPE_F32: ((float *)output)[i] = is_float ? f : (float)v; break;
      case TFLC_TYPE_S32: ((int32_t *)output)[i] = is_float ? (int32_t)f : (int32_t)v; break;
      case TFLC_TYPE_S64: ((int64_t *)output)[i] = is_float ? (int64_t)f : v; break;
      case TFLC_TYPE_S8: ((int8_t *)output)[i] = is_float ? (int8_t)f : (int8_t)v; break;
      case TFLC_TYPE_U8: ((uint8_t *)output)[i] = is_float ? (uint8_t)f : (uint8_t)v; break;
      default: ((uint8_t *)output)[i] = (uint8_t)(is_float ? f != 0.0f : v != 0); break;
    }
  }
}

static int32_t binary_s32(int32_t op, int32_t x, int32_t y) {
  /* unsigned arithmetic wraps as the reference's int32 does, without C's overflow UB */
  const uint32_t ux = (uint32_t)x, uy = (uint32_t)y;
  if ((op == TFLC_S32_FLOOR_DIV || op == TFLC_S32_FLOOR_MOD) &&
      (y == 0 || (y == -1 && x == INT32_MIN))) {
    /* LiteRT refuses a zero divisor at run time; C would trap here */
    return (y == 0 || op == TFLC_S32_FLOOR_MOD) ? 0 : (int32_t)(0u - ux);
  }
  switch (op) {
    case TFLC_S32_ADD: return (int32_t)(ux + uy);
    case TFLC_S32_SUB: return (int32_t)(ux - uy);
    case TFLC_S32_MUL: return (int32_t)(ux * uy);
    case TFLC_S32_MAXIMUM: return x > y ? x : y;
    case TFLC_S32_MINIMUM: return x < y ? x : y;
    case TFLC_S32_SQUARED_DIFFERENCE: return (int32_t)((ux - uy) * (ux - uy));
    case TFLC_S32_FLOOR_DIV: {
      const int32_t q = x / y;
      return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
    }
    default: { /* FLOOR_MOD: the sign of the divisor */
      const int32_t r = x % y;
      return (r != 0 && (r < 0) != (y < 0)) ? r + y : r;
    }
  }
}

void tflc_binary_s32(const tflc_broadcast4 *b, int32_t op, int32_t act_min, int32_t act_max,
                     const int32_t *in1, const int32_t *in2, int32_t *output) {
  int32_t idx[4] = {0, 0, 0, 0};
  int32_t i;
  const int32_t total = tflc_broadcast_total(b);
  for (i = 0; i < total; ++i) {
    const int32_t v = binary_s32(op, in1[tflc_broadcast_offset(b, 0, idx)], in2[tflc_broadcast_offset(b, 1, idx)]);
    output[i] = TFLC_CLAMP(v, act_min, act_max);
    tflc_broadcast_next(b, idx);
  }
}
