/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Daemonize with a readiness signal: shared by vtld and vtl-netem. */
#ifndef VTL_DAEMONIZE_H
#define VTL_DAEMONIZE_H

/* Fork; the parent waits for one byte on a pipe and exits 0 if it is 0
 * (ready), 1 otherwise or if the child dies first. The child gets the
 * pipe's write end in *ready_fd. Returns 0 in the child, -errno. */
int vtl_daemonize(int *ready_fd);

#endif
