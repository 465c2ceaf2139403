/* ARM semihosting calls (bkpt 0xAB), enough to read a file, print and exit with a status. */
#ifndef TFLC_SEMIHOST_H
#define TFLC_SEMIHOST_H

#include <stdint.h>

static inline int32_t tflc_semihost_call(int32_t op, const void *arg) {
  register int32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static inline void tflc_semihost_write(const char *text) {
  tflc_semihost_call(0x04, text); /* SYS_WRITE0 */
}

static inline void tflc_semihost_exit(int code) {
  const uint32_t block[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit */
  tflc_semihost_call(0x20, block);                       /* SYS_EXIT_EXTENDED */
  for (;;) {
  }
}

/* Reads exactly `size` bytes of host file `path`; 0 on success. */
static inline int tflc_semihost_read_file(const char *path, uint32_t path_len, void *buffer,
                                          uint32_t size) {
  const uint32_t open_args[3] = {(uint32_t)(uintptr_t)path, 1u /* "rb" */, path_len};
  int32_t fd = tflc_semihost_call(0x01, open_args); /* SYS_OPEN */
  uint32_t read_args[3];
  int32_t left;
  if (fd < 0) {
    return -1;
  }
  read_args[0] = (uint32_t)fd;
  read_args[1] = (uint32_t)(uintptr_t)buffer;
  read_args[2] = size;
  left = tflc_semihost_call(0x06, read_args); /* SYS_READ: bytes not read */
  tflc_semihost_call(0x02, &read_args[0]);    /* SYS_CLOSE */
  return left == 0 ? 0 : -1;
}

#endif /* TFLC_SEMIHOST_H */
