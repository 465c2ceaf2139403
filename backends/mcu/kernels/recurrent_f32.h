#ifndef TFLC_RECURRENT_F32_H
#define TFLC_RECURRENT_F32_H

#include <stdint.h>

/* float32 recurrent kernels (runtime/kernels/sequence.py's steps, TFLite's lstm_eval.cc):
 * each reads and updates its state (h, c, the SVDF memory) in place, so a state kept in a
 * static buffer continues the sequence on the next run, as LiteRT's variable tensors do. */

/* How a gate or output is activated: a clamp to [act_min, act_max], tanh, or the logistic. */
#define TFLC_ACT_CLAMP 0
#define TFLC_ACT_TANH 1
#define TFLC_ACT_LOGISTIC 2

/* Element strides: row (step t, batch b) of x starts at x + t * x_step + b * x_batch. */
typedef struct {
  int32_t batch, steps, input, cells, output;
  int32_t x_step, x_batch, y_step, y_batch;
  int32_t reverse, act; /* reverse: walk the steps last to first (a backward direction) */
  float act_min, act_max, cell_clip, proj_clip; /* a clip of 0: none */
} tflc_lstm_f32_params;

/* Gates in the order input, forget, cell, output; a null pointer is an absent tensor (the
 * input gate under CIFG, peepholes, projection, layer norm). */
typedef struct {
  const float *in_w[4], *rec_w[4], *peep[3], *bias[4], *proj_w, *proj_b, *norm[4];
} tflc_lstm_f32_weights;

/* `scratch` holds 5 * cells floats. h: [batch, output], c: [batch, cells]. */
void tflc_lstm_f32(const tflc_lstm_f32_params *p, const tflc_lstm_f32_weights *w,
                   const float *x, float *h, float *c, float *y, float *scratch);

typedef struct {
  int32_t batch, steps, input, units;
  int32_t x_step, x_batch, y_step, y_batch;
  int32_t reverse, act;
  float act_min, act_max;
} tflc_rnn_f32_params;

/* h = act(bias + W x + R h) per step; `scratch` holds `units` floats. */
void tflc_rnn_f32(const tflc_rnn_f32_params *p, const float *x, const float *w, const float *r,
                  const float *bias, float *h, float *y, float *scratch);

typedef struct {
  int32_t batch, input, filters, memory, rank, act;
  float act_min, act_max;
} tflc_svdf_f32_params;

/* The memory [batch, filters, memory] shifts one step, the new features last; each output unit
 * sums its `rank` filters over the memory, plus its bias (bias may be null). */
void tflc_svdf_f32(const tflc_svdf_f32_params *p, const float *x, const float *features,
                   const float *time, const float *bias, float *state, float *y);

#endif /* TFLC_RECURRENT_F32_H */
