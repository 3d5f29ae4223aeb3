/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A listening control socket: shared by vtld and vtl-hooker. */
#ifndef VTL_UNIXSOCK_H
#define VTL_UNIXSOCK_H

#include <stddef.h>
#include <sys/types.h>

/* Listen (SOCK_SEQPACKET, non-blocking, close-on-exec) at path, creating
 * its directory. A socket file nobody answers on (left by a killed
 * process) is replaced; one a live process answers on is refused with
 * -EADDRINUSE. mode: the file's permissions (0: leave them). Returns the
 * fd, or -errno with the reason in err. */
int vtl_unix_listen(const char *path, int backlog, mode_t mode, char *err, size_t errlen);

#endif
