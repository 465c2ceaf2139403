/* Ops that move elements by indices computed at run time (indexing.h). */
#include "indexing.h"

#include "elementwise_any.h"

static void copy_bytes(uint8_t *dst, const uint8_t *src, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    dst[i] = src[i];
  }
}

static int64_t index_at(int32_t index_is_64, const void *indices, int32_t i) {
  return index_is_64 ? ((const int64_t *)indices)[i] : ((const int32_t *)indices)[i];
}

void tflc_one_hot(int32_t outer, int32_t depth, int32_t inner, int32_t elem, int32_t index_is_64,
                  const void *indices, const void *on_value, const void *off_value,
                  void *output) {
  uint8_t *out = (uint8_t *)output;
  int32_t o, d, i;
  for (o = 0; o < outer; ++o) {
    for (d = 0; d < depth; ++d) {
      for (i = 0; i < inner; ++i) {
        const int on = index_at(index_is_64, indices, o * inner + i) == d;
        copy_bytes(out, (const uint8_t *)(on ? on_value : off_value), elem);
        out += elem;
      }
    }
  }
}

/* The element offset of tuple k, or -1 when an entry is out of range. */
static int32_t tuple_offset(const tflc_index_tuples *p, const void *indices, int32_t k) {
  int32_t at = 0, j;
  for (j = 0; j < p->depth; ++j) {
    const int64_t v = index_at(p->index_is_64, indices, k * p->depth + j);
    if (v < 0 || v >= p->dims[j]) {
      return -1;
    }
    at = at * p->dims[j] + (int32_t)v;
  }
  return at;
}

void tflc_gather_nd(const tflc_index_tuples *p, const void *indices, const void *input,
                    void *output) {
  uint8_t *out = (uint8_t *)output;
  int32_t k, b;
  for (k = 0; k < p->count; ++k, out += p->slice_bytes) {
    const int32_t at = tuple_offset(p, indices, k);
    if (at < 0) {
      for (b = 0; b < p->slice_bytes; ++b) {
        out[b] = 0;
      }
    } else {
      copy_bytes(out, (const uint8_t *)input + at * p->slice_bytes, p->slice_bytes);
    }
  }
}

static int32_t element_bytes(int32_t type) {
  return type == TFLC_TYPE_S64 ? 8 : (type == TFLC_TYPE_F32 || type == TFLC_TYPE_S32) ? 4 : 1;
}

void tflc_scatter_nd(const tflc_index_tuples *p, int32_t type, int32_t out_size,
                     const void *indices, const void *updates, void *output) {
  const int32_t slice = p->slice_bytes / element_bytes(type);
  int32_t k, i;
  for (i = 0; i < out_size * element_bytes(type); ++i) {
    ((uint8_t *)output)[i] = 0;
  }
  for (k = 0; k < p->count; ++k) {
    const int32_t at = tuple_offset(p, indices, k);
    for (i = 0; at >= 0 && i < slice; ++i) {
      const int32_t o = at * slice + i, u = k * slice + i;
      switch (type) {
        case TFLC_TYPE_F32: ((float *)output)[o] += ((const float *)updates)[u]; break;
        case TFLC_TYPE_S32:
          ((int32_t *)output)[o] =
              (int32_t)((uint32_t)((int32_t *)output)[o] + (uint32_t)((const int32_t *)updates)[u]);
          break;
        case TFLC_TYPE_S64:
          ((int64_t *)output)[o] =
              (int64_t)((uint64_t)((int64_t *)output)[o] + (uint64_t)((const int64_t *)updates)[u]);
          break;
        default:
          ((int8_t *)output)[o] =
              (int8_t)(((int8_t *)output)[o] + ((const int8_t *)updates)[u]);
          break;
      }
    }
  }
}

void tflc_sparse_to_dense(const tflc_index_tuples *p, int32_t out_size, int32_t one_value,
                          const void *indices, const void *values, const void *default_value,
                          void *output) {
  int32_t i;
  for (i = 0; i < out_size; ++i) {
    copy_bytes((uint8_t *)output + i * p->slice_bytes, (const uint8_t *)default_value,
               p->slice_bytes);
  }
  for (i = 0; i < p->count; ++i) {
    const int32_t at = tuple_offset(p, indices, i);
    if (at >= 0) {
      copy_bytes((uint8_t *)output + at * p->slice_bytes,
                 (const uint8_t *)values + (one_value ? 0 : i) * p->slice_bytes, p->slice_bytes);
    }
  }
}

