/* Firmware test harness: reads input.bin from the host over semihosting, runs the model once,
 * prints the output buffer as hex and exits with the run's status. */
#include <stdint.h>

#include "model.h"
#include "semihost.h"

#define WORDS(bytes) (((bytes) + 3u) / 4u + 1u)

static int32_t arena[WORDS(TFLC_ARENA_SIZE)];
static int32_t input[WORDS(TFLC_INPUT_SIZE)];
static int32_t output[WORDS(TFLC_OUTPUT_SIZE)];

int main(void) {
  static const char hex[] = "0123456789abcdef";
  static char line[2 * 32 + 2];
  const uint8_t *bytes = (const uint8_t *)output;
  uint32_t i;
  int status;
  if (tflc_semihost_read_file("input.bin", 9u, input, TFLC_INPUT_SIZE) != 0) {
    tflc_semihost_write("error: cannot read input.bin\n");
    return 2;
  }
  status = TFLC_RUN(input, output, arena);
  tflc_semihost_write("output:\n");
  for (i = 0; i < TFLC_OUTPUT_SIZE; i += 32u) {
    uint32_t j, n = TFLC_OUTPUT_SIZE - i < 32u ? TFLC_OUTPUT_SIZE - i : 32u;
    for (j = 0; j < n; ++j) {
      line[2 * j] = hex[bytes[i + j] >> 4];
      line[2 * j + 1] = hex[bytes[i + j] & 15u];
    }
    line[2 * n] = '\n';
    line[2 * n + 1] = '\0';
    tflc_semihost_write(line);
  }
  tflc_semihost_write("end\n");
  return status;
}
