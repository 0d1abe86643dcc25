/*
 * Checks src/native/uart-ring.c on the PC (built and run by test/native-uart-ring.test.ts):
 *  1. bad sizes are refused; 2. a seeded random sequence of pushes and pops against a plain reference
 *  queue (content, counts, drops, wrap-around of the 32-bit counters); 3. a producer thread and a consumer
 *  thread moving 5 million bytes of a known sequence: nothing lost, duplicated or reordered. Prints "ok <check>" lines and exits 0, or prints the failure and exits 1.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/native/uart-ring.h"

#define FAIL(...) do { printf("FAIL: " __VA_ARGS__); printf("\n"); exit(1); } while (0)

static uint32_t rng = 12345;
static uint32_t next_random(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

static void sizes(void)
{
	static uint8_t store[64];
	uart_ring r;
	if (uart_ring_init(&r, store, 0) == 0 || uart_ring_init(&r, store, 48) == 0 || uart_ring_init(&r, store, 8) == 0)
		FAIL("accepted a bad size");
	if (uart_ring_init(&r, store, 64) != 0 || uart_ring_size(&r) != 64)
		FAIL("refused size 64");
	printf("ok sizes\n");
}

static void against_reference(uint32_t start)
{
	enum { SIZE = 256, REF = 1 << 20 };
	static uint8_t store[SIZE], ref[REF], in[600], out[600];
	uint32_t ref_head = 0, ref_tail = 0, dropped = 0, value = 0, step;
	uart_ring r;
	uart_ring_init(&r, store, SIZE);
	r.head = r.tail = start; /* counters near 2^32 cross the wrap-around */
	for (step = 0; step < 200000; step++) {
		uint32_t n = next_random() % 300, got, i;
		if (next_random() & 1) {
			for (i = 0; i < n; i++) in[i] = (uint8_t)(value++ * 7 + 3);
			got = uart_ring_push(&r, in, n);
			for (i = 0; i < got; i++) ref[(ref_head++) % REF] = in[i];
			if (got != (n < SIZE - (ref_head - got - ref_tail) ? n : SIZE - (ref_head - got - ref_tail)))
				FAIL("push took %u of %u", got, n);
			dropped += n - got;
		} else {
			got = uart_ring_pop(&r, out, n);
			if (got != (n < ref_head - ref_tail ? n : ref_head - ref_tail))
				FAIL("pop gave %u of %u", got, n);
			for (i = 0; i < got; i++)
				if (out[i] != ref[(ref_tail++) % REF]) FAIL("wrong byte at step %u", step);
		}
		if (uart_ring_count(&r) != ref_head - ref_tail) FAIL("count %u, expected %u", uart_ring_count(&r), ref_head - ref_tail);
		if (r.dropped != dropped) FAIL("dropped %u, expected %u", r.dropped, dropped);
	}
	uart_ring_clear(&r);
	if (uart_ring_count(&r) != 0) FAIL("clear left bytes");
	printf("ok reference from %u\n", start);
}

enum { THREAD_SIZE = 1024, TOTAL = 5000000 };
static uart_ring shared;
static uint8_t shared_store[THREAD_SIZE];

static uint8_t sequence(uint32_t i) { return (uint8_t)(i * 31 + (i >> 8)); }

/* The producer offers every byte until it fits (a test choice: an interrupt would drop instead), so the
 * consumer must see the exact sequence: nothing lost, duplicated or reordered between the two cores. */
static void *producer(void *arg)
{
	uint8_t chunk[128];
	uint32_t sent = 0, i;
	(void)arg;
	while (sent < TOTAL) {
		uint32_t n = 1 + sent % 128, done = 0;
		if (n > TOTAL - sent) n = TOTAL - sent;
		for (i = 0; i < n; i++) chunk[i] = sequence(sent + i);
		while (done < n) {
			uint32_t k = uart_ring_push(&shared, chunk + done, n - done);
			done += k;
			if (done < n) sched_yield();
		}
		sent += n;
	}
	return 0;
}

static void threads(void)
{
	pthread_t t;
	uint8_t buf[300];
	uint32_t received = 0;
	uart_ring_init(&shared, shared_store, THREAD_SIZE);
	pthread_create(&t, 0, producer, 0);
	while (received < TOTAL) {
		uint32_t got = uart_ring_pop(&shared, buf, 1 + received % 300), i;
		for (i = 0; i < got; i++, received++)
			if (buf[i] != sequence(received)) FAIL("byte %u out of sequence", received);
		if (got == 0) sched_yield();
	}
	pthread_join(t, 0);
	if (uart_ring_count(&shared) != 0) FAIL("bytes left over");
	printf("ok threads: %u bytes in order\n", received);
}

int main(void)
{
	sizes();
	against_reference(0);
	against_reference(0xFFFFFF00u);
	threads();
	printf("all ok\n");
	return 0;
}
