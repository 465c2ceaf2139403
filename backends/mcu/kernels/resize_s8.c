/* RESIZE_BILINEAR (int8, TFLite's integer reference) and RESIZE_NEAREST_NEIGHBOR. */
#include "resize_s8.h"

#include "tflc_common.h"

static void interpolation(int32_t value, int32_t scale_10, int32_t half_pixel_centers,
                          int32_t input_size, int32_t *scaled, int32_t *lower, int32_t *upper) {
  *scaled = half_pixel_centers ? value * scale_10 + scale_10 / 2 - (1 << 9) : value * scale_10;
  *lower = TFLC_MAX(*scaled / (1 << 10), 0);
  *upper = TFLC_MIN((*scaled + (1 << 10) - 1) / (1 << 10), input_size - 1);
}

void tflc_resize_bilinear_s8(const tflc_resize_bilinear_s8_params *p, const int8_t *input,
                             int8_t *output) {
  int32_t b, y, x, c;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->channels;
    for (y = 0; y < p->out_h; ++y) {
      int32_t iy, y0, y1;
      interpolation(y, p->height_scale_10, p->half_pixel_centers, p->in_h, &iy, &y0, &y1);
      for (x = 0; x < p->out_w; ++x) {
        int32_t ix, x0, x1;
        int64_t dy, dx;
        interpolation(x, p->width_scale_10, p->half_pixel_centers, p->in_w, &ix, &x0, &x1);
        dy = iy - (1 << 10) * y0;
        dx = ix - (1 << 10) * x0;
        for (c = 0; c < p->channels; ++c) {
          const int64_t ll = in_b[(y0 * p->in_w + x0) * p->channels + c];
          const int64_t lu = in_b[(y1 * p->in_w + x0) * p->channels + c];
          const int64_t rl = in_b[(y0 * p->in_w + x1) * p->channels + c];
          const int64_t ru = in_b[(y1 * p->in_w + x1) * p->channels + c];
          const int64_t sum = ll * ((1 << 10) - dy) * ((1 << 10) - dx) +
                              lu * dy * ((1 << 10) - dx) + rl * ((1 << 10) - dy) * dx +
                              ru * dy * dx;
          const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
          *output++ = (int8_t)((sum + round) / (1 << 20));
        }
      }
    }
  }
}

void tflc_resize_nearest(int32_t batches, int32_t in_h, int32_t in_w, int32_t out_h,
                         int32_t out_w, int32_t pixel_bytes, const int32_t *rows,
                         const int32_t *cols, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  int32_t b, y, x, k;
  for (b = 0; b < batches; ++b) {
    for (y = 0; y < out_h; ++y) {
      for (x = 0; x < out_w; ++x) {
        const uint8_t *src = in + ((b * in_h + rows[y]) * in_w + cols[x]) * pixel_bytes;
        for (k = 0; k < pixel_bytes; ++k) {
          *out++ = src[k];
        }
      }
    }
  }
}
