#ifndef TFLC_QUANTIZE_IO_H
#define TFLC_QUANTIZE_IO_H

#include <stdint.h>

/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 at a model's float edges. */
void tflc_quantize_f32_s8(int32_t size, float scale, int32_t zero_point, const float *input,
                          int8_t *output);
void tflc_dequantize_s8_f32(int32_t size, float scale, int32_t zero_point, const int8_t *input,
                            float *output);
/* DEQUANTIZE of float16 weights (IEEE binary16 bits) -> float32, exact for every value
   (subnormals, infinities, NaN payloads), in portable C99: no _Float16 is needed. */
void tflc_dequantize_f16_f32(int32_t size, const uint16_t *input, float *output);

#endif /* TFLC_QUANTIZE_IO_H */
