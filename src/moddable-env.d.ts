// Moddable module typings used by src/main.ts, from npm @moddable/typings. Only module declarations are
// referenced here (no xs.d.ts globals), so host code type-checked with the root tsconfig sees no
// XS-only globals; src/main.ts reaches `trace` through globalThis.
/// <reference path="../node_modules/@moddable/typings/embedded_io/_common.d.ts" />
/// <reference path="../node_modules/@moddable/typings/embedded_io/serial.d.ts" />
/// <reference path="../node_modules/@moddable/typings/timer.d.ts" />
/// <reference path="../node_modules/@moddable/typings/mc/config.d.ts" />
/// <reference path="../node_modules/@moddable/typings/flash.d.ts" />
/// <reference path="../node_modules/@moddable/typings/instrumentation.d.ts" />