void tflc_hashtable_lookup(int32_t count, int32_t key_count, int32_t row_bytes,
                           const int32_t *lookups, const int32_t *keys, const void *values,
                           void *output, uint8_t *hits) {
  uint8_t *out = (uint8_t *)output;
  int32_t i, b;
  for (i = 0; i < count; ++i, out += row_bytes) {
    int32_t lo = 0, hi = key_count; /* the first key >= the lookup */
    while (lo < hi) {
      const int32_t mid = lo + (hi - lo) / 2;
      if (keys[mid] < lookups[i]) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    hits[i] = (uint8_t)(lo < key_count && keys[lo] == lookups[i]);
    if (hits[i]) {
      copy_bytes(out, (const uint8_t *)values + lo * row_bytes, row_bytes);
    } else {
      for (b = 0; b < row_bytes; ++b) {
        out[b] = 0;
      }
    }
  }
}

void tflc_cumsum(const tflc_cumsum_params *p, const void *input, void *output) {
  int32_t o, a, i;
  for (o = 0; o < p->outer; ++o) {
    for (i = 0; i < p->inner; ++i) {
      float sum_f = 0.0f; /* the running sum: float, or integer wrapping as two's complement */
      uint64_t sum_i = 0;
      for (a = 0; a < p->axis; ++a) {
        const int32_t pos = p->reverse ? p->axis - 1 - a : a;
        const int32_t at = (o * p->axis + pos) * p->inner + i;
        float x_f = 0.0f;
        uint64_t x_i = 0;
        if (p->type == TFLC_TYPE_F32) {
          x_f = ((const float *)input)[at];
        } else {
          x_i = (uint64_t)tflc_integer_at(p->type, input, at);
        }
        if (!p->exclusive) {
          sum_f += x_f;
          sum_i += x_i;
        }
        switch (p->type) {
          case TFLC_TYPE_F32: ((float *)output)[at] = sum_f; break;
          case TFLC_TYPE_S64: ((int64_t *)output)[at] = (int64_t)sum_i; break;
          default: ((int32_t *)output)[at] = (int32_t)(uint32_t)sum_i; break;
        }
        if (p->exclusive) {
          sum_f += x_f;
          sum_i += x_i;
        }
      }
    }
  }
}

static float fold_f32(int32_t op, float acc, float x) {
  switch (op) {
    case TFLC_SEGMENT_SUM: return acc + x;
    case TFLC_SEGMENT_PROD: return acc * x;
    case TFLC_SEGMENT_MAX: return x > acc ? x : acc;
    default: return x < acc ? x : acc;
  }
}

static int32_t fold_s32(int32_t op, int32_t acc, int32_t x) {
  switch (op) {
    case TFLC_SEGMENT_SUM: return (int32_t)((uint32_t)acc + (uint32_t)x);
    case TFLC_SEGMENT_PROD: return (int32_t)((uint32_t)acc * (uint32_t)x);
    case TFLC_SEGMENT_MAX: return x > acc ? x : acc;
    default: return x < acc ? x : acc;
  }
}

void tflc_segment_reduce(const tflc_segment_params *p, const void *data, const int32_t *ids,
                         void *output) {
  const int32_t size = p->segments * p->inner;
  int32_t r, i;
  for (i = 0; i < size; ++i) {
    if (p->type == TFLC_TYPE_F32) {
      const float identity[4] = {0.0f, 1.0f, -3.40282347e38f, 3.40282347e38f};
      ((float *)output)[i] = identity[p->op];
    } else {
      const int32_t identity[4] = {0, 1, INT32_MIN, INT32_MAX};
      ((int32_t *)output)[i] = identity[p->op];
    }
  }
  for (r = 0; r < p->rows; ++r) {
    if (ids[r] < 0 || ids[r] >= p->segments) {
      continue;
    }
    for (i = 0; i < p->inner; ++i) {
      const int32_t o = ids[r] * p->inner + i, x = r * p->inner + i;
      if (p->type == TFLC_TYPE_F32) {
        ((float *)output)[o] = fold_f32(p->op, ((float *)output)[o], ((const float *)data)[x]);
      } else {
        ((int32_t *)output)[o] =
            fold_s32(p->op, ((int32_t *)output)[o], ((const int32_t *)data)[x]);
      }
    }
  }
}

void tflc_bucketize(int32_t size, int32_t type, int32_t count, const float *boundaries,
                    const void *input, int32_t *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    const float x =
        type == TFLC_TYPE_F32 ? ((const float *)input)[i] : (float)((const int32_t *)input)[i];
    int32_t lo = 0, hi = count;
    while (lo < hi) { /* the first boundary greater than x */
      const int32_t mid = lo + (hi - lo) / 2;
      if (x < boundaries[mid]) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    output[i] = lo;
  }
}

static int greater_at(int32_t type, const void *data, int32_t a, int32_t b) {
  if (type == TFLC_TYPE_F32) {
    return ((const float *)data)[a] > ((const float *)data)[b];
  }
  return tflc_integer_at(type, data, a) > tflc_integer_at(type, data, b);
}

void tflc_topk(int32_t rows, int32_t row, int32_t k, int32_t type, const void *input,
               void *values, int32_t *indices) {
  const int32_t elem = element_bytes(type);
  int32_t r, j, i;
  for (r = 0; r < rows; ++r) {
    int32_t *picked = indices + r * k;
    for (j = 0; j < k; ++j) {
      /* the largest element after the j picked ones: strictly below the previous pick in
       * (value, -index) order, so ties come out by ascending index */
      int32_t best = -1;
      for (i = 0; i < row; ++i) {
        const int32_t at = r * row + i;
        if (j > 0) {
          const int32_t prev = r * row + picked[j - 1];
          if (greater_at(type, input, at, prev) || (!greater_at(type, input, prev, at) &&
                                                    i <= picked[j - 1])) {
            continue;
          }
        }
        if (best < 0 || greater_at(type, input, at, r * row + best)) {
          best = i;
        }
      }
      picked[j] = best < 0 ? 0 : best;
      copy_bytes((uint8_t *)values + (r * k + j) * elem,
                 (const uint8_t *)input + (r * row + picked[j]) * elem, elem);
    }
  }
}

void tflc_reverse_sequence(const int32_t dims[5], int32_t batch_first, int32_t elem,
                           int32_t index_is_64, const void *lengths, const void *input,
                           void *output) {
  uint8_t *out = (uint8_t *)output;
  int32_t i0, i1, i2, i3, i4;
  for (i0 = 0; i0 < dims[0]; ++i0) {
    for (i1 = 0; i1 < dims[1]; ++i1) {
      for (i2 = 0; i2 < dims[2]; ++i2) {
        for (i3 = 0; i3 < dims[3]; ++i3) {
          const int32_t batch = batch_first ? i1 : i3, seq = batch_first ? i3 : i1;
          const int32_t seq_dim = batch_first ? dims[3] : dims[1];
          int64_t length = index_at(index_is_64, lengths, batch);
          int32_t from = seq, j1, j3, at;
          length = length > seq_dim ? seq_dim : length;
          if (seq < length) {
            from = (int32_t)length - 1 - seq;
          }
          j1 = batch_first ? i1 : from;
          j3 = batch_first ? from : i3;
          for (i4 = 0; i4 < dims[4]; ++i4) {
            at = (((i0 * dims[1] + j1) * dims[2] + i2) * dims[3] + j3) * dims[4] + i4;
            copy_bytes(out, (const uint8_t *)input + at * elem, elem);
            out += elem;
          }
        }
      }
    }
  }
}

void tflc_dynamic_update_slice(const tflc_update_slice_params *p, const void *input,
                               const void *update, const void *start, void *output) {
  int32_t begin[8], idx[8], out_total = 1, total = 1, i, k;
  for (k = 0; k < 8; ++k) {
    out_total *= p->out_shape[k];
    total *= p->update_shape[k];
    idx[k] = 0;
    begin[k] = 0;
  }
  for (k = 8 - p->rank; k < 8; ++k) { /* clamped, as LiteRT clamps: the update fits */
    const int64_t s = index_at(p->index_is_64, start, k - (8 - p->rank));
    const int64_t hi = p->out_shape[k] - p->update_shape[k];
    begin[k] = (int32_t)(s < 0 ? 0 : s > hi ? hi : s);
  }
  if (input != output) {
    copy_bytes((uint8_t *)output, (const uint8_t *)input, out_total * p->elem);
  }
  for (i = 0; i < total; ++i) {
    int32_t at = 0;
    for (k = 0; k < 8; ++k) {
      at = at * p->out_shape[k] + begin[k] + idx[k];
    }
    copy_bytes((uint8_t *)output + at * p->elem, (const uint8_t *)update + i * p->elem, p->elem);
    for (k = 7; k >= 0; --k) {
      if (++idx[k] < p->update_shape[k]) {
        break;
      }
      idx[k] = 0;
    }
  }
}
