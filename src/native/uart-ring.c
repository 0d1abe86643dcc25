/* The receive ring of src/native/uart-ring.h. */
#include "uart-ring.h"

#define LOAD_ACQUIRE(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE_RELEASE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

int uart_ring_init(uart_ring *ring, uint8_t *storage, uint32_t size)
{
	if (size < 16 || size > (1u << 30) || (size & (size - 1)) != 0 || storage == 0)
		return -1;
	ring->bytes = storage;
	ring->mask = size - 1;
	ring->head = 0;
	ring->tail = 0;
	ring->dropped = 0;
	return 0;
}

uint32_t uart_ring_size(const uart_ring *ring)
{
	return ring->mask + 1;
}

uint32_t uart_ring_count(const uart_ring *ring)
{
	return LOAD_ACQUIRE(&ring->head) - LOAD_ACQUIRE(&ring->tail);
}

uint32_t uart_ring_push(uart_ring *ring, const uint8_t *src, uint32_t n)
{
	uint32_t head = ring->head;                       /* only the producer writes it */
	uint32_t room = (ring->mask + 1) - (head - LOAD_ACQUIRE(&ring->tail));
	uint32_t k = n < room ? n : room;
	uint32_t i;
	for (i = 0; i < k; i++)
		ring->bytes[(head + i) & ring->mask] = src[i];
	STORE_RELEASE(&ring->head, head + k);           /* the bytes first, then the index that covers them */
	if (k < n)
		ring->dropped += n - k;
	return k;
}

uint32_t uart_ring_pop(uart_ring *ring, uint8_t *dst, uint32_t n)
{
	uint32_t tail = ring->tail;                       /* only the consumer writes it */
	uint32_t avail = LOAD_ACQUIRE(&ring->head) - tail;
	uint32_t k = n < avail ? n : avail;
	uint32_t i;
	for (i = 0; i < k; i++)
		dst[i] = ring->bytes[(tail + i) & ring->mask];
	STORE_RELEASE(&ring->tail, tail + k);           /* the slots are free only after they were copied */
	return k;
}

void uart_ring_clear(uart_ring *ring)
{
	STORE_RELEASE(&ring->tail, LOAD_ACQUIRE(&ring->head));
}
