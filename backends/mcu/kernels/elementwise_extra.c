/* Logic, bit operations, SIGN, ATAN2, ADD_N, FAKE_QUANT and reductions over any set of axes. */
#include "elementwise_extra.h"

#include <math.h>

static int64_t bitwise(int32_t op, int32_t type, int64_t x, int64_t y) {
  const int64_t bits = type == TFLC_TYPE_S64 ? 64 : type == TFLC_TYPE_S32 ? 32 : 8;
  switch (op) {
    case TFLC_LOGICAL_AND: return x && y;
    case TFLC_LOGICAL_OR: return x || y;
    case TFLC_BITWISE_XOR: return x ^ y;
    default: /* RIGHT_SHIFT: arithmetic for signed types, as C++'s >> on gcc and clang */
      return x >> (y < 0 ? 0 : y > bits - 1 ? bits - 1 : y);
  }
}

static void store_integer(int32_t type, void *data, int32_t i, int64_t v) {
  switch (type) {
    case TFLC_TYPE_S32: ((int32_t *)data)[i] = (int32_t)v; break;
    case TFLC_TYPE_S64: ((int64_t *)data)[i] = v; break;
    case TFLC_TYPE_S8: ((int8_t *)data)[i] = (int8_t)v; break;
    default: ((uint8_t *)data)[i] = (uint8_t)v; break; /* U8, BOOL */
  }
}

void tflc_bitwise(const tflc_broadcast4 *b, int32_t op, int32_t type, const void *in1,
                  const void *in2, void *output) {
  int32_t idx[4] = {0, 0, 0, 0};
  int32_t i;
  const int32_t total = tflc_broadcast_total(b);
  for (i = 0; i < total; ++i) {
    const int64_t x = tflc_integer_at(type, in1, tflc_broadcast_offset(b, 0, idx));
    const int64_t y = tflc_integer_at(type, in2, tflc_broadcast_offset(b, 1, idx));
    store_integer(type, output, i, bitwise(op, type, x, y));
    tflc_broadcast_next(b, idx);
  }
}

void tflc_logical_not(int32_t size, const uint8_t *input, uint8_t *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    output[i] = (uint8_t)!input[i];
  }
}

void tflc_sign(int32_t size, int32_t type, const void *input, void *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    if (type == TFLC_TYPE_F32) {
      const float x = ((const float *)input)[i];
      ((float *)output)[i] = (float)((0.0f < x) - (x < 0.0f));
    } else {
      const int32_t x = ((const int32_t *)input)[i];
      ((int32_t *)output)[i] = (0 < x) - (x < 0);
    }
  }
}

void tflc_atan2_f32(const tflc_broadcast4 *b, const float *in1, const float *in2, float *output) {
  int32_t idx[4] = {0, 0, 0, 0};
  int32_t i;
  const int32_t total = tflc_broadcast_total(b);
  for (i = 0; i < total; ++i) {
    output[i] = atan2f(in1[tflc_broadcast_offset(b, 0, idx)], in2[tflc_broadcast_offset(b, 1, idx)]);
    tflc_broadcast_next(b, idx);
  }
}

void tflc_add_n(int32_t size, int32_t type, int32_t count, const void *const *inputs,
                void *output) {
  int32_t i, k;
  for (i = 0; i < size; ++i) {
    if (type == TFLC_TYPE_F32) {
      float sum = ((const float *)inputs[0])[i];
      for (k = 1; k < count; ++k) {
        sum += ((const float *)inputs[k])[i];
      }
      ((float *)output)[i] = sum;
    } else {
      uint32_t sum = (uint32_t)((const int32_t *)inputs[0])[i];
      for (k = 1; k < count; ++k) {
        sum += (uint32_t)((const int32_t *)inputs[k])[i];
      }
      ((int32_t *)output)[i] = (int32_t)sum;
    }
  }
}

void tflc_fake_quant_f32(int32_t size, float nudged_min, float nudged_max, float scale,
                         float inverse_scale, const float *input, float *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    float x = input[i];
    x = x < nudged_min ? nudged_min : x; /* a NaN stays NaN, as std::min / std::max keep it */
    x = x > nudged_max ? nudged_max : x;
    output[i] = roundf((x - nudged_min) * inverse_scale) * scale + nudged_min;
  }
}

void tflc_reduce_axes(const tflc_reduce_axes_params *p, const void *input, void *output) {
  int32_t idx[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t total = 1, i, k;
  for (i = 0; i < p->out_size; ++i) { /* the identity of each reduction */
    if (p->type == TFLC_TYPE_F32) {
      ((float *)output)[i] = 1.0f;
    } else {
      store_integer(p->type, output, i, p->op == TFLC_REDUCE_ANY ? 0 : 1);
    }
  }
  for (k = 0; k < 8; ++k) {
    total *= p->in_shape[k];
  }
  for (i = 0; i < total; ++i) {
    int32_t at = 0;
    for (k = 0; k < 8; ++k) {
      at += idx[k] * p->out_strides[k];
    }
    if (p->type == TFLC_TYPE_F32) {
      ((float *)output)[at] *= ((const float *)input)[i];
    } else if (p->op == TFLC_REDUCE_PROD) {
      const uint32_t x = (uint32_t)((const int32_t *)input)[i];
      ((int32_t *)output)[at] = (int32_t)((uint32_t)((int32_t *)output)[at] * x);
    } else {
      const uint8_t x = ((const uint8_t *)input)[i];
      uint8_t *y = (uint8_t *)output + at;
      *y = (uint8_t)(p->op == TFLC_REDUCE_ALL ? (*y && x) : (*y || x));
    }
    for (k = 7; k >= 0; --k) { /* the next input position, row-major */
      if (++idx[k] < p->in_shape[k]) {
        break;
      }
      idx[k] = 0;
    }
  }
}
