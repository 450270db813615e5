/* hetsched_main.h: include it in the one file of a program that defines main().
 *
 * In a simulation build (HETSCHED_HAVE_SIMGRID, hetsched built against a StarPU configured with
 * --enable-simgrid), StarPU starts SimGrid in a main() of its own and runs the program's main()
 * as a simulated process: the program's main() must be renamed starpu_main(), which StarPU's
 * <starpu_simgrid_wrap.h> does with a macro. Without it every program dies at its first StarPU
 * call. On a real machine this header adds nothing.
 *
 * It is a header of its own, not part of hetsched.h, because the macro renames main() in every
 * file that sees it: only the file that defines main() may include it. It is the one place where
 * a StarPU header reaches a program through hetsched, and only in simulation builds. */
#ifndef HETSCHED_MAIN_H
#define HETSCHED_MAIN_H

#include "hetsched_features.h"

#if HETSCHED_HAVE_SIMGRID
#include <starpu_simgrid_wrap.h>
#endif

#endif
