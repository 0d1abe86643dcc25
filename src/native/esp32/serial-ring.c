/*
 * ESP32 glue of embedded:io/serial with a receive ring (serial-ring.js). NOT COMPILED in this repository's
 * CI: it needs the Moddable SDK and ESP-IDF (docs/native-uart.md explains the build step by step). The
 * ring logic it relies on, ../uart-ring.c, is compiled and tested on the PC (test/native-uart-ring.test.ts).
 *
 * Receive: ESP-IDF's UART driver (uart_driver_install) empties the 128-byte hardware FIFO from its
 * interrupt into its own small buffer and reports UART_DATA events on a queue; a FreeRTOS task of this
 * module waits on that queue, moves the bytes into our ring (it is the ring's only producer), and posts
 * one message to the XS machine, which calls onReadable(count) (at most one message in flight). read()
 * (the only consumer) takes bytes out of the ring. So bytes keep flowing into the ring while JavaScript is
 * busy training, up to the ring's size; what does not fit is counted (uart_ring.dropped).
 * Transmit: write() puts bytes straight into the TX FIFO (uart_tx_chars, non-blocking, no driver TX
 * buffer) and throws "output full" if they do not fit, as Moddable's serial does; the task notices when
 * the FIFO has drained (uart_wait_tx_done with a zero timeout) and posts onWritable(free).
 * Options: as ECMA-419 Serial, plus `receiveBuffer` (ring bytes, a power of two, default 4096).
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "driver/uart.h"
#include "hal/uart_ll.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"

#include "../uart-ring.c"

#define DRIVER_RX_BYTES 512      /* ESP-IDF's own buffer: must exceed the 128-byte FIFO */
#define EVENT_QUEUE_LENGTH 16

typedef struct {
	xsMachine *the;
	xsSlot object;
	xsSlot *onReadable;
	xsSlot *onWritable;
	uart_port_t port;
	uint8_t bufferFormat;        /* 1: read() returns ArrayBuffers; 0: numbers */
	volatile uint8_t readablePosted;
	volatile uint8_t writablePending; /* a write happened; tell the app when the FIFO has drained */
	volatile uint8_t stopping;
	QueueHandle_t events;
	TaskHandle_t task;
	uart_ring ring;
	uint8_t *storage;
} SerialRing;

static void deliverReadable(void *the, void *refcon, uint8_t *message, uint16_t length);

/* Free bytes in the TX FIFO (the HAL call Moddable's own ESP32 serial uses). */
static uint32_t txFree(SerialRing *s)
{
	return uart_ll_get_txfifo_len(UART_LL_GET_HW(s->port));
}
static void deliverWritable(void *the, void *refcon, uint8_t *message, uint16_t length);

/* The producer: from the driver's buffer into the ring, then one onReadable message. */
static void forwardTask(void *arg)
{
	SerialRing *s = arg;
	uint8_t chunk[128];
	uart_event_t event;
	while (!s->stopping) {
		if (xQueueReceive(s->events, &event, 1) == pdTRUE) {
			if (event.type == UART_FIFO_OVF || event.type == UART_BUFFER_FULL)
				uart_flush_input(s->port); /* bytes already lost in hardware; the protocol's CRC catches it */
		}
		size_t waiting = 0;
		uart_get_buffered_data_len(s->port, &waiting);
		while (waiting > 0) {
			int n = uart_read_bytes(s->port, chunk, waiting < sizeof(chunk) ? waiting : sizeof(chunk), 0);
			if (n <= 0) break;
			uart_ring_push(&s->ring, chunk, (uint32_t)n);
			waiting -= (size_t)n;
		}
		if (s->onReadable && !s->readablePosted && uart_ring_count(&s->ring) > 0) {
			s->readablePosted = 1;
			modMessagePostToMachine(s->the, NULL, 0, deliverReadable, s);
		}
		if (s->onWritable && s->writablePending && uart_wait_tx_done(s->port, 0) == ESP_OK) {
			s->writablePending = 0;
			modMessagePostToMachine(s->the, NULL, 0, deliverWritable, s);
		}
	}
	vTaskDelete(NULL);
}

