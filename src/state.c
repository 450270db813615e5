/* state.c: whether the library is initialised, a leaf that every file may ask without calling
 * back into runtime.c (which sets it), so that no call circle runs through the start. */
#include "config.h"

#include "internal.h"

static int initialized;

int hetsched__initialized(void)
{
	return initialized;
}

void hetsched__set_initialized(int value)
{
	initialized = value;
}
