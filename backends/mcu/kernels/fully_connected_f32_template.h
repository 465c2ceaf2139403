/* The float FULLY_CONNECTED loop (reference_ops::FullyConnected), written once for float32
 * weights (fully_connected_f32.c) and float16 ones read as their bits (fully_connected_f16w.c):
 * the including file defines TFLC_FILTER_T, TFLC_LOAD_FILTER(v) (-> float) and
 * TFLC_FULLY_CONNECTED_NAME. Included anywhere else, it is empty. */
#ifdef TFLC_LOAD_FILTER

void TFLC_FULLY_CONNECTED_NAME(const tflc_fully_connected_f32_params *p, const float *input,
                               const TFLC_FILTER_T *filter, const float *bias, float *output) {
  int32_t b, u, d;
  for (b = 0; b < p->batches; ++b) {
    for (u = 0; u < p->units; ++u) {
      float acc = 0.0f;
      for (d = 0; d < p->depth; ++d) {
        acc += input[b * p->depth + d] * TFLC_LOAD_FILTER(filter[u * p->depth + d]);
      }
      if (bias) {
        acc += bias[u];
      }
      output[b * p->units + u] = tflc_activation_f32(acc, p->act_min, p->act_max);
    }
  }
}

#endif /* TFLC_LOAD_FILTER */
