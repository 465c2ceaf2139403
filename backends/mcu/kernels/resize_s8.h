#ifndef TFLC_RESIZE_S8_H
#define TFLC_RESIZE_S8_H

#include <stdint.h>

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t height_scale_10, width_scale_10, half_pixel_centers;
} tflc_resize_bilinear_s8_params;

/* reference_ops::ResizeBilinearInteger (10-bit fixed-point positions). */
void tflc_resize_bilinear_s8(const tflc_resize_bilinear_s8_params *p, const int8_t *input,
                             int8_t *output);

/* RESIZE_NEAREST_NEIGHBOR with the source row/column of every output row/column computed by the
 * compiler (reference_ops::GetNearestNeighbor); any element type (`elem` bytes). */
void tflc_resize_nearest(int32_t batches, int32_t in_h, int32_t in_w, int32_t out_h,
                         int32_t out_w, int32_t pixel_bytes, const int32_t *rows,
                         const int32_t *cols, const void *input, void *output);

#endif /* TFLC_RESIZE_S8_H */
