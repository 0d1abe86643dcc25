// Example app: learn gestures on an ESP32 with an MPU-6050, using tinyprop as a Moddable library
// (../../lib/manifest.json). Hold the button while performing a gesture: each window recorded while it is
// held trains the model on the current class; a short press moves to the next class. Without the button
// the app classifies every window and traces class and confidence. No host, no serial protocol.
// On a PC (mcconfig -p x-cli-lin), manifest.json maps the button, bus and sensor to host/ stand-ins.
import config from "mc/config";
import Timer from "timer";
import Digital from "embedded:io/digital";
import SMBus from "embedded:io/smbus";
import MPU6050 from "embedded:sensor/Accelerometer-Gyroscope/MPU6050";
import { buildModel } from "tinyprop/engine/build";
import { FeaturePipeline } from "tinyprop/features/pipeline";
import { FEATURE_STATS, STATS, featureWidth, type PipelineSpec } from "tinyprop/features/spec";

const CLASSES = ["idle", "wave", "circle"];
const imu = (config as Record<string, any>).imu ?? {};
const hz: number = imu.hz ?? 100;

// One second windows of 6 axes, 5 statistics each. Nothing is learned before training starts, so each
// feature is divided by a typical magnitude of its axis (1 g, 250 dps) to give the model inputs of order one.
const TYPICAL = [1, 1, 1, 250, 250, 250];
const scale = TYPICAL.flatMap((t) => new Array<number>(STATS.length).fill(1 / t));
const spec: PipelineSpec = {
  columns: ["aX", "aY", "aZ", "gX", "gY", "gZ"], ranges: [4, 4, 4, 2000, 2000, 2000], units: ["g", "g", "g", "dps", "dps", "dps"],
  window: hz, stride: hz, features: FEATURE_STATS, bands: 0, rawPoints: 0, clip: 8,
  mean: scale.map(() => 0), scale, classes: CLASSES,
};
const pipe = new FeaturePipeline(spec);
const model = buildModel({
  inputs: featureWidth(spec), layers: [{ units: 16, activation: "relu" }, { units: CLASSES.length, activation: "softmax" }],
  loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05 }, batchSize: 1, seed: 1,
});

const sensor = new MPU6050({ sensor: { io: SMBus, data: imu.data ?? 21, clock: imu.clock ?? 22, address: imu.address ?? 0x68, hz: 400000 } });
const button = new Digital({ pin: (config as Record<string, any>).button?.pin ?? 0, mode: Digital.InputPullUp });

// Everything the timer callback touches is allocated here, once.
const row = new Float64Array(6);
const x = new Float32Array(model.inputs);
const y = new Uint8Array(1);
const p = new Float32Array(CLASSES.length);
const G = 1 / 9.80665; // the driver reports m/s^2
let label = 0, held = 0;

Timer.repeat(() => {
  const pressed = button.read() === 0;
  if (pressed) held++;
  else if (held > 0 && held < hz / 4) { label = (label + 1) % CLASSES.length; held = 0; trace(`class: ${CLASSES[label]}\n`); return; }
  else held = 0;
  const s = sensor.sample();
  if (s === undefined) return;
  row[0] = s.accelerometer.x * G; row[1] = s.accelerometer.y * G; row[2] = s.accelerometer.z * G;
  row[3] = s.gyroscope.x; row[4] = s.gyroscope.y; row[5] = s.gyroscope.z;
  if (!pipe.pushRow(row, 0)) return;
  pipe.extract(x, 0);
  if (pressed) {
    y[0] = label;
    trace(`learned ${CLASSES[label]}: loss ${model.trainStep(x, y).toFixed(3)}\n`);
  } else {
    model.predict(x, p, 1);
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
    trace(`${CLASSES[best]} ${(p[best] * 100).toFixed(0)}%\n`);
  }
}, Math.round(1000 / hz));
