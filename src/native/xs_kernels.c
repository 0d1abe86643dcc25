/*
 * XS binding of the native kernels: one host function per kernel, `void xs_tp_<name>(xsMachine *the)`.
 * On a Moddable device, src/native/kernels.js declares them (`function f32ForwardAct() @ "xs_tp_f32_forward_act";`);
 * on the PC, host-sim/xs/build-worker.mjs's "native" variant defines them as globals of xsnap-worker.
 *
 * Tensors arrive as (ArrayBuffer, byte offset) pairs and are read with xsmcGetBufferReadable/Writable, the
 * documented way to reach buffer memory from C (tinyprop_bindings.h). Scalars must be numbers: anything else
 * throws, so no JavaScript (a valueOf) can run, allocate and move a buffer while the kernel holds pointers
 * into it. Nothing here allocates except the error thrown on a bad call.
 */
#include "xsmc.h"

#ifndef xsmcGetBufferWritable
/* Older XS headers (the one @agoric/xsnap ships) have the function but not the macros. */
mxImport xsIntegerValue _xsmcGetBuffer(xsMachine *the, xsSlot *slot, void **data, xsUnsignedValue *count, xsBooleanValue writable);
#define xsmcGetBufferReadable(_SLOT, data, count) _xsmcGetBuffer(the, &_SLOT, data, count, 0)
#define xsmcGetBufferWritable(_SLOT, data, count) _xsmcGetBuffer(the, &_SLOT, data, count, 1)
#endif

typedef struct { xsMachine *the; } TpCtx;

static int32_t tp_int(TpCtx *c, int i)
{
  xsMachine *the = c->the;
  xsType t = xsmcTypeOf(xsArg(i));
  if (t != xsIntegerType && t != xsNumberType) xsTypeError("tinyprop native kernel: argument %d must be a number", i);
  return xsmcToInteger(xsArg(i));
}

static double tp_num(TpCtx *c, int i)
{
  xsMachine *the = c->the;
  xsType t = xsmcTypeOf(xsArg(i));
  if (t != xsIntegerType && t != xsNumberType) xsTypeError("tinyprop native kernel: argument %d must be a number", i);
  return xsmcToNumber(xsArg(i));
}

static void tp_fail(TpCtx *c, const char *message)
{
  xsMachine *the = c->the;
  xsRangeError("%s", message);
}

static int tp_failed(TpCtx *c)
{
  (void)c;
  return 0; /* failures throw */
}

static void *tp_buffer(TpCtx *c, int i, int elementSize, int64_t count, int nullable)
{
  xsMachine *the = c->the;
  void *data;
  xsUnsignedValue length;
  int32_t offset;
  xsType t = xsmcTypeOf(xsArg(i));
  if (nullable && (t == xsNullType || t == xsUndefinedType)) return NULL;
  if (t != xsReferenceType) xsTypeError("tinyprop native kernel: argument %d must be an ArrayBuffer", i);
  offset = tp_int(c, i + 1);
  xsmcGetBufferWritable(xsArg(i), &data, &length);
  if (offset < 0 || offset % elementSize != 0 || (int64_t)offset + count * elementSize > (int64_t)length)
    xsRangeError("tinyprop native kernel: tensor at argument %d lies outside its buffer", i);
  return (char *)data + offset;
}

static void tp_return_int(TpCtx *c, int32_t v)
{
  xsMachine *the = c->the;
  xsmcSetInteger(xsResult, v);
}

static void tp_return_num(TpCtx *c, double v)
{
  xsMachine *the = c->the;
  xsmcSetNumber(xsResult, v);
}

#include "tinyprop_bindings.h"

#define TP_XS_WRAPPER(cname, jsname, argc) \
  void xs_tp_##cname(xsMachine *the) \
  { \
    TpCtx c; \
    c.the = the; \
    if (xsmcArgc < (argc)) xsTypeError("tinyprop native kernel " #jsname ": %d arguments expected", (argc)); \
    tp_body_##cname(&c); \
  }

TP_BINDINGS(TP_XS_WRAPPER)
