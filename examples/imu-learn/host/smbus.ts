// embedded:io/smbus on a host build (manifest.json): no bus.
import { HostBus } from "imu-learn/host-board";
export default HostBus;
