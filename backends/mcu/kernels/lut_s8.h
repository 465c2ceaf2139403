#ifndef TFLC_LUT_S8_H
#define TFLC_LUT_S8_H

#include <stdint.h>

/* out[i] = table[in[i] + 128]: any int8 -> int8 elementwise op, its 256 results computed by the
 * compiler with the op's exact TFLite arithmetic. Safe in place. */
void tflc_lut_s8(int32_t size, const int8_t *table, const int8_t *input, int8_t *output);

#endif /* TFLC_LUT_S8_H */
