/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one check harness of every C test (unit, prog-run, transport):
 *
 *   CHECK(cond, fmt, ...)   count a check; on failure print
 *                           "FAIL file:line func: message"
 *   CHECK_CASE(name, fn)    run fn() as a named case: "ok   name" or
 *                           "FAIL name (N checks failed)"
 *   check_case_failed()     checks failed so far in the running case
 *   CHECK_DONE()            print "N passed, N failed"; the exit code
 *                           (0, or 1 when anything failed)
 *   CHECK_SKIP_RC           exit code ctest reads as "skipped" (77): print
 *                           the reason first
 *
 * The tally lives in weak globals, so a test made of several files shares
 * one tally without any of them defining it.
 */
#ifndef VTL_TEST_CHECK_H
#define VTL_TEST_CHECK_H

#include <stdio.h>

#define CHECK_SKIP_RC 77

extern int check_passed, check_failed, check_case_fails, check_cases_failed;
int check_passed __attribute__((weak));
int check_failed __attribute__((weak));
int check_case_fails __attribute__((weak));   /* failures in the running case */
int check_cases_failed __attribute__((weak));

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (cond) {                                                     \
			check_passed++;                                         \
		} else {                                                        \
			check_failed++;                                         \
			check_case_fails++;                                     \
			printf("FAIL %s:%d %s: ", __FILE__, __LINE__, __func__); \
			printf(__VA_ARGS__);                                    \
			printf("\n");                                           \
		}                                                               \
	} while (0)

static inline int check_case_failed(void)
{
	return check_case_fails;
}

#define CHECK_CASE(name, fn)                                                    \
	do {                                                                    \
		check_case_fails = 0;                                           \
		fn();                                                           \
		printf("%s %s", check_case_fails ? "FAIL" : "ok  ", (name));    \
		if (check_case_fails)                                           \
			printf(" (%d checks failed)", check_case_fails);        \
		printf("\n");                                                   \
		check_cases_failed += check_case_fails != 0;                    \
		fflush(stdout);                                                 \
	} while (0)

#define CHECK_DONE()                                                            \
	(printf("%d passed, %d failed\n", check_passed, check_failed),          \
	 check_failed ? 1 : 0)

#endif
