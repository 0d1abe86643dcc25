/*
 * Node binding (N-API addon) of the native kernels in src/native/: the same functions, argument lists and
 * checks as the XS binding (both include tinyprop_bindings.h), so the kernels can be tested against the
 * JavaScript ones in Node and Node can train with them (host-sim/native/build.ts compiles this file).
 * Not device code.
 */
#include <node_api.h>
#include <stdio.h>
#include <string.h>

#define TP_MAX_ARGS 24

typedef struct {
  napi_env env;
  napi_value argv[TP_MAX_ARGS];
  size_t argc;
  napi_value result;
  int failed;
} TpCtx;

static void tp_fail(TpCtx *c, const char *message)
{
  if (!c->failed) napi_throw_range_error(c->env, NULL, message);
  c->failed = 1;
}

static int tp_failed(TpCtx *c) { return c->failed; }

static double tp_num(TpCtx *c, int i)
{
  double v = 0;
  napi_valuetype t;
  if ((size_t)i >= c->argc || napi_typeof(c->env, c->argv[i], &t) != napi_ok || t != napi_number) {
    char message[80];
    snprintf(message, sizeof message, "tinyprop native kernel: argument %d must be a number", i);
    if (!c->failed) napi_throw_type_error(c->env, NULL, message);
    c->failed = 1;
    return 0;
  }
  napi_get_value_double(c->env, c->argv[i], &v);
  return v;
}

/* ToInt32, like xsmcToInteger on a number. */
static int32_t tp_int(TpCtx *c, int i)
{
  int32_t v = 0;
  tp_num(c, i);
  if (!c->failed) napi_get_value_int32(c->env, c->argv[i], &v);
  return v;
}

static void *tp_buffer(TpCtx *c, int i, int elementSize, int64_t count, int nullable)
{
  napi_valuetype t;
  void *data = NULL;
  size_t length = 0;
  bool isBuffer = false;
  int32_t offset;
  char message[96];
  if (c->failed) return NULL;
  if ((size_t)i + 1 >= c->argc) { tp_fail(c, "tinyprop native kernel: missing arguments"); return NULL; }
  napi_typeof(c->env, c->argv[i], &t);
  if (nullable && (t == napi_null || t == napi_undefined)) return NULL;
  napi_is_arraybuffer(c->env, c->argv[i], &isBuffer);
  if (!isBuffer) {
    snprintf(message, sizeof message, "tinyprop native kernel: argument %d must be an ArrayBuffer", i);
    napi_throw_type_error(c->env, NULL, message);
    c->failed = 1;
    return NULL;
  }
  offset = tp_int(c, i + 1);
  if (c->failed) return NULL;
  napi_get_arraybuffer_info(c->env, c->argv[i], &data, &length);
  if (offset < 0 || offset % elementSize != 0 || (int64_t)offset + count * elementSize > (int64_t)length) {
    snprintf(message, sizeof message, "tinyprop native kernel: tensor at argument %d lies outside its buffer", i);
    tp_fail(c, message);
    return NULL;
  }
  return (char *)data + offset;
}

static void tp_return_int(TpCtx *c, int32_t v) { napi_create_int32(c->env, v, &c->result); }
static void tp_return_num(TpCtx *c, double v) { napi_create_double(c->env, v, &c->result); }

#include "tinyprop_bindings.h"

#define TP_NAPI_WRAPPER(cname, jsname, count) \
  static napi_value napi_tp_##cname(napi_env env, napi_callback_info info) \
  { \
    TpCtx c; \
    memset(&c, 0, sizeof c); \
    c.env = env; \
    c.argc = TP_MAX_ARGS; \
    napi_get_cb_info(env, info, &c.argc, c.argv, NULL, NULL); \
    if (c.argc < (size_t)(count)) { tp_fail(&c, "tinyprop native kernel " #jsname ": too few arguments"); return NULL; } \
    tp_body_##cname(&c); \
    return c.failed ? NULL : c.result; \
  }

TP_BINDINGS(TP_NAPI_WRAPPER)

#define TP_NAPI_PROPERTY(cname, jsname, count) { #jsname, NULL, napi_tp_##cname, NULL, NULL, NULL, napi_enumerable, NULL },

NAPI_MODULE_INIT()
{
  napi_property_descriptor properties[] = { TP_BINDINGS(TP_NAPI_PROPERTY) };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}
