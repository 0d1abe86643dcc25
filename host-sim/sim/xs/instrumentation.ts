// Stand-in for Moddable's `instrumentation` module inside XS for the simulator: like a release build, where
// instrumentation is compiled out, map() and get() return undefined (the device reports free memory 0).
const Instrumentation = {
  map(_name: string): number | undefined {
    return undefined;
  },
  get(_index: number): number | undefined {
    return undefined;
  },
  name(_index: number): string | undefined {
    return undefined;
  },
};

export default Instrumentation;
