/* float CONV_2D and DEPTHWISE_CONV_2D with float16 filters kept in flash as their bits, each
 * widened exactly as it is read (the float32 kernels' loops and summation order). */
#include "float_ops.h"

#include "tflc_common.h"

#define TFLC_FILTER_T uint16_t
#define TFLC_LOAD_FILTER(v) tflc_half_to_float(v)
#define TFLC_CONV_NAME tflc_conv_f16w
#define TFLC_DEPTHWISE_NAME tflc_depthwise_conv_f16w
#include "conv_f32_template.h"
