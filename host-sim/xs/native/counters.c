// xsCounter(which): reads one of XS's own counters, for measuring code inside the engine without
// disturbing it (no allocation, no floating-point operation: the result is an integer slot).
// Compiled into every worker variant by host-sim/xs/build-worker.mjs; docs/xs-meter.md explains them.
//   0: floating-point operations so far (XS's "Floating Point" instrument; -1 without mxInstrument)
//   1: bytes of chunks in use (strings, ArrayBuffer data, array storage, BigInts); between two
//      garbage collections it only grows, by every chunk allocated or grown
//   2: garbage collections so far (-1 without mxInstrument)
//   3: heap slots in use (like the meter's currentHeapCount)
//   4: peak bytes of chunks in use
#include "xsAll.h"

static txInteger counterValue(txMachine* the, txInteger which)
{
	switch (which) {
#ifdef mxInstrument
	case 0: return (txInteger)the->floatingPointOps;
	case 2: return (txInteger)the->garbageCollectionCount;
#else
	case 0: return -1;
	case 2: return -1;
#endif
	case 1: return (txInteger)the->currentChunksSize;
	case 3: return (txInteger)the->currentHeapCount;
	case 4: return (txInteger)the->peakChunksSize;
	}
	mxRangeError("xsCounter: unknown counter");
	return 0;
}

void xs_counter(txMachine* the)
{
	txInteger which = (mxArgc > 0) ? fxToInteger(the, mxArgv(0)) : 0;
	txInteger value = counterValue(the, which);
	mxResult->kind = XS_INTEGER_KIND;
	mxResult->value.integer = value;
}
