/* float FULLY_CONNECTED with float16 weights kept in flash as their bits, each widened exactly
 * as it is read (the float32 kernel's loop and summation order). */
#include "float_ops.h"

#include "tflc_common.h"

#define TFLC_FILTER_T uint16_t
#define TFLC_LOAD_FILTER(v) tflc_half_to_float(v)
#define TFLC_FULLY_CONNECTED_NAME tflc_fully_connected_f16w
#include "fully_connected_f32_template.h"
