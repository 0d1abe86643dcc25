/*
 * The host program of test/moddable-native.test.ts (opt-in, needs the Moddable SDK): a command-line XS
 * machine built by mcconfig for the x-cli-lin platform with src/native/manifest.json included. It runs the
 * default export of the "main" module (main.js), which calls the kernels through globalThis.tinypropNative.
 */
#include <stdio.h>
#include <stdlib.h>
#include "xsPlatform.h"
#include "xs.h"
#include "mc.xs.h"

void fxAbort(xsMachine* the, int status)
{
  (void)the;
  fprintf(stderr, "### XS aborted (%d)\n", status);
  exit(status);
}

int main(int argc, char* argv[])
{
  int error = 0;
  xsMachine* machine = fxPrepareMachine(NULL, xsPreparation(), "tinyprop-check", NULL, NULL);
  (void)argc;
  (void)argv;
  xsBeginHost(machine);
  {
    xsVars(1);
    xsTry {
      xsVar(0) = xsAwaitImport("main", XS_IMPORT_DEFAULT);
      xsCallFunction0(xsVar(0), xsUndefined);
    }
    xsCatch {
      fprintf(stderr, "### %s\n", xsToString(xsException));
      error = 1;
    }
  }
  xsEndHost(machine);
  xsDeleteMachine(machine);
  return error;
}
