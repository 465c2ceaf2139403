#include "recurrent_f32.h"

#include "float_formulas.h"

static float activate(int32_t act, float lo, float hi, float v) {
  if (act == TFLC_ACT_TANH) {
    return tflc_formula_tanh(v);
  }
  if (act == TFLC_ACT_LOGISTIC) {
    return tflc_formula_logistic(v);
  }
  return v < lo ? lo : (v > hi ? hi : v);
}

static float clip(float v, float bound) {
  if (bound > 0.0f) {
    return v < -bound ? -bound : (v > bound ? bound : v);
  }
  return v;
}

static float dot(const float *a, const float *b, int32_t n) {
  float s = 0.0f;
  int32_t k;
  for (k = 0; k < n; ++k) {
    s += a[k] * b[k];
  }
  return s;
}

/* MeanStddevNormalization of one row (epsilon 1e-8), in double as the interpreter. */
static void layer_norm(float *v, int32_t n) {
  double mean = 0.0, square = 0.0, inv;
  int32_t k;
  for (k = 0; k < n; ++k) {
    mean += v[k];
    square += (double)v[k] * v[k];
  }
  mean /= n;
  inv = 1.0 / sqrt(square / n - mean * mean + 1e-8);
  for (k = 0; k < n; ++k) {
    v[k] = (float)((v[k] - mean) * inv);
  }
}

/* One gate of one batch row: act(bias + W x + R h + peephole * c), layer-normalized first when
 * the gate has norm weights. */
static void gate(const tflc_lstm_f32_params *p, const tflc_lstm_f32_weights *w, int32_t g,
                 int32_t act, const float *x, const float *h, const float *c, float *out) {
  static const int32_t peephole[4] = {0, 1, -1, 2};
  const float *peep = peephole[g] >= 0 ? w->peep[peephole[g]] : 0;
  const float *norm = w->norm[g];
  int32_t u;
  for (u = 0; u < p->cells; ++u) {
    float acc = norm ? 0.0f : w->bias[g][u];
    acc += dot(x, w->in_w[g] + u * p->input, p->input);
    acc += dot(h, w->rec_w[g] + u * p->output, p->output);
    if (peep) {
      acc += peep[u] * c[u];
    }
    out[u] = acc;
  }
  for (u = 0; norm && u < p->cells; ++u) {
    if (u == 0) {
      layer_norm(out, p->cells);
    }
    out[u] = out[u] * norm[u] + w->bias[g][u];
  }
  for (u = 0; u < p->cells; ++u) {
    out[u] = activate(act, p->act_min, p->act_max, out[u]);
  }
}

void tflc_lstm_f32(const tflc_lstm_f32_params *p, const tflc_lstm_f32_weights *w,
                   const float *x, float *h, float *c, float *y, float *scratch) {
  float *f = scratch, *g = f + p->cells, *in = g + p->cells, *o = in + p->cells;
  float *cell_out = o + p->cells;
  int32_t s, b, u, k;
  for (s = 0; s < p->steps; ++s) {
    const int32_t t = p->reverse ? p->steps - 1 - s : s;
    for (b = 0; b < p->batch; ++b) {
      const float *xr = x + t * p->x_step + b * p->x_batch;
      float *hr = h + b * p->output, *cr = c + b * p->cells;
      float *yr = y + t * p->y_step + b * p->y_batch;
      gate(p, w, 1, TFLC_ACT_LOGISTIC, xr, hr, cr, f);
      gate(p, w, 2, p->act, xr, hr, cr, g);
      if (w->in_w[0]) {
        gate(p, w, 0, TFLC_ACT_LOGISTIC, xr, hr, cr, in);
      } else { /* CIFG: the input gate is 1 - forget */
        for (u = 0; u < p->cells; ++u) {
          in[u] = 1.0f - f[u];
        }
      }
      for (u = 0; u < p->cells; ++u) {
        const float kept = f[u] * cr[u], added = g[u] * in[u];
        cr[u] = clip(kept + added, p->cell_clip);
      }
      gate(p, w, 3, TFLC_ACT_LOGISTIC, xr, hr, cr, o);
      for (u = 0; u < p->cells; ++u) {
        cell_out[u] = o[u] * activate(p->act, p->act_min, p->act_max, cr[u]);
      }
      for (k = 0; k < p->output; ++k) {
        if (w->proj_w) {
          const float v = dot(cell_out, w->proj_w + k * p->cells, p->cells);
          hr[k] = clip(w->proj_b ? v + w->proj_b[k] : v, p->proj_clip);
        } else {
          hr[k] = cell_out[k];
        }
        yr[k] = hr[k];
      }
    }
  }
}

void tflc_rnn_f32(const tflc_rnn_f32_params *p, const float *x, const float *w, const float *r,
                  const float *bias, float *h, float *y, float *scratch) {
  int32_t s, b, u;
  for (s = 0; s < p->steps; ++s) {
    const int32_t t = p->reverse ? p->steps - 1 - s : s;
    for (b = 0; b < p->batch; ++b) {
      const float *xr = x + t * p->x_step + b * p->x_batch;
      float *hr = h + b * p->units, *yr = y + t * p->y_step + b * p->y_batch;
      for (u = 0; u < p->units; ++u) {
        const float from_input = dot(xr, w + u * p->input, p->input);
        const float from_state = dot(hr, r + u * p->units, p->units);
        scratch[u] = activate(p->act, p->act_min, p->act_max, bias[u] + from_input + from_state);
      }
      for (u = 0; u < p->units; ++u) {
        hr[u] = scratch[u];
        yr[u] = scratch[u];
      }
    }
  }
}

void tflc_svdf_f32(const tflc_svdf_f32_params *p, const float *x, const float *features,
                   const float *time, const float *bias, float *state, float *y) {
  const int32_t units = p->filters / p->rank;
  int32_t b, f, m, u;
  for (b = 0; b < p->batch; ++b) {
    const float *xr = x + b * p->input;
    for (f = 0; f < p->filters; ++f) {
      float *memory = state + (b * p->filters + f) * p->memory;
      for (m = 0; m + 1 < p->memory; ++m) {
        memory[m] = memory[m + 1];
      }
      memory[p->memory - 1] = dot(xr, features + f * p->input, p->input);
    }
    for (u = 0; u < units; ++u) {
      float sum = 0.0f;
      for (f = u * p->rank; f < (u + 1) * p->rank; ++f) {
        sum += dot(state + (b * p->filters + f) * p->memory, time + f * p->memory, p->memory);
      }
      if (bias) {
        sum += bias[u];
      }
      y[b * units + u] = activate(p->act, p->act_min, p->act_max, sum);
    }
  }
}
