/* tool.h: the small private API the command-line tool (src/cli) may use beyond hetsched.h:
 * hetsched__ functions of the internal convenience library. Plain C, no StarPU types.
 * One section per owner. */
#ifndef HETSCHED_TOOL_H
#define HETSCHED_TOOL_H

#include <stddef.h>
#include <stdint.h>

/* perfmodel */

/* Keep StarPU's model samples however much their times vary: set STARPU_HISTORY_MAX_ERROR to
 * 100000 unless the user set it. Call before hetsched_init(). Used by bench and calibrate, whose
 * studies would otherwise lose the calibration they began with. */
void hetsched__perfmodel_keep_samples(void);

#endif
