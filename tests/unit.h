/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The unit tests' check macro and tally; each test prints the closing
 * line "N passed, N failed" with UNIT_DONE(). */
#ifndef VTL_TEST_UNIT_H
#define VTL_TEST_UNIT_H

#include <stdio.h>

static int unit_passed, unit_failed;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (cond) {                                                     \
			unit_passed++;                                          \
		} else {                                                        \
			unit_failed++;                                          \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);             \
			printf(__VA_ARGS__);                                    \
			printf("\n");                                           \
		}                                                               \
	} while (0)

#define UNIT_DONE() (printf("%d passed, %d failed\n", unit_passed, unit_failed), unit_failed ? 1 : 0)

#endif
