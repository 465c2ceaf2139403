#include "random_f32.h"

#include <math.h>
#include <string.h>

static void philox(const uint32_t key[2], const uint32_t counter[4], uint32_t out[4]) {
  uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  uint32_t k0 = key[0], k1 = key[1];
  int round;
  for (round = 0; round < 10; ++round) {
    const uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* A float in [0, 1) from the low 23 bits: a mantissa under exponent 0, minus one. */
static float unit_float(uint32_t bits) {
  const uint32_t one_to_two = (bits & 0x7FFFFFu) | 0x3F800000u;
  float f;
  memcpy(&f, &one_to_two, sizeof f);
  return f - 1.0f;
}

/* TensorFlow's BoxMullerFloat: sine first; the angle 2*pi*u taken in double, stored as float. */
static void box_muller(uint32_t a, uint32_t b, float *out) {
  const float u1 = unit_float(a) < 1.0e-7f ? 1.0e-7f : unit_float(a);
  const float v1 = (float)(2.0 * 3.141592653589793 * (double)unit_float(b));
  const float radius = sqrtf(-2.0f * logf(u1));
  out[0] = sinf(v1) * radius;
  out[1] = cosf(v1) * radius;
}

void tflc_random_f32(const tflc_random_params *p, uint64_t *drawn, float *output) {
  int32_t i, k;
  for (i = 0; i < p->count; i += 4) {
    const uint64_t low = drawn[0], high = p->seed2 + drawn[1];
    const uint32_t counter[4] = {(uint32_t)low, (uint32_t)(low >> 32), (uint32_t)high,
                                 (uint32_t)(high >> 32)};
    uint32_t words[4];
    float values[4];
    philox(p->key, counter, words);
    if (p->normal) {
      box_muller(words[0], words[1], values);
      box_muller(words[2], words[3], values + 2);
    } else {
      for (k = 0; k < 4; ++k) {
        values[k] = unit_float(words[k]);
      }
    }
    for (k = 0; k < 4 && i + k < p->count; ++k) {
      output[i + k] = values[k];
    }
    drawn[0] = low + 1;
    drawn[1] += drawn[0] == 0; /* the 128-bit count's carry */
  }
}
