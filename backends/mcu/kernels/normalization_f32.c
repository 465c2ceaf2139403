/* float32 normalizations over the last axis and L2 pooling (normalization_f32.h). */
#include "normalization_f32.h"

#include <math.h>

#include "float_ops.h"

void tflc_l2_normalization_f32(int32_t rows, int32_t depth, float act_min, float act_max,
                               const float *input, float *output) {
  int32_t r, c;
  for (r = 0; r < rows; ++r) {
    const float *x = input + r * depth;
    float squares = 0.0f, norm;
    for (c = 0; c < depth; ++c) {
      squares += x[c] * x[c];
    }
    norm = sqrtf(squares);
    norm = norm > 1e-6f ? norm : 1e-6f;
    for (c = 0; c < depth; ++c) {
      output[r * depth + c] = tflc_activation_f32(x[c] / norm, act_min, act_max);
    }
  }
}

void tflc_log_softmax_f32(int32_t rows, int32_t depth, const float *input, float *output) {
  int32_t r, c;
  for (r = 0; r < rows; ++r) {
    const float *x = input + r * depth;
    float max = x[0], sum = 0.0f, log_sum;
    for (c = 1; c < depth; ++c) {
      max = x[c] > max ? x[c] : max;
    }
    for (c = 0; c < depth; ++c) {
      sum += expf(x[c] - max);
    }
    log_sum = logf(sum);
    for (c = 0; c < depth; ++c) {
      output[r * depth + c] = x[c] - max - log_sum;
    }
  }
}

void tflc_lrn_f32(const tflc_lrn_f32_params *p, const float *input, float *output) {
  int32_t r, c, k;
  for (r = 0; r < p->rows; ++r) {
    const float *x = input + r * p->depth;
    for (c = 0; c < p->depth; ++c) {
      const int32_t lo = c - p->radius > 0 ? c - p->radius : 0;
      const int32_t hi = c + p->radius < p->depth - 1 ? c + p->radius : p->depth - 1;
      float squares = 0.0f;
      for (k = lo; k <= hi; ++k) {
        squares += x[k] * x[k];
      }
      output[r * p->depth + c] = x[c] / powf(p->bias + p->alpha * squares, p->beta);
    }
  }
}

void tflc_l2_pool_f32(const tflc_l2_pool_f32_params *p, const float *input, float *output) {
  int32_t b, oy, ox, ch, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
        for (ch = 0; ch < p->channels; ++ch) {
          float squares = 0.0f;
          int32_t count = 0;
          for (ky = 0; ky < p->k_h; ++ky) {
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t y = y0 + ky, x = x0 + kx;
              if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
                const float v = input[((b * p->in_h + y) * p->in_w + x) * p->channels + ch];
                squares += v * v;
                ++count;
              }
            }
          }
          *output++ = tflc_activation_f32(sqrtf(count ? squares / (float)count : 0.0f),
                                          p->act_min, p->act_max);
        }
      }
    }
  }
}
