// `embedded:io/digital` inside XS for the simulator: the pin's level lives in Node (SimBoard.drivePin);
// opening a pin with edges prints "@D <pin>", and every change comes back as a turn (device-xs.ts kind 4).
import { relay, print } from "./relay";
import { SimDigital, type DigitalOptions } from "../digital-modes";

export default class Digital extends SimDigital {
  constructor(options: DigitalOptions) {
    super(options);
    const onEdge = this.onEdge;
    if (onEdge !== undefined) {
      relay.pinWatchers[this.pin] = (level: number) => { if (this.fires(level)) onEdge(); };
      print("@D " + this.pin);
    }
  }

  protected level(): number {
    const level = relay.pins[String(this.pin)];
    return typeof level === "number" ? level : this.idle;
  }
}
