// Device side of tinyprop's native kernels (Moddable builds that include src/native/manifest.json).
// Preloaded: at build time it binds the C host functions of xs_kernels.c and publishes them as
// globalThis.tinypropNative, where the engine (src/engine/native.ts) finds them. Plain JavaScript, not
// TypeScript, because the `@` host-function syntax is an XS extension that only xsc compiles.

function version() @ "xs_tp_version";
function f32Activate() @ "xs_tp_f32_activate";
function f32ActivationBackward() @ "xs_tp_f32_activation_backward";
function f32BackwardInput() @ "xs_tp_f32_backward_input";
function f32BackwardParams() @ "xs_tp_f32_backward_params";
function f32SumOfSquares() @ "xs_tp_f32_sum_of_squares";
function f32Sgd() @ "xs_tp_f32_sgd";
function f32Momentum() @ "xs_tp_f32_momentum";
function f32Adam() @ "xs_tp_f32_adam";
function f32ForwardAct() @ "xs_tp_f32_forward_act";
function f32BackwardSgdFusedAct() @ "xs_tp_f32_backward_sgd_fused_act";
function f32Softmax() @ "xs_tp_f32_softmax";
function f32FirstNonFinite() @ "xs_tp_f32_first_non_finite";
function f32sForwardAct() @ "xs_tp_f32s_forward_act";
function f32sActivate() @ "xs_tp_f32s_activate";
function f32sActivationBackward() @ "xs_tp_f32s_activation_backward";
function f32sBackwardInput() @ "xs_tp_f32s_backward_input";
function f32sBackwardParams() @ "xs_tp_f32s_backward_params";
function f32sBackwardSgdFusedAct() @ "xs_tp_f32s_backward_sgd_fused_act";
function f32sSumOfSquares() @ "xs_tp_f32s_sum_of_squares";
function f32sSgd() @ "xs_tp_f32s_sgd";
function f32sMomentum() @ "xs_tp_f32s_momentum";
function f32sAdam() @ "xs_tp_f32s_adam";
function qForward() @ "xs_tp_q_forward";
function qNormalizeDelta() @ "xs_tp_q_normalize_delta";
function qBackInput() @ "xs_tp_q_back_input";
function qSgdFused() @ "xs_tp_q_sgd_fused";
function qUpdate() @ "xs_tp_q_update";
function qGradients() @ "xs_tp_q_gradients";
function qApplyGradients() @ "xs_tp_q_apply_gradients";
function qAbsMax() @ "xs_tp_q_abs_max";

globalThis.tinypropNative = Object.freeze({
  version, f32Activate, f32ActivationBackward, f32BackwardInput, f32BackwardParams,
  f32SumOfSquares, f32Sgd, f32Momentum, f32Adam, f32ForwardAct, f32BackwardSgdFusedAct, f32Softmax, f32FirstNonFinite,
  f32sForwardAct, f32sActivate, f32sActivationBackward, f32sBackwardInput, f32sBackwardParams, f32sBackwardSgdFusedAct,
  f32sSumOfSquares, f32sSgd, f32sMomentum, f32sAdam,
  qForward, qNormalizeDelta, qBackInput, qSgdFused, qUpdate, qGradients, qApplyGradients, qAbsMax,
});