static void deliverReadable(void *the, void *refcon, uint8_t *message, uint16_t length)
{
	SerialRing *s = refcon;
	uint32_t count = uart_ring_count(&s->ring);
	if (count == 0 || s->onReadable == NULL) {
		s->readablePosted = 0;
		return;
	}
	xsBeginHost(the);
	xsmcSetInteger(xsResult, (xsIntegerValue)count);
	xsCallFunction1(xsReference(s->onReadable), s->object, xsResult);
	xsEndHost(the);
	s->readablePosted = 0; /* re-armed after the callback: like the FIFO driver, once per read */
}

static void deliverWritable(void *the, void *refcon, uint8_t *message, uint16_t length)
{
	SerialRing *s = refcon;
	if (s->onWritable == NULL) return;
	xsBeginHost(the);
	xsmcSetInteger(xsResult, (xsIntegerValue)txFree(s));
	xsCallFunction1(xsReference(s->onWritable), s->object, xsResult);
	xsEndHost(the);
}

static void release(SerialRing *s)
{
	if (s->task) {
		s->stopping = 1;
		vTaskDelay(2); /* the task polls `stopping` every tick and deletes itself */
	}
	uart_driver_delete(s->port);
	c_free(s->storage);
	c_free(s);
}

void xs_serialring_destructor(void *data)
{
	if (data) release(data);
}

static int32_t optionalInteger(xsMachine *the, xsIdentifier id, int32_t fallback)
{
	if (!xsmcHas(xsArg(0), id)) return fallback;
	xsmcGet(xsVar(0), xsArg(0), id);
	return xsmcToInteger(xsVar(0));
}

void xs_serialring_constructor(xsMachine *the)
{
	xsmcVars(1);
	int32_t port = optionalInteger(the, xsID_port, 0);
	int32_t transmit = optionalInteger(the, xsID_transmit, UART_PIN_NO_CHANGE);
	int32_t receive = optionalInteger(the, xsID_receive, UART_PIN_NO_CHANGE);
	int32_t baud = optionalInteger(the, xsID_baud, -1);
	int32_t ringBytes = optionalInteger(the, xsID_receiveBuffer, 4096);
	if (port < 0 || port >= UART_NUM_MAX) xsRangeError("invalid port");
	if (baud <= 0 || baud > 20000000) xsRangeError("invalid baud");
	if (receive == UART_PIN_NO_CHANGE && transmit == UART_PIN_NO_CHANGE) xsUnknownError("invalid");
	if (uart_is_driver_installed(port)) xsRangeError("port in use");

	SerialRing *s = c_calloc(1, sizeof(SerialRing));
	if (!s) xsRangeError("no memory");
	s->storage = c_malloc((size_t)ringBytes);
	if (!s->storage || uart_ring_init(&s->ring, s->storage, (uint32_t)ringBytes) != 0) {
		c_free(s->storage);
		c_free(s);
		xsRangeError("receiveBuffer must be a power of two, 16 bytes or more");
	}
	s->the = the;
	s->object = xsThis;
	s->port = (uart_port_t)port;
	s->bufferFormat = 0;
	if (xsmcHas(xsArg(0), xsID_format)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_format);
		s->bufferFormat = c_strcmp(xsmcToString(xsVar(0)), "buffer") == 0;
	}

	uart_config_t config = {
		.baud_rate = baud, .data_bits = UART_DATA_8_BITS, .parity = UART_PARITY_DISABLE,
		.stop_bits = UART_STOP_BITS_1, .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
	};
	if (uart_driver_install(s->port, DRIVER_RX_BYTES, 0, EVENT_QUEUE_LENGTH, &s->events, 0) != ESP_OK ||
		uart_param_config(s->port, &config) != ESP_OK ||
		uart_set_pin(s->port, transmit, receive, UART_PIN_NO_CHANGE, UART_PIN_NO_CHANGE) != ESP_OK) {
		release(s);
		xsUnknownError("uart failed");
	}
	xsmcSetHostData(xsThis, s);
	if (xsmcHas(xsArg(0), xsID_onReadable) && receive != UART_PIN_NO_CHANGE) {
		xsmcGet(xsVar(0), xsArg(0), xsID_onReadable);
		s->onReadable = xsToReference(xsVar(0));
	}
	if (xsmcHas(xsArg(0), xsID_onWritable) && transmit != UART_PIN_NO_CHANGE) {
		xsmcGet(xsVar(0), xsArg(0), xsID_onWritable);
		s->onWritable = xsToReference(xsVar(0));
		s->writablePending = 1; /* ECMA-419: onWritable once the port is ready */
	}
	xsRemember(s->object);
	if (xTaskCreate(forwardTask, "serialring", 2048, s, 10, &s->task) != pdPASS) {
		s->task = NULL;
		xsmcSetHostData(xsThis, NULL);
		xsForget(s->object);
		release(s);
		xsUnknownError("no task");
	}
}

