// Device side of tinyprop's native kernels (Moddable builds that include src/native/manifest.json).
// Preloaded: at build time it binds the C host functions of xs_kernels.c and publishes them as
// globalThis.tinypropNative, where the engine (src/engine/native.ts) finds them. Plain JavaScript, not
// TypeScript, because the `@` host-function syntax is an XS extension that only xsc compiles.

function version() @ "xs_tp_version";
function f32Forward() @ "xs_tp_f32_forward";
function f32Activate() @ "xs_tp_f32_activate";
function f32ActivationBackward() @ "xs_tp_f32_activation_backward";
function f32BackwardInput() @ "xs_tp_f32_backward_input";
function f32BackwardParams() @ "xs_tp_f32_backward_params";
function f32BackwardSgdFused() @ "xs_tp_f32_backward_sgd_fused";
function f32SumOfSquares() @ "xs_tp_f32_sum_of_squares";
function f32Sgd() @ "xs_tp_f32_sgd";
function f32Momentum() @ "xs_tp_f32_momentum";
function f32Adam() @ "xs_tp_f32_adam";
function qForward() @ "xs_tp_q_forward";
function qNormalizeDelta() @ "xs_tp_q_normalize_delta";
function qBackInput() @ "xs_tp_q_back_input";
function qSgdFused() @ "xs_tp_q_sgd_fused";
function qUpdate() @ "xs_tp_q_update";
function qGradients() @ "xs_tp_q_gradients";
function qApplyGradients() @ "xs_tp_q_apply_gradients";
function qAbsMax() @ "xs_tp_q_abs_max";

globalThis.tinypropNative = Object.freeze({
  version, f32Forward, f32Activate, f32ActivationBackward, f32BackwardInput, f32BackwardParams, f32BackwardSgdFused,
  f32SumOfSquares, f32Sgd, f32Momentum, f32Adam,
  qForward, qNormalizeDelta, qBackInput, qSgdFused, qUpdate, qGradients, qApplyGradients, qAbsMax,
});
