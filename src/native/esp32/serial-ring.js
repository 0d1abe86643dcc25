/*
 * embedded:io/serial for the ESP32 with an interrupt-filled receive ring (serial-ring.c): the ECMA-419
 * Serial class the device app already uses (constructor options, read, write, close, format), plus
 * `receiveBuffer`, the ring's size in bytes, which the app announces to the host (CAPS flag RX_BUFFER).
 * Selected by src/native/esp32/manifest.json on esp32 builds only; other builds keep Moddable's serial.
 */
class Serial extends Native("xs_serialring_destructor") {
	constructor(options) { super(); native("xs_serialring_constructor").call(this, options); }
	close() { return native("xs_serialring_close").call(this); }
	read() { return native("xs_serialring_read").call(this, ...arguments); }
	write() { return native("xs_serialring_write").call(this, ...arguments); }
	get format() { return native("xs_serialring_get_format").call(this); }
	set format(value) { native("xs_serialring_set_format").call(this, value); }
	get receiveBuffer() { return native("xs_serialring_get_receive_buffer").call(this); }
}

export default Serial;
