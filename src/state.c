/* state.c: whether the library is initialised, and the dtype and precision hetsched_init() was
 * given: a leaf that every file may ask without calling
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

static enum hetsched_dtype dtype;
static enum hetsched_precision precision;

void hetsched__set_numerics(enum hetsched_dtype d, enum hetsched_precision p)
{
	dtype = d;
	precision = p;
}

enum hetsched_dtype hetsched__dtype(void)
{
	return dtype;
}

enum hetsched_precision hetsched__precision(void)
{
	return precision;
}
