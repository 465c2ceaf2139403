#include "reduce_window.h"

#include "elementwise_any.h"

/* numpy's minimum / maximum: a NaN on either side wins. */
static float fold_f32(int32_t function, float a, float b) {
  switch (function) {
    case TFLC_WINDOW_ADD: return a + b;
    case TFLC_WINDOW_MUL: return a * b;
    case TFLC_WINDOW_MINIMUM: return a != a ? a : (b != b || b < a ? b : a);
    default: return a != a ? a : (b != b || b > a ? b : a);
  }
}

/* Integers wrap on overflow, as numpy's (through unsigned arithmetic: no C undefined
 * behaviour); bools fold with ALL / ANY. */
static int64_t fold_integer(int32_t function, int64_t a, int64_t b) {
  switch (function) {
    case TFLC_WINDOW_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
    case TFLC_WINDOW_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
    case TFLC_WINDOW_MINIMUM: return b < a ? b : a;
    case TFLC_WINDOW_MAXIMUM: return b > a ? b : a;
    case TFLC_WINDOW_ALL: return a && b;
    default: return a || b;
  }
}

static void store_integer(int32_t type, void *data, int32_t i, int64_t v) {
  switch (type) {
    case TFLC_TYPE_S32: ((int32_t *)data)[i] = (int32_t)v; break;
    case TFLC_TYPE_S64: ((int64_t *)data)[i] = v; break;
    case TFLC_TYPE_S8: ((int8_t *)data)[i] = (int8_t)v; break;
    case TFLC_TYPE_U8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    default: ((uint8_t *)data)[i] = v != 0; break; /* bool: ADD is ANY, MUL is ALL */
  }
}

/* Steps a 6-D index in row-major order; returns 0 after the last position. */
static int32_t next_index(const int32_t *shape, int32_t *idx) {
  int32_t k;
  for (k = 5; k >= 0; --k) {
    if (++idx[k] < shape[k]) {
      return 1;
    }
    idx[k] = 0;
  }
  return 0;
}

void tflc_reduce_window(const tflc_reduce_window_params *p, const void *input, const void *init,
                        void *output) {
  int32_t out_idx[6] = {0, 0, 0, 0, 0, 0}, o = 0, k;
  int32_t in_strides[6];
  in_strides[5] = 1;
  for (k = 4; k >= 0; --k) {
    in_strides[k] = in_strides[k + 1] * p->in_shape[k + 1];
  }
  for (k = 0; k < 6; ++k) {
    if (p->out_shape[k] == 0) {
      return;
    }
  }
  do {
    int32_t w_idx[6] = {0, 0, 0, 0, 0, 0};
    float acc_f = p->type == TFLC_TYPE_F32 ? *(const float *)init : 0.0f;
    int64_t acc_i = p->type == TFLC_TYPE_F32 ? 0 : tflc_integer_at(p->type, init, 0);
    do {
      int32_t at = 0;
      for (k = 0; k < 6; ++k) {
        at += (out_idx[k] * p->strides[k] + w_idx[k] * p->dilations[k]) * in_strides[k];
      }
      if (p->type == TFLC_TYPE_F32) {
        acc_f = fold_f32(p->function, acc_f, ((const float *)input)[at]);
      } else {
        acc_i = fold_integer(p->function, acc_i, tflc_integer_at(p->type, input, at));
      }
    } while (next_index(p->window, w_idx));
    if (p->type == TFLC_TYPE_F32) {
      ((float *)output)[o] = acc_f;
    } else {
      store_integer(p->type, output, o, acc_i);
    }
    ++o;
  } while (next_index(p->out_shape, out_idx));
}
