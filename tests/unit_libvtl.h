/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* unit_libvtl's scenario files: unit_libvtl.c (main, the one-direction
 * scenarios) and unit_libvtl_duplex.c (both directions on one session)
 * share these. */
#ifndef UNIT_LIBVTL_H
#define UNIT_LIBVTL_H

#include <stdint.h>
#include <vtl/vtl.h>
#include "unit_libvtl_fake.h"

#define SESSION_ID 0xabcd1234u

/* Options naming the fake vtld's socket. */
struct vtl_opts opts(const char *path);
/* daemon side: SESSION (a gbn session with peer), and DONE or EOF with
 * their statistics */
void send_session(int fd, const char *peer);
void send_stats(int fd, unsigned type, uint64_t bytes);

/* Run one scenario as a CHECK_CASE: a fake vtld running d, and client. */
void scenario(const char *name, fake_script d, const void *arg,
	      void (*client)(const char *path, const void *arg));

/* unit_libvtl_duplex.c: its scenarios */
void duplex_scenarios(void);

#endif
