// The fixed-point update's shift budget: how far to shift lrM × gradient right so that it lands in the
// weight's (and the bias's) Q format. One pure function for the three update paths of FixedModel (fused
// batch-1 SGD, fused batched update, and update() of stored gradients); integer-only, allocation-free.
//
// The learning rate is lrM 2^-lrExponent (lrM in [2^14, 2^15)). A gradient g at `gradientFrac` fraction bits
// times lrM, shifted right by s, is in units of 2^-(lrExponent + gradientFrac - s); for weight units s must
// be lrExponent + gradientFrac - weightFrac. A shift below 1 + extraBits (momentum keeps 4 extra fraction
// bits) would not leave the kernels' rounding headroom: the update is too large for the format, so both
// shifts grow by the same amount (the update is scaled down by a power of two and the caller counts a clip).

/** Index of the weight shift and the bias shift in the `shifts` output. */
export const WEIGHT_SHIFT = 0;
export const BIAS_SHIFT = 1;

/**
 * From the exact shifts lrExponent + gradientFrac - weightFrac (weightShift) and lrExponent +
 * biasGradientFrac - biasFrac (biasShift), writes the usable ones into shifts[WEIGHT_SHIFT] and
 * shifts[BIAS_SHIFT]; returns 1 when both had to grow (a clipped update), else 0. The bias shift is capped
 * at biasShiftCap: past it lrM × db rounds to 0 either way, and the cap keeps the kernel's shift inside an
 * int32 shift count. (The caller forms the two sums: five arguments instead of eight keep the call cheap
 * under XS, where it runs once per layer per step.)
 */
export function updateShifts(shifts: Int32Array, weightShift: number, biasShift: number, extraBits: number, biasShiftCap: number): number {
  const least = 1 + extraBits;
  const smaller = weightShift < biasShift ? weightShift : biasShift;
  const raise = smaller < least ? least - smaller : 0;
  shifts[WEIGHT_SHIFT] = weightShift + raise;
  biasShift += raise;
  shifts[BIAS_SHIFT] = biasShift < biasShiftCap ? biasShift : biasShiftCap;
  return raise > 0 ? 1 : 0;
}
