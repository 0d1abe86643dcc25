// "board/button" on platforms without digital pins (manifest.json): no button, so config.sensor.button is
// ignored (logged) and the board serves the link and its home mode without one.
export const buttonDigital: unknown = null;
