// Run by check_host.c: calls a few native kernels (both Float32 variants and fixed point) on fixed inputs
// and traces the results as hex, which test/moddable-native.test.ts compares with the Node addon's.
function hex(a) {
  const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = "";
  for (let i = 0; i < u.length; i++) s += (u[i] < 16 ? "0" : "") + u[i].toString(16);
  return s;
}

/** Inputs exact in any engine (integers over powers of two); test/moddable-native.test.ts fills the same. */
function fill(W, b, x) {
  for (let i = 0; i < W.length; i++) W[i] = ((i * 37) % 101 - 50) / 64;
  for (let i = 0; i < b.length; i++) b[i] = (i % 5 - 2) / 8;
  for (let i = 0; i < x.length; i++) x[i] = ((i * 13) % 17 - 8) / 16;
}

export default function main() {
  const N = globalThis.tinypropNative;
  trace(`version ${N.version()}\n`);
  const nIn = 13, nOut = 9;
  const W = new Float32Array(nIn * nOut), b = new Float32Array(nOut), x = new Float32Array(nIn);
  fill(W, b, x);
  for (const variant of ["f32", "f32s"]) {
    const Y = new Float32Array(nOut);
    N[variant + "ForwardAct"](W.buffer, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, nIn, nOut, 1, 3, 0.01);
    const W2 = W.slice(), b2 = b.slice(), dZ = Y.slice(), dX = new Float32Array(nIn);
    N[variant + "BackwardSgdFusedAct"](W2.buffer, 0, b2.buffer, 0, dZ.buffer, 0, x.buffer, 0, dX.buffer, 0, x.buffer, 0, nIn, nOut, 0.05, 0.001, 4, 0.01);
    trace(`${variant} ${hex(Y)} ${hex(W2)} ${hex(dX)}\n`);
  }
  const Y = Float32Array.of(0.5, -1.25, 3, 0.125);
  const loss = N.f32Softmax(Y.buffer, 0, 4, 1, 2);
  trace(`softmax ${hex(Y)} ${hex(Float64Array.of(loss))}\n`);
}
