/* Host test harness (not part of the model): model_test input.bin output.bin [runs [state.bin]].
 * A model with variables reads its state from state.bin (when it holds TFLC_STATE_SIZE bytes)
 * and writes it back after the runs, so a sequence continues across processes. Buffers are heap blocks of the exact sizes, so AddressSanitizer sees any overrun; the arena
 * starts filled with a pattern, so reading a byte before it is written changes the result. */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

/* A size the compiler does not treat as a constant (no warnings for empty arenas). */
static size_t exact_size(size_t bytes) {
  return bytes;
}

static void *exact_block(size_t bytes) {
  return malloc(bytes ? bytes : 1);
}

int main(int argc, char **argv) {
  void *input = exact_block(TFLC_INPUT_SIZE);
  void *output = exact_block(TFLC_OUTPUT_SIZE);
  void *arena = exact_block(TFLC_ARENA_SIZE);
  FILE *f;
  int status, runs = argc > 3 ? atoi(argv[3]) : 1, r;
  size_t i, arena_size = exact_size(TFLC_ARENA_SIZE);
  if (argc < 3 || !input || !output || !arena) {
    fprintf(stderr, "usage: %s input.bin output.bin [runs]\n", argv[0]);
    return 2;
  }
  for (i = 0; i < arena_size; ++i) {
    ((unsigned char *)arena)[i] = 0xa5;
  }
  f = fopen(argv[1], "rb");
  if (!f || fread(input, 1, TFLC_INPUT_SIZE, f) != TFLC_INPUT_SIZE) {
    fprintf(stderr, "error: cannot read %u bytes from %s\n", (unsigned)TFLC_INPUT_SIZE, argv[1]);
    return 2;
  }
  fclose(f);
#if TFLC_STATE_SIZE > 0
  if (argc > 4 && (f = fopen(argv[4], "rb")) != NULL) {
    size_t got = fread(TFLC_STATE(), 1, TFLC_STATE_SIZE, f);
    fclose(f);
    if (got != 0 && got != TFLC_STATE_SIZE) {
      fprintf(stderr, "error: %s holds %u state bytes, not %u\n", argv[4], (unsigned)got,
              (unsigned)TFLC_STATE_SIZE);
      return 2;
    }
  }
#endif
  status = 0;
  for (r = 0; r < runs; ++r) {
    status |= TFLC_RUN(input, output, arena);
  }
  if (status) {
    fprintf(stderr, "error: the model's run returned %d: a loop ran past its iteration limit\n",
            status);
  }
  f = fopen(argv[2], "wb");
  if (!f || fwrite(output, 1, TFLC_OUTPUT_SIZE, f) != TFLC_OUTPUT_SIZE) {
    fprintf(stderr, "error: cannot write %s\n", argv[2]);
    return 2;
  }
  fclose(f);
#if TFLC_STATE_SIZE > 0
  f = argc > 4 ? fopen(argv[4], "wb") : NULL;
  if (argc > 4 && (!f || fwrite(TFLC_STATE(), 1, TFLC_STATE_SIZE, f) != TFLC_STATE_SIZE)) {
    fprintf(stderr, "error: cannot write %s\n", argv[4]);
    return 2;
  }
  if (f) {
    fclose(f);
  }
#endif
  free(input);
  free(output);
  free(arena);
  return status;
}