static SerialRing *openRing(xsMachine *the)
{
	SerialRing *s = xsmcGetHostData(xsThis);
	if (!s) xsUnknownError("closed");
	return s;
}

void xs_serialring_close(xsMachine *the)
{
	SerialRing *s = xsmcGetHostData(xsThis);
	if (!s) return;
	xsmcSetHostData(xsThis, NULL);
	xsForget(s->object);
	release(s);
}

/* read(): all waiting bytes as an ArrayBuffer; read(n): up to n; read(buffer): into the caller's buffer,
 * returning the count. Number format: one byte. undefined when nothing is waiting. */
void xs_serialring_read(xsMachine *the)
{
	SerialRing *s = openRing(the);
	uint32_t waiting = uart_ring_count(&s->ring);
	if (waiting == 0) return;
	if (!s->bufferFormat) {
		uint8_t byte;
		uart_ring_pop(&s->ring, &byte, 1);
		xsmcSetInteger(xsResult, byte);
		return;
	}
	if (xsmcArgc > 0 && xsmcTypeOf(xsArg(0)) != xsIntegerType && xsmcTypeOf(xsArg(0)) != xsNumberType) {
		void *data;
		xsUnsignedValue size;
		xsmcGetBufferWritable(xsArg(0), &data, &size);
		xsmcSetInteger(xsResult, (xsIntegerValue)uart_ring_pop(&s->ring, data, (uint32_t)size));
		return;
	}
	uint32_t n = waiting;
	if (xsmcArgc > 0) {
		int32_t want = xsmcToInteger(xsArg(0));
		if (want <= 0) xsUnknownError("invalid");
		if ((uint32_t)want < n) n = (uint32_t)want;
	}
	xsmcSetArrayBuffer(xsResult, NULL, n);
	uart_ring_pop(&s->ring, xsmcToArrayBuffer(xsResult), n);
}

void xs_serialring_write(xsMachine *the)
{
	SerialRing *s = openRing(the);
	uint8_t byte;
	const void *data = &byte;
	xsUnsignedValue size = 1;
	if (s->bufferFormat)
		xsmcGetBufferReadable(xsArg(0), (void **)&data, &size);
	else
		byte = (uint8_t)xsmcToInteger(xsArg(0));
	/* With no driver TX buffer the hardware FIFO is all there is: refuse what does not fit, send nothing. */
	if (size > txFree(s)) xsUnknownError("output full");
	uart_tx_chars(s->port, data, size);
	s->writablePending = 1;
}

void xs_serialring_get_format(xsMachine *the)
{
	xsmcSetString(xsResult, openRing(the)->bufferFormat ? "buffer" : "number");
}

void xs_serialring_set_format(xsMachine *the)
{
	const char *f = xsmcToString(xsArg(0));
	if (c_strcmp(f, "buffer") && c_strcmp(f, "number")) xsRangeError("unimplemented");
	openRing(the)->bufferFormat = c_strcmp(f, "buffer") == 0;
}

void xs_serialring_get_receive_buffer(xsMachine *the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)uart_ring_size(&openRing(the)->ring));
}
