/* float32 FULLY_CONNECTED (reference_ops::FullyConnected). */
#include "float_ops.h"

#include "tflc_common.h"

#define TFLC_FILTER_T float
#define TFLC_LOAD_FILTER(v) (v)
#define TFLC_FULLY_CONNECTED_NAME tflc_fully_connected_f32
#include "fully_connected_f32_template.h"
