/*
 * The program of a command-line host build (mcconfig -m -p x-cli-lin) of examples/imu-learn, and of
 * test/moddable-library: Moddable's x-cli-lin platform links XS without a main loop or a main(), so this
 * file provides both. It imports the "main" module, calls its default export when that is a function, then
 * runs the GLib main loop (Moddable's Linux timers and promise jobs are GLib sources) for as long as the
 * app keeps globalThis.tinypropHostRunning true. Exit status 1 on an uncaught exception.
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
	exit(status ? status : 1);
}

static int keepRunning(xsMachine* machine)
{
	int result = 0;
	xsBeginHost(machine);
	{
		result = xsTest(xsGet(xsGlobal, xsID("tinypropHostRunning")));
	}
	xsEndHost(machine);
	return result;
}

int main(int argc, char* argv[])
{
	int error = 0;
	xsMachine* machine = fxPrepareMachine(NULL, xsPreparation(), "tinyprop-host", NULL, NULL);
	(void)argc;
	(void)argv;
	xsBeginHost(machine);
	{
		xsVars(1);
		xsTry {
			xsVar(0) = xsAwaitImport("main", XS_IMPORT_DEFAULT);
			if (xsIsInstanceOf(xsVar(0), xsFunctionPrototype))
				xsCallFunction0(xsVar(0), xsUndefined);
		}
		xsCatch {
			fprintf(stderr, "### %s\n", xsToString(xsException));
			error = 1;
		}
	}
	xsEndHost(machine);
	while (!error) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		if (!keepRunning(machine))
			break;
		g_main_context_iteration(NULL, TRUE);
	}
	xsDeleteMachine(machine);
	return error;
}
