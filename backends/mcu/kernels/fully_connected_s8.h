#ifndef TFLC_FULLY_CONNECTED_S8_H
#define TFLC_FULLY_CONNECTED_S8_H

#include <stdint.h>

typedef struct {
  int32_t batches, depth, units;
  int32_t output_offset, act_min, act_max;
  const int32_t *multiplier; /* per unit, or one entry when per_channel == 0 */
  const int8_t *shift;
  int32_t per_channel;
} tflc_fully_connected_s8_params;

/* reference_integer_ops::FullyConnected(PerChannel); filter is units x depth. `bias` must hold
 * bias + input_offset * (sum of the unit's weights): the input offset is folded in. */
void tflc_fully_connected_s8(const tflc_fully_connected_s8_params *p, const int8_t *input,
                             const int8_t *filter, const int32_t *bias, int8_t *output);

#endif /* TFLC_FULLY_CONNECTED_S8_H */
