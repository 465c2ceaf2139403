/* LSH_PROJECTION with FarmHash's Fingerprint64 (farmhashna::Hash64), as
 * runtime/kernels/farmhash.py writes it: 64-bit wrapping arithmetic. */
#include "lsh_projection.h"

static const uint64_t K0 = 0xC3A5C85C97CB3127ull;
static const uint64_t K1 = 0xB492B66FBE98F273ull;
static const uint64_t K2 = 0x9AE16A3B2F90404Full;

static uint64_t fetch64(const uint8_t *s) {
  uint64_t v = 0;
  int k;
  for (k = 7; k >= 0; --k) {
    v = (v << 8) | s[k];
  }
  return v;
}

static uint64_t fetch32(const uint8_t *s) {
  return (uint64_t)s[0] | (uint64_t)s[1] << 8 | (uint64_t)s[2] << 16 | (uint64_t)s[3] << 24;
}

static uint64_t rotate(uint64_t v, int shift) {
  return shift == 0 ? v : (v >> shift) | (v << (64 - shift));
}

static uint64_t shift_mix(uint64_t v) {
  return v ^ (v >> 47);
}

static uint64_t hash_len16(uint64_t u, uint64_t v, uint64_t mul) {
  uint64_t a = (u ^ v) * mul, b;
  a ^= a >> 47;
  b = (v ^ a) * mul;
  b ^= b >> 47;
  return b * mul;
}

static uint64_t hash_len_0_to_16(const uint8_t *s, uint64_t n) {
  if (n >= 8) {
    const uint64_t mul = K2 + n * 2, a = fetch64(s) + K2, b = fetch64(s + n - 8);
    const uint64_t c = rotate(b, 37) * mul + a, d = (rotate(a, 25) + b) * mul;
    return hash_len16(c, d, mul);
  }
  if (n >= 4) {
    const uint64_t mul = K2 + n * 2, a = fetch32(s);
    return hash_len16(n + (a << 3), fetch32(s + n - 4), mul);
  }
  if (n > 0) {
    const uint64_t y = (uint64_t)s[0] + ((uint64_t)s[n >> 1] << 8);
    const uint64_t z = n + ((uint64_t)s[n - 1] << 2);
    return shift_mix((y * K2) ^ (z * K0)) * K2;
  }
  return K2;
}

static uint64_t hash_len_17_to_32(const uint8_t *s, uint64_t n) {
  const uint64_t mul = K2 + n * 2, a = fetch64(s) * K1, b = fetch64(s + 8);
  const uint64_t c = fetch64(s + n - 8) * mul, d = fetch64(s + n - 16) * K2;
  return hash_len16(rotate(a + b, 43) + rotate(c, 30) + d, a + rotate(b + K2, 18) + c, mul);
}

static uint64_t hash_len_33_to_64(const uint8_t *s, uint64_t n) {
  const uint64_t mul = K2 + n * 2, a = fetch64(s) * K2, b = fetch64(s + 8);
  const uint64_t c = fetch64(s + n - 8) * mul, d = fetch64(s + n - 16) * K2;
  const uint64_t y = rotate(a + b, 43) + rotate(c, 30) + d;
  const uint64_t z = hash_len16(y, a + rotate(b + K2, 18) + c, mul);
  const uint64_t e = fetch64(s + 16) * mul, f = fetch64(s + 24);
  const uint64_t g = (y + fetch64(s + n - 32)) * mul, h = (z + fetch64(s + n - 24)) * mul;
  return hash_len16(rotate(e + f, 43) + rotate(g, 30) + h, e + rotate(f + a, 18) + g, mul);
}

/* WeakHashLen32WithSeeds: (first, second) through pointers. */
static void weak_hash_len32(const uint8_t *s, uint64_t a, uint64_t b, uint64_t out[2]) {
  const uint64_t w = fetch64(s), x = fetch64(s + 8), y = fetch64(s + 16), z = fetch64(s + 24);
  uint64_t c;
  a += w;
  b = rotate(b + a + z, 21);
  c = a;
  a += x + y;
  b += rotate(a, 44);
  out[0] = a + z;
  out[1] = b + c;
}

static uint64_t fingerprint64(const uint8_t *s, uint64_t n) {
  const uint64_t seed = 81;
  uint64_t x = seed, y = seed * K1 + 113, z, v[2] = {0, 0}, w[2] = {0, 0}, mul, t;
  uint64_t end, last64, i = 0;
  if (n <= 16) {
    return hash_len_0_to_16(s, n);
  }
  if (n <= 32) {
    return hash_len_17_to_32(s, n);
  }
  if (n <= 64) {
    return hash_len_33_to_64(s, n);
  }
  z = shift_mix(y * K2 + 113) * K2;
  x = x * K2 + fetch64(s);
  end = ((n - 1) / 64) * 64;
  last64 = end + ((n - 1) & 63) - 63;
  do {
    x = rotate(x + y + v[0] + fetch64(s + i + 8), 37) * K1;
    y = rotate(y + v[1] + fetch64(s + i + 48), 42) * K1;
    x ^= w[1];
    y += v[0] + fetch64(s + i + 40);
    z = rotate(z + w[0], 33) * K1;
    weak_hash_len32(s + i, v[1] * K1, x + w[0], v);
    weak_hash_len32(s + i + 32, z + w[1], y + fetch64(s + i + 16), w);
    t = z;
    z = x;
    x = t;
    i += 64;
  } while (i != end);
  mul = K1 + ((z & 0xFF) << 1);
  i = last64;
  w[0] += (n - 1) & 63;
  v[0] += w[0];
  w[0] += v[0];
  x = rotate(x + y + v[0] + fetch64(s + i + 8), 37) * mul;
  y = rotate(y + v[1] + fetch64(s + i + 48), 42) * mul;
  x ^= w[1] * 9;
  y += v[0] * 9 + fetch64(s + i + 40);
  z = rotate(z + w[0], 33) * mul;
  weak_hash_len32(s + i, v[1] * mul, x + w[0], v);
  weak_hash_len32(s + i + 32, z + w[1], y + fetch64(s + i + 16), w);
  t = z;
  z = x;
  x = t;
  return hash_len16(hash_len16(v[0], w[0], mul) + shift_mix(y) * K0 + z,
                    hash_len16(v[1], w[1], mul) + x, mul);
}

void tflc_lsh_projection(const tflc_lsh_projection_params *p, const float *seeds,
                         const void *input, const float *weights, uint8_t *key, int32_t *output) {
  int32_t i, j;
  for (i = 0; i < p->num_hash; ++i) {
    int32_t signature = 0;
    for (j = 0; j < p->num_bits; ++j) {
      double score = 0.0;
      int32_t r, b, bit;
      for (b = 0; b < 4; ++b) {
        key[b] = ((const uint8_t *)(seeds + i * p->num_bits + j))[b];
      }
      for (r = 0; r < p->rows; ++r) {
        uint64_t h;
        double value;
        for (b = 0; b < p->row_bytes; ++b) {
          key[4 + b] = ((const uint8_t *)input)[r * p->row_bytes + b];
        }
        h = fingerprint64(key, (uint64_t)(4 + p->row_bytes));
        value = (double)(int64_t)h; /* the hash as a signed 64-bit integer, as LiteRT reads it */
        score += weights ? (double)weights[r] * value : value;
      }
      bit = score > 0.0 ? 1 : 0;
      if (p->sparse) {
        signature = (signature << 1) | bit;
      } else {
        output[i * p->num_bits + j] = bit;
      }
    }
    if (p->sparse) {
      output[i] = signature + i * (1 << p->num_bits);
    }
  }
}
