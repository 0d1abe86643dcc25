// Constants of the simulated ECMA-419 Digital (Node and XS stand-ins share them): modes, edges, and the
// level an input reads when nothing drives it (its pull resistor). Plain code, no Node APIs.
export const DIGITAL = {
  Input: 0, InputPullUp: 1, InputPullDown: 2, InputPullUpDown: 3, Output: 8, OutputOpenDrain: 9, Rising: 1, Falling: 2,
} as const;

/** What an undriven input reads: 1 with a pull-up, else 0. */
export function idleLevel(mode: number): number {
  return mode === DIGITAL.InputPullUp ? 1 : 0;
}
