/* Minimal Cortex-M startup for qemu-system-arm -M mps2-an386 (and other MPS2 boards):
 * a vector table, .data/.bss initialisation, then main(); faults end qemu with status 3. */
#include <stdint.h>

#include "semihost.h"

extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__;
extern uint32_t __stack_top__;
int main(void);

void Reset_Handler(void);
void Fault_Handler(void);

void Reset_Handler(void) {
  const uint32_t *src = &__data_load__;
  uint32_t *dst;
  for (dst = &__data_start__; dst < &__data_end__;) {
    *dst++ = *src++;
  }
  for (dst = &__bss_start__; dst < &__bss_end__;) {
    *dst++ = 0;
  }
  tflc_semihost_exit(main());
}

void Fault_Handler(void) {
  tflc_semihost_write("error: CPU fault\n");
  tflc_semihost_exit(3);
}

typedef union {
  void (*handler)(void);
  const uint32_t *stack;
} vector_entry;

__attribute__((section(".vectors"), used)) static const vector_entry vectors[16] = {
    {.stack = &__stack_top__}, {Reset_Handler},  {Fault_Handler}, {Fault_Handler},
    {Fault_Handler},           {Fault_Handler},  {Fault_Handler}, {0},
    {0},                       {0},              {0},             {Fault_Handler},
    {Fault_Handler},           {0},              {Fault_Handler}, {Fault_Handler},
};
