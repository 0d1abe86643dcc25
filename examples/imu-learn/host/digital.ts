// embedded:io/digital on a host build (manifest.json): the scripted button of host/board.ts.
import { HostButton } from "imu-learn/host-board";
export default HostButton;
