// The learn button's pin class on an ESP32 build: manifest.json maps the module "board/button" here on
// esp32 (with $(MODDABLE)/modules/io/digital/manifest.json) and to button-none.ts on every other platform,
// which may have no embedded:io/digital (a Moddable Linux host build has none). The simulator bundles
// this file, with a stand-in whose level `tinyprop sim` drives (press / release on its stdin).
import Digital from "embedded:io/digital";

/** The ECMA-419 Digital class (InputPullUp/InputPullDown modes, Rising/Falling edges). */
export const buttonDigital: unknown = Digital;
