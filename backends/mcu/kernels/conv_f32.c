/* float32 CONV_2D and DEPTHWISE_CONV_2D (reference_ops::Conv / DepthwiseConv). */
#include "float_ops.h"

#include "tflc_common.h"

#define TFLC_FILTER_T float
#define TFLC_LOAD_FILTER(v) (v)
#define TFLC_CONV_NAME tflc_conv_f32
#define TFLC_DEPTHWISE_NAME tflc_depthwise_conv_f32
#include "conv_f32_template.h"
