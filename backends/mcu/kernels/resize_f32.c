/* float32 RESIZE_BILINEAR (reference_ops::ResizeBilinear). Needs C99 <math.h>. */
#include <math.h>

#include "float_ops.h"

static void interpolation(float value, float scale, int32_t half_pixel_centers,
                          int32_t input_size, float *scaled, int32_t *lower, int32_t *upper) {
  const float s = half_pixel_centers ? (value + 0.5f) * scale - 0.5f : value * scale;
  const int32_t lo = (int32_t)floorf(s), hi = (int32_t)ceilf(s);
  *scaled = s;
  *lower = lo > 0 ? lo : 0;
  *upper = hi < input_size - 1 ? hi : input_size - 1;
}

void tflc_resize_bilinear_f32(const tflc_resize_bilinear_f32_params *p, const float *input,
                              float *output) {
  int32_t b, y, x, c;
  for (b = 0; b < p->batches; ++b) {
    const float *in_b = input + b * p->in_h * p->in_w * p->channels;
    for (y = 0; y < p->out_h; ++y) {
      float iy;
      int32_t y0, y1;
      interpolation((float)y, p->height_scale, p->half_pixel_centers, p->in_h, &iy, &y0, &y1);
      for (x = 0; x < p->out_w; ++x) {
        float ix;
        int32_t x0, x1;
        interpolation((float)x, p->width_scale, p->half_pixel_centers, p->in_w, &ix, &x0, &x1);
        for (c = 0; c < p->channels; ++c) {
          const float dy = iy - (float)y0, dx = ix - (float)x0;
          *output++ = in_b[(y0 * p->in_w + x0) * p->channels + c] * (1 - dy) * (1 - dx) +
                      in_b[(y1 * p->in_w + x0) * p->channels + c] * dy * (1 - dx) +
                      in_b[(y0 * p->in_w + x1) * p->channels + c] * (1 - dy) * dx +
                      in_b[(y1 * p->in_w + x1) * p->channels + c] * dy * dx;
        }
      }
    }
  }
}
