// One dense layer as the Float32 kernels see it: its sizes, activation and update constants, and the views
// the kernels read and write. The model builds one per layer when it is built, never per call; a kernel
// copies the fields it needs into locals at its top, so its loops run as they would on positional arguments
// (under XS a property read costs about what pushing an argument does: docs/xs-meter.md, +3 units a call).
import { Act } from "../codes";

export interface LayerFormat {
  /** Weights, [nOut x nIn] row-major, and biases. */
  readonly W: Float32Array;
  readonly b: Float32Array;
  readonly nIn: number;
  readonly nOut: number;
  /** Output, [cols x nOut] sample after sample; the activation is applied in place. */
  readonly Y: Float32Array;
  /** Activation of the forward pass: the layer's own, or Linear on an output whose loss applies it (softmax, sigmoid CE). */
  readonly act: Act;
  readonly leakySlope: number;
  /** L2 weight decay of the fused SGD update (weights only). */
  readonly weightDecay: number;
  /** Delta of the pre-activation, [cols x nOut]; null for a frozen layer (the backward kernels need it). */
  readonly dZ: Float32Array | null;
  /** Delta passed to the layer below (its dZ), [cols x nIn]; null when no layer below trains. */
  readonly dX: Float32Array | null;
  /** Stored gradients; null when the update is fused into backward (or the layer is frozen). */
  readonly dW: Float32Array | null;
  readonly db: Float32Array | null;
  /** Output and activation of the layer below, whose derivative the fused backward applies to dX; null for the first layer. */
  readonly belowY: Float32Array | null;
  readonly belowAct: Act;
}

/** The parts a caller must give; the rest default to none (null, Linear, 0). */
export type LayerFormatParts = Pick<LayerFormat, "W" | "b" | "nIn" | "nOut" | "Y"> & Partial<LayerFormat>;

/** A complete LayerFormat: every record has the same fields in the same order. */
export function layerFormat(p: LayerFormatParts): LayerFormat {
  return {
    W: p.W, b: p.b, nIn: p.nIn, nOut: p.nOut, Y: p.Y,
    act: p.act ?? Act.Linear, leakySlope: p.leakySlope ?? 0, weightDecay: p.weightDecay ?? 0,
    dZ: p.dZ ?? null, dX: p.dX ?? null, dW: p.dW ?? null, db: p.db ?? null,
    belowY: p.belowY ?? null, belowAct: p.belowAct ?? Act.Linear,
  };
}
