/*
 * A single-producer, single-consumer byte ring for a UART receive path: the UART interrupt pushes the bytes
 * it takes out of the hardware FIFO, the JavaScript side (XS task) pops them in read(). No locks: the
 * producer only writes `head`, the consumer only writes `tail`, both are free-running 32-bit counters
 * (count = head - tail, correct across wrap-around), published with release stores and read with acquire
 * loads so the bytes are visible before the index that covers them (the ESP32 has two cores).
 * Portable C99 + GCC/Clang __atomic builtins: compiled for the PC by test/native-uart-ring.test.ts.
 */
#ifndef TINYPROP_UART_RING_H
#define TINYPROP_UART_RING_H

#include <stdint.h>

typedef struct {
	uint8_t *bytes;
	uint32_t mask;      /* size - 1; size is a power of two */
	uint32_t head;      /* bytes ever pushed (producer) */
	uint32_t tail;      /* bytes ever popped (consumer) */
	uint32_t dropped;   /* bytes the producer found no room for (producer) */
} uart_ring;

/* size: a power of two, 16..2^30. Returns 0, or -1 for a bad size. */
int uart_ring_init(uart_ring *ring, uint8_t *storage, uint32_t size);
uint32_t uart_ring_size(const uart_ring *ring);
/* Bytes waiting (consumer side: exact; producer side: at least this much room was taken). */
uint32_t uart_ring_count(const uart_ring *ring);
/* Producer: stores up to n bytes, drops (and counts) what does not fit, returns how many it stored. */
uint32_t uart_ring_push(uart_ring *ring, const uint8_t *src, uint32_t n);
/* Consumer: moves up to n bytes into dst, returns how many. */
uint32_t uart_ring_pop(uart_ring *ring, uint8_t *dst, uint32_t n);
/* Consumer: forgets everything waiting (e.g. on close). */
void uart_ring_clear(uart_ring *ring);

#endif
