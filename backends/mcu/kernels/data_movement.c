/* Type-agnostic data movement: concatenation, padding, copies, index-table gathers. */
#include "data_movement.h"

static void copy_bytes(uint8_t *dst, const uint8_t *src, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    dst[i] = src[i];
  }
}

void tflc_concat(int32_t outer, int32_t count, const void *const *inputs,
                 const int32_t *inner_bytes, void *output) {
  uint8_t *out = (uint8_t *)output;
  int32_t o, k;
  for (o = 0; o < outer; ++o) {
    for (k = 0; k < count; ++k) {
      copy_bytes(out, (const uint8_t *)inputs[k] + o * inner_bytes[k], inner_bytes[k]);
      out += inner_bytes[k];
    }
  }
}

void tflc_pad(const tflc_pad_params *p, const void *input, const void *value, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->out_shape[0]; ++i0) {
    for (i1 = 0; i1 < p->out_shape[1]; ++i1) {
      for (i2 = 0; i2 < p->out_shape[2]; ++i2) {
        for (i3 = 0; i3 < p->out_shape[3]; ++i3) {
          const int32_t j0 = i0 - p->before[0], j1 = i1 - p->before[1];
          const int32_t j2 = i2 - p->before[2], j3 = i3 - p->before[3];
          const int inside = j0 >= 0 && j0 < p->in_shape[0] && j1 >= 0 && j1 < p->in_shape[1] &&
                             j2 >= 0 && j2 < p->in_shape[2] && j3 >= 0 && j3 < p->in_shape[3];
          const uint8_t *src =
              inside ? in + (((j0 * p->in_shape[1] + j1) * p->in_shape[2] + j2) * p->in_shape[3] +
                             j3) * p->elem
                     : (const uint8_t *)value;
          copy_bytes(out, src, p->elem);
          out += p->elem;
        }
      }
    }
  }
}

/* Steps an 8-D index to the next element of `shape` in row-major order. */
static void next_index(int32_t idx[8], const int32_t shape[8]) {
  int32_t k;
  for (k = 7; k >= 0; --k) {
    if (++idx[k] < shape[k]) {
      return;
    }
    idx[k] = 0;
  }
}

/* Walks the strided side of a copy: `gather` reads the input at the strides and writes the
   output densely, otherwise (a scatter) reads densely and writes at the strides. */
static void strided_walk(const tflc_strided_copy_params *p, const uint8_t *in, uint8_t *out,
                         int gather) {
  int32_t idx[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t total = 1, i, k;
  for (k = 0; k < 8; ++k) {
    total *= p->out_shape[k];
  }
  for (i = 0; i < total; ++i) {
    int32_t at = p->offset;
    for (k = 0; k < 8; ++k) {
      at += idx[k] * p->in_strides[k];
    }
    if (gather) {
      copy_bytes(out + i * p->elem, in + at * p->elem, p->elem);
    } else {
      copy_bytes(out + at * p->elem, in + i * p->elem, p->elem);
    }
    next_index(idx, p->out_shape);
  }
}

void tflc_strided_copy(const tflc_strided_copy_params *p, const void *input, void *output) {
  strided_walk(p, (const uint8_t *)input, (uint8_t *)output, 1);
}

void tflc_strided_scatter(const tflc_strided_copy_params *p, const void *input, void *output) {
  strided_walk(p, (const uint8_t *)input, (uint8_t *)output, 0);
}

void tflc_fill(int32_t count, int32_t elem, const void *value, void *output) {
  uint8_t *out = (uint8_t *)output;
  int32_t i;
  for (i = 0; i < count; ++i) {
    copy_bytes(out + i * elem, (const uint8_t *)value, elem);
  }
}

void tflc_axis_gather(const tflc_axis_gather_params *p, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  const int32_t *table[8];
  int32_t idx[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t total = 1, start = 0, i, k;
  for (k = 0; k < 8; ++k) {
    table[k] = p->index + start;
    start += p->out_shape[k];
    total *= p->out_shape[k];
  }
  for (i = 0; i < total; ++i) {
    int32_t at = 0;
    for (k = 0; k < 8; ++k) {
      at += table[k][idx[k]] * p->in_strides[k];
    }
    copy_bytes(out, in + at * p->elem, p->elem);
    out += p->elem;
    next_index(idx, p->out_shape);
  }
}

void tflc_gather(int32_t outer, int32_t axis_size, int32_t inner_bytes, int32_t count,
                 const int32_t *indices, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  int32_t o, k;
  for (o = 0; o < outer; ++o) {
    for (k = 0; k < count; ++k) {
      if (indices[k] >= 0 && indices[k] < axis_size) {
        copy_bytes(out, in + (o * axis_size + indices[k]) * inner_bytes, inner_bytes);
      } else { /* LiteRT refuses the index; zeros here, never a read out of bounds */
        int32_t b;
        for (b = 0; b < inner_bytes; ++b) {
          out[b] = 0;
        }
      }
      out += inner_bytes;
    }
  }
}

void tflc_copy(int32_t bytes, const void *input, void *output) {
  copy_bytes((uint8_t *)output, (const uint8_t *)input, bytes);
}
